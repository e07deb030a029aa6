// Package rotadiff compares two versions of a rota: what a change does to
// people. For each team, over a window, it lists the shifts whose holder
// changes, the hours each person gains or loses by pay class, the change in
// their standby pay at the team's rates, and the health warnings the change
// adds or removes.
//
// It reads loaded rotas only (the caller reads directories or git
// revisions) and never the wall clock: the window comes from the caller.
package rotadiff

import (
	"fmt"
	"slices"
	"time"

	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/rotation"
	"github.com/pagerd/pagerd/timesheet"
)

// Side is one version of the rota, loaded without errors, with the
// warnings its load gave (no secondary, an escalation that ends with one
// person).
type Side struct {
	Rota  *rotafile.Rota
	Diags rotafile.Diagnostics
}

// Window gives the [from, to) to compare a team over, in the team's zone
// (local times in flags are read in it).
type Window func(loc *time.Location) (from, to time.Time, err error)

// Report is the whole comparison, team by team in id order.
type Report struct {
	Teams []Team `json:"teams"`
}

// Team statuses.
const (
	Unchanged = "unchanged"
	Changed   = "changed"
	Added     = "added"   // only in the new rota
	Removed   = "removed" // only in the old rota
)

// Team is one team's comparison over [From, To).
type Team struct {
	ID       string    `json:"team"`
	Status   string    `json:"status"`
	Zone     string    `json:"timezone"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Currency string    `json:"currency,omitempty"`
	// Shifts lists, role by role and then by start, the stretches where the
	// holder (or, for shadows, whether the person shadows) changes.
	Shifts []Shift `json:"shifts"`
	// People lists, by person id, everyone whose hours or pay change.
	People          []Person  `json:"people"`
	WarningsAdded   []Warning `json:"warnings_added"`
	WarningsRemoved []Warning `json:"warnings_removed"`
	// Notes says what makes figures incomparable (a change of currency).
	Notes []string `json:"notes,omitempty"`

	loc *time.Location
}

// Shift is a stretch of time whose holder changes from Old to New ("" is
// nobody). For a shadow, Old or New is the person and the other is "": the
// person stops or starts shadowing Role.
type Shift struct {
	Role   string    `json:"role"`
	Shadow bool      `json:"shadow,omitempty"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Old    string    `json:"old"`
	New    string    `json:"new"`
}

// Person is how one person's time and pay change, new minus old.
type Person struct {
	Person  string `json:"person"`
	Standby Hours  `json:"standby_seconds"` // holding a role, by pay class
	Shadow  Hours  `json:"shadow_seconds"`  // shadowing, by pay class
	// Pay is the change in on-call pay for the window in minor units:
	// standby and shadow, at each version's own rates and after any daily
	// cap. No alert is assumed, so engaged pay plays no part.
	Pay int64 `json:"pay"`
}

// Hours are seconds by pay class.
type Hours struct {
	Business          int64 `json:"business"`
	WeekdayOutOfHours int64 `json:"weekday_out_of_hours"`
	Weekend           int64 `json:"weekend"`
	Holiday           int64 `json:"holiday"`
}

// Total is the seconds over all classes.
func (h Hours) Total() int64 { return h.Business + h.WeekdayOutOfHours + h.Weekend + h.Holiday }

func (h *Hours) add(c timesheet.Class, sec int64) {
	switch c {
	case timesheet.Business:
		h.Business += sec
	case timesheet.WeekdayOutOfHours:
		h.WeekdayOutOfHours += sec
	case timesheet.Weekend:
		h.Weekend += sec
	case timesheet.Holiday:
		h.Holiday += sec
	}
}

func (h Hours) minus(o Hours) Hours {
	return Hours{h.Business - o.Business, h.WeekdayOutOfHours - o.WeekdayOutOfHours, h.Weekend - o.Weekend, h.Holiday - o.Holiday}
}

// Warning is a warning one version has and the other hasn't, where it is
// in the version that has it.
type Warning struct {
	Rule    string `json:"rule,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
}

// Moved reports whether any shift changes hands in any team.
func (r *Report) Moved() bool {
	for _, t := range r.Teams {
		if len(t.Shifts) > 0 {
			return true
		}
	}
	return false
}

// Changed reports whether anything differs: a shift, hours, pay or a
// warning.
func (r *Report) Changed() bool {
	for _, t := range r.Teams {
		if t.Status != Unchanged {
			return true
		}
	}
	return false
}

// Compare compares the teams of old and new, each over the window win
// gives in its zone.
func Compare(old, new Side, win Window) (*Report, error) {
	ids := map[string]bool{}
	for _, s := range []Side{old, new} {
		for _, t := range s.Rota.Teams {
			ids[t.ID] = true
		}
	}
	rep := &Report{Teams: []Team{}}
	for _, id := range sortedKeys(ids) {
		ot, _ := old.Rota.Team(id)
		nt, _ := new.Rota.Team(id)
		td, err := compareTeam(id, ot, nt, old.Diags, new.Diags, win)
		if err != nil {
			return nil, fmt.Errorf("team %s: %w", id, err)
		}
		rep.Teams = append(rep.Teams, td)
	}
	return rep, nil
}

func compareTeam(id string, ot, nt *rotafile.Team, oldDiags, newDiags rotafile.Diagnostics, win Window) (Team, error) {
	ref := nt // the version whose zone and currency the report speaks in
	if ref == nil {
		ref = ot
	}
	from, to, err := win(ref.Location)
	if err != nil {
		return Team{}, err
	}
	if !to.After(from) {
		return Team{}, fmt.Errorf("the window ends (%s) before it starts (%s)", to.In(ref.Location).Format(time.RFC3339), from.In(ref.Location).Format(time.RFC3339))
	}
	td := Team{ID: id, Zone: ref.Location.String(), From: from.In(ref.Location), To: to.In(ref.Location), loc: ref.Location,
		Shifts: []Shift{}, People: []Person{}, WarningsAdded: []Warning{}, WarningsRemoved: []Warning{}}
	if ref.Pay != nil {
		td.Currency = ref.Pay.Currency
	}
	if ot != nil && nt != nil && ot.Pay != nil && nt.Pay != nil && ot.Pay.Currency != nt.Pay.Currency {
		td.Notes = append(td.Notes, fmt.Sprintf("the currency changes from %s to %s: pay changes mix the two", ot.Pay.Currency, nt.Pay.Currency))
	}

	td.Shifts = shiftChanges(roles(ot, nt), ot, nt, from, to)

	oldPay, err := pay(ot, from, to)
	if err != nil {
		return td, fmt.Errorf("old version: %w", err)
	}
	newPay, err := pay(nt, from, to)
	if err != nil {
		return td, fmt.Errorf("new version: %w", err)
	}
	people := map[string]bool{}
	for p := range oldPay {
		people[p] = true
	}
	for p := range newPay {
		people[p] = true
	}
	for _, p := range sortedKeys(people) {
		o, n := oldPay[p], newPay[p]
		d := Person{Person: p, Standby: n.Standby.minus(o.Standby), Shadow: n.Shadow.minus(o.Shadow), Pay: n.Pay - o.Pay}
		if d.Standby != (Hours{}) || d.Shadow != (Hours{}) || d.Pay != 0 {
			td.People = append(td.People, d)
		}
	}

	ow, nw := warnings(ot, oldDiags, from, to), warnings(nt, newDiags, from, to)
	td.WarningsAdded, td.WarningsRemoved = minus(nw, ow), minus(ow, nw)

	switch {
	case ot == nil:
		td.Status = Added
	case nt == nil:
		td.Status = Removed
	case len(td.Shifts) > 0 || len(td.People) > 0 || len(td.WarningsAdded) > 0 || len(td.WarningsRemoved) > 0:
		td.Status = Changed
	default:
		td.Status = Unchanged
	}
	return td, nil
}

// roles lists the roles of either version: the new one's in its order,
// then any the new one dropped.
func roles(ot, nt *rotafile.Team) []string {
	var out []string
	for _, t := range []*rotafile.Team{nt, ot} {
		if t == nil {
			continue
		}
		for _, r := range t.Schedule.Rotations {
			if !slices.Contains(out, r.Role) {
				out = append(out, r.Role)
			}
		}
	}
	return out
}

// shiftChanges compares who holds each role, then who shadows it, at every
// instant of [from, to), and returns the stretches that differ, adjacent
// stretches with the same change merged.
func shiftChanges(roles []string, ot, nt *rotafile.Team, from, to time.Time) []Shift {
	out := []Shift{}
	for _, role := range roles {
		out = append(out, holderChanges(role, roleShifts(ot, role, from, to), roleShifts(nt, role, from, to), from, to)...)
	}
	var shadows []Shift
	for _, role := range roles {
		os, ns := shadowSpans(ot, role, from, to), shadowSpans(nt, role, from, to)
		people := map[string]bool{}
		for p := range os {
			people[p] = true
		}
		for p := range ns {
			people[p] = true
		}
		var own []Shift
		for _, p := range sortedKeys(people) {
			for _, sp := range subtract(os[p], ns[p]) {
				own = append(own, Shift{Role: role, Shadow: true, Start: sp.s, End: sp.e, Old: p})
			}
			for _, sp := range subtract(ns[p], os[p]) {
				own = append(own, Shift{Role: role, Shadow: true, Start: sp.s, End: sp.e, New: p})
			}
		}
		slices.SortStableFunc(own, func(a, b Shift) int { return a.Start.Compare(b.Start) })
		shadows = append(shadows, own...)
	}
	out = append(out, shadows...)
	if loc := zone(nt, ot); loc != nil {
		for i := range out {
			out[i].Start, out[i].End = out[i].Start.In(loc), out[i].End.In(loc)
		}
	}
	return out
}

func zone(ts ...*rotafile.Team) *time.Location {
	for _, t := range ts {
		if t != nil {
			return t.Location
		}
	}
	return nil
}

func roleShifts(t *rotafile.Team, role string, from, to time.Time) []rotation.Shift {
	if t == nil {
		return nil
	}
	return t.Schedule.RoleShifts(role, from, to)
}

// holderChanges walks both versions' shifts of one role (each sorted,
// tiling the role's life inside [from, to)) and returns where the holder
// differs.
func holderChanges(role string, olds, news []rotation.Shift, from, to time.Time) []Shift {
	cuts := []time.Time{from, to}
	for _, ss := range [][]rotation.Shift{olds, news} {
		for _, s := range ss {
			cuts = append(cuts, s.Start, s.End)
		}
	}
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	cuts = slices.CompactFunc(cuts, func(a, b time.Time) bool { return a.Equal(b) })
	var out []Shift
	oi, ni := 0, 0
	holder := func(ss []rotation.Shift, i *int, t time.Time) string {
		for *i < len(ss) && !ss[*i].End.After(t) {
			*i++
		}
		if *i < len(ss) && !ss[*i].Start.After(t) {
			return ss[*i].Person
		}
		return ""
	}
	for k := 0; k+1 < len(cuts); k++ {
		a, b := cuts[k], cuts[k+1]
		if a.Before(from) || !a.Before(to) {
			continue
		}
		o, n := holder(olds, &oi, a), holder(news, &ni, a)
		if o == n {
			continue
		}
		if last := len(out) - 1; last >= 0 && out[last].End.Equal(a) && out[last].Old == o && out[last].New == n {
			out[last].End = b
			continue
		}
		out = append(out, Shift{Role: role, Start: a, End: b, Old: o, New: n})
	}
	return out
}

type span struct{ s, e time.Time }

// shadowSpans gives, per person, the merged stretches of [from, to) in
// which they shadow role.
func shadowSpans(t *rotafile.Team, role string, from, to time.Time) map[string][]span {
	out := map[string][]span{}
	if t == nil {
		return out
	}
	for _, s := range t.Schedule.Shifts(from, to) {
		if s.Source == rotation.SourceShadow && s.Role == role {
			out[s.Person] = append(out[s.Person], span{s.Start, s.End})
		}
	}
	for p, ss := range out {
		out[p] = union(ss)
	}
	return out
}

func union(in []span) []span {
	slices.SortFunc(in, func(a, b span) int { return a.s.Compare(b.s) })
	var out []span
	for _, sp := range in {
		if n := len(out); n > 0 && !sp.s.After(out[n-1].e) {
			if sp.e.After(out[n-1].e) {
				out[n-1].e = sp.e
			}
			continue
		}
		out = append(out, sp)
	}
	return out
}

// subtract is a less b, both sorted and disjoint.
func subtract(a, b []span) []span {
	var out []span
	for _, sp := range a {
		s := sp.s
		for _, c := range b {
			if !c.e.After(s) || !c.s.Before(sp.e) {
				continue
			}
			if c.s.After(s) {
				out = append(out, span{s, c.s})
			}
			if c.e.After(s) {
				s = c.e
			}
		}
		if s.Before(sp.e) {
			out = append(out, span{s, sp.e})
		}
	}
	return out
}

// pay prices one version's shifts of [from, to) the way the pay report
// prices the ledger, and sums each person's hours and pay.
func pay(t *rotafile.Team, from, to time.Time) (map[string]Person, error) {
	out := map[string]Person{}
	if t == nil {
		return out, nil
	}
	var segs []timesheet.Segment
	for _, s := range t.Schedule.Shifts(from, to) {
		segs = append(segs, timesheet.Segment{Person: s.Person, Team: t.ID, Role: s.Role, Start: s.Start, End: s.End, Shadow: s.Source == rotation.SourceShadow})
	}
	lines, err := timesheet.Report(from, to, map[string]timesheet.Calendar{t.ID: t.Calendar()},
		func(_, person string) timesheet.Rates { return t.Pay.Rates(person) }, segs, nil)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		p := out[l.Person]
		p.Person = l.Person
		switch l.Kind {
		case timesheet.Standby:
			p.Standby.add(l.Class, l.Seconds)
		case timesheet.Shadow:
			p.Shadow.add(l.Class, l.Seconds)
		}
		p.Pay += l.Amount
		out[l.Person] = p
	}
	return out, nil
}

// warnings are the team's load warnings and its health over [from, to).
func warnings(t *rotafile.Team, diags rotafile.Diagnostics, from, to time.Time) []Warning {
	if t == nil {
		return nil
	}
	var out []Warning
	add := func(d rotafile.Diagnostic) {
		out = append(out, Warning{Rule: d.Rule, Message: d.Msg, Hint: d.Hint, File: d.File, Line: d.Line, Col: d.Col})
	}
	for _, d := range diags.Warnings() {
		if d.File == t.Pos.File {
			add(d)
		}
	}
	for _, d := range t.HealthIn(from, to) {
		add(d)
	}
	return out
}

// minus lists the warnings of a that b hasn't, by rule and message: not by
// position, since an edit above a warning moves it without changing it.
func minus(a, b []Warning) []Warning {
	out := []Warning{}
	for _, w := range a {
		if !slices.ContainsFunc(b, func(x Warning) bool { return x.Rule == w.Rule && x.Message == w.Message }) {
			out = append(out, w)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
