package timesheet

import (
	"reflect"
	"testing"
	"time"
)

// TestTOIL: engaged time on London's Boxing Day substitute holiday (Monday
// 28 December 2026) earns 1.5x; two interruptions in one night earn one
// late start; a correction takes an hour away; a person without rules
// earns nothing but their correction.
func TestTOIL(t *testing.T) {
	lon := mustZone(t, "Europe/London")
	cal := Calendar{Location: lon, Days: monFri(), Start: hm(9, 0), End: hm(17, 30), Holidays: []string{"2026-12-28"}}
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, lon) }
	rules := func(team, person string) TOILRules {
		if person == "zed" {
			return TOILRules{}
		}
		return TOILRules{HolidayEngagedPercent: 150, SleepNight: 2 * time.Hour}
	}
	engs := []Engagement{
		// 23:30 Sunday to 00:50 Monday: 50 minutes of it on the holiday.
		{Person: "alice", Team: "pay", AlertID: 1, Start: at(27, 23, 30), End: at(28, 0, 50)},
		// Overlapping the first: counted once.
		{Person: "alice", Team: "pay", AlertID: 2, Start: at(28, 0, 30), End: at(28, 0, 40)},
		// 23:50 Monday to 00:10 Tuesday: 10 minutes on the holiday.
		{Person: "alice", Team: "pay", AlertID: 3, Start: at(28, 23, 50), End: at(29, 0, 10)},
		{Person: "zed", Team: "pay", AlertID: 4, Start: at(28, 10, 0), End: at(28, 11, 0)},
	}
	nights := []Night{
		{Person: "alice", Team: "pay", Date: Date{2026, 12, 27}, At: at(27, 23, 30)},
		{Person: "alice", Team: "pay", Date: Date{2026, 12, 27}, At: at(28, 0, 30)},
		{Person: "alice", Team: "pay", Date: Date{2026, 12, 28}, At: at(28, 23, 50)},
		{Person: "alice", Team: "pay", Date: Date{2026, 12, 31}, At: at(31, 23, 0)}, // after the report
		// Boxing Day's night began before the report: the last report has it.
		{Person: "alice", Team: "pay", Date: Date{2026, 12, 26}, At: at(26, 23, 30)},
		{Person: "alice", Team: "pay", Date: Date{2026, 12, 26}, At: at(27, 1, 0)},
	}
	adjs := []TOILAdjustment{{Person: "zed", Team: "pay", At: at(28, 12, 0), Seconds: -3600}}
	lines, err := TOILReport(at(27, 0, 0), at(30, 0, 0), map[string]Calendar{"pay": cal}, rules, engs, nights, adjs)
	if err != nil {
		t.Fatal(err)
	}
	want := []Line{
		// 60 minutes on the holiday × 1.5 = 90 minutes.
		{Person: "alice", Team: "pay", Kind: TOIL, Class: TOILHolidayEngaged, Seconds: 5400},
		// Nights of the 27th and 28th: 2 × 2h.
		{Person: "alice", Team: "pay", Kind: TOIL, Class: TOILSleepInterruption, Seconds: 14400},
		{Person: "zed", Team: "pay", Kind: TOIL, Class: TOILCorrection, Seconds: -3600},
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("lines\n got %+v\nwant %+v", lines, want)
	}
	if m := lines[2].Minutes(); m != -60 {
		t.Errorf("a -1h correction is %d minutes", m)
	}
	recs := Records(lines)
	if got := recs[3]; !reflect.DeepEqual(got, []string{"zed", "pay", "toil", "correction", "-60", "", ""}) {
		t.Errorf("csv row %q", got)
	}
}

// TestTOILAcrossFallBack: on a holiday that is also the night the clocks
// go back, 00:30 BST to 02:30 GMT is three hours worked, not two: 4.5
// hours off at 1.5.
func TestTOILAcrossFallBack(t *testing.T) {
	lon := mustZone(t, "Europe/London")
	cal := Calendar{Location: lon, Days: monFri(), Start: hm(9, 0), End: hm(17, 30), Holidays: []string{"2026-10-25"}}
	start := time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC) // 00:30 BST on the 25th
	end := time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC)    // 02:30 GMT
	lines, err := TOILReport(start.Add(-time.Hour), end.Add(time.Hour), map[string]Calendar{"pay": cal},
		func(string, string) TOILRules { return TOILRules{HolidayEngagedPercent: 150} },
		[]Engagement{{Person: "bob", Team: "pay", AlertID: 1, Start: start, End: end}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0].Class != TOILHolidayEngaged || lines[0].Seconds != 4*3600+1800 {
		t.Errorf("lines %+v, want 4h30m of holiday_engaged", lines)
	}
}
