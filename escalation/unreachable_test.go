package escalation

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// When every method of the person a step paged has failed, the next step
// starts at once: nobody is left waiting on a phone that is off.
func TestUnreachablePersonMovesOnAtOnce(t *testing.T) {
	a := newAlert(t, stdPolicy(0), stdEnv(smsVoice))
	a.do(Trigger{}, t0)
	acts := a.do(DeliveryFailed{Person: "alice", Method: "sms", Reason: "undelivered"}, at(20*time.Second))
	if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"alice/voice p0 s0 due 20s late 0s"}) {
		t.Fatalf("after the text failed: %v", got)
	}
	if a.s.Step != 0 {
		t.Fatalf("moved on while the call was still to come: step %d", a.s.Step)
	}
	acts = a.do(DeliveryFailed{Person: "alice", Method: "voice", Reason: "no-answer"}, at(50*time.Second))
	if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"bob/sms p0 s1 due 50s late 0s"}) {
		t.Fatalf("after the call failed too: %v", got)
	}
	if !hasNote(acts, "step 1 (primary): alice could not be reached by any method; not waiting for the ack timeout") {
		t.Errorf("notes %q", notesOf(acts))
	}
	if want := at(50*time.Second + 5*time.Minute); !a.s.StepDeadline.Equal(want) {
		t.Errorf("step 2 deadline %v, want 5m after it started", a.s.StepDeadline.Sub(t0))
	}
	if !slices.Equal(a.s.StepPeople, []string{"bob"}) || len(a.s.StepSends) != 1 || a.s.StepSends[0].Person != "bob" {
		t.Errorf("step 2 bookkeeping: people %v sends %+v", a.s.StepPeople, a.s.StepSends)
	}
}

func TestUnreachableWaitsForEveryPersonOfTheStep(t *testing.T) {
	p := Policy{Steps: []PolicyStep{
		{Targets: []Target{{Role: "secondary"}, {Person: "frank"}}, AckTimeout: 10 * time.Minute},
		{Targets: []Target{{Role: "primary"}}, AckTimeout: 5 * time.Minute},
	}}
	a := newAlert(t, p, stdEnv(smsNow))
	a.do(Trigger{}, t0)
	acts := a.do(DeliveryFailed{Person: "bob", Method: "sms"}, at(time.Minute))
	if len(pagesOf(acts)) != 0 || a.s.Step != 0 {
		t.Fatalf("bob failed but frank may still answer: step %d, pages %v", a.s.Step, brief(pagesOf(acts)))
	}
	acts = a.do(DeliveryFailed{Person: "frank", Method: "sms"}, at(2*time.Minute))
	if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"alice/sms p0 s1 due 2m0s late 0s"}) {
		t.Fatalf("both failed: %v", got)
	}
	if !hasNote(acts, "bob, frank could not be reached") {
		t.Errorf("notes %q", notesOf(acts))
	}
}

func TestUnreachableIgnoresShadows(t *testing.T) {
	env := stdEnv(smsNow)
	env.roles["primary"] = append(env.roles["primary"], Recipient{Person: "erin", Role: "primary", Shadow: true})
	a := newAlert(t, stdPolicy(0), env)
	a.do(Trigger{}, t0)
	// erin's copy arrived; that changes nothing: she can't ack.
	acts := a.do(DeliveryFailed{Person: "alice", Method: "sms"}, at(time.Second))
	if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"bob/sms p0 s1 due 1s late 0s"}) {
		t.Fatalf("pages %v", got)
	}
	// A shadow's failure alone moves nothing.
	b := newAlert(t, stdPolicy(0), env)
	b.do(Trigger{}, t0)
	if acts := b.do(DeliveryFailed{Person: "erin", Method: "sms"}, at(time.Second)); len(pagesOf(acts)) != 0 || b.s.Step != 0 {
		t.Fatalf("the shadow's failure moved the step: %v", brief(pagesOf(acts)))
	}
}

func TestUnreachableOptOutWaitsForTimeout(t *testing.T) {
	p := stdPolicy(0)
	p.WaitForTimeout = true
	a := newAlert(t, p, stdEnv(smsNow))
	a.do(Trigger{}, t0)
	acts := a.do(DeliveryFailed{Person: "alice", Method: "sms"}, at(time.Second))
	if len(pagesOf(acts)) != 0 || a.s.Step != 0 || !hasNote(acts, "no other contact method for alice") {
		t.Fatalf("a team that waits moved on: step %d %q", a.s.Step, notesOf(acts))
	}
	if acts := a.do(Tick{}, at(5*time.Minute)); !slices.Equal(brief(pagesOf(acts)), []string{"bob/sms p0 s1 due 5m0s late 0s"}) {
		t.Fatalf("at the timeout: %v", brief(pagesOf(acts)))
	}
}

// A report about an earlier step's page says nothing about this step.
func TestUnreachableOnlyCountsThisStep(t *testing.T) {
	p := Policy{Steps: []PolicyStep{
		{Targets: []Target{{Role: "secondary"}}, AckTimeout: 5 * time.Minute},
		{Targets: []Target{{Role: "secondary"}}, AckTimeout: 5 * time.Minute},
		{Targets: []Target{{Role: "primary"}}, AckTimeout: 5 * time.Minute},
	}}
	a := newAlert(t, p, stdEnv(smsNow))
	a.do(Trigger{}, t0)
	a.do(Tick{}, at(5*time.Minute)) // step 2 pages bob again
	acts := a.do(DeliveryFailed{Person: "bob", Method: "sms", Page: "p1"}, at(5*time.Minute+time.Second))
	if a.s.Step != 1 || len(pagesOf(acts)) != 0 {
		t.Fatalf("step 1's failed text ended step 2: step %d %v", a.s.Step, brief(pagesOf(acts)))
	}
	acts = a.do(DeliveryFailed{Person: "bob", Method: "sms", Page: "p2"}, at(5*time.Minute+2*time.Second))
	if a.s.Step != 2 || !slices.Equal(brief(pagesOf(acts)), []string{"alice/sms p0 s2 due 5m2s late 0s"}) {
		t.Fatalf("step 2's own failure: step %d %v", a.s.Step, brief(pagesOf(acts)))
	}
}

func TestUnreachableOnTheLastStepExhausts(t *testing.T) {
	p := Policy{Steps: []PolicyStep{{Targets: []Target{{Role: "primary"}}, AckTimeout: 5 * time.Minute}}}
	a := newAlert(t, p, stdEnv(smsNow))
	a.do(Trigger{}, t0)
	acts := a.do(DeliveryFailed{Person: "alice", Method: "sms"}, at(time.Second))
	if !a.s.Exhausted || count[Exhausted](acts) != 1 || !a.s.Timer.IsZero() {
		t.Fatalf("exhausted %v, timer %v, acts %#v", a.s.Exhausted, a.s.Timer, acts)
	}
	if err := a.fail(EscalateNow{By: "alice"}, at(2*time.Second)); !errors.Is(err, ErrNoFurtherStep) {
		t.Errorf("escalate after: %v", err)
	}
}

func TestPolicyNextAndLast(t *testing.T) {
	p := stdPolicy(1)
	for _, c := range []struct {
		pass, step         int
		wantPass, wantStep int
		ok, last           bool
	}{
		{0, 0, 0, 1, true, false},
		{0, 2, 1, 0, true, false},
		{1, 1, 1, 2, true, false},
		{1, 2, 1, 2, false, true},
		{1, 7, 1, 7, false, true}, // a step beyond a shrunk policy ends it
	} {
		pass, step, ok := p.Next(c.pass, c.step)
		if pass != c.wantPass || step != c.wantStep || ok != c.ok || p.Last(c.pass, c.step) != c.last {
			t.Errorf("Next(%d, %d) = %d, %d, %v; Last %v", c.pass, c.step, pass, step, ok, p.Last(c.pass, c.step))
		}
	}
}
