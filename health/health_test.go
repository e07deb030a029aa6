package health

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/timesheet"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func monFri() [7]bool {
	var d [7]bool
	for w := time.Monday; w <= time.Friday; w++ {
		d[w] = true
	}
	return d
}

func ptr(v int64) *int64 { return &v }

func hours(h float64) int64 { return int64(h * 3600) }

// workedExample is the example docs/health.md computes by hand: three weeks
// of team payments (London, Mon-Fri 09:00-17:30, a holiday on Friday 23
// October 2026), across the night the clocks go back (Sunday 25 October,
// 02:00 BST -> 01:00 GMT). Alice holds primary in weeks 1 and 3, bob in
// week 2; erin shadows week 2; frank (New York) is the policy's last step;
// carol and dave are members who got no turn.
func workedExample(t testing.TB) Input {
	lon, ny := zone(t, "Europe/London"), zone(t, "America/New_York")
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, lon) }
	w1, w2, w3, end := at(10, 12, 9, 0), at(10, 19, 9, 0), at(10, 26, 9, 0), at(11, 2, 9, 0)
	return Input{
		From: w1, To: end,
		Teams: map[string]Team{"payments": {
			Calendar: timesheet.Calendar{Location: lon, Days: monFri(), Start: 9 * time.Hour, End: 17*time.Hour + 30*time.Minute, Holidays: []string{"2026-10-23"}},
			Members:  []string{"alice", "bob", "carol", "dave"},
		}},
		Zones: map[string]*time.Location{"alice": lon, "bob": lon, "erin": lon, "frank": ny},
		Held: []timesheet.Segment{
			{Person: "alice", Team: "payments", Role: "primary", Start: w1, End: w2},
			{Person: "bob", Team: "payments", Role: "primary", Start: w2, End: w3},
			{Person: "alice", Team: "payments", Role: "primary", Start: w3, End: end},
			{Person: "erin", Team: "payments", Role: "primary", Start: w2, End: w3, Shadow: true},
		},
		Alerts: []Alert{
			{ID: 1, Team: "payments", Created: at(10, 13, 14, 0), Pages: []Page{{"alice", at(10, 13, 14, 0), false}},
				AckedBy: "alice", AckedAt: at(10, 13, 14, 3), ResolvedAt: at(10, 13, 14, 30)},
			{ID: 2, Team: "payments", Created: at(10, 21, 23, 30),
				Pages:   []Page{{"bob", at(10, 21, 23, 30), false}, {"erin", at(10, 21, 23, 30), true}},
				AckedBy: "bob", AckedAt: at(10, 21, 23, 35), ResolvedAt: at(10, 22, 0, 30)},
			{ID: 3, Team: "payments", Created: at(10, 22, 2, 10),
				Pages:   []Page{{"bob", at(10, 22, 2, 10), false}, {"erin", at(10, 22, 2, 10), true}, {"frank", at(10, 22, 2, 15), false}},
				AckedBy: "frank", AckedAt: at(10, 22, 2, 20), ResolvedAt: at(10, 22, 3, 10), Escalated: true},
			// 01:30 on 25 October happens twice in London; this is the
			// second, GMT, one.
			{ID: 4, Team: "payments", Created: time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC),
				Pages: []Page{{"bob", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), false}, {"erin", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), true},
					{"frank", time.Date(2026, 10, 25, 1, 35, 0, 0, time.UTC), false}},
				ResolvedAt: time.Date(2026, 10, 25, 2, 0, 0, 0, time.UTC), Escalated: true},
			{ID: 5, Team: "payments", Created: at(10, 26, 10, 0), Drill: true, Pages: []Page{{"alice", at(10, 26, 10, 0), false}},
				AckedBy: "alice", AckedAt: at(10, 26, 10, 2)},
			{ID: 6, Team: "payments", Created: at(10, 29, 17, 45), Pages: []Page{{"alice", at(10, 29, 17, 45), false}},
				AckedBy: "alice", AckedAt: at(10, 29, 17, 46)},
			// Created after the report's end: not counted.
			{ID: 7, Team: "payments", Created: end, Pages: []Page{{"alice", end, false}}},
		},
	}
}

// TestWorkedExample checks every figure docs/health.md works out by hand.
func TestWorkedExample(t *testing.T) {
	in := workedExample(t)
	rep, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	lon := in.Teams["payments"].Calendar.Location
	wantTeam := TeamFigures{Team: "payments", Alerts: 5,
		Ack:       Durations{N: 4, P50: ptr(180), P90: ptr(600)},
		Resolve:   Durations{N: 4, P50: ptr(1800), P90: ptr(3600)},
		Escalated: 2, Unacked: 1, Drills: 1,
		DrillAck:          Durations{N: 1, P50: ptr(120), P90: ptr(120)},
		OutOfHoursSeconds: hours(386), Sharing: 4,
	}
	if len(rep.Teams) != 1 || !reflect.DeepEqual(rep.Teams[0], wantTeam) {
		t.Errorf("team figures:\n got %+v\nwant %+v", rep.Teams, wantTeam)
	}
	none := Durations{}
	want := []Person{
		{Person: "alice", Team: "payments",
			OnCall: OnCall{Business: hours(85), WeekdayOutOfHours: hours(155), Weekend: hours(96)},
			Pages:  2, OutOfHoursPages: 1,
			Ack:    Durations{N: 2, P50: ptr(60), P90: ptr(180)},
			Drills: 1, DrillAck: Durations{N: 1, P50: ptr(120), P90: ptr(120)},
			Rest:            &Rest{Role: "primary", Weeks: 1, From: time.Date(2026, 10, 19, 9, 0, 0, 0, lon), Until: time.Date(2026, 10, 26, 9, 0, 0, 0, lon), Short: true},
			OutOfHoursShare: 0.6503, EqualShare: 0.25, Fairness: 2.601},
		{Person: "bob", Team: "payments",
			OnCall: OnCall{Business: hours(34), WeekdayOutOfHours: hours(62), Weekend: hours(49), Holiday: hours(24)},
			Pages:  3, OutOfHoursPages: 3, SleepPages: 3, NightsInterrupted: 2,
			Ack:             Durations{N: 1, P50: ptr(300), P90: ptr(300)},
			OutOfHoursShare: 0.3497, EqualShare: 0.25, Fairness: 1.399},
		{Person: "carol", Team: "payments", EqualShare: 0.25},
		{Person: "dave", Team: "payments", EqualShare: 0.25},
		{Person: "erin", Team: "payments", ShadowSeconds: hours(169), Pages: 3, OutOfHoursPages: 3, SleepPages: 3, NightsInterrupted: 2},
		{Person: "frank", Team: "payments", Pages: 2, OutOfHoursPages: 2,
			Ack: Durations{N: 1, P50: ptr(300), P90: ptr(300)}},
	}
	if len(rep.People) != len(want) {
		t.Fatalf("got %d people, want %d: %+v", len(rep.People), len(want), rep.People)
	}
	for i := range want {
		got := rep.People[i]
		if got.Ack.N == 0 {
			got.Ack = none
		}
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("%s:\n got %+v rest %+v\nwant %+v rest %+v", want[i].Person, got, got.Rest, want[i], want[i].Rest)
		}
	}
	if len(rep.Warnings) != 1 || rep.Warnings[0].Rule != RuleShortRest || rep.Warnings[0].Person != "alice" ||
		rep.Warnings[0].Msg != "alice had 7 days off between out-of-hours turns of primary, 2026-10-19 09:00 to 2026-10-26 09:00" {
		t.Errorf("warnings: %+v", rep.Warnings)
	}
}

// TestPersonFilter keeps one person's rows, their team's figures and their
// warnings; shares are still of the whole team.
func TestPersonFilter(t *testing.T) {
	in := workedExample(t)
	in.Person = "bob"
	rep, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.People) != 1 || rep.People[0].Person != "bob" || rep.People[0].Fairness != 1.399 {
		t.Errorf("people: %+v", rep.People)
	}
	if len(rep.Teams) != 1 || rep.Teams[0].Alerts != 5 {
		t.Errorf("teams: %+v", rep.Teams)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("alice's warning shown to bob's report: %+v", rep.Warnings)
	}
}

func TestSleepHoursPerTeamAndZone(t *testing.T) {
	lh := zone(t, "Australia/Lord_Howe")
	// Lord Howe springs forward half an hour at 02:00 on Sunday 4 October
	// 2026 (+10:30 -> +11:00): 02:00-02:30 doesn't exist.
	at := func(d, h, m int) time.Time { return time.Date(2026, 10, d, h, m, 0, 0, lh) }
	for _, tc := range []struct {
		name         string
		start, end   time.Duration
		pages        []time.Time
		sleep, night int
	}{
		{"default 22-08", 0, 0, []time.Time{at(3, 21, 59), at(3, 22, 0), at(4, 1, 45), at(4, 2, 45), at(4, 7, 59), at(4, 8, 0)}, 4, 1},
		{"23-07", 23 * time.Hour, 7 * time.Hour, []time.Time{at(3, 22, 30), at(3, 23, 0), at(4, 6, 59), at(4, 23, 30)}, 3, 2},
		{"not over midnight 01-06", time.Hour, 6 * time.Hour, []time.Time{at(3, 23, 30), at(4, 1, 0), at(4, 3, 0), at(5, 5, 59)}, 3, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{From: at(1, 0, 0), To: at(10, 0, 0),
				Teams: map[string]Team{"ops": {Calendar: timesheet.Calendar{Location: lh, Days: monFri(), Start: 9 * time.Hour, End: 17 * time.Hour},
					SleepStart: tc.start, SleepEnd: tc.end}},
				Zones: map[string]*time.Location{"pat": lh}}
			for i, p := range tc.pages {
				in.Alerts = append(in.Alerts, Alert{ID: int64(i + 1), Team: "ops", Created: p, Pages: []Page{{"pat", p, false}}})
			}
			rep, err := Compute(in)
			if err != nil {
				t.Fatal(err)
			}
			p := rep.People[0]
			if p.Pages != len(tc.pages) || p.SleepPages != tc.sleep || p.NightsInterrupted != tc.night {
				t.Errorf("pages %d sleep %d nights %d; want %d %d %d", p.Pages, p.SleepPages, p.NightsInterrupted, len(tc.pages), tc.sleep, tc.night)
			}
		})
	}
}

// TestSleepIsThePersonsZone: a page at 03:00 in London is 22:00 in New
// York the evening before: it interrupts sleep only for the Londoner.
func TestSleepIsThePersonsZone(t *testing.T) {
	lon, ny := zone(t, "Europe/London"), zone(t, "America/New_York")
	at := time.Date(2026, 2, 10, 2, 30, 0, 0, lon) // 21:30 EST on the 9th
	in := Input{From: at.Add(-time.Hour), To: at.Add(time.Hour),
		Teams:  map[string]Team{"ops": {Calendar: timesheet.Calendar{Location: lon, Days: monFri(), Start: 9 * time.Hour, End: 17 * time.Hour}}},
		Zones:  map[string]*time.Location{"lo": lon, "ny": ny},
		Alerts: []Alert{{ID: 1, Team: "ops", Created: at, Pages: []Page{{"lo", at, false}, {"ny", at, false}}}}}
	rep, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, p := range rep.People {
		got[p.Person] = p.SleepPages
		if p.OutOfHoursPages != 1 {
			t.Errorf("%s: out-of-hours %d, want 1 (the team's calendar decides)", p.Person, p.OutOfHoursPages)
		}
	}
	if got["lo"] != 1 || got["ny"] != 0 {
		t.Errorf("sleep interruptions %v, want lo 1, ny 0", got)
	}
}

// TestStretchesAndSmallRotations: a week across a clock change is seven
// days, not a long stretch; eight days is. Two people doing a month of
// out-of-hours duty is a small rotation.
func TestStretchesAndSmallRotations(t *testing.T) {
	ny := zone(t, "America/New_York")
	// New York falls back on Sunday 1 November 2026.
	mon := func(d int) time.Time { return time.Date(2026, 10, d, 9, 0, 0, 0, ny) }
	cal := timesheet.Calendar{Location: ny, Days: monFri(), Start: 9 * time.Hour, End: 17 * time.Hour}
	seg := func(p string, a, b time.Time) timesheet.Segment {
		return timesheet.Segment{Person: p, Team: "ny", Role: "primary", Start: a, End: b}
	}
	in := Input{From: mon(5), To: mon(5).AddDate(0, 0, 35),
		Teams: map[string]Team{"ny": {Calendar: cal}},
		Held: []timesheet.Segment{
			seg("ann", mon(5), mon(12)), seg("ben", mon(12), mon(20)), // ben: 8 days
			seg("ann", mon(20), mon(26)), seg("ben", mon(26), mon(26).AddDate(0, 0, 7)), // ben: over the fall-back, 7 days
			seg("ann", mon(26).AddDate(0, 0, 7), mon(5).AddDate(0, 0, 35)),
		}}
	rep, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, w := range rep.Warnings {
		rules = append(rules, w.Person+" "+w.Rule+": "+w.Msg)
	}
	want := []string{
		"ann short-rest: ann had 7 days off between out-of-hours turns of primary, 2026-10-26 09:00 to 2026-11-02 09:00",
		"ben long-stretch: ben held primary for 8 days in a row, 2026-10-12 09:00 to 2026-10-20 09:00",
		"ben short-rest: ben had 6 days off between out-of-hours turns of primary, 2026-10-20 09:00 to 2026-10-26 09:00",
		" small-rotation: only 2 people held out-of-hours duty in ny over 35 days: nobody can get three weeks off between turns",
	}
	if !reflect.DeepEqual(rules, want) {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(rules, "\n"), strings.Join(want, "\n"))
	}
}

// TestNightCoverIsNotRest: someone covering one night of your week
// doesn't split it into two turns, nor make a short rest.
func TestNightCoverIsNotRest(t *testing.T) {
	lon := zone(t, "Europe/London")
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, lon) }
	seg := func(p string, a, b time.Time) timesheet.Segment {
		return timesheet.Segment{Person: p, Team: "t", Role: "primary", Start: a, End: b}
	}
	rep, err := Compute(Input{From: at(23, 9), To: at(30, 9),
		Teams: map[string]Team{"t": {Calendar: timesheet.Calendar{Location: lon, Days: monFri(), Start: 9 * time.Hour, End: 17 * time.Hour}}},
		Held:  []timesheet.Segment{seg("dave", at(23, 9), at(24, 18)), seg("bob", at(24, 18), at(25, 9)), seg("dave", at(25, 9), at(30, 9))}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings: %+v", rep.Warnings)
	}
	for _, p := range rep.People {
		if p.Rest != nil {
			t.Errorf("%s: rest %+v, want none (one turn)", p.Person, p.Rest)
		}
	}
}

// TestFourPeopleRestThreeWeeks: a weekly rotation of four gives everyone
// exactly three weeks, which is not short, across both 2026 clock changes.
func TestFourPeopleRestThreeWeeks(t *testing.T) {
	lon := zone(t, "Europe/London")
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, lon)
	var held []timesheet.Segment
	names := []string{"a", "b", "c", "d"}
	for w := range 40 {
		held = append(held, timesheet.Segment{Person: names[w%4], Team: "t", Role: "primary", Start: start.AddDate(0, 0, 7*w), End: start.AddDate(0, 0, 7*w+7)})
	}
	rep, err := Compute(Input{From: start, To: start.AddDate(0, 0, 280),
		Teams: map[string]Team{"t": {Calendar: timesheet.Calendar{Location: lon, Days: monFri(), Start: 9 * time.Hour, End: 17 * time.Hour}}},
		Held:  held})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings: %+v", rep.Warnings)
	}
	for _, p := range rep.People {
		if p.Rest == nil || p.Rest.Weeks != 3 || p.Rest.Short {
			t.Errorf("%s rest %+v, want 3 weeks, not short", p.Person, p.Rest)
		}
		// Ten turns each, but two of them hold a clock change's 23- or
		// 25-hour day: hours are real hours.
		if p.Fairness < 0.999 || p.Fairness > 1.001 {
			t.Errorf("%s fairness %v, want 1 within a clock change's hour", p.Person, p.Fairness)
		}
	}
}

func TestPercentiles(t *testing.T) {
	for _, tc := range []struct {
		in       []int64
		p50, p90 int64
	}{
		{[]int64{7}, 7, 7},
		{[]int64{4, 1, 3, 2}, 2, 4},
		{[]int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 5, 9},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 6, 10},
	} {
		d := percentiles(tc.in)
		if *d.P50 != tc.p50 || *d.P90 != tc.p90 {
			t.Errorf("%v: p50 %d p90 %d, want %d %d", tc.in, *d.P50, *d.P90, tc.p50, tc.p90)
		}
	}
	if d := percentiles(nil); d.P50 != nil || d.P90 != nil || d.N != 0 {
		t.Errorf("empty: %+v", d)
	}
}

func TestErrors(t *testing.T) {
	in := workedExample(t)
	in.Alerts = append(in.Alerts, Alert{ID: 9, Team: "nope", Created: in.From})
	if _, err := Compute(in); err == nil || !strings.Contains(err.Error(), `alert 9: team "nope"`) {
		t.Errorf("unknown team: %v", err)
	}
	in = workedExample(t)
	in.To = in.From
	if _, err := Compute(in); err == nil {
		t.Error("empty range accepted")
	}
}

func TestRecords(t *testing.T) {
	rep, err := Compute(workedExample(t))
	if err != nil {
		t.Fatal(err)
	}
	recs := Records(rep)
	find := func(team, person, fig string) string {
		for _, r := range recs[1:] {
			if r[0] == team && r[1] == person && r[2] == fig {
				return r[3]
			}
		}
		return "<missing>"
	}
	for _, c := range [][4]string{
		{"payments", "", "time_to_ack_p90_seconds", "600"},
		{"payments", "bob", "nights_interrupted", "2"},
		{"payments", "alice", "rest_weeks", "1"},
		{"payments", "alice", "fairness", "2.601"},
		{"payments", "bob", "rest_weeks", ""},
		{"payments", "carol", "time_to_ack_p50_seconds", ""},
		{"payments", "alice", "warning", "short-rest: alice had 7 days off between out-of-hours turns of primary, 2026-10-19 09:00 to 2026-10-26 09:00"},
	} {
		if got := find(c[0], c[1], c[2]); got != c[3] {
			t.Errorf("%s/%s %s = %q, want %q", c[0], c[1], c[2], got, c[3])
		}
	}
}

// BenchmarkYear100People: ten teams of ten, a year of weekly primary and
// secondary shifts, a shadow each, and a page a week per person with acks.
// The target is under a second per report.
func BenchmarkYear100People(b *testing.B) {
	zones := []string{"Europe/London", "America/New_York", "Australia/Lord_Howe"}
	in := Input{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		Teams: map[string]Team{}, Zones: map[string]*time.Location{}}
	id := int64(0)
	for t := range 10 {
		team := fmt.Sprintf("team%02d", t)
		loc := zone(b, zones[t%len(zones)])
		var members []string
		for p := range 10 {
			members = append(members, fmt.Sprintf("t%02dp%02d", t, p))
			in.Zones[members[p]] = loc
		}
		in.Teams[team] = Team{Calendar: timesheet.Calendar{Location: loc, Days: monFri(), Start: 9 * time.Hour, End: 17*time.Hour + 30*time.Minute,
			Holidays: []string{"2026-01-01", "2026-04-03", "2026-12-25"}}, Members: members}
		week := func(w int) time.Time { return time.Date(2025, 12, 29+7*w, 9, 0, 0, 0, loc) }
		for w := range 53 {
			in.Held = append(in.Held,
				timesheet.Segment{Person: members[w%10], Team: team, Role: "primary", Start: week(w), End: week(w + 1)},
				timesheet.Segment{Person: members[(w+1)%10], Team: team, Role: "secondary", Start: week(w), End: week(w + 1)})
			for p := range 10 {
				id++
				at := week(w).Add(time.Duration(p*16+int(id%7)) * time.Hour)
				in.Alerts = append(in.Alerts, Alert{ID: id, Team: team, Created: at, Pages: []Page{{members[p], at, false}},
					AckedBy: members[p], AckedAt: at.Add(time.Duration(id%600) * time.Second), ResolvedAt: at.Add(time.Hour), Escalated: id%5 == 0})
			}
		}
		in.Held = append(in.Held, timesheet.Segment{Person: team + "new", Team: team, Role: "primary", Start: week(10), End: week(14), Shadow: true})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compute(in); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAcrossTheClockChanges: a drill paged at 00:59 GMT on the morning
// London springs forward and acked at 02:01 BST took two minutes, not an
// hour and two; both 01:30s of the autumn night are one night.
func TestAcrossTheClockChanges(t *testing.T) {
	lon := zone(t, "Europe/London")
	paged := time.Date(2027, 3, 28, 0, 59, 0, 0, time.UTC)
	acked := time.Date(2027, 3, 28, 2, 1, 0, 0, lon)
	rep, err := Compute(Input{From: paged.Add(-time.Hour), To: paged.Add(time.Hour),
		Teams:  map[string]Team{"t": {Calendar: timesheet.Calendar{Location: lon, Days: monFri(), Start: 9 * time.Hour, End: 17 * time.Hour}}},
		Alerts: []Alert{{ID: 1, Team: "t", Created: paged, Drill: true, Pages: []Page{{"pat", paged, false}}, AckedBy: "pat", AckedAt: acked}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := rep.Teams[0].DrillAck; d.N != 1 || *d.P50 != 120 || rep.People[0].DrillAck.N != 1 || *rep.People[0].DrillAck.P50 != 120 {
		t.Errorf("drill ack %+v / %+v, want 120 s", d, rep.People[0].DrillAck)
	}
	if rep.People[0].Pages != 0 || rep.Teams[0].Alerts != 0 {
		t.Errorf("a drill counted as a page: %+v %+v", rep.People[0], rep.Teams[0])
	}
	first := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)  // 01:30 BST
	second := time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC) // 01:30 GMT
	d1, ok1 := SleepNight(first, lon, 0, 0)
	d2, ok2 := SleepNight(second, lon, 0, 0)
	if !ok1 || !ok2 || d1 != d2 || d1 != (timesheet.Date{Year: 2026, Month: 10, Day: 24}) {
		t.Errorf("the two 01:30s: %v %v, %v %v; want both the night of 24 October", d1, ok1, d2, ok2)
	}
}
