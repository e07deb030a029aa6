package rotation

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const weeklyMonday9 = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"

// payments is the design document's example team: a weekly Monday 09:00
// primary in London from Monday 2026-11-02, and a secondary that is next
// week's primary.
type payments struct {
	t   *testing.T
	loc *time.Location
	s   *Schedule
}

func newPayments(t *testing.T) *payments {
	loc := mustZone(t, "Europe/London")
	p := &payments{t: t, loc: loc}
	start := p.at("2026-11-02 09:00")
	p.s = &Schedule{
		Team:     "payments",
		Location: loc,
		Rotations: []*Rotation{
			{
				Role: "primary", Start: start, Handoff: mustHandoff(t, weeklyMonday9, start, loc),
				Eras: []Era{{From: start, Members: []string{"alice", "bob", "carol", "dave"}}},
			},
			{Role: "secondary", Follows: "primary", Offset: 1},
		},
	}
	return p
}

func (p *payments) at(s string) time.Time { return local(p.t, p.loc, s) }

func (p *payments) compile() *Schedule { return mustCompile(p.t, p.s) }

// fmtShift renders a shift compactly in the team's zone for comparisons.
func fmtShift(s Shift) string {
	end := "open"
	if !s.End.IsZero() {
		end = s.End.Format("01-02 15:04")
	}
	out := fmt.Sprintf("%s %s %s %s..%s", s.Role, s.Person, s.Source, s.Start.Format("01-02 15:04"), end)
	if s.Reverse {
		out += " reverse"
	}
	if s.Note != "" {
		out += " (" + s.Note + ")"
	}
	return out
}

func fmtShifts(ss []Shift) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmtShift(s)
	}
	return out
}

func wantShifts(t *testing.T, what string, got []Shift, want ...string) {
	t.Helper()
	if g := fmtShifts(got); !slices.Equal(g, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, strings.Join(g, "\n     "), strings.Join(want, "\n     "))
	}
	for _, s := range got {
		if s.Team != "payments" {
			t.Errorf("%s: shift %s has team %q", what, fmtShift(s), s.Team)
		}
	}
}

func wantHolder(t *testing.T, s *Schedule, role string, at time.Time, want string) {
	t.Helper()
	got, ok := s.Holder(role, at)
	switch {
	case want == "" && ok:
		t.Errorf("Holder(%s, %s) = %s, want nobody", role, at, fmtShift(got))
	case want != "" && !ok:
		t.Errorf("Holder(%s, %s) = nobody, want %s", role, at, want)
	case want != "" && fmtShift(got) != want:
		t.Errorf("Holder(%s, %s)\n got %s\nwant %s", role, at, fmtShift(got), want)
	case ok && got.Team != "payments":
		t.Errorf("Holder(%s, %s) has team %q", role, at, got.Team)
	}
}

func TestWho(t *testing.T) {
	p := newPayments(t)
	s := p.compile()

	got := s.Who(p.at("2026-11-03 12:00"))
	if len(got) != 2 || got[0].Role != "primary" || got[1].Role != "secondary" {
		t.Fatalf("Who = %+v, want primary then secondary", got)
	}
	wantShifts(t, "Who holders", []Shift{*got[0].Holder, *got[1].Holder},
		"primary alice rotation 11-02 09:00..11-09 09:00",
		"secondary bob rotation 11-02 09:00..11-09 09:00")

	// The handoff instant belongs to the new shift.
	wantHolder(t, s, "primary", p.at("2026-11-09 09:00"), "primary bob rotation 11-09 09:00..11-16 09:00")
	wantHolder(t, s, "primary", p.at("2026-11-09 08:59:59"), "primary alice rotation 11-02 09:00..11-09 09:00")
	// The follower wraps round: week 3's secondary is week 0's primary.
	wantHolder(t, s, "secondary", p.at("2026-11-23 09:00"), "secondary alice rotation 11-23 09:00..11-30 09:00")
	// Four weeks on, the order repeats.
	wantHolder(t, s, "primary", p.at("2026-12-01 00:00"), "primary alice rotation 11-30 09:00..12-07 09:00")

	wantHolder(t, s, "primary", p.at("2026-11-02 08:59:59"), "")
	wantHolder(t, s, "tertiary", p.at("2026-11-03 12:00"), "")
	for _, oc := range s.Who(p.at("2026-11-01 00:00")) {
		if oc.Holder != nil {
			t.Errorf("before the start, %s held by %s", oc.Role, fmtShift(*oc.Holder))
		}
	}
	if got := s.ShadowsAt("primary", p.at("2026-11-03 12:00")); got != nil {
		t.Errorf("ShadowsAt with no shadows = %v", got)
	}
}

func TestOverrideSpanningTwoHandoffs(t *testing.T) {
	p := newPayments(t)
	p.s.Overrides = []Override{{Role: "primary", Person: "erin", From: p.at("2026-11-05 12:00"), Until: p.at("2026-11-17 12:00"), Note: "swap"}}
	s := p.compile()

	wantShifts(t, "primary", s.RoleShifts("primary", p.at("2026-11-01 00:00"), p.at("2026-11-24 00:00")),
		"primary alice rotation 11-02 09:00..11-05 12:00",
		"primary erin override 11-05 12:00..11-17 12:00 (swap)",
		"primary carol rotation 11-17 12:00..11-23 09:00",
		"primary dave rotation 11-23 09:00..11-24 00:00") // cut by to
	wantShifts(t, "secondary is untouched", s.RoleShifts("secondary", p.at("2026-11-01 00:00"), p.at("2026-11-24 00:00")),
		"secondary bob rotation 11-02 09:00..11-09 09:00",
		"secondary carol rotation 11-09 09:00..11-16 09:00",
		"secondary dave rotation 11-16 09:00..11-23 09:00",
		"secondary alice rotation 11-23 09:00..11-24 00:00")

	wantHolder(t, s, "primary", p.at("2026-11-04 00:00"), "primary alice rotation 11-02 09:00..11-05 12:00")
	wantHolder(t, s, "primary", p.at("2026-11-05 12:00"), "primary erin override 11-05 12:00..11-17 12:00 (swap)")
	wantHolder(t, s, "primary", p.at("2026-11-10 00:00"), "primary erin override 11-05 12:00..11-17 12:00 (swap)")
	wantHolder(t, s, "primary", p.at("2026-11-17 12:00"), "primary carol rotation 11-17 12:00..11-23 09:00")
	// Cut by from, the override keeps its note; Shifts clips it.
	wantShifts(t, "clipped", s.RoleShifts("primary", p.at("2026-11-10 00:00"), p.at("2026-11-11 00:00")),
		"primary erin override 11-10 00:00..11-11 00:00 (swap)")
}

func TestOverridePartlyOverlapping(t *testing.T) {
	p := newPayments(t)
	p.s.Overrides = []Override{
		{Role: "primary", Person: "frank", From: p.at("2026-11-29 21:00"), Until: p.at("2026-11-30 12:00"), Note: "across a handoff"},
		{Role: "primary", Person: "bob", From: p.at("2026-11-24 18:00"), Until: p.at("2026-11-25 09:00"), Note: "covering dave"},
	}
	s := p.compile()
	wantShifts(t, "primary", s.RoleShifts("primary", p.at("2026-11-23 00:00"), p.at("2026-12-08 00:00")),
		"primary carol rotation 11-23 00:00..11-23 09:00",
		"primary dave rotation 11-23 09:00..11-24 18:00",
		"primary bob override 11-24 18:00..11-25 09:00 (covering dave)",
		"primary dave rotation 11-25 09:00..11-29 21:00",
		"primary frank override 11-29 21:00..11-30 12:00 (across a handoff)",
		"primary alice rotation 11-30 12:00..12-07 09:00",
		"primary bob rotation 12-07 09:00..12-08 00:00")
	wantHolder(t, s, "primary", p.at("2026-11-24 17:59:59"), "primary dave rotation 11-23 09:00..11-24 18:00")
	wantHolder(t, s, "primary", p.at("2026-11-26 00:00"), "primary dave rotation 11-25 09:00..11-29 21:00")
	wantHolder(t, s, "primary", p.at("2026-11-30 09:00"), "primary frank override 11-29 21:00..11-30 12:00 (across a handoff)")
	wantHolder(t, s, "primary", p.at("2026-11-30 12:00"), "primary alice rotation 11-30 12:00..12-07 09:00")
}

func TestMembersEditMidShift(t *testing.T) {
	before := newPayments(t).compile()
	p := newPayments(t)
	edit := p.at("2026-11-18 12:00") // a Wednesday, in carol's week
	p.s.Rotations[0].Eras = append(p.s.Rotations[0].Eras, Era{From: edit, Members: []string{"frank", "grace"}})
	s := p.compile()

	start := p.at("2026-11-02 09:00")
	for _, role := range []string{"primary", "secondary"} {
		if a, b := fmtShifts(before.RoleShifts(role, start, edit)), fmtShifts(s.RoleShifts(role, start, edit)); !slices.Equal(a, b) {
			t.Errorf("%s: the past changed:\n was %v\n now %v", role, a, b)
		}
	}
	wantShifts(t, "primary", s.RoleShifts("primary", p.at("2026-11-16 00:00"), p.at("2026-12-08 00:00")),
		"primary bob rotation 11-16 00:00..11-16 09:00",
		"primary carol rotation 11-16 09:00..11-18 12:00",
		"primary frank rotation 11-18 12:00..11-23 09:00", // the first member takes over at the edit
		"primary grace rotation 11-23 09:00..11-30 09:00",
		"primary frank rotation 11-30 09:00..12-07 09:00",
		"primary grace rotation 12-07 09:00..12-08 00:00")
	wantShifts(t, "secondary", s.RoleShifts("secondary", p.at("2026-11-18 00:00"), p.at("2026-11-30 09:00")),
		"secondary dave rotation 11-18 00:00..11-18 12:00",
		"secondary grace rotation 11-18 12:00..11-23 09:00",
		"secondary frank rotation 11-23 09:00..11-30 09:00")
	wantHolder(t, s, "primary", p.at("2026-11-18 11:59:59"), "primary carol rotation 11-16 09:00..11-18 12:00")
	wantHolder(t, s, "primary", edit, "primary frank rotation 11-18 12:00..11-23 09:00")
}

func TestRotationStartingInTheFuture(t *testing.T) {
	p := newPayments(t)
	start := p.at("2027-01-04 09:00")
	r := p.s.Rotations[0]
	r.Start, r.Handoff, r.Eras[0].From = start, mustHandoff(t, weeklyMonday9, start, p.loc), start
	s := p.compile()

	now := p.at("2026-12-01 12:00")
	for _, oc := range s.Who(now) {
		if oc.Holder != nil {
			t.Errorf("%s held by %s before the rotation starts", oc.Role, fmtShift(*oc.Holder))
		}
	}
	wantHolder(t, s, "primary", start.Add(-time.Second), "")
	wantHolder(t, s, "primary", start, "primary alice rotation 01-04 09:00..01-11 09:00")
	wantShifts(t, "primary", s.RoleShifts("primary", now, p.at("2027-01-12 00:00")),
		"primary alice rotation 01-04 09:00..01-11 09:00",
		"primary bob rotation 01-11 09:00..01-12 00:00")
	if got := s.RoleShifts("secondary", now, start); got != nil {
		t.Errorf("shifts before the start: %v", fmtShifts(got))
	}
}

func TestOnePersonRotation(t *testing.T) {
	p := newPayments(t)
	p.s.Rotations[0].Eras[0].Members = []string{"alice"}
	s := p.compile()
	wantShifts(t, "shifts still split at handoffs", s.Shifts(p.at("2026-11-02 00:00"), p.at("2026-11-23 09:00")),
		"primary alice rotation 11-02 09:00..11-09 09:00",
		"primary alice rotation 11-09 09:00..11-16 09:00",
		"primary alice rotation 11-16 09:00..11-23 09:00",
		"secondary alice rotation 11-02 09:00..11-09 09:00",
		"secondary alice rotation 11-09 09:00..11-16 09:00",
		"secondary alice rotation 11-16 09:00..11-23 09:00")
}

func TestFollowerOffsets(t *testing.T) {
	p := newPayments(t)
	r := p.s.Rotations[0]
	r.Eras[0].Members = []string{"a", "b", "c", "d", "e"}
	r.Eras = append(r.Eras, Era{From: p.at("2026-12-10 12:00"), Members: []string{"x", "y", "z"}})
	p.s.Rotations = append(p.s.Rotations,
		&Rotation{Role: "previous", Follows: "primary", Offset: -1},
		&Rotation{Role: "far", Follows: "primary", Offset: -7}, // -7 mod 5 = 3, -7 mod 3 = 2
	)
	s := p.compile()

	holder := func(role string, week int) string {
		at := p.at("2026-11-02 10:00").AddDate(0, 0, 7*week)
		sh, ok := s.Holder(role, at)
		if !ok {
			t.Fatalf("nobody holds %s at %s", role, at)
		}
		return sh.Person
	}
	// Weeks 0-5 are in the first era (a..e), weeks 6- in the second (x..z):
	// the edit on 12-10 is mid week 5, so week 6 is that era's shift 1.
	for week := range 5 {
		if got, want := holder("secondary", week), holder("primary", week+1); got != want {
			t.Errorf("week %d: secondary %s, want next week's primary %s", week, got, want)
		}
		if got, want := holder("previous", week+1), holder("primary", week); got != want {
			t.Errorf("week %d: previous %s, want last week's primary %s", week+1, got, want)
		}
		if got, want := holder("far", week), []string{"a", "b", "c", "d", "e"}[(week+3)%5]; got != want {
			t.Errorf("week %d: far %s, want %s", week, got, want)
		}
	}
	wantHolder(t, s, "previous", p.at("2026-11-02 10:00"), "previous e rotation 11-02 09:00..11-09 09:00")
	wantHolder(t, s, "primary", p.at("2026-12-10 12:00"), "primary x rotation 12-10 12:00..12-14 09:00")
	wantHolder(t, s, "secondary", p.at("2026-12-10 12:00"), "secondary y rotation 12-10 12:00..12-14 09:00")
	wantHolder(t, s, "previous", p.at("2026-12-10 12:00"), "previous z rotation 12-10 12:00..12-14 09:00")
	wantHolder(t, s, "far", p.at("2026-12-10 12:00"), "far z rotation 12-10 12:00..12-14 09:00")
	wantHolder(t, s, "far", p.at("2026-12-14 09:00"), "far x rotation 12-14 09:00..12-21 09:00")
}

func TestRotationWithEnd(t *testing.T) {
	p := newPayments(t)
	p.s.Rotations[0].End = p.at("2026-11-20 12:00")
	p.s.Overrides = []Override{{Role: "secondary", Person: "erin", From: p.at("2026-11-20 00:00"), Until: p.at("2026-11-22 00:00")}}
	s := p.compile()

	wantHolder(t, s, "primary", p.at("2026-11-20 11:59:59"), "primary carol rotation 11-16 09:00..11-20 12:00")
	wantHolder(t, s, "primary", p.at("2026-11-20 12:00"), "")
	wantHolder(t, s, "secondary", p.at("2026-11-20 06:00"), "secondary erin override 11-20 00:00..11-20 12:00")
	wantHolder(t, s, "secondary", p.at("2026-11-21 00:00"), "") // an override does not outlive its rotation
	wantShifts(t, "all", s.Shifts(p.at("2026-11-15 00:00"), p.at("2026-12-31 00:00")),
		"primary bob rotation 11-15 00:00..11-16 09:00",
		"primary carol rotation 11-16 09:00..11-20 12:00",
		"secondary carol rotation 11-15 00:00..11-16 09:00",
		"secondary dave rotation 11-16 09:00..11-20 00:00",
		"secondary erin override 11-20 00:00..11-20 12:00")
	if got := s.Shifts(p.at("2026-11-21 00:00"), p.at("2026-12-31 00:00")); got != nil {
		t.Errorf("shifts after the end: %v", fmtShifts(got))
	}
}

func TestShadows(t *testing.T) {
	p := newPayments(t)
	p.s.Shadows = []Shadow{
		{Person: "frank", Role: "primary", From: p.at("2026-11-20 00:00"), Until: p.at("2026-11-27 00:00"), Reverse: true},
		{Person: "erin", Role: "primary", From: p.at("2026-11-16 00:00"), Until: p.at("2026-12-14 00:00")},
		{Person: "gina", Role: "secondary", From: p.at("2026-11-10 00:00"), Until: p.at("2026-11-12 00:00")},
	}
	s := p.compile()

	now := p.at("2026-11-21 12:00")
	wantShifts(t, "ShadowsAt", s.ShadowsAt("primary", now),
		"primary erin shadow 11-16 00:00..12-14 00:00",
		"primary frank shadow 11-20 00:00..11-27 00:00 reverse")
	wantShifts(t, "ShadowsAt later", s.ShadowsAt("primary", p.at("2026-11-27 00:00")), "primary erin shadow 11-16 00:00..12-14 00:00")
	if got := s.ShadowsAt("secondary", now); got != nil {
		t.Errorf("secondary shadows at %s: %v", now, fmtShifts(got))
	}
	who := s.Who(now)
	wantShifts(t, "Who primary shadows", who[0].Shadows,
		"primary erin shadow 11-16 00:00..12-14 00:00",
		"primary frank shadow 11-20 00:00..11-27 00:00 reverse")
	if who[1].Shadows != nil || who[0].Holder.Person != "carol" {
		t.Errorf("Who = %+v", who)
	}
	// Holder shifts first, role by role, then shadows by start, all clipped.
	wantShifts(t, "Shifts", s.Shifts(p.at("2026-11-11 00:00"), p.at("2026-11-23 00:00")),
		"primary bob rotation 11-11 00:00..11-16 09:00",
		"primary carol rotation 11-16 09:00..11-23 00:00",
		"secondary carol rotation 11-11 00:00..11-16 09:00",
		"secondary dave rotation 11-16 09:00..11-23 00:00",
		"secondary gina shadow 11-11 00:00..11-12 00:00",
		"primary erin shadow 11-16 00:00..11-23 00:00",
		"primary frank shadow 11-20 00:00..11-23 00:00 reverse")
	if got := s.Shifts(now, now); got != nil {
		t.Errorf("Shifts over an empty range = %v", fmtShifts(got))
	}
	if got := s.Shifts(now.Add(time.Hour), now); got != nil {
		t.Errorf("Shifts over a reversed range = %v", fmtShifts(got))
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(p *payments)
		want []string
	}{
		{"unknown follows", func(p *payments) { p.s.Rotations[1].Follows = "tertiary" },
			[]string{`rotation "secondary" follows "tertiary", which is not a rotation of this team`}},
		{"follows itself", func(p *payments) { p.s.Rotations[1].Follows = "secondary" },
			[]string{`rotation "secondary" follows itself`}},
		{"follower of a follower", func(p *payments) {
			p.s.Rotations = append(p.s.Rotations, &Rotation{Role: "tertiary", Follows: "secondary", Offset: 1})
		}, []string{`rotation "tertiary" follows "secondary", which itself follows "primary": follow "primary" directly`}},
		{"follower with its own rule", func(p *payments) { p.s.Rotations[1].Handoff = p.s.Rotations[0].Handoff },
			[]string{`rotation "secondary" follows "primary" and takes its handoff rule and members, so it must not have its own`}},
		{"follower with another start", func(p *payments) { p.s.Rotations[1].Start = p.at("2026-11-03 09:00") },
			[]string{`rotation "secondary" follows "primary" but starts at 2026-11-03T09:00:00Z, not at 2026-11-02T09:00:00Z`}},
		{"eras unsorted", func(p *payments) {
			r := p.s.Rotations[0]
			r.Eras = append(r.Eras, Era{From: p.at("2026-11-20 00:00"), Members: []string{"x"}}, Era{From: p.at("2026-11-10 00:00"), Members: []string{"y"}})
		}, []string{"member list from 2026-11-10T00:00:00Z does not start after the previous one (from 2026-11-20T00:00:00Z)"}},
		{"first era not at start", func(p *payments) { p.s.Rotations[0].Eras[0].From = p.at("2026-11-02 10:00") },
			[]string{"first member list starts at 2026-11-02T10:00:00Z, not at the rotation's start 2026-11-02T09:00:00Z"}},
		{"empty era", func(p *payments) { p.s.Rotations[0].Eras[0].Members = nil },
			[]string{"member list from 2026-11-02T09:00:00Z is empty"}},
		{"empty person", func(p *payments) { p.s.Rotations[0].Eras[0].Members = []string{"alice", ""} },
			[]string{"has an empty person id"}},
		{"no members", func(p *payments) { p.s.Rotations[0].Eras = nil }, []string{`rotation "primary": no members`}},
		{"no handoff", func(p *payments) { p.s.Rotations[0].Handoff = nil }, []string{`rotation "primary": no handoff rule`}},
		{"handoff anchored after start", func(p *payments) {
			p.s.Rotations[0].Handoff = mustHandoff(p.t, weeklyMonday9, p.at("2026-11-09 09:00"), p.loc)
		}, []string{"handoff rule is anchored at 2026-11-09T09:00:00Z, after the rotation's start"}},
		{"handoff in another zone", func(p *payments) {
			r := p.s.Rotations[0]
			r.Handoff = mustHandoff(p.t, weeklyMonday9, r.Start, mustZone(p.t, "America/New_York"))
		}, []string{"handoff rule runs in America/New_York, not in the team's zone Europe/London"}},
		{"end before start", func(p *payments) { p.s.Rotations[0].End = p.at("2026-11-01 00:00") },
			[]string{"end 2026-11-01T00:00:00Z is not after start 2026-11-02T09:00:00Z"}},
		{"era after end", func(p *payments) {
			r := p.s.Rotations[0]
			r.End = p.at("2026-11-20 00:00")
			r.Eras = append(r.Eras, Era{From: p.at("2026-11-20 00:00"), Members: []string{"x"}})
		}, []string{"member list from 2026-11-20T00:00:00Z starts at or after the rotation's end"}},
		{"duplicate role", func(p *payments) { p.s.Rotations[1] = &Rotation{Role: "primary", Follows: "primary"} },
			[]string{`role "primary" is declared twice`}},
		{"overlapping overrides", func(p *payments) {
			p.s.Overrides = []Override{
				{Role: "primary", Person: "carol", From: p.at("2026-11-05 00:00"), Until: p.at("2026-11-07 00:00")},
				{Role: "primary", Person: "bob", From: p.at("2026-11-03 00:00"), Until: p.at("2026-11-05 00:01")},
				{Role: "secondary", Person: "dave", From: p.at("2026-11-05 00:00"), Until: p.at("2026-11-07 00:00")}, // other role: fine
			}
		}, []string{`overrides for "primary" overlap: bob [2026-11-03T00:00:00Z, 2026-11-05T00:01:00Z) and carol [2026-11-05T00:00:00Z, 2026-11-07T00:00:00Z)`}},
		{"bad override", func(p *payments) {
			p.s.Overrides = []Override{
				{Role: "tertiary", Person: "bob", From: p.at("2026-11-03 00:00"), Until: p.at("2026-11-04 00:00")},
				{Role: "primary", From: p.at("2026-11-03 00:00"), Until: p.at("2026-11-04 00:00")},
				{Role: "primary", Person: "bob", From: p.at("2026-11-04 00:00"), Until: p.at("2026-11-04 00:00")},
			}
		}, []string{`override 0 (bob from 2026-11-03T00:00:00Z): no rotation has role "tertiary"`, `override 1 (role "primary" from 2026-11-03T00:00:00Z): no person`, "override 2 (bob for \"primary\"): until 2026-11-04T00:00:00Z is not after from"}},
		{"bad shadow", func(p *payments) {
			p.s.Shadows = []Shadow{{Role: "tertiary", Person: "erin", From: p.at("2026-11-03 00:00"), Until: p.at("2026-11-04 00:00")}}
		}, []string{`shadow 0 (erin from 2026-11-03T00:00:00Z): no rotation has role "tertiary"`}},
		{"no zone", func(p *payments) { p.s.Location = nil }, []string{"no time zone"}},
		{"several problems at once", func(p *payments) {
			p.s.Rotations[0].Eras[0].Members = nil
			p.s.Rotations[1].Follows = "nobody"
			p.s.Overrides = []Override{
				{Role: "primary", Person: "bob", From: p.at("2026-11-03 00:00"), Until: p.at("2026-11-05 00:00")},
				{Role: "primary", Person: "carol", From: p.at("2026-11-04 00:00"), Until: p.at("2026-11-06 00:00")},
			}
		}, []string{"is empty", `follows "nobody"`, `overrides for "primary" overlap: bob`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPayments(t)
			tt.edit(p)
			err := p.s.Compile()
			if err == nil {
				t.Fatal("Compile succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), `team "payments": `) {
				t.Errorf("error %q does not name the team", err)
			}
			mustPanic(t, func() { p.s.Who(p.at("2026-11-03 00:00")) })
		})
	}
}

func mustPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	f()
}

func TestUseBeforeCompilePanics(t *testing.T) {
	p := newPayments(t)
	at := p.at("2026-11-03 00:00")
	mustPanic(t, func() { p.s.Who(at) })
	mustPanic(t, func() { p.s.Holder("primary", at) })
	mustPanic(t, func() { p.s.ShadowsAt("primary", at) })
	mustPanic(t, func() { p.s.Shifts(at, at.Add(time.Hour)) })
	mustPanic(t, func() { p.s.RoleShifts("primary", at, at.Add(time.Hour)) })
}

// TestConcurrentQueries runs cold lookups from many goroutines, for the race
// detector: the handoff cache grows under them.
func TestConcurrentQueries(t *testing.T) {
	p := newPayments(t)
	r := p.s.Rotations[0]
	r.Handoff = mustHandoff(t, "FREQ=HOURLY;BYMINUTE=0", r.Start, p.loc)
	s := p.compile()
	want := make([]string, 64)
	for i := range want {
		sh, _ := s.Holder("secondary", r.Start.Add(time.Duration(i)*97*time.Hour))
		want[i] = fmtShift(sh)
	}
	r.Handoff = mustHandoff(t, "FREQ=HOURLY;BYMINUTE=0", r.Start, p.loc) // cold again
	s = p.compile()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range want {
				i := (i + g*8) % len(want)
				at := r.Start.Add(time.Duration(i) * 97 * time.Hour)
				if sh, _ := s.Holder("secondary", at); fmtShift(sh) != want[i] {
					t.Errorf("goroutine %d: Holder at %s = %s, want %s", g, at, fmtShift(sh), want[i])
				}
				s.Who(at)
				s.Shifts(at, at.Add(48*time.Hour))
			}
		})
	}
	wg.Wait()
}
