package timesheet

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func gbp() Rates {
	return Rates{
		Currency:       "GBP",
		Standby:        map[Class]int64{WeekdayOutOfHours: 250, Weekend: 400, Holiday: 600},
		Engaged:        3000,
		Shadow:         100,
		MinimumCallout: 30 * time.Minute,
	}
}

func show(l Line) string {
	s := fmt.Sprintf("%s %s %s %s %ds", l.Person, l.Team, l.Kind, l.Class, l.Seconds)
	if l.TopUpSeconds != 0 {
		s += fmt.Sprintf(" (top-up %ds)", l.TopUpSeconds)
	}
	return s + fmt.Sprintf(" @%d = %d %s", l.Rate, l.Amount, l.Currency)
}

func TestReport(t *testing.T) {
	lonCal := london(t)
	lon := lonCal.Location
	nyCal := Calendar{Location: mustZone(t, "America/New_York"), Days: monFri(), Start: hm(9, 0), End: hm(17, 0)}
	ny := nyCal.Location
	cals := map[string]Calendar{"payments": lonCal, "search": nyCal}
	rates := func(team, person string) Rates {
		r := gbp()
		switch {
		case team == "search":
			r = Rates{Currency: "USD", Standby: map[Class]int64{Weekend: 500}}
		case person == "carol":
			r.StandbyPerRole = true
		case person == "frank":
			r.MaxPerDay = 5000
		case person == "grace": // a per-person override of one rate
			r.Standby = map[Class]int64{WeekdayOutOfHours: 300, Weekend: 400, Holiday: 600}
		}
		return r
	}
	seg := func(person, role, from, to string) Segment {
		return Segment{Person: person, Team: "payments", Role: role, Start: at(t, lon, from), End: at(t, lon, to)}
	}
	shadow := func(person, role, from, to string) Segment {
		s := seg(person, role, from, to)
		s.Shadow = true
		return s
	}
	eng := func(person string, id int64, from, to string) Engagement {
		return Engagement{Person: person, Team: "payments", AlertID: id, Start: at(t, lon, from), End: at(t, lon, to)}
	}

	tests := []struct {
		name     string
		loc      *time.Location
		from, to string
		segs     []Segment
		engs     []Engagement
		want     []string
	}{{
		name: "weekday night: 15.5h at 2.50 is 38.75",
		segs: []Segment{seg("alice", "primary", "2026-03-03 17:30", "2026-03-04 09:00")},
		want: []string{"alice payments standby weekday_out_of_hours 55800s @250 = 3875 GBP"},
	}, {
		name: "standby in business hours is listed at 0",
		segs: []Segment{seg("alice", "primary", "2026-03-03 09:00", "2026-03-04 09:00")},
		want: []string{
			"alice payments standby business 30600s @0 = 0 GBP",
			"alice payments standby weekday_out_of_hours 55800s @250 = 3875 GBP",
		},
	}, {
		name: "weekend and a holiday Monday",
		from: "2026-08-01 00:00", to: "2026-10-01 00:00",
		segs: []Segment{seg("alice", "primary", "2026-08-28 17:30", "2026-09-01 09:00")},
		// 15.5h × 2.50 + 48h × 4.00 + 24h × 6.00
		want: []string{
			"alice payments standby weekday_out_of_hours 55800s @250 = 3875 GBP",
			"alice payments standby weekend 172800s @400 = 19200 GBP",
			"alice payments standby holiday 86400s @600 = 14400 GBP",
		},
	}, {
		name: "primary and shadow overlapping",
		segs: []Segment{
			seg("alice", "primary", "2026-03-03 17:30", "2026-03-04 09:00"),
			shadow("alice", "secondary", "2026-03-03 12:00", "2026-03-04 12:00"), // paid as standby where she holds primary
			shadow("erin", "primary", "2026-03-03 12:00", "2026-03-04 12:00"),
		},
		want: []string{
			"alice payments standby weekday_out_of_hours 55800s @250 = 3875 GBP",
			"alice payments shadow business 30600s @0 = 0 GBP",
			"erin payments shadow business 30600s @0 = 0 GBP",
			"erin payments shadow weekday_out_of_hours 55800s @100 = 1550 GBP",
		},
	}, {
		name: "two roles at once count once, or per role when the rates say so",
		segs: []Segment{
			seg("bob", "primary", "2026-03-07 00:00", "2026-03-08 00:00"),
			seg("bob", "secondary", "2026-03-07 12:00", "2026-03-08 12:00"),
			seg("carol", "primary", "2026-03-07 00:00", "2026-03-08 00:00"),
			seg("carol", "secondary", "2026-03-07 12:00", "2026-03-08 12:00"),
		},
		want: []string{
			"bob payments standby weekend 129600s @400 = 14400 GBP",   // 36h
			"carol payments standby weekend 172800s @400 = 19200 GBP", // 24h + 24h
		},
	}, {
		name: "engaged 10 minutes at 03:00 pays the 30-minute minimum",
		engs: []Engagement{eng("dave", 1, "2026-03-04 03:00", "2026-03-04 03:10")},
		want: []string{"dave payments engaged weekday_out_of_hours 1800s (top-up 1200s) @3000 = 1500 GBP"},
	}, {
		name: "overlapping pages are one callout",
		engs: []Engagement{eng("dave", 1, "2026-03-04 03:00", "2026-03-04 03:10"), eng("dave", 2, "2026-03-04 03:05", "2026-03-04 03:20")},
		want: []string{"dave payments engaged weekday_out_of_hours 1800s (top-up 600s) @3000 = 1500 GBP"},
	}, {
		name: "separate pages are separate callouts",
		engs: []Engagement{eng("dave", 1, "2026-03-04 03:00", "2026-03-04 03:10"), eng("dave", 2, "2026-03-04 04:00", "2026-03-04 04:10")},
		want: []string{"dave payments engaged weekday_out_of_hours 3600s (top-up 2400s) @3000 = 3000 GBP"},
	}, {
		name: "engaged in business hours pays nothing and has no minimum",
		engs: []Engagement{eng("dave", 1, "2026-03-04 10:00", "2026-03-04 10:10")},
		want: []string{"dave payments engaged business 600s @0 = 0 GBP"},
	}, {
		name: "engaged across the end of business hours: the minimum tops up the out-of-hours part",
		engs: []Engagement{eng("dave", 1, "2026-03-04 17:20", "2026-03-04 17:40")},
		want: []string{
			"dave payments engaged business 600s @0 = 0 GBP",
			"dave payments engaged weekday_out_of_hours 1800s (top-up 1200s) @3000 = 1500 GBP",
		},
	}, {
		name: "a long callout needs no top-up",
		engs: []Engagement{eng("dave", 1, "2026-03-07 02:00", "2026-03-07 03:15"), eng("dave", 2, "2026-03-07 02:30", "2026-03-07 02:40")},
		want: []string{"dave payments engaged weekend 4500s @3000 = 3750 GBP"},
	}, {
		// Issue 18, finding 10: a "42r" at 3 a.m. without an ack first is
		// a call-out, paid the minimum.
		name: "a zero-length engagement out of hours is a call-out paid the minimum",
		engs: []Engagement{eng("dave", 1, "2026-03-04 03:00", "2026-03-04 03:00")},
		want: []string{"dave payments engaged weekday_out_of_hours 1800s (top-up 1800s) @3000 = 1500 GBP"},
	}, {
		name: "a zero-length engagement in business hours pays nothing",
		engs: []Engagement{eng("dave", 1, "2026-03-04 11:00", "2026-03-04 11:00")},
	}, {
		name: "a zero-length engagement inside another is the same call-out",
		engs: []Engagement{eng("dave", 1, "2026-03-04 03:00", "2026-03-04 03:10"), eng("dave", 2, "2026-03-04 03:10", "2026-03-04 03:10")},
		want: []string{"dave payments engaged weekday_out_of_hours 1800s (top-up 1200s) @3000 = 1500 GBP"},
	}, {
		name: "per-day cap",
		segs: []Segment{
			seg("frank", "primary", "2026-03-07 00:00", "2026-03-09 00:00"), // 2 × 96.00 a day, capped to 50.00
			seg("frank", "primary", "2026-03-09 17:30", "2026-03-10 09:00"), // Mon 16.25 + Tue 22.50
		},
		engs: []Engagement{eng("frank", 1, "2026-03-09 20:00", "2026-03-09 22:00")}, // Mon + 60.00: 76.25, capped
		// capped: 50 + 50 + 50 + 22.50 = 172.50; lines: 38.75 + 192.00 + 60.00 = 290.75
		want: []string{
			"frank payments standby weekday_out_of_hours 55800s @250 = 3875 GBP",
			"frank payments standby weekend 172800s @400 = 19200 GBP",
			"frank payments engaged weekday_out_of_hours 7200s @3000 = 6000 GBP",
			"frank payments cap  0s @0 = -11825 GBP",
		},
	}, {
		name: "no cap line while every day is under the cap",
		segs: []Segment{seg("frank", "primary", "2026-03-09 17:30", "2026-03-10 09:00")},
		want: []string{"frank payments standby weekday_out_of_hours 55800s @250 = 3875 GBP"},
	}, {
		name: "per-person rate override",
		segs: []Segment{seg("grace", "primary", "2026-03-03 17:30", "2026-03-04 09:00"), seg("alice", "primary", "2026-03-04 17:30", "2026-03-05 09:00")},
		want: []string{
			"alice payments standby weekday_out_of_hours 55800s @250 = 3875 GBP",
			"grace payments standby weekday_out_of_hours 55800s @300 = 4650 GBP",
		},
	}, {
		name: "a segment across the month end is cut by the report",
		from: "2026-11-01 00:00", to: "2026-12-01 00:00",
		segs: []Segment{seg("alice", "primary", "2026-11-30 17:30", "2026-12-01 09:00")},
		want: []string{"alice payments standby weekday_out_of_hours 23400s @250 = 1625 GBP"},
	}, {
		name: "and the next month has the rest",
		from: "2026-12-01 00:00", to: "2027-01-01 00:00",
		segs: []Segment{seg("alice", "primary", "2026-11-30 17:30", "2026-12-01 09:00")},
		want: []string{"alice payments standby weekday_out_of_hours 32400s @250 = 2250 GBP"},
	}, {
		name: "a callout across the month end: the top-up goes with its start",
		from: "2026-01-01 00:00", to: "2026-02-01 00:00",
		engs: []Engagement{eng("dave", 1, "2026-01-31 23:55", "2026-02-01 00:05")},
		want: []string{"dave payments engaged weekend 1500s (top-up 1200s) @3000 = 1250 GBP"},
	}, {
		name: "and the next month has only the time",
		from: "2026-02-01 00:00", to: "2026-03-01 00:00",
		engs: []Engagement{eng("dave", 1, "2026-01-31 23:55", "2026-02-01 00:05")},
		want: []string{"dave payments engaged weekend 300s @3000 = 250 GBP"},
	}, {
		name: "New York spring-forward Sunday is 23 paid hours",
		loc:  ny, from: "2026-03-01 00:00", to: "2026-04-01 00:00",
		segs: []Segment{{Person: "hal", Team: "search", Role: "primary", Start: at(t, ny, "2026-03-08 00:00"), End: at(t, ny, "2026-03-09 00:00")}},
		want: []string{"hal search standby weekend 82800s @500 = 11500 USD"},
	}, {
		name: "London fall-back Sunday is 25 paid hours",
		from: "2026-10-01 00:00", to: "2026-11-01 00:00",
		segs: []Segment{seg("alice", "primary", "2026-10-25 00:00", "2026-10-26 00:00")},
		want: []string{"alice payments standby weekend 90000s @400 = 10000 GBP"},
	}, {
		name: "one person in two teams is paid by each",
		segs: []Segment{
			seg("alice", "primary", "2026-03-07 00:00", "2026-03-08 00:00"),
			{Person: "alice", Team: "search", Role: "primary", Start: at(t, lon, "2026-03-07 00:00"), End: at(t, lon, "2026-03-08 00:00")},
		},
		// Saturday 00:00-24:00 London is Fri 19:00 - Sat 19:00 in New York (EST).
		want: []string{
			"alice payments standby weekend 86400s @400 = 9600 GBP",
			"alice search standby weekday_out_of_hours 18000s @0 = 0 USD",
			"alice search standby weekend 68400s @500 = 9500 USD",
		},
	}, {
		name: "fractions of a second are dropped",
		segs: []Segment{{Person: "alice", Team: "payments", Role: "primary",
			Start: at(t, lon, "2026-03-03 17:30").Add(900 * time.Millisecond), End: at(t, lon, "2026-03-03 17:40").Add(100 * time.Millisecond)}},
		// 600s at 2.50/h = 41.67p, rounded half up
		want: []string{"alice payments standby weekday_out_of_hours 600s @250 = 42 GBP"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loc, from, to := tc.loc, tc.from, tc.to
			if loc == nil {
				loc = lon
			}
			if from == "" {
				from, to = "2026-03-01 00:00", "2026-04-01 00:00"
			}
			lines, err := Report(at(t, loc, from), at(t, loc, to), cals, rates, tc.segs, tc.engs)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range lines {
				got = append(got, show(l))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// TestReportAddsUp: reporting a period in pieces (by local months) gives the
// same time and money as one report, cap aside.
func TestReportAddsUp(t *testing.T) {
	cal := london(t)
	lon := cal.Location
	cals := map[string]Calendar{"payments": cal}
	rates := func(string, string) Rates { return gbp() }
	var segs []Segment
	var engs []Engagement
	start := at(t, lon, "2026-01-05 09:00")
	for w := range 52 {
		s := rotationWeek(lon, start, w)
		segs = append(segs, Segment{Person: fmt.Sprintf("p%d", w%4), Team: "payments", Role: "primary", Start: s, End: rotationWeek(lon, start, w+1)})
		engs = append(engs, Engagement{Person: fmt.Sprintf("p%d", w%4), Team: "payments", Start: s.Add(-5 * time.Minute), End: s.Add(7 * time.Minute)})
	}
	whole, err := Report(at(t, lon, "2026-01-01 00:00"), at(t, lon, "2027-01-01 00:00"), cals, rates, segs, engs)
	if err != nil {
		t.Fatal(err)
	}
	type k struct {
		p    string
		kind Kind
		c    Class
	}
	sum := map[k]int64{}
	for m := 1; m <= 12; m++ {
		from := at(t, lon, fmt.Sprintf("2026-%02d-01 00:00", m))
		to := at(t, lon, fmt.Sprintf("%d-%02d-01 00:00", 2026+m/12, m%12+1))
		lines, err := Report(from, to, cals, rates, segs, engs)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			sum[k{l.Person, l.Kind, l.Class}] += l.Seconds
		}
	}
	for _, l := range whole {
		if got := sum[k{l.Person, l.Kind, l.Class}]; got != l.Seconds {
			t.Errorf("%s: months add up to %ds, the year has %ds", show(l), got, l.Seconds)
		}
		delete(sum, k{l.Person, l.Kind, l.Class})
	}
	if len(sum) != 0 {
		t.Errorf("months have lines the year lacks: %v", sum)
	}
}

// rotationWeek is the w-th Monday 09:00 local after start.
func rotationWeek(loc *time.Location, start time.Time, w int) time.Time {
	y, m, d := start.In(loc).Date()
	return time.Date(y, m, d+7*w, 9, 0, 0, 0, loc)
}

func TestReportErrors(t *testing.T) {
	cal := london(t)
	lon := cal.Location
	from, to := at(t, lon, "2026-03-01 00:00"), at(t, lon, "2026-04-01 00:00")
	good := Segment{Person: "alice", Team: "payments", Role: "primary", Start: at(t, lon, "2026-03-03 17:30"), End: at(t, lon, "2026-03-04 09:00")}
	cals := map[string]Calendar{"payments": cal}
	ok := func(string, string) Rates { return gbp() }
	tests := []struct {
		name     string
		from, to time.Time
		cals     map[string]Calendar
		rates    func(string, string) Rates
		segs     []Segment
		engs     []Engagement
	}{
		{name: "report ends before it starts", from: to, to: from, cals: cals, rates: ok},
		{name: "no calendar for the team", from: from, to: to, cals: map[string]Calendar{}, rates: ok, segs: []Segment{good}},
		{name: "bad calendar", from: from, to: to, cals: map[string]Calendar{"payments": {}}, rates: ok, segs: []Segment{good}},
		{name: "segment ends before it starts", from: from, to: to, cals: cals, rates: ok, segs: []Segment{{Person: "a", Team: "payments", Start: to, End: from}}},
		{name: "segment without a person", from: from, to: to, cals: cals, rates: ok, segs: []Segment{{Team: "payments", Start: from, End: to}}},
		{name: "engagement ends before it starts", from: from, to: to, cals: cals, rates: ok, engs: []Engagement{{Person: "a", Team: "payments", Start: to, End: from}}},
		{name: "negative rate", from: from, to: to, cals: cals, segs: []Segment{good},
			rates: func(string, string) Rates { r := gbp(); r.Engaged = -1; return r }},
		{name: "huge rate", from: from, to: to, cals: cals, segs: []Segment{good},
			rates: func(string, string) Rates { r := gbp(); r.Standby[Weekend] = maxRate + 1; return r }},
		{name: "unknown class", from: from, to: to, cals: cals, segs: []Segment{good},
			rates: func(string, string) Rates { r := gbp(); r.Standby["night"] = 1; return r }},
		{name: "amounts without a currency", from: from, to: to, cals: cals, segs: []Segment{good},
			rates: func(string, string) Rates { r := gbp(); r.Currency = ""; return r }},
		{name: "negative minimum callout", from: from, to: to, cals: cals, segs: []Segment{good},
			rates: func(string, string) Rates { r := gbp(); r.MinimumCallout = -time.Minute; return r }},
		{name: "negative cap", from: from, to: to, cals: cals, segs: []Segment{good},
			rates: func(string, string) Rates { r := gbp(); r.MaxPerDay = -1; return r }},
	}
	for _, tc := range tests {
		if _, err := Report(tc.from, tc.to, tc.cals, tc.rates, tc.segs, tc.engs); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	// Nil rates: minutes only.
	lines, err := Report(from, to, cals, nil, []Segment{good}, nil)
	if err != nil || len(lines) != 1 || lines[0].Seconds != 55800 || lines[0].Amount != 0 {
		t.Errorf("nil rates: %v, %v", lines, err)
	}
}

func TestPrice(t *testing.T) {
	tests := []struct{ rate, sec, want int64 }{
		{250, 55800, 3875},
		{250, 600, 42}, // 41.67
		{1, 1800, 1},   // 0.5 rounds up
		{1, 1799, 0},   // 0.4997
		{3, 1800, 2},   // 1.5 rounds up
		{250, 7, 0},    // 0.486
		{maxRate, 100 * 366 * 86400, maxRate * 100 * 366 * 24}, // no overflow on the way
	}
	for _, tc := range tests {
		if got, ok := price(tc.rate, tc.sec); !ok || got != tc.want {
			t.Errorf("price(%d, %d) = %d, %v; want %d", tc.rate, tc.sec, got, ok, tc.want)
		}
	}
	if _, ok := price(maxRate, 1<<62); ok {
		t.Error("price overflowing int64: no error")
	}
}

func TestMinutesAndRecords(t *testing.T) {
	for _, tc := range []struct{ sec, min int64 }{{0, 0}, {29, 0}, {30, 1}, {89, 1}, {90, 2}, {55800, 930}} {
		if got := (Line{Seconds: tc.sec}).Minutes(); got != tc.min {
			t.Errorf("Minutes(%ds) = %d, want %d", tc.sec, got, tc.min)
		}
	}
	for _, tc := range []struct {
		v    int64
		want string
	}{{0, "0.00"}, {5, "0.05"}, {3875, "38.75"}, {-11825, "-118.25"}, {-1 << 63, "-92233720368547758.08"}} {
		if got := FormatAmount(tc.v); got != tc.want {
			t.Errorf("FormatAmount(%d) = %q, want %q", tc.v, got, tc.want)
		}
	}
	got := Records([]Line{
		{Person: "alice", Team: "payments", Kind: Standby, Class: WeekdayOutOfHours, Seconds: 55800, Rate: 250, Amount: 3875, Currency: "GBP"},
		{Person: "alice", Team: "payments", Kind: CapAdjustment, Amount: -125, Currency: "GBP"},
	})
	want := [][]string{
		{"person", "team", "kind", "class", "minutes", "amount", "currency"},
		{"alice", "payments", "standby", "weekday_out_of_hours", "930", "38.75", "GBP"},
		{"alice", "payments", "cap", "", "0", "-1.25", "GBP"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Records = %q, want %q", got, want)
	}
}
