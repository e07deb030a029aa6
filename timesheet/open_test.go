package timesheet

import (
	"math/rand"
	"testing"
	"time"
)

func TestOpen(t *testing.T) {
	lon := london(t)
	every := [7]bool{true, true, true, true, true, true, true}
	// Seven-day teams, so that the DST nights (all weekend mornings) have
	// business hours right after them.
	lon7 := lon
	lon7.Days, lon7.End = every, hm(17, 0)
	ny7 := Calendar{Location: mustZone(t, "America/New_York"), Days: every, Start: hm(9, 0), End: hm(17, 0)}
	howe7 := Calendar{Location: mustZone(t, "Australia/Lord_Howe"), Days: every, Start: hm(9, 0), End: hm(17, 0)}
	// Business hours that start inside London's spring-forward gap.
	gap := lon7
	gap.Start, gap.End = hm(1, 30), hm(3, 0)
	none := lon
	none.Days = [7]bool{}

	for _, c := range []struct {
		name string
		cal  Calendar
		at   string // wall time in the calendar's zone
		open bool
		next string // wall time; "" for none
		wait time.Duration
	}{
		{"weekday 03:00", lon, "2026-11-25 03:00", false, "2026-11-25 09:00", 6 * time.Hour},
		{"in hours", lon, "2026-11-25 09:00", true, "", 0},
		{"at the end", lon, "2026-11-25 17:30", false, "2026-11-26 09:00", 15*time.Hour + 30*time.Minute},
		{"friday night waits for monday", lon, "2026-11-27 18:00", false, "2026-11-30 09:00", 63 * time.Hour},
		{"holiday skipped", lon, "2026-12-24 20:00", false, "2026-12-29 09:00", 4*24*time.Hour + 13*time.Hour},
		// London, clocks forward at 01:00 GMT on 29 Mar 2026: 03:00 to
		// 09:00 is six hours of wall clock but the night lost one.
		{"london spring forward", lon7, "2026-03-29 00:30", false, "2026-03-29 09:00", 7*time.Hour + 30*time.Minute},
		{"london fall back", lon7, "2026-10-25 00:30", false, "2026-10-25 09:00", 9*time.Hour + 30*time.Minute},
		{"new york spring forward", ny7, "2027-03-14 01:30", false, "2027-03-14 09:00", 6*time.Hour + 30*time.Minute},
		{"new york after the jump", ny7, "2027-03-14 03:00", false, "2027-03-14 09:00", 6 * time.Hour},
		// Lord Howe moves by half an hour (02:00 -> 01:30 on 5 Apr 2026).
		{"lord howe fall back", howe7, "2026-04-05 00:30", false, "2026-04-05 09:00", 9 * time.Hour},
		{"start in the gap", gap, "2026-03-29 00:30", false, "2026-03-29 02:30", time.Hour},
		{"no business days", none, "2026-11-25 03:00", false, "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			now := at(t, c.cal.Location, c.at)
			open, next, err := c.cal.Open(now)
			if err != nil {
				t.Fatal(err)
			}
			if open != c.open {
				t.Fatalf("open %v, want %v", open, c.open)
			}
			if c.next == "" {
				if !next.IsZero() {
					t.Fatalf("next %v, want none", next)
				}
				return
			}
			if want := at(t, c.cal.Location, c.next); !next.Equal(want) || next.Location() != c.cal.Location {
				t.Fatalf("next %v, want %v", next, want)
			}
			if got := next.Sub(now); got != c.wait {
				t.Errorf("waits %v, want %v", got, c.wait)
			}
		})
	}
	if _, _, err := (Calendar{}).Open(time.Now()); err == nil {
		t.Error("a calendar without a zone gave no error")
	}
}

// Open agrees with Split: t is open exactly when the piece holding it is
// Business, and next is where the first Business piece after t starts.
func TestOpenAgreesWithSplit(t *testing.T) {
	zones := []string{"Europe/London", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "UTC"}
	rng := rand.New(rand.NewSource(13))
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for n := range 2000 {
		loc := mustZone(t, zones[rng.Intn(len(zones))])
		var days [7]bool
		for d := range days {
			days[d] = rng.Intn(3) > 0
		}
		s := time.Duration(rng.Intn(24*4)) * 15 * time.Minute
		e := s + time.Duration(rng.Intn(int((24*time.Hour-s)/(15*time.Minute))+1))*15*time.Minute
		at := base.Add(time.Duration(rng.Int63n(int64(10 * 365 * 24 * time.Hour))))
		if rng.Intn(2) == 0 {
			at = at.Truncate(15 * time.Minute)
		}
		cal := Calendar{Location: loc, Days: days, Start: s, End: e}
		open, next, err := cal.Open(at)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := cal.Split(at, at.Add(10*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got := ps[0].Class == Business; got != open {
			t.Fatalf("case %d (%s %v %v-%v at %v): Open %v, Split says %s", n, loc, days, s, e, at, open, ps[0].Class)
		}
		if open {
			continue
		}
		var want time.Time
		for _, p := range ps {
			if p.Class == Business {
				want = p.Start
				break
			}
		}
		if !want.IsZero() && !next.Equal(want) {
			t.Fatalf("case %d (%s %v %v-%v at %v): next %v, Split's first business piece starts %v", n, loc, days, s, e, at, next, want)
		}
		if want.IsZero() && !next.IsZero() && next.Before(at.Add(10*24*time.Hour)) {
			t.Fatalf("case %d: next %v but Split has no business time before it", n, next)
		}
	}
}
