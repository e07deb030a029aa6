package rotation

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/pagerd/pagerd/instant"
)

// farFutureUnix stands in for "no end" inside the index, so that open
// intervals need no special cases; it never leaves the package.
const farFutureUnix = 1 << 62

func farFuture() time.Time { return time.Unix(farFutureUnix, 0) }

// compiled is what Compile builds. It is never written after Compile, so
// any number of goroutines may read it (the Handoff caches it points to
// synchronise themselves).
type compiled struct {
	loc     *time.Location
	roles   []*roleIndex // declaration order
	byRole  map[string]*roleIndex
	shadows []Shadow // every shadow, by From, then role order, Person, Until
}

// roleIndex is one role, with a follower's borrowed handoffs, eras and life
// already resolved to its base rotation's.
type roleIndex struct {
	role       string
	order      int
	start, end time.Time // life; end is farFuture when open
	handoff    *Handoff
	eras       []era
	offset     int
	overrides  []Override // by From; they never overlap, so also by Until
	shadows    []Shadow   // by From
}

type era struct {
	from, end time.Time // end is the next era's from, or the life's end
	members   []string
}

// Compile checks the schedule and builds the indexes the queries use. Call
// it once the schedule is built and before any query; the schedule must not
// be changed afterwards (compile again after a change). On error the
// schedule is left uncompiled and the error lists every problem found.
//
// It rejects: a missing Location; an empty or repeated role; a rotation
// without Handoff, Start or members; an End not after Start; a Handoff
// anchored after Start or parsed for another zone; eras not strictly increasing, a first era not at
// Start, an era at or after End, an empty member list or person id; a
// follower that follows an unknown role, itself or another follower, or that
// has its own Handoff or Eras, or a Start or End that differs from the
// followed rotation's; an override or shadow for an unknown role, without a
// person, or with Until not after From; and two overrides of one role that
// overlap (naming both).
func (s *Schedule) Compile() error {
	s.c = nil
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("team %q: "+format, append([]any{s.Team}, args...)...))
	}
	loc := s.Location
	if loc == nil {
		fail("no time zone")
		loc = time.UTC // keep going so that every problem is reported
	}
	ts := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }

	c := &compiled{loc: loc, byRole: make(map[string]*roleIndex, len(s.Rotations))}
	declared := make(map[string]*Rotation, len(s.Rotations))
	var rots []*Rotation
	for i, r := range s.Rotations {
		switch {
		case r == nil:
			fail("rotation %d is nil", i)
		case r.Role == "":
			fail("rotation %d has no role", i)
		case declared[r.Role] != nil:
			fail("role %q is declared twice", r.Role)
		default:
			declared[r.Role] = r
			rots = append(rots, r)
		}
	}

	// Base rotations first: followers borrow from their index.
	for _, r := range rots {
		if r.Follows != "" {
			continue
		}
		before := len(errs)
		switch {
		case r.Handoff == nil:
			fail("rotation %q: no handoff rule (and it follows no rotation)", r.Role)
		case r.Start.IsZero():
			fail("rotation %q: no start", r.Role)
		case r.Handoff.Start().After(r.Start):
			fail("rotation %q: handoff rule is anchored at %s, after the rotation's start %s", r.Role, ts(r.Handoff.Start()), ts(r.Start))
		case s.Location != nil && r.Handoff.Location().String() != loc.String():
			fail("rotation %q: handoff rule runs in %s, not in the team's zone %s", r.Role, r.Handoff.Location(), loc)
		}
		end := farFuture()
		if !r.End.IsZero() {
			end = r.End
			if !r.End.After(r.Start) {
				fail("rotation %q: end %s is not after start %s", r.Role, ts(r.End), ts(r.Start))
			}
		}
		if len(r.Eras) == 0 {
			fail("rotation %q: no members", r.Role)
		}
		eras := make([]era, len(r.Eras))
		for i, e := range r.Eras {
			switch {
			case i == 0 && !e.From.Equal(r.Start):
				fail("rotation %q: first member list starts at %s, not at the rotation's start %s", r.Role, ts(e.From), ts(r.Start))
			case i > 0 && !e.From.After(r.Eras[i-1].From):
				fail("rotation %q: member list from %s does not start after the previous one (from %s); lists must be in order", r.Role, ts(e.From), ts(r.Eras[i-1].From))
			case !e.From.Before(end):
				fail("rotation %q: member list from %s starts at or after the rotation's end %s", r.Role, ts(e.From), ts(end))
			}
			if len(e.Members) == 0 {
				fail("rotation %q: member list from %s is empty", r.Role, ts(e.From))
			}
			if slices.Contains(e.Members, "") {
				fail("rotation %q: member list from %s has an empty person id", r.Role, ts(e.From))
			}
			eras[i] = era{from: e.From, end: end, members: slices.Clone(e.Members)}
			if i > 0 {
				eras[i-1].end = e.From
			}
		}
		if len(errs) > before {
			continue
		}
		c.byRole[r.Role] = &roleIndex{role: r.Role, start: r.Start, end: end, handoff: r.Handoff, eras: eras}
	}

	for _, r := range rots {
		if r.Follows == "" {
			continue
		}
		base := declared[r.Follows]
		switch {
		case r.Follows == r.Role:
			fail("rotation %q follows itself", r.Role)
			continue
		case base == nil:
			fail("rotation %q follows %q, which is not a rotation of this team", r.Role, r.Follows)
			continue
		case base.Follows != "":
			fail("rotation %q follows %q, which itself follows %q: follow %q directly", r.Role, r.Follows, base.Follows, base.Follows)
			continue
		}
		before := len(errs)
		if r.Handoff != nil || len(r.Eras) > 0 {
			fail("rotation %q follows %q and takes its handoff rule and members, so it must not have its own", r.Role, r.Follows)
		}
		if !r.Start.IsZero() && !r.Start.Equal(base.Start) {
			fail("rotation %q follows %q but starts at %s, not at %s", r.Role, r.Follows, ts(r.Start), ts(base.Start))
		}
		if !r.End.IsZero() && !r.End.Equal(base.End) {
			fail("rotation %q follows %q but ends at %s, not at %s", r.Role, r.Follows, ts(r.End), ts(base.End))
		}
		b := c.byRole[r.Follows]
		if b == nil || len(errs) > before {
			continue // the base's own errors are already reported
		}
		c.byRole[r.Role] = &roleIndex{role: r.Role, start: b.start, end: b.end, handoff: b.handoff, eras: b.eras, offset: r.Offset}
	}

	for _, r := range rots {
		if ri := c.byRole[r.Role]; ri != nil {
			ri.order = len(c.roles)
			c.roles = append(c.roles, ri)
		}
	}

	overrides := make(map[string][]Override)
	for i, o := range s.Overrides {
		switch {
		case declared[o.Role] == nil:
			fail("override %d (%s from %s): no rotation has role %q", i, o.Person, ts(o.From), o.Role)
		case o.Person == "":
			fail("override %d (role %q from %s): no person", i, o.Role, ts(o.From))
		case !o.Until.After(o.From):
			fail("override %d (%s for %q): until %s is not after from %s", i, o.Person, o.Role, ts(o.Until), ts(o.From))
		default:
			overrides[o.Role] = append(overrides[o.Role], o)
		}
	}
	for _, r := range rots { // in declaration order, for stable error text
		ovs := overrides[r.Role]
		slices.SortStableFunc(ovs, func(a, b Override) int { return a.From.Compare(b.From) })
		for i := 1; i < len(ovs); i++ {
			if a, b := ovs[i-1], ovs[i]; b.From.Before(a.Until) {
				fail("overrides for %q overlap: %s [%s, %s) and %s [%s, %s)",
					r.Role, a.Person, ts(a.From), ts(a.Until), b.Person, ts(b.From), ts(b.Until))
			}
		}
		if ri := c.byRole[r.Role]; ri != nil {
			ri.overrides = ovs
		}
	}

	for i, sh := range s.Shadows {
		switch {
		case declared[sh.Role] == nil:
			fail("shadow %d (%s from %s): no rotation has role %q", i, sh.Person, ts(sh.From), sh.Role)
		case sh.Person == "":
			fail("shadow %d (role %q from %s): no person", i, sh.Role, ts(sh.From))
		case !sh.Until.After(sh.From):
			fail("shadow %d (%s for %q): until %s is not after from %s", i, sh.Person, sh.Role, ts(sh.Until), ts(sh.From))
		default:
			if ri := c.byRole[sh.Role]; ri != nil {
				ri.shadows = append(ri.shadows, sh)
				c.shadows = append(c.shadows, sh)
			}
		}
	}
	byFrom := func(a, b Shadow) int { return a.From.Compare(b.From) }
	for _, ri := range c.roles {
		slices.SortStableFunc(ri.shadows, byFrom)
	}
	slices.SortStableFunc(c.shadows, func(a, b Shadow) int {
		return cmp.Or(a.From.Compare(b.From), cmp.Compare(c.byRole[a.Role].order, c.byRole[b.Role].order),
			cmp.Compare(a.Person, b.Person), a.Until.Compare(b.Until))
	})

	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	s.c = c
	return nil
}

func (s *Schedule) compiled(method string) *compiled {
	if s.c == nil {
		panic("rotation: Schedule." + method + " called before a successful Compile")
	}
	return s.c
}

// Who returns the state of every role at t: one OnCall per rotation, in
// declaration order. Holder is nil where nobody holds the role (before the
// rotation's Start, at or after its End); Shadows lists the role's shadows
// active at t whether or not anyone holds it. See Holder for the bounds.
func (s *Schedule) Who(t time.Time) []OnCall {
	c := s.compiled("Who")
	out := make([]OnCall, len(c.roles))
	holders := make([]Shift, len(c.roles)) // one allocation for all holders
	for i, ri := range c.roles {
		out[i].Role = ri.role
		if sh, ok := s.holder(c, ri, t); ok {
			holders[i] = sh
			out[i].Holder = &holders[i]
		}
		out[i].Shadows = s.shadowsAt(ri, t)
	}
	return out
}

// Holder returns who holds role at t, as the shift containing t with its
// real bounds (not clipped to any query range, unlike Shifts). It reports
// false for an unknown role and outside the rotation's life [Start, End).
//
// Rotation shifts: shift 0 of an era runs from the era's From to the first
// handoff after it, shift k from handoff k to handoff k+1 (counting handoffs
// after the era's From), each cut at the next era's From and at End. Shift k
// is held by Members[k mod n], or for a follower Members[(k+Offset) mod n]
// of the followed rotation's era (mod is never negative).
//
// Overrides beat the rotation: during [From, Until), cut to the rotation's
// life, the override's person holds the role (Source override, Note copied).
// A rotation shift an override cuts into keeps its remaining parts as
// shifts of their own, bounded by the override.
//
// An End of zero in the result means the shift has no end.
func (s *Schedule) Holder(role string, t time.Time) (Shift, bool) {
	c := s.compiled("Holder")
	ri := c.byRole[role]
	if ri == nil {
		return Shift{}, false
	}
	return s.holder(c, ri, t)
}

func (s *Schedule) holder(c *compiled, ri *roleIndex, t time.Time) (Shift, bool) {
	if t.Before(ri.start) || !t.Before(ri.end) {
		return Shift{}, false
	}
	ovs := ri.overrides
	p := sort.Search(len(ovs), func(i int) bool { return ovs[i].From.After(t) }) - 1
	if p >= 0 && t.Before(ovs[p].Until) {
		return s.overrideShift(c, ri, ovs[p], ri.start, ri.end), true
	}

	e := &ri.eras[sort.Search(len(ri.eras), func(i int) bool { return ri.eras[i].from.After(t) })-1]
	sec := t.Unix()
	h := ri.handoff.through(sec, true)
	i0, j := h.index(e.from.Unix()), h.index(sec)
	start, end := e.from, e.end
	if j > i0 {
		start = time.Unix(h.times[j-1], 0)
	}
	if j < len(h.times) {
		end = instant.Earlier(end, time.Unix(h.times[j], 0))
	}
	if p >= 0 && ovs[p].Until.After(start) {
		start = ovs[p].Until
	}
	if p+1 < len(ovs) && ovs[p+1].From.Before(end) {
		end = ovs[p+1].From
	}
	return s.shift(c, ri, member(e.members, j-i0, ri.offset), start, end, SourceRotation, ""), true
}

// ShadowsAt returns the shadows of role whose [From, Until) contains t, as
// shifts with Source shadow and the shadow's own bounds, by From.
func (s *Schedule) ShadowsAt(role string, t time.Time) []Shift {
	ri := s.compiled("ShadowsAt").byRole[role]
	if ri == nil {
		return nil
	}
	return s.shadowsAt(ri, t)
}

func (s *Schedule) shadowsAt(ri *roleIndex, t time.Time) []Shift {
	var out []Shift
	for _, sh := range ri.shadows {
		if sh.From.After(t) {
			break
		}
		if t.Before(sh.Until) {
			out = append(out, s.shadowShift(sh, sh.From, sh.Until))
		}
	}
	return out
}

// Shifts returns the shifts in [from, to), each cut to it: first every
// role's holder shifts (as RoleShifts), role by role in declaration order;
// then all shadow shifts by Start.
func (s *Schedule) Shifts(from, to time.Time) []Shift {
	c := s.compiled("Shifts")
	if !from.Before(to) {
		return nil
	}
	var out []Shift
	for _, ri := range c.roles {
		out = s.roleShifts(c, ri, from, to, out)
	}
	for _, sh := range c.shadows {
		if !sh.From.Before(to) {
			break
		}
		if sh.Until.After(from) {
			out = append(out, s.shadowShift(sh, instant.Later(sh.From, from), instant.Earlier(sh.Until, to)))
		}
	}
	return out
}

// WholeShifts returns the shifts that overlap [from, to), in the order of
// Shifts, but with their real bounds: the first and last shift of each
// role, and each shadow, are not cut to [from, to). A view of a moving
// window (a calendar feed built at different times) shows each shift the
// same way every time. An End of zero means the shift has no end.
func (s *Schedule) WholeShifts(from, to time.Time) []Shift {
	c := s.compiled("WholeShifts")
	if !from.Before(to) {
		return nil
	}
	var out []Shift
	for _, ri := range c.roles {
		first := len(out)
		out = s.roleShifts(c, ri, from, to, out)
		for i := first; i < len(out); i++ {
			// Only shifts at the edges can have been cut; Holder gives
			// the bounds of the shift containing an instant.
			if sh := out[i]; sh.Start.Equal(from) || sh.End.Equal(to) {
				if whole, ok := s.holder(c, ri, sh.Start); ok {
					out[i] = whole
				}
			}
		}
	}
	for _, sh := range c.shadows {
		if !sh.From.Before(to) {
			break
		}
		if sh.Until.After(from) {
			out = append(out, s.shadowShift(sh, sh.From, sh.Until))
		}
	}
	return out
}

// RoleShifts returns the holder shifts of role (rotation and override, not
// shadows) in [from, to), by Start, each cut to [from, to). They tile the
// part of [from, to) inside the rotation's life with no gap or overlap; a
// shift not cut by from or to has the bounds Holder reports for it.
func (s *Schedule) RoleShifts(role string, from, to time.Time) []Shift {
	c := s.compiled("RoleShifts")
	ri := c.byRole[role]
	if ri == nil {
		return nil
	}
	return s.roleShifts(c, ri, from, to, nil)
}

// roleShifts appends role ri's holder shifts in [from, to) to out: it walks
// the rotation shifts in order and lays the overrides over them.
func (s *Schedule) roleShifts(c *compiled, ri *roleIndex, from, to time.Time, out []Shift) []Shift {
	lo, hi := instant.Later(from, ri.start), instant.Earlier(to, ri.end)
	if !lo.Before(hi) {
		return out
	}
	ovs := ri.overrides
	first := sort.Search(len(ovs), func(i int) bool { return ovs[i].Until.After(lo) })
	ovs = ovs[first:]
	oi, emitted := 0, 0 // next override to lay; overrides already emitted
	rotationShift := func(person string, a, b time.Time) {
		for oi < len(ovs) && ovs[oi].From.Before(b) {
			o := ovs[oi]
			if o.From.After(a) {
				out = append(out, s.shift(c, ri, person, a, o.From, SourceRotation, ""))
			}
			if oi == emitted {
				out = append(out, s.overrideShift(c, ri, o, lo, hi))
				emitted++
			}
			a = instant.Later(a, o.Until)
			if o.Until.After(b) {
				return // the override runs on into the next rotation shift
			}
			oi++
		}
		if a.Before(b) {
			out = append(out, s.shift(c, ri, person, a, b, SourceRotation, ""))
		}
	}

	h := ri.handoff.through(hi.Unix(), false)
	for e := sort.Search(len(ri.eras), func(i int) bool { return ri.eras[i].from.After(lo) }) - 1; e < len(ri.eras) && ri.eras[e].from.Before(hi); e++ {
		er := &ri.eras[e]
		segLo, segHi := instant.Later(lo, er.from), instant.Earlier(hi, er.end)
		i0, j := h.index(er.from.Unix()), h.index(segLo.Unix())
		start := er.from
		if j > i0 {
			start = time.Unix(h.times[j-1], 0)
		}
		for {
			end := er.end
			if j < len(h.times) {
				end = instant.Earlier(end, time.Unix(h.times[j], 0))
			}
			rotationShift(member(er.members, j-i0, ri.offset), instant.Later(start, segLo), instant.Earlier(end, segHi))
			if !end.Before(segHi) {
				break
			}
			start = end
			j++
		}
	}
	return out
}

// member returns who holds shift k of an era, with a modulo that stays
// non-negative for negative offsets.
func member(members []string, k, offset int) string {
	n := len(members)
	i := (k%n + offset%n) % n
	if i < 0 {
		i += n
	}
	return members[i]
}

// overrideShift is o as a shift, cut to [lo, hi) (at most the rotation's
// life: an override does not outlive its rotation).
func (s *Schedule) overrideShift(c *compiled, ri *roleIndex, o Override, lo, hi time.Time) Shift {
	return s.shift(c, ri, o.Person, instant.Later(o.From, lo), instant.Earlier(o.Until, hi), SourceOverride, o.Note)
}

func (s *Schedule) shift(c *compiled, ri *roleIndex, person string, start, end time.Time, src Source, note string) Shift {
	return Shift{Team: s.Team, Role: ri.role, Person: person, Start: start.In(c.loc), End: outEnd(end, c.loc), Source: src, Note: note}
}

func (s *Schedule) shadowShift(sh Shadow, start, end time.Time) Shift {
	loc := s.c.loc
	return Shift{Team: s.Team, Role: sh.Role, Person: sh.Person, Start: start.In(loc), End: end.In(loc), Source: SourceShadow, Reverse: sh.Reverse}
}

// outEnd turns the internal "no end" back into the zero Time.
func outEnd(t time.Time, loc *time.Location) time.Time {
	if t.Unix() >= farFutureUnix {
		return time.Time{}
	}
	return t.In(loc)
}
