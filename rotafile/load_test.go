package rotafile

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "time/tzdata"

	"github.com/pagerd/pagerd/didyoumean"
)

// exampleDir is the example rota shipped in configs/.
const exampleDir = "../configs/example"

func TestLoadExample(t *testing.T) {
	r, diags, err := LoadDir(exampleDir)
	if err != nil {
		t.Fatalf("example rota has errors: %v", err)
	}
	for _, d := range diags {
		t.Logf("%s", d)
	}
	if got := len(r.Teams); got < 3 {
		t.Fatalf("teams = %d, want at least 3", got)
	}
	pay, ok := r.Team("payments")
	if !ok {
		t.Fatal("no payments team")
	}
	if pay.Location.String() != "Europe/London" {
		t.Errorf("payments zone = %s", pay.Location)
	}
	if len(pay.Schedule.Shadows) != 1 || len(pay.Schedule.Overrides) != 1 {
		t.Errorf("payments shadows/overrides = %d/%d, want 1/1", len(pay.Schedule.Shadows), len(pay.Schedule.Overrides))
	}
	if pay.Pay == nil || pay.Pay.StandbyWeekdayOOH != 250 || pay.Pay.EngagedPerHour != 3000 {
		t.Errorf("payments pay = %+v, want 250 and 3000 minor units", pay.Pay)
	}
	if got := pay.Escalation.Repeat; got != 2 {
		t.Errorf("repeat = %d, want 2", got)
	}
	// Monday 23 Nov 2026, 12:00 London: bob is primary (week 4 of alice, bob,
	// carol, dave from 2 Nov is index 3? no: weeks 2, 9, 16, 23 Nov -> alice,
	// bob, carol, dave), so dave is primary and alice (next week's) secondary.
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, pay.Location)
	got := map[string]string{}
	for _, oc := range pay.Schedule.Who(at) {
		if oc.Holder != nil {
			got[oc.Role] = oc.Holder.Person
		}
	}
	if got["primary"] != "dave" || got["secondary"] != "alice" {
		t.Errorf("who at %s = %v, want primary dave, secondary alice", at, got)
	}
	alice := r.People["alice"]
	if alice.SMS != "+447700900001" || len(alice.Notify) != 2 || alice.Notify[1].After != 2*time.Minute {
		t.Errorf("alice = %+v", alice)
	}
	if dave := r.People["dave"]; len(dave.Notify) != 1 || dave.Notify[0].Method != "voice" {
		t.Errorf("dave's rules = %+v, want voice only", dave.Notify)
	}
	if m := r.People["mallory"]; len(m.Notify) != 1 || m.Notify[0].Method != "sms" {
		t.Errorf("mallory (sms only) default rules = %+v", m.Notify)
	}
}

func TestExampleIsHealthy(t *testing.T) {
	r, diags, err := LoadDir(exampleDir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	all := append(diags, Health(r, now)...)
	if len(all) != 0 {
		t.Errorf("the example rota should be free of warnings, got:\n%v", all)
	}
}

// want is an expected diagnostic: file base name, line, col and a fragment
// of the message and of the hint.
type want struct {
	file      string
	line, col int
	msg, hint string
}

func checkDiags(t *testing.T, diags Diagnostics, wants []want) {
	t.Helper()
	var unmatched []Diagnostic
	used := make([]bool, len(wants))
	for _, d := range diags {
		found := false
		for i, w := range wants {
			if used[i] || filepath.Base(d.File) != w.file || d.Line != w.line || (w.col != 0 && d.Col != w.col) ||
				!strings.Contains(d.Msg, w.msg) || !strings.Contains(d.Hint, w.hint) {
				continue
			}
			used[i], found = true, true
			break
		}
		if !found {
			unmatched = append(unmatched, d)
		}
	}
	for i, w := range wants {
		if !used[i] {
			t.Errorf("missing diagnostic %s:%d:%d: %q (hint %q)", w.file, w.line, w.col, w.msg, w.hint)
		}
	}
	for _, d := range unmatched {
		t.Errorf("unexpected diagnostic: %s", d)
	}
}

func TestBrokenDirectoryReportsEveryError(t *testing.T) {
	r, diags, err := LoadDir("testdata/broken")
	if err == nil || r != nil {
		t.Fatalf("broken rota loaded without error")
	}
	checkDiags(t, diags, []want{
		{"ops.yaml", 5, 27, `member "carl" is not a person`, `did you mean "carol"?`},
		{"ops.yaml", 6, 14, "undefined weekday: MOON", "RRULE"},
		{"ops.yaml", 10, 27, `unknown key "ack_timout"`, `did you mean "ack_timeout"?`},
		{"people.yaml", 8, 15, `"Europe/Lndon" is not a known time zone`, `did you mean "Europe/London"?`},
		{"people.yaml", 9, 21, `"07700 900002" is not an E.164`, "+447700900123"},
		{"people.yaml", 14, 5, `unknown key "notfy"`, `did you mean "notify"?`},
		{"web.yaml", 2, 11, `"Mars/Olympus_Mons" is not a known time zone`, ""},
		{"ops.yaml", 1, 7, "no secondary", ""},
	})
	if n := len(diags.Errors()); n != 7 {
		t.Errorf("errors = %d, want 7", n)
	}
	// Every diagnostic renders as file:line:col: so editors can jump to it.
	for _, d := range diags {
		prefix := fmt.Sprintf("%s:%d:%d: ", d.File, d.Line, d.Col)
		if !strings.HasPrefix(d.String(), prefix) || !strings.Contains(d.File, "testdata/broken/") {
			t.Errorf("diagnostic %q does not start with %q", d.String(), prefix)
		}
	}
}

// files builds an in-memory rota: a people file plus the given team file.
func files(team string) []File {
	return []File{
		{Name: "people.yaml", Data: []byte(peopleYAML)},
		{Name: "team.yaml", Data: []byte(team)},
	}
}

const peopleYAML = `people:
  - {id: alice, name: Alice, timezone: Europe/London, contacts: {sms: "+447700900001", voice: "+447700900001"}}
  - {id: bob, name: Bob, timezone: Europe/London, contacts: {sms: "+447700900002"}}
  - {id: carol, name: Carol, timezone: Europe/London, contacts: {voice: "+447700900003"}}
  - {id: dave, name: Dave, timezone: Europe/London, contacts: {sms: "+447700900004"}}
  - {id: erin, name: Erin, timezone: Europe/London, contacts: {sms: "+447700900005"}}
  - {id: frank, name: Frank, timezone: Europe/London, contacts: {sms: "+447700900006"}}
`

// team is a valid team file that the cases below break one way each.
const goodTeam = `team: ops
timezone: Europe/London
rotations:
  primary:
    members: [alice, bob, carol, dave]
    handoff: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    start: 2026-11-02T09:00
  secondary:
    follows: primary
escalation:
  steps:
    - {notify: [primary], ack_timeout: 5m}
    - {notify: [secondary, person:frank], ack_timeout: 5m}
`

func TestGoodTeamLoadsClean(t *testing.T) {
	r, diags := Load(files(goodTeam))
	if r == nil || len(diags) != 0 {
		t.Fatalf("good team: %v", diags)
	}
	if got := r.People["carol"].Notify; len(got) != 1 || got[0].Method != "voice" || got[0].After != 0 {
		t.Errorf("voice-only default rules = %+v, want voice at once", got)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		team string // replaces goodTeam
		want []want
	}{
		{"typo in top-level key", strings.Replace(goodTeam, "escalation:", "escalaton:", 1), []want{
			// Only the typo: "needs escalation" would say the same thing again.
			{"team.yaml", 10, 1, `unknown key "escalaton"`, `did you mean "escalation"?`},
		}},
		{"duplicate key", goodTeam + "timezone: UTC\n", []want{
			{"team.yaml", 14, 1, `key "timezone" appears twice`, ""},
		}},
		{"unknown role in escalation", strings.Replace(goodTeam, "notify: [primary]", "notify: [primry]", 1), []want{
			{"team.yaml", 12, 17, `notifies "primry", which is not a rotation`, `did you mean "primary"?`},
		}},
		{"person without person: prefix", strings.Replace(goodTeam, "person:frank", "frank", 1), []want{
			{"team.yaml", 13, 28, `notifies "frank"`, `"person:frank"`},
		}},
		{"unknown person in step", strings.Replace(goodTeam, "person:frank", "person:frnak", 1), []want{
			{"team.yaml", 13, 28, `names "frnak"`, `did you mean "person:frank"?`},
		}},
		{"COUNT in handoff", strings.Replace(goodTeam, "BYSECOND=0", "BYSECOND=0;COUNT=3", 1), []want{
			{"team.yaml", 6, 14, "COUNT", ""},
		}},
		{"minutely handoff", strings.Replace(goodTeam, "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "FREQ=MINUTELY", 1), []want{
			{"team.yaml", 6, 14, "MINUTELY", ""},
		}},
		{"bad start", strings.Replace(goodTeam, "2026-11-02T09:00", "next monday", 1), []want{
			{"team.yaml", 7, 12, `"next monday" is not a time`, "2026-11-24T18:00"},
		}},
		{"follows unknown", strings.Replace(goodTeam, "follows: primary", "follows: primery", 1), []want{
			{"team.yaml", 9, 14, `follows "primery"`, `did you mean "primary"?`},
		}},
		{"follower with members", strings.Replace(goodTeam, "follows: primary", "follows: primary\n    members: [alice]", 1), []want{
			{"team.yaml", 10, 5, "both follows and members", ""},
		}},
		{"empty members", strings.Replace(goodTeam, "[alice, bob, carol, dave]", "[]", 1), []want{
			{"team.yaml", 5, 14, "members is empty", ""},
		}},
		{"overlapping overrides", goodTeam + `overrides:
  - {role: primary, person: bob, from: 2026-11-24T18:00, until: 2026-11-25T09:00}
  - {role: primary, person: carol, from: 2026-11-25T08:00, until: 2026-11-25T20:00}
  - {role: secondary, person: carol, from: 2026-11-24T18:00, until: 2026-11-25T09:00}
`, []want{
			{"team.yaml", 16, 5, "overlaps the override for bob at line 15", ""},
		}},
		{"override before rotation starts", goodTeam + `overrides:
  - {role: primary, person: bob, from: 2026-10-24T18:00, until: 2026-11-25T09:00}
`, []want{
			{"team.yaml", 15, 40, `before rotation "primary" starts`, "runs from 2026-11-02 09:00"},
		}},
		{"shadow outside rotation life", strings.Replace(goodTeam, `    start: 2026-11-02T09:00
`, `    start: 2026-11-02T09:00
    end: 2026-12-01T09:00
`, 1) + `shadows:
  - {person: erin, role: secondary, from: 2026-11-16, until: 2026-12-14}
`, []want{
			{"team.yaml", 16, 62, `after rotation "secondary" ends`, "until 2026-12-01 09:00"},
		}},
		{"shadow of unknown role", goodTeam + `shadows:
  - {person: erin, role: tertiary, from: 2026-11-16, until: 2026-12-14}
`, []want{
			{"team.yaml", 15, 26, `"tertiary" is not a rotation`, "primary, secondary"},
		}},
		{"shadow until before from", goodTeam + `shadows:
  - {person: erin, role: primary, from: 2026-11-16, until: 2026-11-10}
`, []want{
			{"team.yaml", 15, 60, "shadow ends before it starts", ""},
		}},
		{"changes out of order", strings.Replace(goodTeam, "    start: 2026-11-02T09:00\n", `    start: 2026-11-02T09:00
    changes:
      - {from: 2026-10-01T09:00, members: [alice]}
`, 1), []want{
			{"team.yaml", 9, 16, "is not after 2026-11-02 09:00", ""},
		}},
		{"bad regex and group", goodTeam + `routes:
  - email: {subject: '^\[PROBLEM\] (?P<host>.+)$', body: '(unclosed'}
`, []want{
			{"team.yaml", 15, 22, `group named "host"`, "(?P<key>"},
			{"team.yaml", 15, 58, "body pattern", "RE2"},
		}},
		{"route with both kinds", goodTeam + `routes:
  - {email: {subject: x}, http: {key_env: K}}
`, []want{
			{"team.yaml", 15, 5, "exactly one of email or http", ""},
		}},
		{"http key in file and env", goodTeam + `routes:
  - http: {key_env: A, key_file: /x}
`, []want{
			{"team.yaml", 15, 11, "exactly one of key_env or key_file", "secrets never live in rota files"},
		}},
		{"money with three decimals", goodTeam + `pay:
  currency: GBP
  engaged_per_hour: 30.005
`, []want{
			{"team.yaml", 16, 21, "engaged_per_hour", "two decimals"},
		}},
		{"business hours backwards", goodTeam + `business_hours: {days: [mon, tue, funday], start: "17:00", end: "09:00"}
`, []want{
			{"team.yaml", 14, 35, `"funday" is not a day`, ""},
			{"team.yaml", 14, 17, "end is not after start", ""},
		}},
		{"day in capitals and repeated", goodTeam + `business_hours: {days: [Mon, tue, tue]}
`, []want{
			{"team.yaml", 14, 25, `"Mon" is not a day`, "lower case: mon"},
			{"team.yaml", 14, 35, "tue is listed twice", ""},
		}},
		{"currency without hundredths", goodTeam + `pay: {currency: JPY}
`, []want{
			{"team.yaml", 14, 17, "JPY does not have two decimal places", "hundredths"},
		}},
		{"reverse as yes", goodTeam + `shadows:
  - {person: erin, role: primary, from: 2026-11-16, until: 2026-11-30, reverse: yes}
`, []want{
			{"team.yaml", 15, 81, `reverse must be true or false, not "yes"`, ""},
		}},
		{"bad holiday", goodTeam + `holidays: [2026-12-25, 2026-13-01, 2026-12-25]
`, []want{
			{"team.yaml", 14, 24, `"2026-13-01" is not a date`, ""},
			{"team.yaml", 14, 36, "listed twice", ""},
		}},
		{"yaml syntax error", "team: ops\n  timezone: [\n", []want{
			{"team.yaml", 2, 1, "YAML syntax", ""},
		}},
		{"tab indentation", "team: ops\n\ttimezone: UTC\n", []want{
			{"team.yaml", 2, 1, "YAML syntax", "tabs"},
		}},
		{"two documents", goodTeam + "---\nteam: other\n", []want{
			{"team.yaml", 14, 1, "one YAML document", ""},
		}},
		{"empty file", "", []want{
			{"team.yaml", 1, 1, "file is empty", ""},
		}},
		{"not a mapping", "- team: ops\n", []want{
			{"team.yaml", 1, 1, "this is not a rota file: it holds a list, not keys", ""},
		}},
		{"team key in people-only file", "timezone: UTC\n", []want{
			{"team.yaml", 1, 1, `key "timezone" belongs in a team file`, `add "team: <id>"`},
		}},
		{"repeat out of range", strings.Replace(goodTeam, "escalation:\n", "escalation:\n  repeat: 99\n", 1), []want{
			{"team.yaml", 11, 11, "repeat must be a whole number from 0 to 10", ""},
		}},
		{"zero ack timeout", strings.Replace(goodTeam, "ack_timeout: 5m}\n    - {notify: [secondary", "ack_timeout: 0s}\n    - {notify: [secondary", 1), []want{
			{"team.yaml", 12, 40, "ack_timeout must be more than zero", ""},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, diags := Load(files(tc.team))
			if r != nil {
				t.Fatalf("loaded without error")
			}
			var errs Diagnostics
			for _, d := range diags {
				// The static warnings aren't what these cases are about.
				if d.Severity == Error {
					errs = append(errs, d)
				}
			}
			checkDiags(t, errs, tc.want)
		})
	}
}

// soloTeam refers only to alice.
const soloTeam = `team: solo
timezone: UTC
rotations:
  primary: {members: [alice], handoff: "FREQ=DAILY;BYHOUR=9", start: 2026-11-02T09:00}
escalation: {steps: [{notify: primary, ack_timeout: 5m}]}
`

func TestPeopleErrors(t *testing.T) {
	people := `people:
  - {id: alice, name: Alice, timezone: Europe/London, contacts: {sms: "+447700900001"}}
  - {id: alice, name: Alice 2, timezone: Europe/London, contacts: {sms: "+447700900002"}}
  - {id: Bob!, name: Bob, timezone: Europe/London, contacts: {sms: "+447700900003"}}
  - {id: carol, timezone: Europe/London, contacts: {}}
  - id: dave
    name: Dave
    timezone: Europe/London
    contacts: {sms: "+447700900004"}
    notify:
      - {method: voice}
      - {method: pigeon, after: soon}
`
	r, diags := Load([]File{{Name: "people.yaml", Data: []byte(people)}, {Name: "t.yaml", Data: []byte(soloTeam)}})
	if r != nil {
		t.Fatal("loaded")
	}
	checkDiags(t, diags.Errors(), []want{
		{"people.yaml", 3, 10, `person "alice" is defined twice (first at people.yaml:2:10)`, ""},
		{"people.yaml", 4, 10, `"Bob!" is not a valid id`, ""},
		{"people.yaml", 5, 5, `person "carol" needs "name"`, ""},
		{"people.yaml", 5, 52, `has no contact number`, ""},
		{"people.yaml", 11, 18, `"dave" has no voice number`, ""},
		{"people.yaml", 12, 18, `unknown notification method "pigeon"`, ""},
		{"people.yaml", 12, 33, `"soon" is not a duration`, ""},
	})
}

func TestStaticWarnings(t *testing.T) {
	team := strings.Replace(goodTeam, "  secondary:\n    follows: primary\n", "", 1)
	team = strings.Replace(team, "    - {notify: [secondary, person:frank], ack_timeout: 5m}\n", "    - {notify: [person:frank], ack_timeout: 5m}\n", 1)
	r, diags := Load(files(team))
	if r == nil {
		t.Fatalf("errors: %v", diags)
	}
	checkDiags(t, diags, []want{
		{"team.yaml", 1, 7, `team "ops" has no secondary`, "secondary"},
		{"team.yaml", 11, 7, "escalation ends with a single person (person:frank)", ""},
	})
}

func TestHealthWarnings(t *testing.T) {
	team := strings.Replace(goodTeam, "[alice, bob, carol, dave]", "[alice, bob]", 1) + `overrides:
  - {role: primary, person: bob, from: 2026-11-30T09:00, until: 2026-12-02T09:00, note: extends bob's week}
`
	r, diags := Load(files(team))
	if r == nil {
		t.Fatalf("errors: %v", diags)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	checkDiags(t, Health(r, now), []want{
		{"team.yaml", 4, 3, `rotation "primary" has 2 people`, "at least three shifts off"},
		// Weeks from 2 Nov go alice, bob, alice, bob: bob is primary from
		// 23 Nov 09:00, then by the override until 2 Dec 09:00.
		{"team.yaml", 4, 3, "bob holds primary for 9 days in a row, 2026-11-23 09:00 to 2026-12-02 09:00", ""},
		// Secondary (follows, offset 1) alternates weekly; the override
		// doesn't touch it, so no long secondary run.
	})
}

// A week on call is seven days on the team's wall clock: carol's week
// from 19 Oct 2026 runs 169 hours, the clocks going back on 25 Oct, and is
// not a long stretch. Held a day longer it is one, of 8 days.
func TestHealthLongStretchAcrossClockChange(t *testing.T) {
	base := strings.Replace(goodTeam, "start: 2026-11-02T09:00", "start: 2026-10-05T09:00", 1)
	now := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	stretches := func(team string) []string {
		t.Helper()
		r, diags := Load(files(team))
		if r == nil {
			t.Fatalf("errors: %v", diags)
		}
		var out []string
		for _, d := range Health(r, now) {
			if d.Rule == RuleLongStretch {
				out = append(out, d.Msg)
			}
		}
		return out
	}
	if got := stretches(base); len(got) != 0 {
		t.Errorf("a week across the clock change reported: %q", got)
	}
	got := stretches(base + `overrides:
  - {role: primary, person: carol, from: 2026-10-26T09:00, until: 2026-10-27T09:00, note: one more day}
`)
	want := `team "ops": carol holds primary for 8 days in a row, 2026-10-19 09:00 to 2026-10-27 09:00`
	if len(got) != 1 || got[0] != want {
		t.Errorf("long stretches = %q, want [%q]", got, want)
	}
}

// HealthIn adds the rest check. Weeks from 1 Mar 2027 go alice, bob,
// carol, dave: alice's turns end 8 Mar 09:00 GMT and start again 29 Mar
// 09:00 BST, three weeks on the wall clock though an hour short of 21 days
// (the clocks spring forward on 28 Mar), which is healthy. A one-night
// override on 22 Mar brings her back early: the shortest gap is reported,
// once.
func TestHealthInShortRest(t *testing.T) {
	base := strings.Replace(goodTeam, "start: 2026-11-02T09:00", "start: 2027-03-01T09:00", 1)
	from := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2027, 4, 19, 0, 0, 0, 0, time.UTC)
	rests := func(team string) []string {
		t.Helper()
		r, diags := Load(files(team))
		if r == nil {
			t.Fatalf("errors: %v", diags)
		}
		ops, _ := r.Team("ops")
		var out []string
		for _, d := range ops.HealthIn(from, to) {
			if d.Rule == RuleShortRest {
				out = append(out, d.Msg)
			}
		}
		// Health (what check runs) has no rest check.
		for _, d := range Health(r, from) {
			if d.Rule == RuleShortRest {
				t.Errorf("Health reported %s", d.Msg)
			}
		}
		return out
	}
	if got := rests(base); len(got) != 0 {
		t.Errorf("three weeks across the clock change reported: %q", got)
	}
	got := rests(base + `overrides:
  - {role: primary, person: alice, from: 2027-03-22T09:00, until: 2027-03-23T09:00, note: one night}
`)
	want := []string{`team "ops": alice gets 6 days off between turns of primary, 2027-03-23 09:00 to 2027-03-29 09:00`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("short rests = %q, want %q", got, want)
	}
}

func TestReadDirSkipsHiddenAndOtherFiles(t *testing.T) {
	dir := t.TempDir()
	must := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must("people.yaml", peopleYAML)
	must("teams/ops.yml", goodTeam)
	must(".git/config.yaml", "garbage: [")
	must("README.md", "# not yaml")
	must(".#ops.yaml", "editor lock")
	fs, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 {
		t.Fatalf("files = %v, want people.yaml and teams/ops.yml", fs)
	}
	if _, _, err := LoadDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no .yaml") {
		t.Errorf("empty dir: err = %v", err)
	}
}

func TestParseTime(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-11-24 18:00", time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)},
		{"2026-07-24T18:00", time.Date(2026, 7, 24, 17, 0, 0, 0, time.UTC)},
		{"2026-07-24", time.Date(2026, 7, 23, 23, 0, 0, 0, time.UTC)},
		{"2026-07-24T18:00:00Z", time.Date(2026, 7, 24, 18, 0, 0, 0, time.UTC)},
		{"2026-07-24T18:00:00-04:00", time.Date(2026, 7, 24, 22, 0, 0, 0, time.UTC)},
		// In the skipped hour: read with the offset before the gap (GMT).
		{"2026-03-29 01:30", time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
		// In the repeated hour: the first occurrence (BST).
		{"2026-10-25 01:30", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		got, err := ParseTime(tc.in, london)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tc.in, got.UTC(), err, tc.want)
		}
	}
	for _, bad := range []string{"", "tomorrow", "2026-11-24 25:00", "24/11/2026"} {
		if _, err := ParseTime(bad, london); err == nil {
			t.Errorf("ParseTime(%q) succeeded", bad)
		}
	}
}

func TestParseMoney(t *testing.T) {
	good := map[string]int64{"0": 0, "2.5": 250, "2.50": 250, "30": 3000, "0.01": 1, "1234.56": 123456}
	for in, want := range good {
		if got, err := ParseMoney(in); err != nil || got != want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "+1", "1.234", "1e3", "abc", ".5", "1.-5", "99999999999"} {
		if _, err := ParseMoney(bad); err == nil {
			t.Errorf("ParseMoney(%q) succeeded", bad)
		}
	}
}

func TestSuggestPrefersSwappedLetters(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"dna", "dan"}, {"ack_timout", "ack_timeout"}, {"escalaton", "escalation"}, {"zzzz", ""},
	} {
		if got := didyoumean.Closest(c.in, []string{"ann", "dan", "ack_timeout", "escalation"}); got != c.want {
			t.Errorf("didyoumean.Closest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPayPerPersonOverrides(t *testing.T) {
	r, diags := Load(files(goodTeam + `pay:
  currency: GBP
  standby_per_hour: {weekday_out_of_hours: 2.50, weekend: 4}
  engaged_per_hour: 30
  people:
    frank: {engaged_per_hour: 45.50, standby_per_hour: {weekend: 5}}
`))
	if r == nil {
		t.Fatal(diags)
	}
	team, _ := r.Team("ops")
	f := team.Pay.People["frank"]
	if f == nil || f.EngagedPerHour != 4550 || f.StandbyWeekend != 500 || f.StandbyWeekdayOOH != 250 || f.Currency != "GBP" {
		t.Fatalf("frank's pay = %+v", f)
	}
	if team.Pay.EngagedPerHour != 3000 || team.Pay.StandbyWeekend != 400 {
		t.Fatalf("the team's pay changed: %+v", team.Pay)
	}
	_, diags = Load(files(goodTeam + `pay:
  currency: GBP
  people:
    frnak: {engaged_per_hour: 1}
    frank: {engaged_per_hour: 1, weekend: 2}
`))
	checkDiags(t, diags.Errors(), []want{
		{"team.yaml", 17, 5, `pay for "frnak" is not a person`, `did you mean "frank"?`},
		{"team.yaml", 18, 34, `unknown key "weekend"`, "standby_per_hour"},
	})
}

func TestRouteAuth(t *testing.T) {
	route := func(s string) string { return goodTeam + "routes:\n" + s }
	r, diags := Load(files(route(`  - name: nagios
    email: {from: '^nagios@monitor\.example\.com$', subject: 'PROBLEM (?P<key>\S+)'}
    resolve: {subject: 'RECOVERY (?P<key>\S+)'}
    require_auth: [dkim, spf]
    authserv_id: mx.example.com
    resolve_any: true
  - email: {from: 'zabbix@'}
    require_auth: dmarc
    authserv_id: mx.example.com
`)))
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	schema := compileSchema(t)
	if err := validate(t, schema, []byte(r.Files[1].Data)); err != nil {
		t.Errorf("the schema rejects routes with require_auth: %v", err)
	}
	if validate(t, schema, []byte(route("  - email: {from: x}\n    require_auth: dkim\n"))) == nil {
		t.Error("the schema accepts require_auth without authserv_id")
	}
	rs := r.Teams[0].Routes
	if !slices.Equal(rs[0].RequireAuth, []string{"dkim", "spf"}) || rs[0].AuthServID != "mx.example.com" || !rs[0].ResolveAny ||
		!slices.Equal(rs[1].RequireAuth, []string{"dmarc"}) || rs[1].ResolveAny {
		t.Errorf("routes %+v", rs)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"  - email: {from: x}\n    require_auth: dkim\n", "require_auth needs authserv_id"},
		{"  - email: {from: x}\n    authserv_id: mx.example.com\n", "authserv_id only goes with require_auth"},
		{"  - email: {from: x}\n    require_auth: arc\n    authserv_id: mx\n", `"arc" is not an authentication method`},
		{"  - email: {from: x}\n    require_auth: [dkim, dkim]\n    authserv_id: mx\n", "dkim is listed twice"},
		{"  - email: {from: x}\n    require_auth: dkim\n    authserv_id: 'mx; x'\n", "is not a host name"},
		{"  - http: {key_env: K}\n    require_auth: dkim\n    authserv_id: mx\n", "require_auth only goes with an email route"},
		{"  - email: {from: x}\n    resolve_any: true\n", "resolve_any without resolve patterns"},
	} {
		_, diags := Load(files(route(tc.yaml)))
		if err := diags.Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// Issue 18, finding 8: the diagnostics a person needs to fix a rota in
// one go: a zone suggestion, every RRULE problem, the position of an
// unclosed bracket, and "9:00" read in business_hours as it is in start:.
func TestDiagnosticsPointAtTheFix(t *testing.T) {
	tests := []struct {
		name string
		team string
		want []want
	}{
		{"time zone typo", strings.Replace(goodTeam, "timezone: Europe/London", "timezone: Europe/Londn", 1), []want{
			{"team.yaml", 2, 11, `"Europe/Londn" is not a known time zone`, `did you mean "Europe/London"?`},
		}},
		{"time zone in the wrong case", strings.Replace(goodTeam, "timezone: Europe/London", "timezone: america/new_york", 1), []want{
			{"team.yaml", 2, 11, `"america/new_york" is not a known time zone`, `did you mean "America/New_York"?`},
		}},
		{"every problem of a handoff rule", strings.Replace(goodTeam, "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9", "FREQ=WEEKY;BYDAY=MO;BYHOUR=25", 1), []want{
			{"team.yaml", 6, 14, "FREQ=WEEKY: undefined frequency: WEEKY; BYHOUR=25: byhour must be between 0 and 23", "RRULE"},
		}},
		{"unclosed [", strings.Replace(goodTeam, "[alice, bob, carol, dave]", "[alice, bob, carol, dave", 1), []want{
			{"team.yaml", 5, 14, `this "[" is never closed`, `close it with "]"`},
		}},
		{"unclosed [ on the first line", "holidays: [2026-12-25\n" + goodTeam, []want{
			{"team.yaml", 1, 11, `this "[" is never closed`, `close it with "]"`},
		}},
		{"unclosed { after a quoted ]", strings.Replace(goodTeam, "- {notify: [primary], ack_timeout: 5m}", `- {notify: [primary], ack_timeout: 5m # ] }`, 1), []want{
			{"team.yaml", 12, 7, `this "{" is never closed`, `close it with "}"`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Load(files(tt.team))
			checkDiags(t, diags, tt.want)
		})
	}

	r, diags := Load(files(goodTeam + `business_hours: {start: "9:00", end: "17:30"}` + "\n"))
	if r == nil {
		t.Fatalf("business_hours start 9:00: %v", diags)
	}
	if bh := r.Teams[0].BusinessHours; bh.Start != 9*time.Hour || bh.End != 17*time.Hour+30*time.Minute {
		t.Errorf("business hours %v-%v, want 9h-17h30m", bh.Start, bh.End)
	}
	if _, diags := Load(files(goodTeam + `business_hours: {start: "9:0"}` + "\n")); len(diags.Errors()) != 1 {
		t.Errorf(`"9:0" accepted: %v`, diags)
	}
}
