package rotadiff

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	_ "time/tzdata"

	"github.com/pagerd/pagerd/rotafile"
)

const people = `people:
  - {id: alice, name: Alice, timezone: Europe/London, contacts: {sms: "+447700900001"}}
  - {id: bob, name: Bob, timezone: Europe/London, contacts: {sms: "+447700900002"}}
  - {id: carol, name: Carol, timezone: Europe/London, contacts: {sms: "+447700900003"}}
  - {id: dave, name: Dave, timezone: Europe/London, contacts: {sms: "+447700900004"}}
`

// opsTeam is a London team with default business hours (Mon-Fri
// 09:00-17:00), Christmas Day as a holiday and a weekly Monday 09:00
// primary; extra is added at the end (overrides, shadows, a secondary).
func opsTeam(members, start, extra string) string {
	return `team: ops
timezone: Europe/London
holidays: [2026-12-25]
rotations:
  primary:
    members: ` + members + `
    handoff: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    start: ` + start + `
escalation:
  steps:
    - {notify: [primary], ack_timeout: 5m}
    - {notify: [primary, person:dave], ack_timeout: 5m}
pay:
  currency: GBP
  standby_per_hour: {weekday_out_of_hours: 2.50, weekend: 4.00, holiday: 6.00}
` + extra
}

func load(t *testing.T, team string) Side {
	t.Helper()
	r, diags := rotafile.Load([]rotafile.File{{Name: "people.yaml", Data: []byte(people)}, {Name: "ops.yaml", Data: []byte(team)}})
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	return Side{Rota: r, Diags: diags}
}

func window(from, to string) Window {
	return func(loc *time.Location) (time.Time, time.Time, error) {
		f, err := rotafile.ParseTime(from, loc)
		if err != nil {
			return f, f, err
		}
		u, err := rotafile.ParseTime(to, loc)
		return f, u, err
	}
}

func h(hours int64) int64 { return hours * 3600 }

func onlyTeam(t *testing.T, rep *Report) Team {
	t.Helper()
	if len(rep.Teams) != 1 {
		t.Fatalf("teams = %d, want 1", len(rep.Teams))
	}
	return rep.Teams[0]
}

// A swap: alice takes dave's Christmas week (21 Dec) and dave takes hers
// (28 Dec). Exactly those two people's hours change, by class: Christmas
// Day moves 24 holiday hours to alice, and the week she gives up had one
// more working day (8 business hours, 16 out of hours).
func TestSwapChangesExactlyTheTwoPeople(t *testing.T) {
	old := load(t, opsTeam("[alice, bob, carol, dave]", "2026-11-02T09:00", ""))
	new := load(t, opsTeam("[alice, bob, carol, dave]", "2026-11-02T09:00", `overrides:
  - {role: primary, person: alice, from: 2026-12-21T09:00, until: 2026-12-28T09:00, note: swap}
  - {role: primary, person: dave, from: 2026-12-28T09:00, until: 2027-01-04T09:00, note: swap}
`))
	rep, err := Compare(old, new, window("2026-12-01", "2027-02-01"))
	if err != nil {
		t.Fatal(err)
	}
	td := onlyTeam(t, rep)
	if td.Status != Changed {
		t.Errorf("status = %s", td.Status)
	}
	london, _ := time.LoadLocation("Europe/London")
	at := func(s string) time.Time { x, _ := rotafile.ParseTime(s, london); return x }
	want := []Shift{
		{Role: "primary", Start: at("2026-12-21T09:00"), End: at("2026-12-28T09:00"), Old: "dave", New: "alice"},
		{Role: "primary", Start: at("2026-12-28T09:00"), End: at("2027-01-04T09:00"), Old: "alice", New: "dave"},
	}
	if len(td.Shifts) != len(want) {
		t.Fatalf("shifts = %+v, want %+v", td.Shifts, want)
	}
	for i, w := range want {
		g := td.Shifts[i]
		if g.Role != w.Role || g.Shadow || !g.Start.Equal(w.Start) || !g.End.Equal(w.End) || g.Old != w.Old || g.New != w.New {
			t.Errorf("shift %d = %+v, want %+v", i, g, w)
		}
	}
	// Week of 21 Dec: business 32h, out of hours 64h, weekend 48h, holiday
	// 24h. Week of 28 Dec: 40h, 80h, 48h, 0h.
	alice := Hours{Business: h(32 - 40), WeekdayOutOfHours: h(64 - 80), Weekend: 0, Holiday: h(24)}
	dave := Hours{Business: h(8), WeekdayOutOfHours: h(16), Weekend: 0, Holiday: -h(24)}
	if len(td.People) != 2 {
		t.Fatalf("people = %+v, want alice and dave only", td.People)
	}
	for _, p := range td.People {
		var want Hours
		var pay int64
		switch p.Person {
		case "alice":
			want, pay = alice, -16*250+24*600
		case "dave":
			want, pay = dave, 16*250-24*600
		default:
			t.Fatalf("%s's hours change: %+v", p.Person, p)
		}
		if p.Standby != want || p.Shadow != (Hours{}) || p.Pay != pay {
			t.Errorf("%s = %+v, want standby %+v, pay %d", p.Person, p, want, pay)
		}
	}
	// The swap brings each of them back two weeks after their last turn:
	// the rest check says so, and nothing else changes.
	if len(td.WarningsRemoved) != 0 || len(td.WarningsAdded) != 2 ||
		td.WarningsAdded[0].Message != `team "ops": alice gets 14 days off between turns of primary, 2026-12-07 09:00 to 2026-12-21 09:00` ||
		td.WarningsAdded[1].Message != `team "ops": dave gets 14 days off between turns of primary, 2027-01-04 09:00 to 2027-01-18 09:00` {
		t.Errorf("warnings changed: +%v -%v", td.WarningsAdded, td.WarningsRemoved)
	}

	var text, mdown bytes.Buffer
	if err := rep.Text(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Mon 2026-12-21 09:00 GMT  Mon 2026-12-28 09:00 GMT  168h  dave -> alice",
		"alice", "+104.00 GBP", "-104.00 GBP", "+24h",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if err := rep.Markdown(&mdown); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(mdown.String(), "| primary | Mon 2026-12-21 09:00 GMT | Mon 2026-12-28 09:00 GMT | 168h | dave | alice |") ||
		!strings.Contains(mdown.String(), "| alice | -8h | -16h | 0 | +24h | 0 | +104.00 |") {
		t.Errorf("markdown:\n%s", mdown.String())
	}
}

// Adding a fourth person to a three-person rotation removes the "fewer
// than 4" warning (and the short rests that came with it), and adds none.
func TestAddingAFourthPersonRemovesTheWarning(t *testing.T) {
	old := load(t, opsTeam("[alice, bob, carol]", "2026-11-02T09:00", ""))
	new := load(t, opsTeam("[alice, bob, carol, dave]", "2026-11-02T09:00", ""))
	rep, err := Compare(old, new, window("2026-11-23", "2027-02-15"))
	if err != nil {
		t.Fatal(err)
	}
	td := onlyTeam(t, rep)
	if len(td.WarningsAdded) != 0 {
		t.Errorf("warnings added: %+v", td.WarningsAdded)
	}
	rules := map[string]int{}
	for _, w := range td.WarningsRemoved {
		rules[w.Rule]++
	}
	if rules[rotafile.RuleSmallRotation] != 1 || !strings.Contains(td.WarningsRemoved[0].Message, `rotation "primary" has 3 people`) {
		t.Errorf("warnings removed = %+v, want the 3-people warning", td.WarningsRemoved)
	}
	if rules[rotafile.RuleShortRest] != 3 {
		t.Errorf("short rests removed = %d, want 3 (one per person): %+v", rules[rotafile.RuleShortRest], td.WarningsRemoved)
	}
	if len(td.Shifts) == 0 || !containsPerson(td.People, "dave") {
		t.Errorf("dave's turns should show: shifts %d, people %+v", len(td.Shifts), td.People)
	}
	var mdown bytes.Buffer
	if err := rep.Markdown(&mdown); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(mdown.String(), `**warning gone**: team "ops" rotation "primary" has 3 people`) {
		t.Errorf("markdown:\n%s", mdown.String())
	}
}

func containsPerson(ps []Person, id string) bool {
	for _, p := range ps {
		if p.Person == id {
			return true
		}
	}
	return false
}

// Sick cover for a week that spans a clock change: the week is 169 hours
// when London falls back (25 Oct 2026, Sunday has 25 hours) and 167 when
// it springs forward (28 Mar 2027), and the extra or missing hour is
// weekend time.
func TestDSTWeek(t *testing.T) {
	for _, tc := range []struct {
		name, start, until string
		weekend, total     int64
	}{
		{"autumn", "2026-10-19T09:00", "2026-10-26T09:00", 49, 169},
		{"spring", "2027-03-22T09:00", "2027-03-29T09:00", 47, 167},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := load(t, opsTeam("[alice, bob, carol, dave]", tc.start, ""))
			new := load(t, opsTeam("[alice, bob, carol, dave]", tc.start, `overrides:
  - {role: primary, person: bob, from: `+tc.start+`, until: `+tc.until+`, note: "alice off sick"}
`))
			rep, err := Compare(old, new, window(tc.start[:10], tc.until[:10]+"T23:00"))
			if err != nil {
				t.Fatal(err)
			}
			td := onlyTeam(t, rep)
			if len(td.Shifts) != 1 || td.Shifts[0].Old != "alice" || td.Shifts[0].New != "bob" ||
				td.Shifts[0].End.Sub(td.Shifts[0].Start) != time.Duration(tc.total)*time.Hour {
				t.Fatalf("shifts = %+v, want one of %dh alice -> bob", td.Shifts, tc.total)
			}
			want := Hours{Business: h(40), WeekdayOutOfHours: h(80), Weekend: h(tc.weekend)}
			if want.Total() != h(tc.total) {
				t.Fatalf("test arithmetic: %d != %d", want.Total(), h(tc.total))
			}
			got := map[string]Person{}
			for _, p := range td.People {
				got[p.Person] = p
			}
			if len(got) != 2 || got["bob"].Standby != want || got["alice"].Standby != (Hours{}).minus(want) {
				t.Errorf("people = %+v, want bob %+v and alice the negative", td.People, want)
			}
			if pay := 80*250 + tc.weekend*400; got["bob"].Pay != pay {
				t.Errorf("bob's pay = %d, want %d", got["bob"].Pay, pay)
			}
		})
	}
}

func TestNoShiftMovesSaysSoInOneLine(t *testing.T) {
	// A comment and a new escalation step move no shift.
	a := opsTeam("[alice, bob, carol, dave]", "2026-11-02T09:00", "")
	b := "# reviewed by the team lead\n" + a
	rep, err := Compare(load(t, a), load(t, b), window("2026-11-23", "2027-02-15"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Moved() || rep.Changed() {
		t.Fatalf("report = %+v", rep)
	}
	var text bytes.Buffer
	if err := rep.Text(&text); err != nil {
		t.Fatal(err)
	}
	if got := text.String(); got != "No shift moves: 1 team(s) compared from 2026-11-23 00:00 GMT to 2027-02-15 00:00 GMT.\n" {
		t.Errorf("text = %q", got)
	}
}

func TestShadowAndTeamChanges(t *testing.T) {
	old := load(t, opsTeam("[alice, bob, carol, dave]", "2026-11-02T09:00", ""))
	new := load(t, opsTeam("[alice, bob, carol, dave]", "2026-11-02T09:00", `shadows:
  - {person: carol, role: primary, from: 2026-11-30T09:00, until: 2026-12-07T09:00}
`))
	rep, err := Compare(old, new, window("2026-11-23", "2027-02-15"))
	if err != nil {
		t.Fatal(err)
	}
	td := onlyTeam(t, rep)
	// 30 Nov is alice's week; carol shadows it.
	if len(td.Shifts) != 1 || !td.Shifts[0].Shadow || td.Shifts[0].New != "carol" || td.Shifts[0].Old != "" {
		t.Fatalf("shifts = %+v", td.Shifts)
	}
	if len(td.People) != 1 || td.People[0].Person != "carol" || td.People[0].Shadow.Total() != h(168) || td.People[0].Standby != (Hours{}) {
		t.Errorf("people = %+v", td.People)
	}

	// A team only in the new version is all gains.
	empty := load(t, strings.Replace(opsTeam("[alice, bob, carol, dave]", "2026-11-02T09:00", ""), "team: ops", "team: web", 1))
	rep, err = Compare(empty, new, window("2026-11-23", "2026-12-21"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Teams) != 2 || rep.Teams[0].ID != "ops" || rep.Teams[0].Status != Added || rep.Teams[1].Status != Removed {
		t.Fatalf("teams = %+v", rep.Teams)
	}
	for _, s := range rep.Teams[0].Shifts {
		if s.Old != "" {
			t.Errorf("added team shift %+v has an old holder", s)
		}
	}
	var js bytes.Buffer
	if err := rep.JSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Teams) != 2 || back.Teams[0].People[0].Standby.Total() == 0 {
		t.Errorf("JSON round trip: %v %+v", err, back)
	}
}

func TestFormatHours(t *testing.T) {
	for sec, want := range map[int64]string{0: "0", 3600: "+1h", -5400: "-1h30m", 45 * 60: "+45m", 3601: "+1h1s"} {
		if got := FormatHours(sec); got != want {
			t.Errorf("FormatHours(%d) = %q, want %q", sec, got, want)
		}
	}
}
