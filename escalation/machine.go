package escalation

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// lateNoteThreshold: timers always fire a little late; the timeline only
// mentions lateness people would care about.
const lateNoteThreshold = time.Second

// Step applies event e to state s at instant now under policy p, asking env
// who is on call. It returns the new state and the actions to perform, in
// order. It never mutates s and never panics; on error it returns s
// unchanged and no actions.
func Step(s State, e Event, now time.Time, p Policy, env Env) (State, []Action, error) {
	e, err := normalizeEvent(e)
	if err != nil {
		return s, nil, err
	}
	if err := s.check(); err != nil {
		return s, nil, err
	}
	// UTC strips the monotonic reading and the location, so everything
	// stored round-trips through JSON exactly.
	m := &machine{s: s.clone(), now: now.UTC(), p: p, env: env}
	if err := m.apply(e); err != nil {
		return s, nil, err
	}
	if len(m.s.Pending) == 0 {
		m.s.Pending = nil // nil and empty marshal alike; keep DeepEqual after a round trip
	}
	if len(m.s.Paged) == 0 {
		m.s.Paged = nil
	}
	if len(m.s.StepPeople) == 0 {
		m.s.StepPeople = nil
	}
	if len(m.s.StepSends) == 0 {
		m.s.StepSends = nil
	}
	return m.s, m.out, nil
}

// normalizeEvent accepts pointers to events too, and rejects nil.
func normalizeEvent(e Event) (Event, error) {
	switch v := e.(type) {
	case Trigger, Tick, Ack, Resolve, EscalateNow, DeliveryFailed, Raise:
		return e, nil
	case *Trigger:
		if v != nil {
			return *v, nil
		}
	case *Tick:
		if v != nil {
			return *v, nil
		}
	case *Ack:
		if v != nil {
			return *v, nil
		}
	case *Resolve:
		if v != nil {
			return *v, nil
		}
	case *EscalateNow:
		if v != nil {
			return *v, nil
		}
	case *DeliveryFailed:
		if v != nil {
			return *v, nil
		}
	case *Raise:
		if v != nil {
			return *v, nil
		}
	}
	return nil, fmt.Errorf("%w: %T", ErrUnknownEvent, e)
}

// check rejects states Step could not have produced (a corrupt record), so
// that nothing below has to guard against them.
func (s State) check() error {
	switch s.Status {
	case "", StatusTriggered, StatusAcknowledged, StatusResolved:
	default:
		return fmt.Errorf("%w: status %q", ErrInvalidState, s.Status)
	}
	if s.Pass < 0 || s.Step < 0 || s.Seq < 0 {
		return fmt.Errorf("%w: negative pass, step or seq", ErrInvalidState)
	}
	switch s.Urgency {
	case "", High, Low:
	default:
		return fmt.Errorf("%w: urgency %q", ErrInvalidState, s.Urgency)
	}
	if s.Status == StatusTriggered && !s.Exhausted && !s.Held() && s.StepDeadline.IsZero() {
		return fmt.Errorf("%w: triggered without a step deadline", ErrInvalidState)
	}
	return nil
}

func (s State) clone() State {
	s.Pending = slices.Clone(s.Pending)
	s.Paged = slices.Clone(s.Paged)
	s.StepPeople = slices.Clone(s.StepPeople)
	s.StepSends = slices.Clone(s.StepSends)
	return s
}

// machine holds one Step call's working state.
type machine struct {
	s   State
	now time.Time
	p   Policy
	env Env
	out []Action
}

func (m *machine) emit(a Action)                { m.out = append(m.out, a) }
func (m *machine) note(format string, a ...any) { m.emit(Note{Text: fmt.Sprintf(format, a...)}) }

// ready is required by every event that may page or advance.
func (m *machine) ready() error {
	if m.env == nil {
		return ErrNoEnv
	}
	if err := m.p.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	return nil
}

func (m *machine) apply(e Event) error {
	switch e := e.(type) {
	case Trigger:
		return m.trigger(e.Urgency)
	case Tick:
		return m.tick()
	case Ack:
		return m.ack(e.By)
	case Resolve:
		return m.resolve(e.By)
	case EscalateNow:
		return m.escalateNow(e.By)
	case DeliveryFailed:
		return m.deliveryFailed(e)
	case Raise:
		return m.raise(e.By)
	}
	return fmt.Errorf("%w: %T", ErrUnknownEvent, e)
}

// closed returns the error for an event that needs an open alert.
func (m *machine) closed() error {
	switch m.s.Status {
	case "":
		return ErrNotTriggered
	case StatusResolved:
		return &AlreadyError{Status: StatusResolved, By: m.s.ResolvedBy, At: m.s.ResolvedAt}
	}
	return nil
}

func (m *machine) trigger(u Urgency) error {
	if m.s.Status != "" {
		return ErrAlreadyTriggered
	}
	switch u {
	case "", High, Low:
	default:
		return fmt.Errorf("%w: urgency %q", ErrUnknownEvent, u)
	}
	if err := m.ready(); err != nil {
		return err
	}
	// Keep Seq: page IDs must stay unique even if a caller reuses a record.
	m.s = State{Status: StatusTriggered, Seq: m.s.Seq, Urgency: u}
	if m.low() && m.p.Low.Hold {
		if open, next := m.hours(m.now); !open && !next.IsZero() {
			m.s.HeldUntil = next.UTC()
			m.note("low urgency, outside business hours: held until %s, then paged", next.Format("Mon 2 Jan 15:04 MST"))
			m.arm()
			return nil
		} else if !open {
			m.note("low urgency, outside business hours, but no business hours lie ahead: paging now")
		}
	}
	m.enter(0, 0, m.now)
	m.run()
	m.arm()
	return nil
}

// low reports whether the alert is low urgency.
func (m *machine) low() bool { return m.s.Urgency == Low }

// hours asks the Env about business hours; without Hours, always open.
func (m *machine) hours(at time.Time) (open bool, next time.Time) {
	h, ok := m.env.(Hours)
	if !ok {
		return true, time.Time{}
	}
	return h.BusinessHours(at)
}

// release ends a hold: step 1 starts, nominally at at.
func (m *machine) release(at time.Time) {
	m.s.HeldUntil = time.Time{}
	m.enter(0, 0, at)
}

func (m *machine) tick() error {
	switch m.s.Status {
	case "":
		return ErrNotTriggered
	case StatusAcknowledged, StatusResolved:
		return nil // a stale timer that fired as it was being cancelled
	}
	if err := m.ready(); err != nil {
		return err
	}
	if m.s.Held() {
		if m.now.Before(m.s.HeldUntil) {
			m.arm() // early: keep waiting
			return nil
		}
		// Paged from the hold's end, not now, so a late tick keeps the
		// policy's timing (and says the pages are late).
		m.note("business hours began: paging")
		m.release(m.s.HeldUntil)
	}
	m.run()
	m.arm()
	return nil
}

func (m *machine) ack(by string) error {
	if err := m.closed(); err != nil {
		return err
	}
	if m.s.Status == StatusAcknowledged {
		return &AlreadyError{Status: StatusAcknowledged, By: m.s.AckedBy, At: m.s.AckedAt}
	}
	if by == "" {
		return ErrNoActor
	}
	if m.onlyLearningShadow(by) {
		m.note("ack by shadow %s noted; escalation continues", by)
		return nil
	}
	m.s.Status = StatusAcknowledged
	m.s.AckedBy, m.s.AckedAt = by, m.now
	if m.s.Exhausted {
		m.note("acknowledged by %s (after the policy was exhausted)", by)
	} else {
		m.note("acknowledged by %s", by)
	}
	m.stop()
	return nil
}

// onlyLearningShadow: by was paged, and only ever as a non-reverse shadow.
// Someone never paged (an operator on the CLI) may always ack.
func (m *machine) onlyLearningShadow(by string) bool {
	seen := false
	for _, r := range m.s.Paged {
		if r.Person != by {
			continue
		}
		if !r.Shadow || r.Reverse {
			return false
		}
		seen = true
	}
	return seen
}

func (m *machine) resolve(by string) error {
	if err := m.closed(); err != nil {
		return err
	}
	if by == "" {
		return ErrNoActor
	}
	m.s.Status = StatusResolved
	m.s.ResolvedBy, m.s.ResolvedAt = by, m.now
	m.note("resolved by %s", by)
	m.stop()
	return nil
}

// stop ends all paging. CancelTimer goes out even if no timer is recorded:
// the scheduler may hold one from a state version that lost a race.
func (m *machine) stop() {
	m.s.Pending = nil
	m.s.StepDeadline = time.Time{}
	m.s.HeldUntil = time.Time{}
	m.s.Timer = time.Time{}
	m.emit(CancelTimer{})
}

func (m *machine) escalateNow(by string) error {
	if err := m.closed(); err != nil {
		return err
	}
	if by == "" {
		return ErrNoActor
	}
	if err := m.ready(); err != nil {
		return err
	}
	if m.s.Exhausted {
		return ErrNoFurtherStep
	}
	if m.s.Held() {
		// Whoever asks wants a person now, not at business hours.
		m.note("escalation requested by %s: paging now instead of waiting for business hours", by)
		m.release(m.now)
		m.run()
		m.arm()
		return nil
	}
	pass, step, ok := m.p.Next(m.s.Pass, m.s.Step)
	if m.s.Status == StatusAcknowledged {
		// Re-opening only to find nobody would leave the asker with
		// neither help nor an ack; refuse instead and say why.
		if !ok {
			return ErrNoFurtherStep
		}
		m.note("escalation requested by %s: re-opened (was acknowledged by %s), paging the next step", by, m.s.AckedBy)
		m.s.Status = StatusTriggered
		m.s.AckedBy, m.s.AckedAt = "", time.Time{}
		m.enter(pass, step, m.now)
		if m.s.Exhausted {
			return ErrNoFurtherStep
		}
	} else {
		m.note("escalation requested by %s: leaving %s", by, m.p.label(m.s.Step))
		if ok {
			m.enter(pass, step, m.now)
		} else {
			m.exhaust()
		}
	}
	m.run()
	m.arm()
	return nil
}

func (m *machine) raise(by string) error {
	if err := m.closed(); err != nil {
		return err
	}
	if by == "" {
		return ErrNoActor
	}
	if m.s.Urgency != Low {
		return ErrAlreadyHigh
	}
	if err := m.ready(); err != nil {
		return err
	}
	m.s.Urgency = High
	switch {
	case m.s.Status != StatusTriggered:
		m.note("raised to high urgency by %s", by)
	case m.s.Held():
		m.note("raised to high urgency by %s: paging now instead of waiting for business hours", by)
		m.release(m.now)
	case m.s.TextsOnly && !m.s.Exhausted:
		m.note("raised to high urgency by %s: paging %s again by every method", by, m.p.label(m.s.Step))
		m.enter(m.s.Pass, m.s.Step, m.now)
	default:
		m.note("raised to high urgency by %s", by)
	}
	m.run()
	m.arm()
	return nil
}

func (m *machine) deliveryFailed(e DeliveryFailed) error {
	if m.s.Status == "" {
		return ErrNotTriggered
	}
	if e.Person == "" {
		return ErrNoActor
	}
	if e.Reason != "" {
		m.note("%s to %s failed: %s", methodName(e.Method), e.Person, e.Reason)
	} else {
		m.note("%s to %s failed", methodName(e.Method), e.Person)
	}
	if m.s.Status != StatusTriggered {
		return nil // late report after ack or resolve: record it, nothing to chase
	}
	if err := m.ready(); err != nil {
		return err
	}
	current := m.markFailed(e)
	i := slices.IndexFunc(m.s.Pending, func(pd Pending) bool {
		return pd.Person == e.Person && pd.Method != e.Method
	})
	if i < 0 {
		m.note("no other contact method for %s", e.Person)
	} else if m.s.Pending[i].Due.After(m.now) {
		m.s.Pending[i].Due = m.now
		m.note("trying %s by %s now", e.Person, methodName(m.s.Pending[i].Method))
		m.sortPending()
	}
	m.run()
	// Only a failure of this step's page can end the step: a report about
	// an earlier step's page says nothing about this one.
	if current && !m.s.Exhausted && !m.p.WaitForTimeout && m.unreachable() {
		m.note("%s: %s could not be reached by any method; not waiting for the ack timeout", m.p.label(m.s.Step), strings.Join(m.s.StepPeople, ", "))
		if pass, step, ok := m.p.Next(m.s.Pass, m.s.Step); ok {
			m.enter(pass, step, m.now)
		} else {
			m.exhaust()
		}
		m.run()
	}
	m.arm()
	return nil
}

// markFailed marks the send e reports as failed, and reports whether it
// was one of the current step's.
func (m *machine) markFailed(e DeliveryFailed) bool {
	var i int
	if e.Page != "" {
		i = slices.IndexFunc(m.s.StepSends, func(sd Send) bool { return sd.Page == e.Page })
	} else {
		i = slices.IndexFunc(m.s.StepSends, func(sd Send) bool {
			return sd.Person == e.Person && !sd.Failed && (e.Method == "" || sd.Method == e.Method)
		})
	}
	if i < 0 {
		return false
	}
	m.s.StepSends[i].Failed = true
	return true
}

// unreachable reports whether nobody the current step paged can still be
// reached: none has a notification still to come at this step, and every
// page each was sent at this step has failed.
func (m *machine) unreachable() bool {
	if len(m.s.StepPeople) == 0 {
		return false
	}
	for _, p := range m.s.StepPeople {
		if slices.ContainsFunc(m.s.Pending, func(pd Pending) bool {
			return pd.Person == p && pd.Pass == m.s.Pass && pd.Step == m.s.Step
		}) {
			return false
		}
		sent := false
		for _, sd := range m.s.StepSends {
			if sd.Person != p {
				continue
			}
			if !sd.Failed {
				return false
			}
			sent = true
		}
		if !sent {
			return false
		}
	}
	return true
}

func methodName(m Method) string {
	if m == "" {
		return "page"
	}
	return string(m)
}

// run sends every notification due by now and times out every step whose
// deadline is past, in time order. After downtime this replays the missed
// escalation: each overdue step is still paged, in order, with Late set.
func (m *machine) run() {
	for {
		deadline := m.s.StepDeadline
		if m.s.Exhausted {
			deadline = time.Time{}
		}
		if len(m.s.Pending) > 0 {
			pd := m.s.Pending[0]
			// A page due at the very deadline belongs to its step: send it first.
			if !pd.Due.After(m.now) && (deadline.IsZero() || !pd.Due.After(deadline)) {
				m.s.Pending = m.s.Pending[1:]
				m.send(pd)
				continue
			}
		}
		if deadline.IsZero() || deadline.After(m.now) {
			return
		}
		to := m.p.Steps[min(m.s.Step, len(m.p.Steps)-1)].AckTimeout
		if late := m.now.Sub(deadline); late >= lateNoteThreshold {
			m.note("%s: no acknowledgement within %s (handled %s late)", m.p.label(m.s.Step), human(to), human(late.Round(time.Second)))
		} else {
			m.note("%s: no acknowledgement within %s", m.p.label(m.s.Step), human(to))
		}
		// The next step starts at the deadline, not now, so a late replay
		// keeps the policy's own timing.
		if pass, step, ok := m.p.Next(m.s.Pass, m.s.Step); ok {
			m.enter(pass, step, deadline)
		} else {
			m.exhaust()
		}
	}
}

// enter pages step (pass, step), nominally at instant at. A step with nobody
// reachable moves on at once; if a whole cycle of steps has nobody, so will
// every later one (all are resolved at the same now), so the policy is
// exhausted rather than noted step by step.
func (m *machine) enter(pass, step int, at time.Time) {
	empty := 0
	for {
		m.s.Pass, m.s.Step = pass, step
		m.s.StepStarted = at
		m.s.StepDeadline = at.Add(m.p.Steps[step].AckTimeout)
		if m.page(at) {
			return
		}
		empty++
		if empty >= len(m.p.Steps) {
			m.note("nobody on call at any step of the policy")
			m.exhaust()
			return
		}
		var ok bool
		if pass, step, ok = m.p.Next(pass, step); !ok {
			m.exhaust()
			return
		}
	}
}

func (m *machine) exhaust() {
	m.s.Exhausted = true
	m.s.StepDeadline = time.Time{}
	m.note("policy exhausted after %s with no acknowledgement; the alert stays open", plural(m.s.Pass+1, "pass", "passes"))
	m.emit(Exhausted{})
}

// candidate is one person a step reaches, merged over targets.
type candidate struct {
	r     Recipient
	rules []Rule
}

// page notifies the current step's targets, due from at. It reports false,
// paging no one, when nobody who could acknowledge is reachable: shadows
// only get copies of pages the role receives.
func (m *machine) page(at time.Time) bool {
	ps := m.p.Steps[m.s.Step]
	where := fmt.Sprintf("%s, pass %d of %d", m.p.label(m.s.Step), m.s.Pass+1, m.p.Repeat+1)
	m.s.StepPeople, m.s.StepSends = nil, nil
	// A low-urgency alert paged outside business hours uses only the
	// policy's Low methods (texts, no calls).
	textsOnly := false
	if m.low() && len(m.p.Low.Methods) > 0 {
		open, _ := m.hours(at)
		textsOnly = !open
	}
	m.s.TextsOnly = textsOnly

	var cands []candidate
	var unheld []string // targets nobody holds, named when others are paged
	for _, t := range ps.Targets {
		// Resolved at now, not at the nominal start: after downtime the
		// pages go to whoever is on call when they are actually sent.
		rs := m.env.Resolve(t, m.now)
		if !slices.ContainsFunc(rs, func(r Recipient) bool { return r.Person != "" }) {
			unheld = append(unheld, t.String())
		}
		for _, r := range rs {
			if r.Person == "" {
				continue
			}
			if r.Role == "" {
				r.Role = t.Role
			}
			if !r.Shadow {
				r.Reverse = false
			}
			i := slices.IndexFunc(cands, func(c candidate) bool { return c.r.Person == r.Person })
			switch {
			case i < 0:
				cands = append(cands, candidate{r: r})
			case cands[i].r.Shadow && !r.Shadow, cands[i].r.Shadow && !cands[i].r.Reverse && r.Reverse:
				cands[i].r = r // the appearance with more authority to ack wins
			}
		}
	}

	staffed := false
	for i := range cands {
		c := &cands[i]
		c.rules = m.env.Rules(c.r.Person)
		if len(c.rules) == 0 {
			m.note("%s: %s has no notification rules and cannot be reached", where, describe(c.r))
			continue
		}
		if textsOnly {
			all := c.rules
			c.rules = slices.DeleteFunc(slices.Clone(all), func(r Rule) bool { return !slices.Contains(m.p.Low.Methods, r.Method) })
			if len(c.rules) == 0 {
				m.note("%s: %s has no %s rule, so is not reached for a low-urgency alert outside business hours", where, describe(c.r), methodList(m.p.Low.Methods))
				continue
			}
		}
		if !c.r.Shadow || c.r.Reverse {
			staffed = true
		}
	}
	if !staffed {
		m.note("%s: nobody on call, moving on", where)
		return false
	}

	var names []string
	for _, c := range cands {
		if len(c.rules) == 0 {
			continue
		}
		names = append(names, describe(c.r))
		// Paging a person again restarts their rules.
		m.s.Pending = slices.DeleteFunc(m.s.Pending, func(pd Pending) bool { return pd.Person == c.r.Person })
		for i, rule := range c.rules {
			m.s.Pending = append(m.s.Pending, Pending{
				Person: c.r.Person, Role: c.r.Role, Shadow: c.r.Shadow,
				Method: rule.Method, Due: at.Add(max(rule.After, 0)),
				Pass: m.s.Pass, Step: m.s.Step, Rule: i,
			})
		}
		if !slices.Contains(m.s.Paged, c.r) {
			m.s.Paged = append(m.s.Paged, c.r)
		}
		if !c.r.Shadow || c.r.Reverse {
			m.s.StepPeople = append(m.s.StepPeople, c.r.Person)
		}
	}
	m.sortPending()
	how := ""
	if textsOnly {
		how = fmt.Sprintf(" (low urgency outside business hours: %s only)", methodList(m.p.Low.Methods))
	}
	if len(unheld) > 0 {
		m.note("%s: paging %s%s; nobody on call for %s", where, strings.Join(names, ", "), how, strings.Join(unheld, ", "))
	} else {
		m.note("%s: paging %s%s", where, strings.Join(names, ", "), how)
	}
	return true
}

func methodList(ms []Method) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = methodName(m)
	}
	return strings.Join(out, ", ")
}

func describe(r Recipient) string {
	switch {
	case r.Shadow && r.Reverse:
		return fmt.Sprintf("%s (reverse shadow of %s)", r.Person, r.Role)
	case r.Shadow:
		return fmt.Sprintf("%s (shadow of %s)", r.Person, r.Role)
	case r.Role != "":
		return fmt.Sprintf("%s (%s)", r.Person, r.Role)
	}
	return r.Person
}

func (m *machine) send(pd Pending) {
	m.s.Seq++
	pg := Page{
		ID:     "p" + strconv.Itoa(m.s.Seq),
		Person: pd.Person, Role: pd.Role, Shadow: pd.Shadow, Method: pd.Method,
		Pass: pd.Pass, Step: pd.Step, Due: pd.Due,
	}
	if late := m.now.Sub(pd.Due); late > 0 {
		pg.Late = late
	}
	if pd.Pass == m.s.Pass && pd.Step == m.s.Step {
		m.s.StepSends = append(m.s.StepSends, Send{Page: pg.ID, Person: pd.Person, Method: pd.Method})
	}
	m.emit(pg)
}

// sortPending keeps the documented order, with a total tie-break so the
// order never depends on how entries were appended.
func (m *machine) sortPending() {
	slices.SortStableFunc(m.s.Pending, func(a, b Pending) int {
		return cmp.Or(
			a.Due.Compare(b.Due),
			cmp.Compare(a.Person, b.Person),
			cmp.Compare(a.Method, b.Method),
			cmp.Compare(a.Pass, b.Pass),
			cmp.Compare(a.Step, b.Step),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Role, b.Role),
			boolCompare(a.Shadow, b.Shadow),
		)
	})
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// arm emits SetTimer or CancelTimer when the alert's timer should change:
// it is due at the earliest pending notification or step deadline.
func (m *machine) arm() {
	var want time.Time
	if m.s.Status == StatusTriggered && m.s.Held() {
		want = m.s.HeldUntil
	} else if m.s.Status == StatusTriggered {
		if len(m.s.Pending) > 0 {
			want = m.s.Pending[0].Due
		}
		if d := m.s.StepDeadline; !m.s.Exhausted && !d.IsZero() && (want.IsZero() || d.Before(want)) {
			want = d
		}
	}
	if want.Equal(m.s.Timer) {
		return
	}
	m.s.Timer = want
	if want.IsZero() {
		m.emit(CancelTimer{})
	} else {
		m.emit(SetTimer{At: want})
	}
}

// human trims Duration.String's trailing zero units: "5m", "1h30m".
func human(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
