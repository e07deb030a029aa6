package escalation

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// t0 is Friday 20 Nov 2026 03:00 UTC. Business hours in these tests are
// 09:00-17:00 that day and Monday's, so a low-urgency alert at t0 waits
// six hours, and one at Friday 17:00 waits for Monday.
var (
	friday9  = at(6 * time.Hour)
	friday17 = at(14 * time.Hour)
	monday9  = at(78 * time.Hour)
	monday17 = at(86 * time.Hour)
)

func hoursOf(env *fakeEnv) *hoursEnv {
	return &hoursEnv{fakeEnv: env, open: []time.Time{friday9, monday9}, close: []time.Time{friday17, monday17}}
}

func holdPolicy() Policy {
	p := stdPolicy(0)
	p.Low = LowUrgency{Hold: true}
	return p
}

func TestLowUrgencyHeldUntilBusinessHours(t *testing.T) {
	a := newAlert(t, holdPolicy(), hoursOf(stdEnv(smsVoice)))
	acts := a.do(Trigger{Urgency: Low}, t0)
	if len(pagesOf(acts)) != 0 || !a.s.HeldUntil.Equal(friday9) || !a.s.Timer.Equal(friday9) {
		t.Fatalf("held until %v, timer %v, pages %v", a.s.HeldUntil, a.s.Timer, brief(pagesOf(acts)))
	}
	if !hasNote(acts, "low urgency, outside business hours: held until Fri 20 Nov 09:00 UTC, then paged") {
		t.Errorf("notes %q", notesOf(acts))
	}
	// A tick before the hold ends (a timer that fired early) pages nobody.
	if acts := a.do(Tick{}, at(time.Hour)); len(pagesOf(acts)) != 0 || !a.s.Held() {
		t.Fatalf("early tick: %v", brief(pagesOf(acts)))
	}
	acts = a.do(Tick{}, friday9)
	if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"alice/sms p0 s0 due 6h0m0s late 0s"}) {
		t.Fatalf("at 09:00: %v", got)
	}
	if a.s.Held() || !a.s.StepDeadline.Equal(friday9.Add(5*time.Minute)) || !hasNote(acts, "business hours began: paging") {
		t.Errorf("after the hold: %+v %q", a.s, notesOf(acts))
	}
}

// A tick long after the hold ended (no leader meanwhile) pages as from the
// hold's end, late, and replays the steps missed.
func TestLowUrgencyLateReleaseKeepsTiming(t *testing.T) {
	a := newAlert(t, holdPolicy(), hoursOf(stdEnv(smsNow)))
	a.do(Trigger{Urgency: Low}, t0)
	acts := a.do(Tick{}, friday9.Add(7*time.Minute))
	want := []string{"alice/sms p0 s0 due 6h0m0s late 7m0s", "bob/sms p0 s1 due 6h5m0s late 2m0s"}
	if got := brief(pagesOf(acts)); !slices.Equal(got, want) {
		t.Fatalf("late release: %v, want %v", got, want)
	}
}

func TestUrgencyPagesAtOnceWhenItShould(t *testing.T) {
	for _, c := range []struct {
		name string
		u    Urgency
		now  time.Time
		env  Env
	}{
		{"high out of hours", High, t0, hoursOf(stdEnv(smsNow))},
		{"unset out of hours", "", t0, hoursOf(stdEnv(smsNow))},
		{"low in hours", Low, friday9.Add(time.Hour), hoursOf(stdEnv(smsNow))},
		{"low without business hours known", Low, t0, stdEnv(smsNow)},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAlert(t, holdPolicy(), c.env)
			acts := a.do(Trigger{Urgency: c.u}, c.now)
			if len(pagesOf(acts)) != 1 || a.s.Held() {
				t.Fatalf("pages %v, held until %v", brief(pagesOf(acts)), a.s.HeldUntil)
			}
		})
	}
	// No business hours ahead at all: paging beats holding forever.
	a := newAlert(t, holdPolicy(), &hoursEnv{fakeEnv: stdEnv(smsNow)})
	if acts := a.do(Trigger{Urgency: Low}, t0); len(pagesOf(acts)) != 1 || !hasNote(acts, "no business hours lie ahead: paging now") {
		t.Fatalf("no hours ahead: %v %q", brief(pagesOf(acts)), notesOf(acts))
	}
}

func TestHeldAlertCanBeAnsweredRaisedOrEscalated(t *testing.T) {
	t.Run("ack", func(t *testing.T) {
		a := newAlert(t, holdPolicy(), hoursOf(stdEnv(smsNow)))
		a.do(Trigger{Urgency: Low}, t0)
		a.do(Ack{By: "ops"}, at(time.Hour))
		if a.s.Status != StatusAcknowledged || a.s.Held() || !a.s.Timer.IsZero() {
			t.Fatalf("after ack: %+v", a.s)
		}
		if acts := a.do(Tick{}, friday9); len(pagesOf(acts)) != 0 {
			t.Fatalf("the stale tick paged: %v", brief(pagesOf(acts)))
		}
	})
	t.Run("raise", func(t *testing.T) {
		a := newAlert(t, holdPolicy(), hoursOf(stdEnv(smsNow)))
		a.do(Trigger{Urgency: Low}, t0)
		acts := a.do(Raise{By: "ops"}, at(time.Hour))
		if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"alice/sms p0 s0 due 1h0m0s late 0s"}) || a.s.Urgency != High {
			t.Fatalf("raise: %v, urgency %q", got, a.s.Urgency)
		}
		if !hasNote(acts, "raised to high urgency by ops: paging now instead of waiting for business hours") {
			t.Errorf("notes %q", notesOf(acts))
		}
		if err := a.fail(Raise{By: "ops"}, at(2*time.Hour)); !errors.Is(err, ErrAlreadyHigh) {
			t.Errorf("second raise: %v", err)
		}
	})
	t.Run("escalate", func(t *testing.T) {
		a := newAlert(t, holdPolicy(), hoursOf(stdEnv(smsNow)))
		a.do(Trigger{Urgency: Low}, t0)
		acts := a.do(EscalateNow{By: "ops"}, at(time.Hour))
		if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"alice/sms p0 s0 due 1h0m0s late 0s"}) {
			t.Fatalf("escalate while held: %v", got)
		}
	})
}

func TestLowUrgencyTextsOnlyOutOfHours(t *testing.T) {
	env := stdEnv(smsVoice)
	env.rules["bob"] = []Rule{{Method: "voice"}} // bob only takes calls
	p := stdPolicy(0)
	p.Low = LowUrgency{Methods: []Method{"sms"}}
	a := newAlert(t, p, hoursOf(env))
	acts := a.do(Trigger{Urgency: Low}, t0)
	if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"alice/sms p0 s0 due 0s late 0s"}) || len(a.s.Pending) != 0 || !a.s.TextsOnly {
		t.Fatalf("pages %v, pending %+v", got, a.s.Pending)
	}
	if !hasNote(acts, "paging alice (primary) (low urgency outside business hours: sms only)") {
		t.Errorf("notes %q", notesOf(acts))
	}
	// Step 2: bob has no sms rule, so nobody can be reached; step 3 texts frank.
	acts = a.do(Tick{}, at(5*time.Minute))
	if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"frank/sms p0 s2 due 5m0s late 0s"}) {
		t.Fatalf("after step 1: %v", got)
	}
	if !hasNote(acts, "bob (secondary) has no sms rule, so is not reached for a low-urgency alert outside business hours") {
		t.Errorf("notes %q", notesOf(acts))
	}
	// Raised: frank's step is paged again, now with his call.
	acts = a.do(Raise{By: "frank"}, at(6*time.Minute))
	want := []string{"frank/sms p0 s2 due 6m0s late 0s"}
	if got := brief(pagesOf(acts)); !slices.Equal(got, want) || len(a.s.Pending) != 1 || a.s.Pending[0].Method != "voice" || a.s.TextsOnly {
		t.Fatalf("raise: %v, pending %+v", got, a.s.Pending)
	}
	// In business hours a low-urgency alert uses every method.
	b := newAlert(t, p, hoursOf(env))
	b.do(Trigger{Urgency: Low}, friday9)
	if len(b.s.Pending) != 1 || b.s.Pending[0].Method != "voice" || b.s.TextsOnly {
		t.Fatalf("in hours: pending %+v", b.s.Pending)
	}
}

func TestUrgencyInputsChecked(t *testing.T) {
	env := stdEnv(smsNow)
	if _, _, err := Step(State{}, Trigger{Urgency: "medium"}, t0, stdPolicy(0), env); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("trigger with urgency medium: %v", err)
	}
	if _, _, err := Step(State{Status: StatusTriggered, StepDeadline: t0, Urgency: "x"}, Tick{}, t0, stdPolicy(0), env); !errors.Is(err, ErrInvalidState) {
		t.Errorf("state with urgency x: %v", err)
	}
	held := State{Status: StatusTriggered, HeldUntil: at(time.Hour), Timer: at(time.Hour), Urgency: Low}
	if _, _, err := Step(held, Tick{}, t0, stdPolicy(0), env); err != nil {
		t.Errorf("a held state without a step deadline is valid: %v", err)
	}
	if _, _, err := Step(State{Status: StatusTriggered, StepDeadline: t0}, Raise{}, t0, stdPolicy(0), env); !errors.Is(err, ErrNoActor) {
		t.Errorf("raise by nobody: %v", err)
	}
}
