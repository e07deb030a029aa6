package rotation

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/instant"
	"github.com/teambition/rrule-go"
)

// TestHandoffWeeklyAcrossDST: a Monday 09:00 handoff stays at 09:00 local all
// year, so the week containing a transition is shorter or longer by the
// offset change.
func TestHandoffWeeklyAcrossDST(t *testing.T) {
	const rule = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
	h, m := time.Hour, time.Minute
	// The lengths of the weeks containing the zone's 2026 transitions, in order.
	wantWeeks := map[string][]time.Duration{
		"Europe/London":       {167 * h, 169 * h},
		"America/New_York":    {167 * h, 169 * h},
		"Australia/Lord_Howe": {168*h + 30*m, 167*h + 30*m}, // April: back 30 min; October: forward 30 min
	}
	for _, zone := range testZones {
		t.Run(zone, func(t *testing.T) {
			loc := mustZone(t, zone)
			start := local(t, loc, "2026-01-05 09:00") // a Monday
			ho := mustHandoff(t, rule, start, loc)
			got := ho.Between(start, local(t, loc, "2027-01-04 09:00"))
			if len(got) != 52 {
				t.Fatalf("%d handoffs in 2026, want 52", len(got))
			}
			for _, x := range got {
				if x.Weekday() != time.Monday || x.Format("15:04:05") != "09:00:00" || x.Location() != loc {
					t.Errorf("handoff %s, want Monday 09:00:00 %s", x, zone)
				}
			}
			var weeks []time.Duration
			for _, tr := range transitionsIn(loc, 2026) {
				weeks = append(weeks, containing(t, start, got, tr.at))
			}
			if !slices.Equal(weeks, wantWeeks[zone]) {
				t.Errorf("weeks containing the transitions last %v, want %v", weeks, wantWeeks[zone])
			}
		})
	}
}

// containing returns the length of the shift [h_i, h_i+1) holding instant at.
func containing(t *testing.T, start time.Time, handoffs []time.Time, at time.Time) time.Duration {
	t.Helper()
	prev := start
	for _, x := range handoffs {
		if at.Before(x) && !at.Before(prev) {
			return x.Sub(prev)
		}
		prev = x
	}
	t.Fatalf("no shift contains %s", at)
	return 0
}

// TestHandoffAcrossDST pins handoffs whose wall time falls in a DST gap or a
// repeated interval: a gap time happens that long after the gap (RFC 5545:
// read with the offset before it), a repeated time happens the first time.
// A handoff in the gap still comes at the usual UTC instant, so the shift
// containing the transition keeps its ordinary length and the next shift
// absorbs the change; a repeated time makes the containing shift longer.
func TestHandoffAcrossDST(t *testing.T) {
	h, m := time.Hour, time.Minute
	tests := []struct {
		name, zone, rule, start string
		want                    []string        // every handoff after start, up to the last, UTC
		wantLocal               string          // the handoff on transition day, wall clock in the zone
		durations               []time.Duration // between consecutive handoffs in want
		containing              time.Duration   // the shift holding the zone's transition instant
	}{
		{
			name: "London daily 09:00 spring", zone: "Europe/London", rule: "FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0", start: "2026-03-27 09:00",
			want:      []string{"2026-03-28T09:00:00Z", "2026-03-29T08:00:00Z", "2026-03-30T08:00:00Z"},
			wantLocal: "2026-03-29 09:00 BST", durations: []time.Duration{23 * h, 24 * h}, containing: 23 * h,
		},
		{
			name: "London daily 09:00 fall", zone: "Europe/London", rule: "FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0", start: "2026-10-23 09:00",
			want:      []string{"2026-10-24T08:00:00Z", "2026-10-25T09:00:00Z", "2026-10-26T09:00:00Z"},
			wantLocal: "2026-10-25 09:00 GMT", durations: []time.Duration{25 * h, 24 * h}, containing: 25 * h,
		},
		{
			name: "London daily 01:30 spring (gap)", zone: "Europe/London", rule: "FREQ=DAILY;BYHOUR=1;BYMINUTE=30;BYSECOND=0", start: "2026-03-27 01:30",
			want:      []string{"2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"},
			wantLocal: "2026-03-29 02:30 BST", durations: []time.Duration{24 * h, 23 * h, 24 * h}, containing: 24 * h,
		},
		{
			name: "London daily 01:30 fall (repeated)", zone: "Europe/London", rule: "FREQ=DAILY;BYHOUR=1;BYMINUTE=30;BYSECOND=0", start: "2026-10-23 01:30",
			want:      []string{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "2026-10-27T01:30:00Z"},
			wantLocal: "2026-10-25 01:30 BST", durations: []time.Duration{24 * h, 25 * h, 24 * h}, containing: 25 * h,
		},
		{
			name: "New York daily 02:30 spring (gap)", zone: "America/New_York", rule: "FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0", start: "2026-03-06 02:30",
			want:      []string{"2026-03-07T07:30:00Z", "2026-03-08T07:30:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"},
			wantLocal: "2026-03-08 03:30 EDT", durations: []time.Duration{24 * h, 23 * h, 24 * h}, containing: 24 * h,
		},
		{
			name: "New York daily 02:30 fall", zone: "America/New_York", rule: "FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0", start: "2026-10-30 02:30",
			want:      []string{"2026-10-31T06:30:00Z", "2026-11-01T07:30:00Z", "2026-11-02T07:30:00Z"},
			wantLocal: "2026-11-01 02:30 EST", durations: []time.Duration{25 * h, 24 * h}, containing: 25 * h,
		},
		{
			name: "New York daily 01:30 fall (repeated)", zone: "America/New_York", rule: "FREQ=DAILY;BYHOUR=1;BYMINUTE=30;BYSECOND=0", start: "2026-10-30 01:30",
			want:      []string{"2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"},
			wantLocal: "2026-11-01 01:30 EDT", durations: []time.Duration{24 * h, 25 * h}, containing: 25 * h,
		},
		{
			name: "Lord Howe daily 02:15 spring (gap)", zone: "Australia/Lord_Howe", rule: "FREQ=DAILY;BYHOUR=2;BYMINUTE=15;BYSECOND=0", start: "2026-10-02 02:15",
			want:      []string{"2026-10-02T15:45:00Z", "2026-10-03T15:45:00Z", "2026-10-04T15:15:00Z", "2026-10-05T15:15:00Z"},
			wantLocal: "2026-10-04 02:45 +11", durations: []time.Duration{24 * h, 23*h + 30*m, 24 * h}, containing: 24 * h,
		},
		{
			name: "Lord Howe daily 02:15 fall", zone: "Australia/Lord_Howe", rule: "FREQ=DAILY;BYHOUR=2;BYMINUTE=15;BYSECOND=0", start: "2026-04-03 02:15",
			want:      []string{"2026-04-03T15:15:00Z", "2026-04-04T15:45:00Z", "2026-04-05T15:45:00Z"},
			wantLocal: "2026-04-05 02:15 +1030", durations: []time.Duration{24*h + 30*m, 24 * h}, containing: 24*h + 30*m,
		},
		{
			name: "Lord Howe daily 01:45 fall (repeated)", zone: "Australia/Lord_Howe", rule: "FREQ=DAILY;BYHOUR=1;BYMINUTE=45;BYSECOND=0", start: "2026-04-03 01:45",
			want:      []string{"2026-04-03T14:45:00Z", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"},
			wantLocal: "2026-04-05 01:45 +11", durations: []time.Duration{24 * h, 24*h + 30*m}, containing: 24*h + 30*m,
		},
		{
			name: "Lord Howe daily 09:00 spring", zone: "Australia/Lord_Howe", rule: "FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0", start: "2026-10-02 09:00",
			want:      []string{"2026-10-02T22:30:00Z", "2026-10-03T22:00:00Z", "2026-10-04T22:00:00Z"},
			wantLocal: "2026-10-04 09:00 +11", durations: []time.Duration{23*h + 30*m, 24 * h}, containing: 23*h + 30*m,
		},
		{
			// 02:20 is in the gap and resolves to 02:50 +11, after the wall
			// time 02:40 +11: the handoffs come back sorted.
			name: "Lord Howe hourly :20 and :40 out of order", zone: "Australia/Lord_Howe", rule: "FREQ=HOURLY;BYMINUTE=20,40;BYSECOND=0", start: "2026-10-04 01:00",
			want:      []string{"2026-10-03T14:50:00Z", "2026-10-03T15:10:00Z", "2026-10-03T15:40:00Z", "2026-10-03T15:50:00Z", "2026-10-03T16:20:00Z", "2026-10-03T16:40:00Z"},
			wantLocal: "2026-10-04 02:50 +11", durations: []time.Duration{20 * m, 30 * m, 10 * m, 30 * m, 20 * m}, containing: 30 * m,
		},
		{
			// 01:30 (gap) and 02:30 BST are the same instant: one handoff.
			name: "London hourly :30 dedupe", zone: "Europe/London", rule: "FREQ=HOURLY;BYMINUTE=30;BYSECOND=0", start: "2026-03-29 00:00",
			want:      []string{"2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", "2026-03-29T02:30:00Z"},
			wantLocal: "2026-03-29 02:30 BST", durations: []time.Duration{h, h}, containing: h,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			start := local(t, loc, tt.start)
			ho := mustHandoff(t, tt.rule, start, loc)
			var want []time.Time
			for _, s := range tt.want {
				want = append(want, utc(t, s))
			}
			got := ho.Between(start, want[len(want)-1])
			if !slices.EqualFunc(got, want, time.Time.Equal) {
				t.Fatalf("handoffs\n got %s\nwant %s", fmtTimes(got), fmtTimes(want))
			}
			var durs []time.Duration
			for i := 1; i < len(got); i++ {
				durs = append(durs, got[i].Sub(got[i-1]))
			}
			if !slices.Equal(durs, tt.durations) {
				t.Errorf("durations %v, want %v", durs, tt.durations)
			}
			if !slices.ContainsFunc(got, func(x time.Time) bool { return x.Format("2006-01-02 15:04 MST") == tt.wantLocal }) {
				t.Errorf("no handoff at %s local; got %s", tt.wantLocal, fmtTimes(got))
			}
			var tr time.Time
			for _, x := range transitionsIn(loc, 2026) {
				if x.at.After(start) && x.at.Before(want[len(want)-1]) {
					tr = x.at
				}
			}
			if tr.IsZero() {
				t.Fatal("no transition in the window")
			}
			if c := containing(t, start, got, tr); c != tt.containing {
				t.Errorf("the shift containing the transition at %s lasts %v, want %v", tr.UTC(), c, tt.containing)
			}
		})
	}
}

func fmtTimes(ts []time.Time) string {
	var b strings.Builder
	for _, x := range ts {
		fmt.Fprintf(&b, "%s (%s)  ", x.UTC().Format(time.RFC3339), x.Format("15:04 MST"))
	}
	return b.String()
}

func TestHandoffNextAndBetween(t *testing.T) {
	loc := mustZone(t, "Europe/London")
	start := local(t, loc, "2026-11-02 09:00") // a Monday
	ho := mustHandoff(t, "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0", start, loc)
	wk1, wk2, wk3 := local(t, loc, "2026-11-09 09:00"), local(t, loc, "2026-11-16 09:00"), local(t, loc, "2026-11-23 09:00")

	for _, tt := range []struct {
		after, want time.Time
	}{
		{start.Add(-time.Hour), wk1}, // the start itself is not a handoff
		{start, wk1},
		{wk1.Add(-time.Nanosecond), wk1},
		{wk1, wk2}, // strictly after
		{wk1.Add(time.Nanosecond), wk2},
	} {
		if got := ho.Next(tt.after); !got.Equal(tt.want) || got.Location() != loc {
			t.Errorf("Next(%s) = %s, want %s", tt.after, got, tt.want)
		}
	}
	if got := ho.Between(wk1, wk3); !slices.EqualFunc(got, []time.Time{wk2, wk3}, time.Time.Equal) {
		t.Errorf("Between(wk1, wk3] = %v, want [wk2 wk3]", got)
	}
	if got := ho.Between(wk3, wk1); got != nil {
		t.Errorf("Between with to before from = %v, want nil", got)
	}
	if got := ho.String(); got != "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0" {
		t.Errorf("String() = %q", got)
	}
	if !ho.Start().Equal(start) || ho.Location() != loc {
		t.Errorf("Start, Location = %s, %v", ho.Start(), ho.Location())
	}
	// Far lookups work and keep the wall clock.
	if got := ho.Next(local(t, loc, "2030-07-01 00:00")); got.Format("Mon 2006-01-02 15:04 MST") != "Mon 2030-07-01 09:00 BST" {
		t.Errorf("Next in 2030 = %s", got)
	}
}

func TestParseHandoffAccepts(t *testing.T) {
	loc := mustZone(t, "America/New_York")
	start := local(t, loc, "2026-11-02 09:00")
	for _, rule := range []string{
		"freq=weekly;byday=mo",              // RFC 5545 names are case-insensitive
		"RRULE:FREQ=WEEKLY",                 // the property name may stay
		"  FREQ=DAILY;INTERVAL=2;BYHOUR=9 ", // surrounding space is trimmed
		"FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9",
		"FREQ=HOURLY;INTERVAL=12",
	} {
		if _, err := ParseHandoff(rule, start, loc); err != nil {
			t.Errorf("%q: %v", rule, err)
		}
	}
	// A leap-day rule passes when the next leap day is within 400 days
	// (2028-02-29 is 273 days after 2027-06-01) and fails when it is not
	// (484 days after 2026-11-02).
	const leap = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"
	if _, err := ParseHandoff(leap, local(t, loc, "2027-06-01 09:00"), loc); err != nil {
		t.Errorf("%q from 2027-06-01: %v", leap, err)
	}
	if _, err := ParseHandoff(leap, start, loc); err == nil || !strings.Contains(err.Error(), "no handoff within 400 days") {
		t.Errorf("%q from 2026-11-02: err %v, want no handoff within 400 days", leap, err)
	}
}

func TestParseHandoffRejects(t *testing.T) {
	loc := mustZone(t, "Europe/London")
	start := local(t, loc, "2026-11-02 09:00")
	tests := []struct {
		rule, want string
		wraps      bool // the error wraps rrule-go's
	}{
		{"", "empty rule", false},
		{"FREQ=FORTNIGHTLY", "FORTNIGHTLY", true},
		{"FREQ=WEEKLY;BYDAY=XX", "XX", true},
		{"BYDAY=MO", "FREQ is required", true},
		{"FREQ=WEEKLY;BYDAY", "wrong format", true},
		{"FREQ=DAILY;BYHOUR=25", "byhour must be between 0 and 23", true},
		{"FREQ=DAILY;BYSPRING=1", "unknown RRULE property", true},
		{"DTSTART:20261102T090000Z\nRRULE:FREQ=WEEKLY", "DTSTART is not allowed", false},
		{"FREQ=WEEKLY;DTSTART=20261102T090000Z", "DTSTART is not allowed", false},
		{"FREQ=WEEKLY\nFREQ=DAILY", "single RRULE line", false},
		{"FREQ=WEEKLY;COUNT=10", "COUNT is not allowed: use the rotation's end instead", false},
		{"FREQ=WEEKLY;UNTIL=20270101T000000Z", "UNTIL is not allowed: use the rotation's end instead", false},
		{"FREQ=MINUTELY", "FREQ=MINUTELY is too fine", false},
		{"FREQ=SECONDLY", "FREQ=SECONDLY is too fine", false},
		{"FREQ=DAILY;INTERVAL=0", "INTERVAL must be at least 1", false},
		{"FREQ=YEARLY;BYEASTER=0", "BYEASTER", false},
		{"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "no handoff within 400 days", false},
		{"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no handoff within 400 days", false},
		{"FREQ=HOURLY;BYMONTH=4;BYMONTHDAY=31", "no handoff within 400 days", false},
	}
	for _, tt := range tests {
		_, err := ParseHandoff(tt.rule, start, loc)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseHandoff(%q) error %v, want one containing %q", tt.rule, err, tt.want)
			continue
		}
		if tt.wraps && errors.Unwrap(err) == nil {
			t.Errorf("ParseHandoff(%q) error %v does not wrap rrule-go's", tt.rule, err)
		}
		if tt.rule != "" && !strings.Contains(err.Error(), "handoff rule") {
			t.Errorf("ParseHandoff(%q) error %v lacks context", tt.rule, err)
		}
	}
	if _, err := ParseHandoff("FREQ=DAILY", start, nil); err == nil {
		t.Error("nil location accepted")
	}
	if _, err := ParseHandoff("FREQ=DAILY", time.Time{}, loc); err == nil {
		t.Error("zero start accepted")
	}
}

// TestHandoffCacheMatchesBruteForce compares the lazily grown cache, queried
// in random order, with every occurrence resolved, sorted and deduplicated
// in one go.
func TestHandoffCacheMatchesBruteForce(t *testing.T) {
	for seed := range uint64(60) {
		rng := rand.New(rand.NewPCG(seed, 7))
		loc := mustZone(t, testZones[rng.IntN(len(testZones))])
		rule := randomRule(rng)
		start := randomStart(rng, loc)
		window := start.Add(time.Duration(30+rng.IntN(700)) * 24 * time.Hour)
		want := bruteForceHandoffs(t, rule, start, window, loc)

		ho := mustHandoff(t, rule, start, loc)
		for range 50 { // random lookups first, so the cache grows out of order
			at := start.Add(time.Duration(rng.Int64N(int64(window.Sub(start)))))
			got := ho.Next(at)
			i := sort0(want, at)
			if i < len(want) && !got.Equal(want[i]) {
				t.Fatalf("seed %d %s %s from %s: Next(%s) = %s, want %s", seed, loc, rule, start, at, got, want[i])
			}
		}
		if got := ho.Between(start, window); !slices.EqualFunc(got, want, time.Time.Equal) {
			t.Fatalf("seed %d %s %s from %s: Between\n got %d %s\nwant %d %s", seed, loc, rule, start, len(got), fmtTimes(got), len(want), fmtTimes(want))
		}

		// Creep forward on a fresh cache in small steps, so that queries land
		// just short of the cache's horizon after every extension.
		ho = mustHandoff(t, rule, start, loc)
		for from, i := start, 0; from.Before(window); {
			to := instant.Earlier(from.Add(time.Duration(1+rng.IntN(300))*time.Minute), window)
			j := sort0(want, to)
			if got := ho.Between(from, to); !slices.EqualFunc(got, want[i:j], time.Time.Equal) {
				t.Fatalf("seed %d %s %s from %s: Between(%s, %s)\n got %s\nwant %s", seed, loc, rule, start, from, to, fmtTimes(got), fmtTimes(want[i:j]))
			}
			from, i = to, j
		}
	}
}

// sort0 returns the index of the first time in ts after at.
func sort0(ts []time.Time, at time.Time) int {
	i, _ := slices.BinarySearchFunc(ts, at, func(x, at time.Time) int {
		if x.After(at) {
			return 1
		}
		return -1
	})
	return i
}

func bruteForceHandoffs(t *testing.T, rule string, start, to time.Time, loc *time.Location) []time.Time {
	t.Helper()
	opt, err := rrule.StrToROption(rule)
	if err != nil {
		t.Fatal(err)
	}
	w := start.In(loc)
	opt.Dtstart = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, time.UTC)
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Time
	for _, occ := range r.Between(opt.Dtstart, to.Add(72*time.Hour), true) {
		if at := ResolveWall(occ, loc); at.After(start) && !at.After(to) {
			out = append(out, at)
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return slices.CompactFunc(out, time.Time.Equal)
}

// randomRule returns an hourly, daily or weekly rule whose times often fall
// on DST changes.
func randomRule(rng *rand.Rand) string {
	minute := []int{0, 15, 30, 45, rng.IntN(60)}[rng.IntN(5)]
	hour := []int{0, 1, 2, 3, 9, 17, rng.IntN(24)}[rng.IntN(7)]
	switch rng.IntN(3) {
	case 0:
		return fmt.Sprintf("FREQ=HOURLY;INTERVAL=%d;BYMINUTE=%d;BYSECOND=0", 1+rng.IntN(12), minute)
	case 1:
		return fmt.Sprintf("FREQ=DAILY;INTERVAL=%d;BYHOUR=%d;BYMINUTE=%d;BYSECOND=0", 1+rng.IntN(3), hour, minute)
	default:
		days := []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}
		rng.Shuffle(len(days), func(i, j int) { days[i], days[j] = days[j], days[i] })
		return fmt.Sprintf("FREQ=WEEKLY;INTERVAL=%d;BYDAY=%s;BYHOUR=%d;BYMINUTE=%d;BYSECOND=0",
			1+rng.IntN(2), strings.Join(days[:1+rng.IntN(3)], ","), hour, minute)
	}
}

// randomStart picks an instant in 2026, half the time within ten days
// before one of the zone's transitions.
func randomStart(rng *rand.Rand, loc *time.Location) time.Time {
	if trs := transitionsIn(loc, 2026); rng.IntN(2) == 0 && len(trs) > 0 {
		tr := trs[rng.IntN(len(trs))].at
		return tr.Add(-time.Duration(rng.Int64N(int64(10 * 24 * time.Hour)))).Truncate(time.Second).In(loc)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour)))).Truncate(time.Second).In(loc)
}

func TestParseHandoffRejectsShiftsUnderAnHour(t *testing.T) {
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for _, rule := range []string{
		"FREQ=HOURLY;BYMINUTE=0,15,30,45",
		"FREQ=HOURLY;BYMINUTE=0;BYSECOND=0,20,40",
		"FREQ=DAILY;BYHOUR=9;BYMINUTE=0,30",
	} {
		if _, err := ParseHandoff(rule, start, time.UTC); err == nil || !strings.Contains(err.Error(), "at least 1h0m0s") {
			t.Errorf("ParseHandoff(%q) = %v, want a shift-length error", rule, err)
		}
	}
	for _, rule := range []string{"FREQ=HOURLY", "FREQ=DAILY;BYHOUR=9,21", "FREQ=WEEKLY;BYDAY=MO"} {
		if _, err := ParseHandoff(rule, start, time.UTC); err != nil {
			t.Errorf("ParseHandoff(%q): %v", rule, err)
		}
	}
}

// Issue 18, finding 8: every problem in a rule is reported, not only the
// first (WEEKY and BYHOUR=25 and BYDAY=MOON at once).
func TestParseHandoffReportsEveryProblem(t *testing.T) {
	loc := mustZone(t, "Europe/London")
	start := local(t, loc, "2026-11-02 09:00")
	_, err := ParseHandoff("FREQ=WEEKY;BYDAY=MOON;BYHOUR=25;BYMINUTE=0", start, loc)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"FREQ=WEEKY: undefined frequency", "BYDAY=MOON: undefined weekday", "BYHOUR=25: byhour must be between 0 and 23"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "BYMINUTE=0:") {
		t.Errorf("error %q blames a good part", err)
	}
}
