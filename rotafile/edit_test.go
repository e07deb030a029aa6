package rotafile

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pagerd/pagerd/rotation"
)

func loadExample(t *testing.T) *Rota {
	t.Helper()
	r, _, err := LoadDir(exampleDir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustTime(t *testing.T, s string, loc *time.Location) time.Time {
	t.Helper()
	x, err := ParseTime(s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// inserted checks that after is before with exactly the lines want
// inserted in one place, and returns where (0-based): every other line,
// comments included, is byte for byte what it was.
func inserted(t *testing.T, before, after []byte, want ...string) int {
	t.Helper()
	b, a := strings.SplitAfter(string(before), "\n"), strings.SplitAfter(string(after), "\n")
	i := 0
	for i < len(b) && i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) != len(b)+len(want) {
		t.Fatalf("after has %d lines, want %d + %d:\n%s", len(a), len(b), len(want), after)
	}
	for k, w := range want {
		if a[i+k] != w+"\n" {
			t.Errorf("inserted line %d = %q, want %q", k, a[i+k], w+"\n")
		}
	}
	if strings.Join(a[i+len(want):], "") != strings.Join(b[i:], "") {
		t.Errorf("lines after the insertion changed:\n%s", after)
	}
	return i
}

// reload loads the rota with the edit made, failing on any error.
func reload(t *testing.T, r *Rota, e Edit) *Rota {
	t.Helper()
	r2, diags := Load(e.Apply(r.Files))
	if r2 == nil {
		t.Fatalf("the edited rota has errors: %v\n%s", diags.Err(), e.After)
	}
	return r2
}

// The acceptance test: an override added to the example's payments file
// keeps every comment, and every other byte, where it was.
func TestAddOverrideKeepsTheRestOfTheFile(t *testing.T) {
	r := loadExample(t)
	pay, _ := r.Team("payments")
	o := rotation.Override{Role: "primary", Person: "carol", Note: `dave's "dentist": 2h`,
		From: mustTime(t, "2026-12-01T14:00", pay.Location), Until: mustTime(t, "2026-12-01T16:00", pay.Location)}
	e, err := AddOverride(r, "payments", o)
	if err != nil {
		t.Fatal(err)
	}
	if e.File != "../configs/example/payments.yaml" {
		t.Errorf("file = %s", e.File)
	}
	at := inserted(t, e.Before, e.After,
		`  - {role: primary, person: carol, from: 2026-12-01T14:00, until: 2026-12-01T16:00, note: "dave's \"dentist\": 2h"}`)
	if lines := strings.Split(string(e.Before), "\n"); !strings.Contains(lines[at-1], "covering dave (school play)") {
		t.Errorf("inserted after %q, want after the existing override", lines[at-1])
	}
	for _, c := range []string{"# Payments: London, weekly handoff", "# Erin joins the rotation once her shadowing ends.",
		"offset: 1          # this week's secondary is next week's primary", "# contractor: engaged time at his day rate"} {
		if !strings.Contains(string(e.After), c) {
			t.Errorf("comment %q lost", c)
		}
	}
	r2 := reload(t, r, e)
	pay2, _ := r2.Team("payments")
	h, _ := pay2.Schedule.Holder("primary", mustTime(t, "2026-12-01T15:00", pay.Location))
	if h.Person != "carol" || h.Source != rotation.SourceOverride || h.Note != o.Note {
		t.Errorf("holder at 15:00 = %+v", h)
	}
	if !strings.Contains(e.What, "carol holds primary of team payments from 2026-12-01 14:00 GMT until 2026-12-01 16:00 GMT") {
		t.Errorf("what = %q", e.What)
	}
}

func TestRemoveOverride(t *testing.T) {
	r := loadExample(t)
	pay, _ := r.Team("payments")
	from := mustTime(t, "2026-11-24T18:00", pay.Location)
	e, err := RemoveOverride(r, "payments", "primary", from)
	if err != nil {
		t.Fatal(err)
	}
	// Removing is inserting backwards; the last override takes its key
	// with it.
	inserted(t, e.After, e.Before, "overrides:", `  - {role: primary, person: bob, from: 2026-11-24T18:00, until: 2026-11-25T09:00, note: "covering dave (school play)"}`)
	r2 := reload(t, r, e)
	pay2, _ := r2.Team("payments")
	if len(pay2.Schedule.Overrides) != 0 {
		t.Errorf("overrides = %+v", pay2.Schedule.Overrides)
	}
	if _, err := RemoveOverride(r, "payments", "primary", from.Add(time.Hour)); err == nil ||
		!strings.Contains(err.Error(), "no override of primary starting at 2026-11-24 19:00 GMT; there is: bob from 2026-11-24 18:00 GMT") {
		t.Errorf("wrong start: err = %v", err)
	}
	if _, err := RemoveOverride(r, "paymnets", "primary", from); err == nil || !strings.Contains(err.Error(), `did you mean "payments"?`) {
		t.Errorf("wrong team: err = %v", err)
	}
}

// The data team has no overrides key: it is added before escalation, below
// the shadows, and the comment above nothing moves.
func TestAddOverrideAddsTheKey(t *testing.T) {
	r := loadExample(t)
	data, _ := r.Team("data")
	e, err := AddOverride(r, "data", rotation.Override{Role: "secondary", Person: "niaj",
		From: mustTime(t, "2026-12-02T08:30", data.Location), Until: mustTime(t, "2026-12-09T08:30", data.Location)})
	if err != nil {
		t.Fatal(err)
	}
	at := inserted(t, e.Before, e.After, "overrides:", "  - {role: secondary, person: niaj, from: 2026-12-02T08:30, until: 2026-12-09T08:30}")
	if next := strings.Split(string(e.After), "\n")[at+2]; next != "escalation:" {
		t.Errorf("line after the new key = %q", next)
	}
	reload(t, r, e)
}

// Block-style lists keep their style; an empty "overrides:" is filled in;
// a one-line [...] list is refused rather than rewritten.
func TestEditListStyles(t *testing.T) {
	block := goodTeam + `# Swaps, newest last.
overrides:
  - role: primary
    person: bob
    from: 2026-11-09T09:00
    until: 2026-11-10T09:00
    note: |
      a long
      story
  # that was the last one
`
	r, diags := Load(files(block))
	if r == nil {
		t.Fatal(diags)
	}
	ops, _ := r.Team("ops")
	o := rotation.Override{Role: "primary", Person: "carol", From: mustTime(t, "2026-11-16T09:00", ops.Location), Until: mustTime(t, "2026-11-17T09:00", ops.Location)}
	e, err := AddOverride(r, "ops", o)
	if err != nil {
		t.Fatal(err)
	}
	inserted(t, e.Before, e.After, "  - role: primary", "    person: carol", "    from: 2026-11-16T09:00", "    until: 2026-11-17T09:00")
	if !strings.HasSuffix(string(e.After), "      story\n  - role: primary\n    person: carol\n    from: 2026-11-16T09:00\n    until: 2026-11-17T09:00\n  # that was the last one\n") {
		t.Errorf("the new item should follow the block scalar:\n%s", e.After)
	}
	r2 := reload(t, r, e)
	ops2, _ := r2.Team("ops")
	if len(ops2.Schedule.Overrides) != 2 || ops2.Schedule.Overrides[0].Note != "a long\nstory\n" {
		t.Errorf("overrides = %+v", ops2.Schedule.Overrides)
	}
	// And out again: the block item and its scalar go, the comments stay.
	e2, err := RemoveOverride(r2, "ops", "primary", o.From)
	if err != nil {
		t.Fatal(err)
	}
	if string(e2.After) != string(e.Before) {
		t.Errorf("remove after add = \n%s\nwant\n%s", e2.After, e.Before)
	}

	for _, tc := range []struct{ name, text string }{
		{"empty key", "overrides:   # none yet\n"},
		{"empty flow", "overrides: []\n"},
	} {
		r, diags := Load(files(goodTeam + tc.text))
		if r == nil {
			t.Fatalf("%s: %v", tc.name, diags)
		}
		e, err := AddOverride(r, "ops", o)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := "overrides:\n"
		if tc.name == "empty key" {
			want = "overrides: # none yet\n"
		}
		want += "  - {role: primary, person: carol, from: 2026-11-16T09:00, until: 2026-11-17T09:00}\n"
		if got := strings.TrimPrefix(string(e.After), goodTeam); got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, got, want)
		}
		// Removing the only item takes the key too, unless it has a comment.
		e2, err := RemoveOverride(reload(t, r, e), "ops", "primary", o.From)
		if err != nil {
			t.Fatal(err)
		}
		want = ""
		if tc.name == "empty key" {
			want = "overrides: # none yet\n"
		}
		if got := strings.TrimPrefix(string(e2.After), goodTeam); got != want {
			t.Errorf("%s: after removing: %q, want %q", tc.name, got, want)
		}
	}

	r, diags = Load(files(goodTeam + "overrides: [{role: primary, person: bob, from: 2026-11-09T09:00, until: 2026-11-10T09:00}]\n"))
	if r == nil {
		t.Fatal(diags)
	}
	if _, err := AddOverride(r, "ops", o); err == nil || !strings.Contains(err.Error(), "team.yaml:14: overrides is written on one line") {
		t.Errorf("flow list: err = %v", err)
	}
}

func TestShadowAddRemove(t *testing.T) {
	r := loadExample(t)
	pay, _ := r.Team("payments")
	s := rotation.Shadow{Person: "frank", Role: "secondary", Reverse: true,
		From: mustTime(t, "2026-12-07", pay.Location), Until: mustTime(t, "2026-12-21", pay.Location)}
	e, err := AddShadow(r, "payments", s)
	if err != nil {
		t.Fatal(err)
	}
	inserted(t, e.Before, e.After, "  - {person: frank, role: secondary, from: 2026-12-07T00:00, until: 2026-12-21T00:00, reverse: true}")
	r2 := reload(t, r, e)
	e2, err := RemoveShadow(r2, "payments", "secondary", "frank", s.From)
	if err != nil {
		t.Fatal(err)
	}
	if string(e2.After) != string(e.Before) {
		t.Errorf("remove after add changed the file:\n%s", e2.After)
	}
	if _, err := RemoveShadow(r, "payments", "primary", "bob", mustTime(t, "2026-11-16", pay.Location)); err == nil ||
		!strings.Contains(err.Error(), "no shadow of primary by bob") {
		t.Errorf("wrong person: err = %v", err)
	}
}

// A member who joins mid-rotation goes to the end of a list that starts
// with whoever is on at the time, so nobody else's turn moves.
func TestMemberAddRemove(t *testing.T) {
	r := loadExample(t)
	pay, _ := r.Team("payments")
	// From 14 Dec the list is erin, alice, bob, carol, dave: erin 14 Dec,
	// alice 21 Dec, bob 28 Dec, carol 4 Jan, dave 11 Jan, erin 18 Jan.
	at := mustTime(t, "2027-01-04T09:00", pay.Location)
	e, err := AddMember(r, "payments", "primary", "frank", at)
	if err != nil {
		t.Fatal(err)
	}
	inserted(t, e.Before, e.After, "      - {from: 2027-01-04T09:00, members: [carol, dave, erin, alice, bob, frank]}")
	r2 := reload(t, r, e)
	pay2, _ := r2.Team("payments")
	var got []string
	for _, s := range pay2.Schedule.RoleShifts("primary", mustTime(t, "2026-12-28T09:00", pay.Location), mustTime(t, "2027-02-22T09:00", pay.Location)) {
		got = append(got, s.Person)
	}
	if want := "bob carol dave erin alice bob frank carol"; strings.Join(got, " ") != want {
		t.Errorf("primary from 28 Dec = %s, want %s", strings.Join(got, " "), want)
	}

	// Mid-week, and on a list's own start, and out again.
	mid := mustTime(t, "2027-01-06T12:00", pay.Location)
	e, err = RemoveMember(r, "payments", "primary", "alice", mid)
	if err != nil {
		t.Fatal(err)
	}
	inserted(t, e.Before, e.After, "      - {from: 2027-01-06T12:00, members: [carol, dave, erin, bob]}")
	reload(t, r, e)
	e, err = AddMember(r, "payments", "primary", "frank", mustTime(t, "2026-12-14T09:00", pay.Location))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(e.After), "      - {from: 2026-12-14T09:00, members: [erin, alice, bob, carol, dave, frank]}\n") {
		t.Errorf("list at its own start not edited in place:\n%s", e.After)
	}
	reload(t, r, e)
	// Before a later change, the later list gets the member too.
	e, err = AddMember(r, "payments", "primary", "frank", mustTime(t, "2026-11-30T09:00", pay.Location))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"      - {from: 2026-11-30T09:00, members: [alice, bob, carol, dave, frank]}\n",
		"      - {from: 2026-12-14T09:00, members: [erin, alice, bob, carol, dave, frank]}\n",
		"      # Erin joins the rotation once her shadowing ends.\n",
	} {
		if !strings.Contains(string(e.After), want) {
			t.Errorf("lacks %q:\n%s", want, e.After)
		}
	}
	if !strings.Contains(e.What, "and the members change from 2026-12-14 09:00 GMT too") {
		t.Errorf("what = %q", e.What)
	}
	reload(t, r, e)

	for _, tc := range []struct {
		role, person, at, err string
	}{
		{"secondary", "frank", "2027-01-04T09:00", `follows "primary"`},
		{"primary", "alice", "2027-01-04T09:00", "already a member"},
		{"primary", "zed", "2027-01-04T09:00", "not a person in the rota"},
		{"primary", "frank", "2026-10-01T09:00", "starts at 2026-11-02 09:00 GMT"},
	} {
		if _, err := AddMember(r, "payments", tc.role, tc.person, mustTime(t, tc.at, pay.Location)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("add %s to %s at %s: err = %v, want %q", tc.person, tc.role, tc.at, err, tc.err)
		}
	}
	if _, err := RemoveMember(r, "payments", "primary", "frank", at); err == nil || !strings.Contains(err.Error(), "not a member") {
		t.Errorf("remove a non-member: err = %v", err)
	}
}

func TestYAMLTime(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC), "2026-11-24T18:00"},
		{time.Date(2026, 11, 24, 18, 0, 30, 0, time.UTC), "2026-11-24T18:00:30"},
		// 01:30 GMT on 25 Oct 2026 is the second 01:30 of the night: a
		// local time would read back as the first.
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), "2026-10-25T01:30:00Z"},
	} {
		if got := yamlTime(tc.in, london); got != tc.want {
			t.Errorf("yamlTime(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, s := range []string{"a \"b\" \\ c\n\td", "naïve 🙂", "x\x00y"} {
		var back struct{ V string }
		if err := yamlUnmarshal("v: "+quote(s), &back); err != nil || back.V != s {
			t.Errorf("quote(%q) reads back as %q (%v)", s, back.V, err)
		}
	}
}

func yamlUnmarshal(s string, v any) error { return yaml.Unmarshal([]byte(s), v) }
