package rotation

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pagerd/pagerd/instant"
)

// TestScheduleProperties builds random schedules (zones with DST, hourly,
// daily and weekly rules at awkward times, member edits, followers, ends,
// overrides, shadows) from fixed seeds and checks the invariants against
// each other and against a naive model.
func TestScheduleProperties(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 42))
		s := randomSchedule(t, rng)
		if err := s.Compile(); err != nil {
			t.Fatalf("seed %d: Compile: %v", seed, err)
		}
		checkSchedule(t, fmt.Sprintf("seed %d (%s)", seed, describe(s)), s, rng)
	}
}

func describe(s *Schedule) string {
	out := s.Location.String()
	for _, r := range s.Rotations {
		if r.Follows != "" {
			out += fmt.Sprintf("; %s follows %s %+d", r.Role, r.Follows, r.Offset)
			continue
		}
		out += fmt.Sprintf("; %s %s from %s end %s eras %d", r.Role, r.Handoff, r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339), len(r.Eras))
	}
	return out + fmt.Sprintf("; %d overrides", len(s.Overrides))
}

func randomSchedule(t *testing.T, rng *rand.Rand) *Schedule {
	loc := mustZone(t, testZones[rng.IntN(len(testZones))])
	s := &Schedule{Team: "payments", Location: loc}
	primary := randomBase(t, rng, "primary", loc, randomStart(rng, loc))
	s.Rotations = append(s.Rotations, primary)
	if rng.IntN(2) == 0 {
		s.Rotations = append(s.Rotations, &Rotation{Role: "secondary", Follows: "primary", Offset: rng.IntN(13) - 6})
	} else {
		// Its own rule, maybe starting well after the primary.
		start := primary.Start.Add(time.Duration(rng.Int64N(int64(40 * 24 * time.Hour)))).Truncate(time.Second)
		s.Rotations = append(s.Rotations, randomBase(t, rng, "secondary", loc, start))
	}
	if rng.IntN(3) == 0 {
		s.Rotations = append(s.Rotations, &Rotation{Role: "tertiary", Follows: "primary", Offset: -rng.IntN(4)})
	}

	day := 24 * time.Hour
	for _, r := range s.Rotations {
		// Non-overlapping overrides, some around or outside the rotation's life.
		n := rng.IntN(5)
		points := make([]time.Time, 2*n)
		for i := range points {
			points[i] = primary.Start.Add(time.Duration(rng.Int64N(int64(140*day))) - 10*day).Truncate(time.Minute)
		}
		slices.SortFunc(points, time.Time.Compare)
		for i := 0; i+1 < len(points); i += 2 {
			from, until := points[i], points[i+1]
			switch {
			case i > 0 && rng.IntN(4) == 0:
				from = points[i-1] // back to back with the previous one
			case r.Follows == "" && rng.IntN(4) == 0:
				if next := r.Handoff.Next(from); next.Before(until) {
					from = next // starting exactly at a handoff
				}
			}
			if from.Before(until) {
				s.Overrides = append(s.Overrides, Override{Role: r.Role, Person: fmt.Sprintf("o%d", i/2), From: from, Until: until, Note: fmt.Sprintf("n%d", i/2)})
			}
		}
		for i := range rng.IntN(3) {
			from := primary.Start.Add(time.Duration(rng.Int64N(int64(120 * day)))).Truncate(time.Hour)
			s.Shadows = append(s.Shadows, Shadow{Person: fmt.Sprintf("s%d", i), Role: r.Role, From: from, Until: from.Add(time.Duration(1+rng.IntN(30*24)) * time.Hour), Reverse: rng.IntN(2) == 0})
		}
	}
	rng.Shuffle(len(s.Overrides), func(i, j int) { s.Overrides[i], s.Overrides[j] = s.Overrides[j], s.Overrides[i] })
	return s
}

func randomBase(t *testing.T, rng *rand.Rand, role string, loc *time.Location, start time.Time) *Rotation {
	r := &Rotation{Role: role, Start: start, Handoff: mustHandoff(t, randomRule(rng), start, loc)}
	day := 24 * time.Hour
	span := 100 * day
	if rng.IntN(2) == 0 {
		span = time.Hour + time.Duration(rng.Int64N(int64(100*day)))
		r.End = start.Add(span)
	}
	froms := []time.Time{start}
	for range rng.IntN(3) {
		from := start.Add(time.Duration(rng.Int64N(int64(span))))
		switch rng.IntN(3) {
		case 0: // keep nanoseconds, to exercise sub-second bounds
		case 1:
			from = from.Truncate(time.Second)
		case 2: // exactly at a handoff
			if next := r.Handoff.Next(from); !next.IsZero() && next.Before(start.Add(span)) {
				from = next
			}
		}
		if from.After(start) {
			froms = append(froms, from)
		}
	}
	slices.SortFunc(froms, time.Time.Compare)
	froms = slices.CompactFunc(froms, time.Time.Equal)
	pool := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, from := range froms {
		members := make([]string, 1+rng.IntN(5))
		for i := range members {
			members[i] = pool[rng.IntN(len(pool))]
		}
		r.Eras = append(r.Eras, Era{From: from, Members: members})
	}
	return r
}

func checkSchedule(t *testing.T, name string, s *Schedule, rng *rand.Rand) {
	primary := s.Rotations[0]
	from := primary.Start.Add(-5*24*time.Hour + time.Duration(rng.Int64N(int64(10*24*time.Hour))))
	to := primary.Start.Add(110 * 24 * time.Hour)
	ref := newReference(t, s, to.Add(24*time.Hour))

	all := s.Shifts(from, to)
	var concat []Shift
	roleShifts := map[string][]Shift{}
	for _, r := range s.Rotations {
		rs := s.RoleShifts(r.Role, from, to)
		roleShifts[r.Role] = rs
		concat = append(concat, rs...)
		start, end := ref.life(r.Role)
		checkTiling(t, name, r.Role, rs, from, to, start, end)
	}
	if len(all) < len(concat) || !slices.Equal(fmtShifts(all[:len(concat)]), fmtShifts(concat)) {
		t.Fatalf("%s: Shifts does not start with each role's RoleShifts in order", name)
	}
	shadows := all[len(concat):]
	for i, sh := range shadows {
		if sh.Source != SourceShadow || i > 0 && sh.Start.Before(shadows[i-1].Start) || !sh.Start.Before(sh.End) || sh.Start.Before(from) || sh.End.After(to) {
			t.Fatalf("%s: bad shadow part of Shifts: %v", name, fmtShifts(shadows))
		}
	}
	wantShadows := 0
	for _, sh := range s.Shadows {
		if sh.From.Before(to) && sh.Until.After(from) {
			wantShadows++
		}
	}
	if len(shadows) != wantShadows {
		t.Fatalf("%s: %d shadow shifts, want %d", name, len(shadows), wantShadows)
	}

	// WholeShifts: the same shifts with their real bounds, which cut to
	// [from, to) are Shifts, and which are Holder's (or the shadow's own).
	whole := s.WholeShifts(from, to)
	if len(whole) != len(all) {
		t.Fatalf("%s: WholeShifts has %d shifts, Shifts %d", name, len(whole), len(all))
	}
	for i, w := range whole {
		cut := w
		cut.Start = instant.Later(w.Start, from)
		if w.End.IsZero() || w.End.After(to) {
			cut.End = to
		}
		if fmtShifts([]Shift{cut})[0] != fmtShifts(all[i : i+1])[0] {
			t.Fatalf("%s: WholeShifts[%d] %v cut to the window is not Shifts' %v", name, i, fmtShifts([]Shift{w}), fmtShifts(all[i:i+1]))
		}
		if w.Source == SourceShadow {
			continue
		}
		h, ok := s.Holder(w.Role, w.Start)
		if !ok || !h.Start.Equal(w.Start) || !h.End.Equal(w.End) || h.Person != w.Person {
			t.Fatalf("%s: WholeShifts[%d] %v, Holder at its start %v", name, i, fmtShifts([]Shift{w}), fmtShifts([]Shift{h}))
		}
	}

	// Sample instants: random ones, and both sides of every boundary.
	var samples []time.Time
	for range 150 {
		samples = append(samples, from.Add(-24*time.Hour+time.Duration(rng.Int64N(int64(to.Sub(from)+48*time.Hour)))))
	}
	for _, rs := range roleShifts {
		for range min(len(rs), 60) {
			sh := rs[rng.IntN(len(rs))]
			samples = append(samples, sh.Start, sh.Start.Add(-time.Nanosecond), sh.End, sh.End.Add(-time.Nanosecond))
		}
	}
	for _, at := range samples {
		who := s.Who(at)
		if len(who) != len(s.Rotations) {
			t.Fatalf("%s: Who has %d entries", name, len(who))
		}
		for i, r := range s.Rotations {
			role := r.Role
			h, ok := s.Holder(role, at)
			start, end := ref.life(role)
			alive := !at.Before(start) && at.Before(end)
			if ok != alive {
				t.Fatalf("%s: Holder(%s, %s) ok=%v, but alive=%v (life %s..%s)", name, role, at, ok, alive, start, end)
			}
			if who[i].Role != role || (who[i].Holder != nil) != ok || ok && fmtShift(*who[i].Holder) != fmtShift(h) {
				t.Fatalf("%s: Who and Holder disagree for %s at %s", name, role, at)
			}
			if !ok {
				continue
			}
			if at.Before(h.Start) || !h.End.IsZero() && !at.Before(h.End) || !h.End.IsZero() && !h.Start.Before(h.End) {
				t.Fatalf("%s: Holder(%s, %s) = %s does not contain it", name, role, at, fmtShift(h))
			}
			if person, src := ref.holder(role, at); h.Person != person || h.Source != src {
				t.Fatalf("%s: Holder(%s, %s) = %s, the naive model says %s (%s)", name, role, at, fmtShift(h), person, src)
			}
			if at.Before(from) || !at.Before(to) {
				continue
			}
			var in []Shift
			for _, sh := range roleShifts[role] {
				if !at.Before(sh.Start) && at.Before(sh.End) {
					in = append(in, sh)
				}
			}
			if len(in) != 1 {
				t.Fatalf("%s: %d shifts of %s contain %s: %v", name, len(in), role, at, fmtShifts(in))
			}
			c := in[0]
			if c.Person != h.Person || c.Source != h.Source || c.Note != h.Note {
				t.Fatalf("%s: at %s Holder says %s, Shifts says %s", name, at, fmtShift(h), fmtShift(c))
			}
			if c.Start.After(from) && !c.Start.Equal(h.Start) || c.End.Before(to) && !c.End.Equal(h.End) {
				t.Fatalf("%s: at %s Holder bounds %s, Shifts bounds %s", name, at, fmtShift(h), fmtShift(c))
			}
		}
		for _, r := range s.Rotations {
			var want []string
			for _, sh := range s.Shadows {
				if sh.Role == r.Role && !at.Before(sh.From) && at.Before(sh.Until) {
					want = append(want, sh.Person)
				}
			}
			var got []string
			for _, sh := range s.ShadowsAt(r.Role, at) {
				got = append(got, sh.Person)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("%s: ShadowsAt(%s, %s) = %v, want %v", name, r.Role, at, got, want)
			}
		}
	}
}

// checkTiling asserts that shifts cover [max(from, start), min(to, end))
// exactly, in order, each non-empty.
func checkTiling(t *testing.T, name, role string, shifts []Shift, from, to, start, end time.Time) {
	lo, hi := instant.Later(from, start), instant.Earlier(to, end)
	if !lo.Before(hi) {
		if len(shifts) != 0 {
			t.Fatalf("%s: %s has shifts outside its life: %v", name, role, fmtShifts(shifts))
		}
		return
	}
	if len(shifts) == 0 {
		t.Fatalf("%s: %s has no shifts in [%s, %s)", name, role, lo, hi)
	}
	if !shifts[0].Start.Equal(lo) || !shifts[len(shifts)-1].End.Equal(hi) {
		t.Fatalf("%s: %s shifts span %s..%s, want %s..%s", name, role, shifts[0].Start, shifts[len(shifts)-1].End, lo, hi)
	}
	for i, sh := range shifts {
		if !sh.Start.Before(sh.End) || sh.Role != role || sh.Team != "payments" || sh.Person == "" {
			t.Fatalf("%s: bad shift %s", name, fmtShift(sh))
		}
		if i > 0 && !shifts[i-1].End.Equal(sh.Start) {
			t.Fatalf("%s: %s gap or overlap between %s and %s", name, role, fmtShift(shifts[i-1]), fmtShift(sh))
		}
	}
}

// reference answers Holder the slow, obvious way from the raw schedule and
// brute-force handoff lists.
type reference struct {
	s        *Schedule
	handoffs map[string][]time.Time // by base role
}

func newReference(t *testing.T, s *Schedule, to time.Time) *reference {
	ref := &reference{s: s, handoffs: map[string][]time.Time{}}
	for _, r := range s.Rotations {
		if r.Follows == "" {
			ref.handoffs[r.Role] = bruteForceHandoffs(t, r.Handoff.String(), r.Handoff.Start(), to, s.Location)
		}
	}
	return ref
}

func (ref *reference) base(role string) (*Rotation, int) {
	for _, r := range ref.s.Rotations {
		if r.Role == role {
			if r.Follows == "" {
				return r, 0
			}
			b, _ := ref.base(r.Follows)
			return b, r.Offset
		}
	}
	panic("no role " + role)
}

func (ref *reference) life(role string) (start, end time.Time) {
	b, _ := ref.base(role)
	end = b.End
	if end.IsZero() {
		end = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return b.Start, end
}

func (ref *reference) holder(role string, at time.Time) (string, Source) {
	for _, o := range ref.s.Overrides {
		if o.Role == role && !at.Before(o.From) && at.Before(o.Until) {
			return o.Person, SourceOverride
		}
	}
	b, offset := ref.base(role)
	var e Era
	for _, x := range b.Eras {
		if !x.From.After(at) {
			e = x
		}
	}
	hs := ref.handoffs[b.Role]
	k := sort0(hs, at) - sort0(hs, e.From) // handoffs in (e.From, at]
	n := len(e.Members)
	return e.Members[((k+offset)%n+n)%n], SourceRotation
}
