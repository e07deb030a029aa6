package timesheet

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// want is one expected piece, with its ends as wall times in the calendar's
// zone.
type want struct {
	class      Class
	start, end string
}

func TestSplit(t *testing.T) {
	lon := london(t)
	ny := Calendar{Location: mustZone(t, "America/New_York"), Days: monFri(), Start: hm(8, 0), End: hm(16, 0)}
	howe := Calendar{Location: mustZone(t, "Australia/Lord_Howe"), Days: monFri(), Start: hm(9, 0), End: hm(17, 0)}
	// A team working Sunday to Thursday, so that the DST nights (all
	// Sunday mornings) are weekday nights.
	sunThu := lon
	sunThu.Days = [7]bool{time.Sunday: true, time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true}
	// Business hours with ends inside London's gap and overlap.
	odd := lon
	odd.Days = [7]bool{true, true, true, true, true, true, true}
	odd.Start, odd.End = hm(1, 30), hm(3, 0)
	odd2 := odd
	odd2.Start, odd2.End = hm(1, 0), hm(1, 30)

	tests := []struct {
		name     string
		cal      Calendar
		from, to string
		pieces   []want
		totals   map[Class]time.Duration // real elapsed time per class
	}{{
		name: "weekday night", cal: lon, from: "2026-03-03 17:30", to: "2026-03-04 09:00",
		pieces: []want{
			{WeekdayOutOfHours, "2026-03-03 17:30", "2026-03-04 00:00"},
			{WeekdayOutOfHours, "2026-03-04 00:00", "2026-03-04 09:00"},
		},
		totals: map[Class]time.Duration{WeekdayOutOfHours: hm(15, 30)},
	}, {
		name: "weekend", cal: lon, from: "2026-03-06 17:30", to: "2026-03-09 09:00",
		pieces: []want{
			{WeekdayOutOfHours, "2026-03-06 17:30", "2026-03-07 00:00"},
			{Weekend, "2026-03-07 00:00", "2026-03-08 00:00"},
			{Weekend, "2026-03-08 00:00", "2026-03-09 00:00"},
			{WeekdayOutOfHours, "2026-03-09 00:00", "2026-03-09 09:00"},
		},
		totals: map[Class]time.Duration{WeekdayOutOfHours: hm(15, 30), Weekend: 48 * time.Hour},
	}, {
		name: "public holiday on a Monday", cal: lon, from: "2026-08-28 17:30", to: "2026-09-01 09:00",
		pieces: []want{
			{WeekdayOutOfHours, "2026-08-28 17:30", "2026-08-29 00:00"},
			{Weekend, "2026-08-29 00:00", "2026-08-30 00:00"},
			{Weekend, "2026-08-30 00:00", "2026-08-31 00:00"},
			{Holiday, "2026-08-31 00:00", "2026-09-01 00:00"},
			{WeekdayOutOfHours, "2026-09-01 00:00", "2026-09-01 09:00"},
		},
		totals: map[Class]time.Duration{WeekdayOutOfHours: hm(15, 30), Weekend: 48 * time.Hour, Holiday: 24 * time.Hour},
	}, {
		name: "holiday on a Saturday is a holiday", cal: lon, from: "2026-12-26 00:00", to: "2026-12-27 00:00",
		pieces: []want{{Holiday, "2026-12-26 00:00", "2026-12-27 00:00"}},
		totals: map[Class]time.Duration{Holiday: 24 * time.Hour},
	}, {
		name: "London spring-forward weekend is 47h", cal: lon, from: "2026-03-27 17:30", to: "2026-03-30 09:00",
		pieces: []want{
			{WeekdayOutOfHours, "2026-03-27 17:30", "2026-03-28 00:00"},
			{Weekend, "2026-03-28 00:00", "2026-03-29 00:00"},
			{Weekend, "2026-03-29 00:00", "2026-03-30 00:00"},
			{WeekdayOutOfHours, "2026-03-30 00:00", "2026-03-30 09:00"},
		},
		totals: map[Class]time.Duration{WeekdayOutOfHours: hm(15, 30), Weekend: 47 * time.Hour},
	}, {
		name: "London spring-forward weekday night is 14.5h", cal: sunThu, from: "2026-03-28 17:30", to: "2026-03-29 09:00",
		pieces: []want{
			{Weekend, "2026-03-28 17:30", "2026-03-29 00:00"}, // Saturday: not a working day
			{WeekdayOutOfHours, "2026-03-29 00:00", "2026-03-29 09:00"},
		},
		totals: map[Class]time.Duration{Weekend: hm(6, 30), WeekdayOutOfHours: 8 * time.Hour},
	}, {
		name: "London fall-back Sunday is 25h", cal: lon, from: "2026-10-25 00:00", to: "2026-10-26 00:00",
		pieces: []want{{Weekend, "2026-10-25 00:00", "2026-10-26 00:00"}},
		totals: map[Class]time.Duration{Weekend: 25 * time.Hour},
	}, {
		name: "London fall-back weekday night is 16.5h", cal: sunThu, from: "2026-10-24 17:30", to: "2026-10-25 09:00",
		pieces: []want{
			{Weekend, "2026-10-24 17:30", "2026-10-25 00:00"},
			{WeekdayOutOfHours, "2026-10-25 00:00", "2026-10-25 09:00"},
		},
		totals: map[Class]time.Duration{Weekend: hm(6, 30), WeekdayOutOfHours: 10 * time.Hour},
	}, {
		name: "business start in the spring-forward gap", cal: odd, from: "2026-03-29 00:00", to: "2026-03-30 00:00",
		pieces: []want{
			{WeekdayOutOfHours, "2026-03-29 00:00", "2026-03-29 01:30"}, // 01:30 GMT, shown as 02:30 BST
			{Business, "2026-03-29 01:30", "2026-03-29 03:00"},
			{WeekdayOutOfHours, "2026-03-29 03:00", "2026-03-30 00:00"},
		},
		totals: map[Class]time.Duration{WeekdayOutOfHours: hm(22, 30), Business: 30 * time.Minute},
	}, {
		name: "business hours in the fall-back overlap are their first occurrence", cal: odd2, from: "2026-10-25 00:00", to: "2026-10-26 00:00",
		pieces: []want{
			{WeekdayOutOfHours, "2026-10-25 00:00", "2026-10-25 01:00"},
			{Business, "2026-10-25 01:00", "2026-10-25 01:30"},
			{WeekdayOutOfHours, "2026-10-25 01:30", "2026-10-26 00:00"},
		},
		totals: map[Class]time.Duration{WeekdayOutOfHours: hm(24, 30), Business: 30 * time.Minute},
	}, {
		name: "New York spring-forward Sunday is 23h", cal: ny, from: "2026-03-08 00:00", to: "2026-03-09 00:00",
		pieces: []want{{Weekend, "2026-03-08 00:00", "2026-03-09 00:00"}},
		totals: map[Class]time.Duration{Weekend: 23 * time.Hour},
	}, {
		name: "New York fall-back Sunday is 25h", cal: ny, from: "2026-11-01 00:00", to: "2026-11-02 00:00",
		pieces: []want{{Weekend, "2026-11-01 00:00", "2026-11-02 00:00"}},
		totals: map[Class]time.Duration{Weekend: 25 * time.Hour},
	}, {
		name: "Lord Howe half-hour fall-back Sunday is 24.5h", cal: howe, from: "2026-04-05 00:00", to: "2026-04-06 00:00",
		pieces: []want{{Weekend, "2026-04-05 00:00", "2026-04-06 00:00"}},
		totals: map[Class]time.Duration{Weekend: hm(24, 30)},
	}, {
		name: "Lord Howe half-hour spring-forward Sunday is 23.5h", cal: howe, from: "2026-10-04 00:00", to: "2026-10-05 00:00",
		pieces: []want{{Weekend, "2026-10-04 00:00", "2026-10-05 00:00"}},
		totals: map[Class]time.Duration{Weekend: hm(23, 30)},
	}, {
		name: "across a month end", cal: lon, from: "2026-11-30 12:00", to: "2026-12-01 12:00",
		pieces: []want{
			{Business, "2026-11-30 12:00", "2026-11-30 17:30"},
			{WeekdayOutOfHours, "2026-11-30 17:30", "2026-12-01 00:00"},
			{WeekdayOutOfHours, "2026-12-01 00:00", "2026-12-01 09:00"},
			{Business, "2026-12-01 09:00", "2026-12-01 12:00"},
		},
		totals: map[Class]time.Duration{Business: hm(8, 30), WeekdayOutOfHours: hm(15, 30)},
	}, {
		name: "across a year end into a holiday", cal: Calendar{Location: lon.Location, Days: monFri(), Start: hm(9, 0), End: hm(17, 30), Holidays: []string{"2027-01-01"}},
		from: "2026-12-31 17:30", to: "2027-01-01 12:00",
		pieces: []want{
			{WeekdayOutOfHours, "2026-12-31 17:30", "2027-01-01 00:00"},
			{Holiday, "2027-01-01 00:00", "2027-01-01 12:00"},
		},
		totals: map[Class]time.Duration{WeekdayOutOfHours: hm(6, 30), Holiday: 12 * time.Hour},
	}, {
		name: "business hours to 24:00", cal: Calendar{Location: lon.Location, Days: monFri(), Start: 0, End: 24 * time.Hour},
		from: "2026-03-03 12:00", to: "2026-03-04 12:00",
		pieces: []want{
			{Business, "2026-03-03 12:00", "2026-03-04 00:00"},
			{Business, "2026-03-04 00:00", "2026-03-04 12:00"},
		},
		totals: map[Class]time.Duration{Business: 24 * time.Hour},
	}, {
		name: "empty business hours leave one piece a day", cal: Calendar{Location: lon.Location, Days: monFri(), Start: hm(9, 0), End: hm(9, 0)},
		from: "2026-03-03 00:00", to: "2026-03-04 00:00",
		pieces: []want{{WeekdayOutOfHours, "2026-03-03 00:00", "2026-03-04 00:00"}},
		totals: map[Class]time.Duration{WeekdayOutOfHours: 24 * time.Hour},
	}, {
		name: "inside one stretch", cal: lon, from: "2026-03-03 10:00", to: "2026-03-03 10:10",
		pieces: []want{{Business, "2026-03-03 10:00", "2026-03-03 10:10"}},
		totals: map[Class]time.Duration{Business: 10 * time.Minute},
	}, {
		name: "empty", cal: lon, from: "2026-03-03 10:00", to: "2026-03-03 10:00",
	}, {
		name: "inverted", cal: lon, from: "2026-03-03 11:00", to: "2026-03-03 10:00",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loc := tc.cal.Location
			got, err := tc.cal.Split(at(t, loc, tc.from), at(t, loc, tc.to))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.pieces) {
				t.Fatalf("got %d pieces, want %d:\n%s", len(got), len(tc.pieces), dump(got))
			}
			totals := map[Class]time.Duration{}
			for i, w := range tc.pieces {
				g := got[i]
				ws, we := at(t, loc, w.start), at(t, loc, w.end)
				if g.Class != w.class || !g.Start.Equal(ws) || !g.End.Equal(we) {
					t.Errorf("piece %d = %s, want %s %v - %v", i, dumpPiece(g), w.class, ws, we)
				}
				if day := fmt.Sprint(dateOf(ws)); g.Day.String() != day {
					t.Errorf("piece %d day = %v, want %v", i, g.Day, day)
				}
				totals[g.Class] += g.End.Sub(g.Start)
			}
			for _, c := range []Class{Business, WeekdayOutOfHours, Weekend, Holiday} {
				if totals[c] != tc.totals[c] {
					t.Errorf("%s total = %v, want %v", c, totals[c], tc.totals[c])
				}
			}
		})
	}
}

// dateOf is the local date of t in its own location.
func dateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// TestSplitZonesDiffer: one instant interval reads differently in each
// team's zone and hours.
func TestSplitZonesDiffer(t *testing.T) {
	from := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	tests := []struct {
		cal      Calendar
		business time.Duration
	}{
		{london(t), hm(8, 30)}, // 12:00-17:30 Tue, 09:00-12:00 Wed
		{Calendar{Location: mustZone(t, "America/New_York"), Days: monFri(), Start: hm(8, 0), End: hm(16, 0)}, 8 * time.Hour}, // 07:00 EST to 07:00
		{Calendar{Location: mustZone(t, "Asia/Kolkata"), Days: monFri(), Start: hm(10, 0), End: hm(18, 0)}, hm(4, 30) + hm(3, 30)},
		{Calendar{Location: mustZone(t, "Asia/Tokyo"), Days: monFri(), Start: hm(9, 0), End: hm(18, 0)}, 9 * time.Hour}, // 21:00 Tue to 21:00 Wed
	}
	for _, tc := range tests {
		ps, err := tc.cal.Split(from, to)
		if err != nil {
			t.Fatal(err)
		}
		var business, ooh time.Duration
		for _, p := range ps {
			if p.Class == Business {
				business += p.End.Sub(p.Start)
			} else {
				ooh += p.End.Sub(p.Start)
			}
		}
		if business != tc.business || business+ooh != 24*time.Hour {
			t.Errorf("%s: business %v, out of hours %v; want %v and the rest", tc.cal.Location, business, ooh, tc.business)
		}
	}
}

func TestCalendarErrors(t *testing.T) {
	lon := london(t)
	bad := []Calendar{
		{Days: monFri(), Start: hm(9, 0), End: hm(17, 0)},
		{Location: lon.Location, Start: hm(17, 0), End: hm(9, 0)},
		{Location: lon.Location, Start: -time.Hour, End: hm(9, 0)},
		{Location: lon.Location, Start: 0, End: 25 * time.Hour},
		{Location: lon.Location, Start: time.Millisecond, End: hm(9, 0)},
		{Location: lon.Location, Start: 0, End: hm(9, 0), Holidays: []string{"2026-02-30"}},
		{Location: lon.Location, Start: 0, End: hm(9, 0), Holidays: []string{"2026-1-02"}},
	}
	for i, c := range bad {
		if _, err := c.Split(time.Unix(0, 0), time.Unix(3600, 0)); err == nil {
			t.Errorf("calendar %d: no error", i)
		}
	}
}

// TestSplitTiles is the property: over random zones, calendars and
// intervals, the pieces tile [from, to) exactly, in order, one local day
// each; their classes follow the day's kind; and, away from zone
// transitions, every piece agrees with the plain wall clock.
func TestSplitTiles(t *testing.T) {
	zones := []string{"Europe/London", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia",
		"America/Santiago", "Asia/Kolkata", "America/St_Johns", "Australia/Sydney", "Asia/Tehran", "UTC"}
	rng := rand.New(rand.NewSource(6))
	base := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	for n := range 3000 {
		loc := mustZone(t, zones[rng.Intn(len(zones))])
		var days [7]bool
		for d := range days {
			days[d] = rng.Intn(3) > 0
		}
		s := time.Duration(rng.Intn(24*4+1)) * 15 * time.Minute
		e := s + time.Duration(rng.Intn(int((24*time.Hour-s)/(15*time.Minute))+1))*15*time.Minute
		from := base.Add(time.Duration(rng.Int63n(int64(20 * 365 * 24 * time.Hour))))
		if rng.Intn(2) == 0 {
			from = from.Truncate(time.Hour) // land on boundaries often
		}
		to := from.Add(time.Duration(rng.Int63n(int64(20 * 24 * time.Hour))))
		var hols []string
		for range rng.Intn(4) {
			hols = append(hols, from.In(loc).AddDate(0, 0, rng.Intn(20)).Format(time.DateOnly))
		}
		cal := Calendar{Location: loc, Days: days, Start: s, End: e, Holidays: hols}
		ps, err := cal.Split(from, to)
		if err != nil {
			t.Fatal(err)
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("case %d (%s, %v, %v-%v, %v, [%v, %v)): %s\n%s", n, loc, days, s, e, hols, from, to, fmt.Sprintf(format, args...), dump(ps))
		}
		if len(ps) == 0 {
			fail("no pieces")
		}
		if !ps[0].Start.Equal(from) || !ps[len(ps)-1].End.Equal(to) {
			fail("pieces do not span the interval")
		}
		holiday := map[string]bool{}
		for _, h := range hols {
			holiday[h] = true
		}
		for i, p := range ps {
			if !p.Start.Before(p.End) {
				fail("piece %d is empty", i)
			}
			if i > 0 {
				q := ps[i-1]
				if !q.End.Equal(p.Start) {
					fail("gap or overlap before piece %d", i)
				}
				if dayLess(p.Day, q.Day) || p.Day == q.Day && p.Class == q.Class {
					fail("piece %d out of order or unmerged", i)
				}
			}
			d := time.Date(p.Day.Year, p.Day.Month, p.Day.Day, 0, 0, 0, 0, time.UTC)
			switch {
			case holiday[p.Day.String()]:
				if p.Class != Holiday {
					fail("piece %d on a holiday is %s", i, p.Class)
				}
			case !days[d.Weekday()]:
				if p.Class != Weekend {
					fail("piece %d on a day off is %s", i, p.Class)
				}
			case p.Class != Business && p.Class != WeekdayOutOfHours:
				fail("piece %d on a business day is %s", i, p.Class)
			}
			if nearTransition(p.Start, loc) || nearTransition(p.End, loc) {
				continue
			}
			// Away from DST, the plain wall clock must agree.
			ls := p.Start.In(loc)
			if dateOf(ls) != p.Day {
				fail("piece %d starts on %v, not its day", i, dateOf(ls))
			}
			if p.Class == Business || p.Class == WeekdayOutOfHours {
				mid := p.Start.Add(p.End.Sub(p.Start) / 2).In(loc)
				clock := mid.Sub(time.Date(mid.Year(), mid.Month(), mid.Day(), 0, 0, 0, 0, loc))
				if inside := clock >= s && clock < e; inside != (p.Class == Business) {
					fail("piece %d is %s at %v", i, p.Class, mid)
				}
			}
		}
	}
}

// nearTransition: within two days of a change of t's zone offset.
func nearTransition(t time.Time, loc *time.Location) bool {
	a, b := t.Add(-48*time.Hour).In(loc), t.Add(48*time.Hour).In(loc)
	_, oa := a.Zone()
	_, ob := b.Zone()
	_, end := a.ZoneBounds()
	return oa != ob || !end.IsZero() && end.Before(b)
}

func dayLess(a, b Date) bool {
	return time.Date(a.Year, a.Month, a.Day, 0, 0, 0, 0, time.UTC).Before(time.Date(b.Year, b.Month, b.Day, 0, 0, 0, 0, time.UTC))
}

func dumpPiece(p Piece) string {
	return fmt.Sprintf("%s %v %s - %s (%v)", p.Class, p.Day, p.Start.Format("2006-01-02 15:04:05 MST"), p.End.Format("2006-01-02 15:04:05 MST"), p.End.Sub(p.Start))
}

func dump(ps []Piece) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + dumpPiece(p) + "\n")
	}
	return b.String()
}
