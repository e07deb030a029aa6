// Package escalation is the alert state machine: Step(state, event, now,
// policy, env) returns the next state and the actions the scheduler must
// perform (send pages, arm the alert's one timer, write timeline notes).
//
// It is pure: no I/O and no wall clock. The caller passes now, and learns
// who is on call through Env. The same inputs always give the same outputs,
// and State round-trips exactly through encoding/json, so the scheduler can
// keep it in etcd and a new leader can carry on where the old one stopped.
package escalation

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxRepeat bounds Policy.Repeat: more passes than this is almost certainly a
// typo, and the bound keeps one very late Tick's catch-up work small.
const MaxRepeat = 10

// personPrefix marks a person target in its text form ("person:frank").
const personPrefix = "person:"

// Target is what a policy step notifies: a role of the team's rotations or
// one person. Exactly one of Role and Person is set.
type Target struct {
	Role   string `json:"role,omitempty"`
	Person string `json:"person,omitempty"`
}

// String gives the rota-file spelling: "primary" or "person:frank".
func (t Target) String() string {
	switch {
	case t.Person == "" && t.Role != "":
		return t.Role
	case t.Role == "" && t.Person != "":
		return personPrefix + t.Person
	default:
		return fmt.Sprintf("invalid target (role %q, person %q)", t.Role, t.Person)
	}
}

// ParseTarget reads the rota-file spelling: "person:frank" is a person,
// anything else a role.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutPrefix(s, personPrefix); ok {
		if p = strings.TrimSpace(p); p == "" {
			return Target{}, fmt.Errorf("target %q: person id missing", s)
		}
		return Target{Person: p}, nil
	}
	if s == "" {
		return Target{}, errors.New("empty target")
	}
	return Target{Role: s}, nil
}

func (t Target) validate() error {
	if (t.Role == "") == (t.Person == "") {
		return fmt.Errorf("target must set exactly one of role and person (role %q, person %q)", t.Role, t.Person)
	}
	return nil
}

// PolicyStep is one rung of an escalation policy: who to notify, and how long
// they have to acknowledge before the next step is paged.
type PolicyStep struct {
	Targets    []Target      `json:"targets"`
	AckTimeout time.Duration `json:"ack_timeout"`
}

// Policy is an escalation policy: ordered steps, run through 1+Repeat times
// (PagerDuty semantics: Repeat 2 means three passes in all).
type Policy struct {
	Steps  []PolicyStep `json:"steps"`
	Repeat int          `json:"repeat"`
	// WaitForTimeout keeps a step going until its ack timeout even when
	// every person it paged is unreachable (every method failed). By
	// default the next step starts at once: nobody is left waiting on a
	// phone that is off.
	WaitForTimeout bool `json:"wait_for_timeout,omitempty"`
	// Low is what a low-urgency alert does outside business hours; the
	// zero value pages it like a high-urgency one.
	Low LowUrgency `json:"low,omitempty"`
}

// LowUrgency is what a low-urgency alert does outside business hours.
type LowUrgency struct {
	// Hold: a low-urgency alert triggered outside business hours pages
	// nobody until they next begin; then step 1 starts.
	Hold bool `json:"hold,omitempty"`
	// Methods, if set, are the only methods a step paged outside business
	// hours uses for a low-urgency alert (texts, no calls).
	Methods []Method `json:"methods,omitempty"`
}

// Next is the position after (pass, step), or false when the policy is
// done. A step beyond the policy (it shrank since the alert began) ends
// the pass.
func (p Policy) Next(pass, step int) (int, int, bool) {
	if step+1 < len(p.Steps) {
		return pass, step + 1, true
	}
	if pass < p.Repeat {
		return pass + 1, 0, true
	}
	return pass, step, false
}

// Last reports whether (pass, step) is the policy's last: nobody further
// is paged after it.
func (p Policy) Last(pass, step int) bool {
	_, _, ok := p.Next(pass, step)
	return !ok
}

// Validate reports every problem at once so `pagerd check` can list them all.
func (p Policy) Validate() error {
	var errs []error
	if len(p.Steps) == 0 {
		errs = append(errs, errors.New("policy has no steps"))
	}
	if p.Repeat < 0 || p.Repeat > MaxRepeat {
		errs = append(errs, fmt.Errorf("repeat %d out of range 0..%d", p.Repeat, MaxRepeat))
	}
	for i, s := range p.Steps {
		if len(s.Targets) == 0 {
			errs = append(errs, fmt.Errorf("step %d: no targets", i+1))
		}
		if s.AckTimeout <= 0 {
			errs = append(errs, fmt.Errorf("step %d: ack timeout %v must be positive", i+1, s.AckTimeout))
		}
		for j, t := range s.Targets {
			if err := t.validate(); err != nil {
				errs = append(errs, fmt.Errorf("step %d: target %d: %w", i+1, j+1, err))
			}
		}
	}
	return errors.Join(errs...)
}

// label names a step for the timeline: "step 2 (secondary)".
func (p Policy) label(step int) string {
	if step < 0 || step >= len(p.Steps) {
		return fmt.Sprintf("step %d", step+1)
	}
	names := make([]string, len(p.Steps[step].Targets))
	for i, t := range p.Steps[step].Targets {
		names[i] = t.String()
	}
	return fmt.Sprintf("step %d (%s)", step+1, strings.Join(names, ", "))
}
