package escalation

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTriggerPagesStepZero(t *testing.T) {
	a := newAlert(t, stdPolicy(2), stdEnv(smsVoice))
	acts := a.do(Trigger{}, t0)
	if got, want := brief(pagesOf(acts)), []string{"alice/sms p0 s0 due 0s late 0s"}; !slices.Equal(got, want) {
		t.Fatalf("pages %v, want %v", got, want)
	}
	if !hasNote(acts, "step 1 (primary), pass 1 of 3: paging alice (primary)") {
		t.Errorf("notes %q", notesOf(acts))
	}
	if last := acts[len(acts)-1]; last != (SetTimer{At: at(2 * time.Minute)}) {
		t.Errorf("last action %#v, want SetTimer at +2m (voice)", last)
	}
	if a.s.Status != StatusTriggered || !a.s.StepDeadline.Equal(at(5*time.Minute)) || len(a.s.Pending) != 1 {
		t.Errorf("state %+v", a.s)
	}
	if err := a.fail(Trigger{}, t0); !errors.Is(err, ErrAlreadyTriggered) {
		t.Errorf("second trigger: %v", err)
	}
}

func TestAckBeforeTimeoutStopsEscalation(t *testing.T) {
	a := newAlert(t, stdPolicy(2), stdEnv(smsNow))
	a.do(Trigger{}, t0)
	acts := a.do(Ack{By: "alice"}, at(time.Minute))
	if count[CancelTimer](acts) != 1 || !hasNote(acts, "acknowledged by alice") {
		t.Fatalf("ack actions %#v", acts)
	}
	if a.s.Status != StatusAcknowledged || a.s.AckedBy != "alice" || !a.s.AckedAt.Equal(at(time.Minute)) || a.s.Pending != nil {
		t.Fatalf("state after ack %+v", a.s)
	}
	// The timer may still fire once (cancel raced it): nothing happens.
	for _, d := range []time.Duration{5 * time.Minute, time.Hour} {
		if acts := a.do(Tick{}, at(d)); len(acts) != 0 {
			t.Errorf("tick at +%v after ack: %#v", d, acts)
		}
	}
}

func TestTimeoutPagesNextStep(t *testing.T) {
	a := newAlert(t, stdPolicy(2), stdEnv(smsNow))
	a.do(Trigger{}, t0)
	if acts := a.do(Tick{}, at(4*time.Minute)); len(acts) != 0 {
		t.Fatalf("early tick acted: %#v", acts)
	}
	acts := a.do(Tick{}, at(5*time.Minute))
	if got, want := brief(pagesOf(acts)), []string{"bob/sms p0 s1 due 5m0s late 0s"}; !slices.Equal(got, want) {
		t.Fatalf("pages %v, want %v", got, want)
	}
	if !hasNote(acts, "step 1 (primary): no acknowledgement within 5m") || !hasNote(acts, "step 2 (secondary), pass 1 of 3: paging bob (secondary)") {
		t.Errorf("notes %q", notesOf(acts))
	}
	if a.s.Step != 1 || a.s.Pass != 0 || !a.s.Timer.Equal(at(10*time.Minute)) {
		t.Errorf("state %+v", a.s)
	}
	// A slightly late timer: Late is exact, the schedule is not shifted.
	acts = a.do(Tick{}, at(10*time.Minute+300*time.Millisecond))
	if got, want := brief(pagesOf(acts)), []string{"frank/sms p0 s2 due 10m0s late 300ms"}; !slices.Equal(got, want) {
		t.Fatalf("pages %v, want %v", got, want)
	}
	if !a.s.Timer.Equal(at(20 * time.Minute)) {
		t.Errorf("timer %v", a.s.Timer.Sub(t0))
	}
}

func TestRepeatCountHonoured(t *testing.T) {
	onePerson := Policy{Steps: []PolicyStep{{Targets: []Target{{Role: "primary"}}, AckTimeout: 5 * time.Minute}}}
	for _, tc := range []struct {
		name   string
		policy Policy
		repeat int
		pages  int
	}{
		{"one step repeat 0", onePerson, 0, 1},
		{"one step repeat 1", onePerson, 1, 2},
		{"one step repeat 2", onePerson, 2, 3},
		{"three steps repeat 0", stdPolicy(0), 0, 3},
		{"three steps repeat 1", stdPolicy(0), 1, 6},
		{"three steps repeat 2", stdPolicy(0), 2, 9},
		{"three steps repeat max", stdPolicy(0), MaxRepeat, 3 * (MaxRepeat + 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy
			p.Repeat = tc.repeat
			a := newAlert(t, p, stdEnv(smsNow))
			acts := a.do(Trigger{}, t0)
			acts = append(acts, a.tickUntilQuiet(100)...)
			if got := len(pagesOf(acts)); got != tc.pages {
				t.Errorf("%d pages, want %d: %v", got, tc.pages, brief(pagesOf(acts)))
			}
			if got := count[Exhausted](acts); got != 1 {
				t.Errorf("Exhausted emitted %d times", got)
			}
			if !a.s.Exhausted || a.s.Status != StatusTriggered || !a.s.Timer.IsZero() {
				t.Errorf("final state %+v", a.s)
			}
			if !hasNote(acts, "policy exhausted after "+plural(tc.repeat+1, "pass", "passes")) {
				t.Errorf("notes %q", notesOf(acts))
			}
			// Reported once: later events never repeat it.
			for _, e := range []Event{Tick{}, DeliveryFailed{Person: "alice", Method: "sms"}, Tick{}} {
				if acts := a.do(e, at(48*time.Hour)); count[Exhausted](acts) != 0 || len(pagesOf(acts)) != 0 {
					t.Errorf("%T after exhaustion: %#v", e, acts)
				}
			}
			// An exhausted alert can still be acknowledged.
			if acts := a.do(Ack{By: "alice"}, at(49*time.Hour)); a.s.Status != StatusAcknowledged || !hasNote(acts, "after the policy was exhausted") {
				t.Errorf("ack after exhaustion: %+v %q", a.s, notesOf(acts))
			}
		})
	}
}

func TestPendingContinueAfterExhaustion(t *testing.T) {
	p := Policy{Steps: []PolicyStep{{Targets: []Target{{Role: "primary"}}, AckTimeout: time.Minute}}}
	a := newAlert(t, p, stdEnv(smsVoice)) // voice at 2m, after the 1m deadline
	a.do(Trigger{}, t0)
	acts := a.do(Tick{}, at(time.Minute))
	if count[Exhausted](acts) != 1 || !a.s.Timer.Equal(at(2*time.Minute)) {
		t.Fatalf("at 1m: %#v, timer %v", acts, a.s.Timer)
	}
	acts = a.do(Tick{}, at(2*time.Minute))
	if got, want := brief(pagesOf(acts)), []string{"alice/voice p0 s0 due 2m0s late 0s"}; !slices.Equal(got, want) {
		t.Fatalf("pages %v, want %v", got, want)
	}
	if count[CancelTimer](acts) != 1 || !a.s.Timer.IsZero() {
		t.Errorf("timer not cancelled when nothing is left: %#v", acts)
	}
}

func TestShadowAck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reverse bool
		stops   bool
	}{
		{"learning shadow does not stop escalation", false, false},
		{"reverse shadow may ack", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := stdEnv(smsNow)
			env.roles["primary"] = append(env.roles["primary"], Recipient{Person: "erin", Role: "primary", Shadow: true, Reverse: tc.reverse})
			a := newAlert(t, stdPolicy(0), env)
			acts := a.do(Trigger{}, t0)
			want := []Page{
				{ID: "p1", Person: "alice", Role: "primary", Method: "sms", Due: t0},
				{ID: "p2", Person: "erin", Role: "primary", Shadow: true, Method: "sms", Due: t0},
			}
			if got := pagesOf(acts); !reflect.DeepEqual(got, want) {
				t.Fatalf("pages %+v, want %+v", got, want)
			}
			before := a.s
			acts = a.do(Ack{By: "erin"}, at(time.Minute))
			if !tc.stops {
				if !reflect.DeepEqual(acts, []Action{Note{Text: "ack by shadow erin noted; escalation continues"}}) {
					t.Fatalf("shadow ack actions %#v", acts)
				}
				if !reflect.DeepEqual(a.s, before) {
					t.Fatalf("shadow ack changed state")
				}
				acts = a.do(Tick{}, at(5*time.Minute))
				if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"bob/sms p0 s1 due 5m0s late 0s"}) {
					t.Fatalf("escalation after shadow ack: %v", got)
				}
				return
			}
			if a.s.Status != StatusAcknowledged || a.s.AckedBy != "erin" || count[CancelTimer](acts) != 1 {
				t.Fatalf("reverse shadow ack: %+v %#v", a.s, acts)
			}
		})
	}
}

func TestShadowPagedAlsoAsHolderMayAck(t *testing.T) {
	// erin shadows primary in step 1 and is paged as frank's stand-in in step 3:
	// once paged in her own right, her ack counts.
	env := stdEnv(smsNow)
	env.roles["primary"] = append(env.roles["primary"], Recipient{Person: "erin", Role: "primary", Shadow: true})
	p := stdPolicy(0)
	p.Steps[2].Targets = []Target{{Person: "erin"}}
	a := newAlert(t, p, env)
	a.do(Trigger{}, t0)
	a.do(Tick{}, at(5*time.Minute))
	a.do(Tick{}, at(10*time.Minute))
	a.do(Ack{By: "erin"}, at(11*time.Minute))
	if a.s.Status != StatusAcknowledged {
		t.Fatalf("status %s", a.s.Status)
	}
}

func TestResolveStopsEverything(t *testing.T) {
	a := newAlert(t, stdPolicy(2), stdEnv(smsVoice))
	a.do(Trigger{}, t0)
	acts := a.do(Resolve{By: "monitor"}, at(time.Minute))
	if count[CancelTimer](acts) != 1 || !hasNote(acts, "resolved by monitor") {
		t.Fatalf("resolve actions %#v", acts)
	}
	if a.s.Status != StatusResolved || a.s.Pending != nil || !a.s.Timer.IsZero() || !a.s.StepDeadline.IsZero() {
		t.Fatalf("state %+v", a.s)
	}
	if acts := a.do(Tick{}, at(2*time.Minute)); len(acts) != 0 {
		t.Errorf("tick after resolve: %#v", acts)
	}
	for _, e := range []Event{Resolve{By: "bob"}, Ack{By: "alice"}, EscalateNow{By: "alice"}} {
		err := a.fail(e, at(3*time.Minute))
		var ae *AlreadyError
		if !errors.Is(err, ErrAlreadyResolved) || !errors.As(err, &ae) || ae.By != "monitor" || !ae.At.Equal(at(time.Minute)) {
			t.Errorf("%T after resolve: %v", e, err)
		}
	}
}

func TestAckTwiceSaysWhoAndWhen(t *testing.T) {
	a := newAlert(t, stdPolicy(2), stdEnv(smsNow))
	a.do(Trigger{}, t0)
	a.do(Ack{By: "bob"}, at(12*time.Minute))
	err := a.fail(Ack{By: "alice"}, at(13*time.Minute))
	var ae *AlreadyError
	if !errors.Is(err, ErrAlreadyAcknowledged) || errors.Is(err, ErrAlreadyResolved) || !errors.As(err, &ae) {
		t.Fatalf("err %v", err)
	}
	if ae.By != "bob" || !ae.At.Equal(at(12*time.Minute)) || !strings.Contains(err.Error(), "already acknowledged by bob at 2026-11-20T03:12:00Z") {
		t.Errorf("err %v (%+v)", err, ae)
	}
	// Resolving an acknowledged alert is the normal end.
	a.do(Resolve{By: "bob"}, at(20*time.Minute))
	if a.s.AckedBy != "bob" || a.s.ResolvedBy != "bob" {
		t.Errorf("history lost: %+v", a.s)
	}
}

func TestNobodyOnCall(t *testing.T) {
	t.Run("empty step moves on at once", func(t *testing.T) {
		env := stdEnv(smsNow)
		delete(env.roles, "secondary")
		a := newAlert(t, stdPolicy(2), env)
		a.do(Trigger{}, t0)
		acts := a.do(Tick{}, at(5*time.Minute))
		if !hasNote(acts, "step 2 (secondary), pass 1 of 3: nobody on call, moving on") {
			t.Errorf("notes %q", notesOf(acts))
		}
		if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"frank/sms p0 s2 due 5m0s late 0s"}) {
			t.Errorf("pages %v", got)
		}
		if !a.s.StepDeadline.Equal(at(15*time.Minute)) || a.s.Step != 2 {
			t.Errorf("state %+v", a.s)
		}
	})
	t.Run("first step empty at trigger", func(t *testing.T) {
		env := stdEnv(smsNow)
		delete(env.roles, "primary")
		a := newAlert(t, stdPolicy(0), env)
		acts := a.do(Trigger{}, t0)
		if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"bob/sms p0 s1 due 0s late 0s"}) {
			t.Errorf("pages %v", got)
		}
		if !hasNote(acts, "step 1 (primary), pass 1 of 1: nobody on call, moving on") {
			t.Errorf("notes %q", notesOf(acts))
		}
	})
	t.Run("recipient without rules cannot be reached", func(t *testing.T) {
		env := stdEnv(smsNow)
		delete(env.rules, "alice")
		a := newAlert(t, stdPolicy(0), env)
		acts := a.do(Trigger{}, t0)
		if !hasNote(acts, "alice (primary) has no notification rules and cannot be reached") || !hasNote(acts, "nobody on call, moving on") {
			t.Errorf("notes %q", notesOf(acts))
		}
		if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"bob/sms p0 s1 due 0s late 0s"}) {
			t.Errorf("pages %v", got)
		}
	})
	t.Run("only a learning shadow is not staffed", func(t *testing.T) {
		env := stdEnv(smsNow)
		env.roles["primary"] = []Recipient{{Person: "erin", Role: "primary", Shadow: true}}
		a := newAlert(t, stdPolicy(0), env)
		acts := a.do(Trigger{}, t0)
		if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"bob/sms p0 s1 due 0s late 0s"}) {
			t.Errorf("pages %v", got)
		}
	})
	t.Run("nobody anywhere exhausts at once", func(t *testing.T) {
		env := &fakeEnv{}
		a := newAlert(t, stdPolicy(2), env)
		acts := a.do(Trigger{}, t0)
		if len(pagesOf(acts)) != 0 || count[Exhausted](acts) != 1 || count[SetTimer](acts) != 0 {
			t.Fatalf("actions %#v", acts)
		}
		if !hasNote(acts, "nobody on call at any step of the policy") || !a.s.Exhausted || a.s.Status != StatusTriggered {
			t.Errorf("notes %q state %+v", notesOf(acts), a.s)
		}
		// One cycle of notes, not one per pass.
		if n := len(notesOf(acts)); n > len(stdPolicy(2).Steps)*2+2 {
			t.Errorf("%d notes: %q", n, notesOf(acts))
		}
	})
}

func TestNotificationRules(t *testing.T) {
	p := Policy{Steps: []PolicyStep{{Targets: []Target{{Role: "primary"}}, AckTimeout: 10 * time.Minute}}}
	t.Run("ack at 1m: no voice", func(t *testing.T) {
		a := newAlert(t, p, stdEnv(smsVoice))
		acts := a.do(Trigger{}, t0)
		acts = append(acts, a.do(Ack{By: "alice"}, at(time.Minute))...)
		acts = append(acts, a.do(Tick{}, at(2*time.Minute))...)
		if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"alice/sms p0 s0 due 0s late 0s"}) {
			t.Errorf("pages %v", got)
		}
	})
	t.Run("no ack: voice at 2m", func(t *testing.T) {
		a := newAlert(t, p, stdEnv(smsVoice))
		a.do(Trigger{}, t0)
		if !a.s.Timer.Equal(at(2 * time.Minute)) {
			t.Fatalf("timer %v", a.s.Timer.Sub(t0))
		}
		acts := a.do(Tick{}, at(2*time.Minute))
		if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"alice/voice p0 s0 due 2m0s late 0s"}) {
			t.Errorf("pages %v", got)
		}
		if last := acts[len(acts)-1]; last != (SetTimer{At: at(10 * time.Minute)}) {
			t.Errorf("timer action %#v", last)
		}
	})
	t.Run("repeat pass restarts a person's rules", func(t *testing.T) {
		rules := []Rule{{Method: "sms"}, {Method: "voice", After: 90 * time.Second}}
		p := Policy{Repeat: 1, Steps: []PolicyStep{{Targets: []Target{{Role: "primary"}}, AckTimeout: time.Minute}}}
		a := newAlert(t, p, stdEnv(rules))
		a.do(Trigger{}, t0)
		// At 1m pass 2 re-pages alice: her voice due at 1m30s is replaced by sms now and voice at 2m30s.
		acts := a.do(Tick{}, at(time.Minute))
		if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"alice/sms p1 s0 due 1m0s late 0s"}) {
			t.Errorf("pages %v", got)
		}
		if len(a.s.Pending) != 1 || a.s.Pending[0].Pass != 1 || !a.s.Pending[0].Due.Equal(at(150*time.Second)) {
			t.Errorf("pending %+v", a.s.Pending)
		}
	})
	t.Run("earlier steps keep notifying", func(t *testing.T) {
		rules := []Rule{{Method: "sms"}, {Method: "voice", After: 7 * time.Minute}}
		a := newAlert(t, stdPolicy(0), stdEnv(rules))
		a.do(Trigger{}, t0)
		a.do(Tick{}, at(5*time.Minute))
		acts := a.do(Tick{}, at(7*time.Minute))
		if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"alice/voice p0 s0 due 7m0s late 0s"}) {
			t.Errorf("pages %v", got)
		}
	})
}

func TestDeliveryFailed(t *testing.T) {
	rules := []Rule{{Method: "sms"}, {Method: "voice", After: 2 * time.Minute}, {Method: "email", After: 4 * time.Minute}}
	p := stdPolicy(0)
	p.WaitForTimeout = true // this team waits out the timeout for an unreachable person
	a := newAlert(t, p, stdEnv(rules))
	a.do(Trigger{}, t0)
	acts := a.do(DeliveryFailed{Person: "alice", Method: "sms", Reason: "unreachable handset"}, at(30*time.Second))
	if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"alice/voice p0 s0 due 30s late 0s"}) {
		t.Fatalf("pages %v", got)
	}
	if !hasNote(acts, "sms to alice failed: unreachable handset") || !hasNote(acts, "trying alice by voice now") {
		t.Errorf("notes %q", notesOf(acts))
	}
	if !a.s.Timer.Equal(at(4 * time.Minute)) {
		t.Errorf("timer %v, want the email at 4m", a.s.Timer.Sub(t0))
	}
	a.do(DeliveryFailed{Person: "alice", Method: "voice"}, at(time.Minute))
	acts = a.do(DeliveryFailed{Person: "alice", Method: "email"}, at(90*time.Second))
	if len(pagesOf(acts)) != 0 || !hasNote(acts, "no other contact method for alice") {
		t.Errorf("actions %#v", acts)
	}
	// The step's own timing is untouched.
	acts = a.do(Tick{}, at(5*time.Minute))
	if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"bob/sms p0 s1 due 5m0s late 0s"}) {
		t.Errorf("pages %v", got)
	}
	// After an ack a failure report is only recorded.
	a.do(Ack{By: "bob"}, at(6*time.Minute))
	acts = a.do(DeliveryFailed{Person: "bob", Method: "sms", Reason: "carrier error"}, at(6*time.Minute))
	if !reflect.DeepEqual(acts, []Action{Note{Text: "sms to bob failed: carrier error"}}) {
		t.Errorf("actions after ack %#v", acts)
	}
}

func TestLateTickReplaysEachStepInOrder(t *testing.T) {
	a := newAlert(t, stdPolicy(0), stdEnv(smsVoice))
	a.do(Trigger{}, t0)
	acts := a.do(Tick{}, at(time.Hour)) // the whole cluster was down for an hour
	want := []string{
		"alice/voice p0 s0 due 2m0s late 58m0s",
		"bob/sms p0 s1 due 5m0s late 55m0s",
		"bob/voice p0 s1 due 7m0s late 53m0s",
		"frank/sms p0 s2 due 10m0s late 50m0s",
		"frank/voice p0 s2 due 12m0s late 48m0s",
	}
	if got := brief(pagesOf(acts)); !slices.Equal(got, want) {
		t.Fatalf("pages\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Notes and pages interleave in time order; exhaustion comes last.
	var order []string
	for _, act := range acts {
		switch x := act.(type) {
		case Page:
			order = append(order, "page "+x.Person+"/"+string(x.Method))
		case Note:
			if strings.Contains(x.Text, "no acknowledgement within") {
				order = append(order, "timeout")
			}
		case Exhausted:
			order = append(order, "exhausted")
		}
	}
	wantOrder := []string{"page alice/voice", "timeout", "page bob/sms", "page bob/voice", "timeout", "page frank/sms", "page frank/voice", "timeout", "exhausted"}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("order %v\nwant  %v", order, wantOrder)
	}
	if !hasNote(acts, "step 1 (primary): no acknowledgement within 5m (handled 55m late)") {
		t.Errorf("notes %q", notesOf(acts))
	}
	if count[CancelTimer](acts) != 1 || !a.s.Exhausted {
		t.Errorf("final %+v", a.s)
	}
}

func TestLateTickMidPolicyKeepsSchedule(t *testing.T) {
	a := newAlert(t, stdPolicy(1), stdEnv(smsNow))
	a.do(Trigger{}, t0)
	acts := a.do(Tick{}, at(27*time.Minute))
	// Pass 1 ends at 20m; pass 2 pages alice at 20m, bob at 25m; frank is next at 30m.
	want := []string{
		"bob/sms p0 s1 due 5m0s late 22m0s",
		"frank/sms p0 s2 due 10m0s late 17m0s",
		"alice/sms p1 s0 due 20m0s late 7m0s",
		"bob/sms p1 s1 due 25m0s late 2m0s",
	}
	if got := brief(pagesOf(acts)); !slices.Equal(got, want) {
		t.Fatalf("pages %v, want %v", got, want)
	}
	if a.s.Pass != 1 || a.s.Step != 1 || !a.s.Timer.Equal(at(30*time.Minute)) {
		t.Errorf("state %+v", a.s)
	}
}

func TestEscalateNow(t *testing.T) {
	t.Run("triggered: next step now", func(t *testing.T) {
		a := newAlert(t, stdPolicy(0), stdEnv(smsNow))
		a.do(Trigger{}, t0)
		acts := a.do(EscalateNow{By: "ops"}, at(time.Minute))
		if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"bob/sms p0 s1 due 1m0s late 0s"}) {
			t.Fatalf("pages %v", got)
		}
		if !hasNote(acts, "escalation requested by ops") || !a.s.Timer.Equal(at(6*time.Minute)) {
			t.Errorf("notes %q timer %v", notesOf(acts), a.s.Timer.Sub(t0))
		}
	})
	t.Run("acknowledged: re-opens and pages the next step", func(t *testing.T) {
		a := newAlert(t, stdPolicy(0), stdEnv(smsNow))
		a.do(Trigger{}, t0)
		a.do(Ack{By: "alice"}, at(time.Minute))
		acts := a.do(EscalateNow{By: "alice"}, at(3*time.Minute))
		if a.s.Status != StatusTriggered || a.s.AckedBy != "" || !a.s.AckedAt.IsZero() {
			t.Fatalf("state %+v", a.s)
		}
		if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"bob/sms p0 s1 due 3m0s late 0s"}) {
			t.Fatalf("pages %v", got)
		}
		if !hasNote(acts, "re-opened (was acknowledged by alice)") || count[SetTimer](acts) != 1 {
			t.Errorf("actions %#v", acts)
		}
	})
	t.Run("triggered at the last step: exhausts", func(t *testing.T) {
		p := Policy{Steps: []PolicyStep{{Targets: []Target{{Role: "primary"}}, AckTimeout: time.Minute}}}
		a := newAlert(t, p, stdEnv(smsNow))
		a.do(Trigger{}, t0)
		if acts := a.do(EscalateNow{By: "ops"}, at(time.Second)); count[Exhausted](acts) != 1 {
			t.Fatalf("actions %#v", acts)
		}
		if err := a.fail(EscalateNow{By: "ops"}, at(2*time.Second)); !errors.Is(err, ErrNoFurtherStep) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("acknowledged with nobody further: refused", func(t *testing.T) {
		env := stdEnv(smsNow)
		delete(env.roles, "secondary")
		delete(env.rules, "frank")
		a := newAlert(t, stdPolicy(0), env)
		a.do(Trigger{}, t0)
		a.do(Ack{By: "alice"}, at(time.Minute))
		if err := a.fail(EscalateNow{By: "alice"}, at(2*time.Minute)); !errors.Is(err, ErrNoFurtherStep) {
			t.Errorf("err %v", err)
		}
	})
}

func TestJSONRoundTripMidEscalation(t *testing.T) {
	env := stdEnv(smsVoice)
	env.roles["primary"] = append(env.roles["primary"], Recipient{Person: "erin", Role: "primary", Shadow: true})
	a := newAlert(t, stdPolicy(2), env)
	a.do(Trigger{}, t0)
	a.do(Tick{}, at(5*time.Minute))
	a.do(Ack{By: "erin"}, at(6*time.Minute))

	b, err := roundTrip(a.s)
	if err != nil || !reflect.DeepEqual(b, a.s) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, a.s, b)
	}
	// A state decoded on another node, with a clock in another zone, behaves identically.
	other := newAlert(t, a.p, env)
	other.s = b
	ny, _ := time.LoadLocation("America/New_York")
	rest := []struct {
		e  Event
		at time.Time
	}{
		{Tick{}, at(7 * time.Minute)},
		{DeliveryFailed{Person: "bob", Method: "voice"}, at(8 * time.Minute)},
		{Tick{}, at(33 * time.Minute)},
		{EscalateNow{By: "ops"}, at(34 * time.Minute)},
		{Ack{By: "frank"}, at(35 * time.Minute)},
	}
	for _, r := range rest {
		want := a.do(r.e, r.at)
		got := other.do(r.e, r.at.In(ny))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%T diverged:\n%#v\n%#v", r.e, got, want)
		}
		if !reflect.DeepEqual(other.s, a.s) {
			t.Fatalf("%T: states diverged", r.e)
		}
	}
}

func TestDeterminism(t *testing.T) {
	run := func() ([]State, [][]Action) {
		env := stdEnv(smsVoice)
		env.roles["primary"] = append(env.roles["primary"], Recipient{Person: "erin", Role: "primary", Shadow: true, Reverse: true})
		env.roles["secondary"] = append(env.roles["secondary"], Recipient{Person: "carol", Role: "secondary"})
		env.rules["carol"] = []Rule{{Method: "voice"}, {Method: "sms"}}
		a := newAlert(t, stdPolicy(2), env)
		var states []State
		var acts [][]Action
		for _, e := range []struct {
			e  Event
			at time.Time
		}{
			{Trigger{}, t0}, {Tick{}, at(2 * time.Minute)}, {Tick{}, at(3 * time.Hour)},
		} {
			acts = append(acts, a.do(e.e, e.at))
			states = append(states, a.s)
		}
		return states, acts
	}
	s1, a1 := run()
	for range 5 {
		s2, a2 := run()
		if !reflect.DeepEqual(s1, s2) || !reflect.DeepEqual(a1, a2) {
			t.Fatal("same inputs gave different outputs")
		}
	}
}

func TestDuplicateRecipientsMerge(t *testing.T) {
	// frank is both the secondary and named in person; he is paged once.
	env := stdEnv(smsNow)
	env.roles["secondary"] = []Recipient{{Person: "frank", Role: "secondary"}}
	p := Policy{Steps: []PolicyStep{{Targets: []Target{{Role: "secondary"}, {Person: "frank"}}, AckTimeout: time.Minute}}}
	a := newAlert(t, p, env)
	acts := a.do(Trigger{}, t0)
	if got := brief(pagesOf(acts)); !slices.Equal(got, []string{"frank/sms p0 s0 due 0s late 0s"}) {
		t.Errorf("pages %v", got)
	}
	if !hasNote(acts, "step 1 (secondary, person:frank), pass 1 of 1: paging frank (secondary)") {
		t.Errorf("notes %q", notesOf(acts))
	}
}

func TestPartlyStaffedStepNamesTheGap(t *testing.T) {
	env := stdEnv(smsNow)
	delete(env.roles, "secondary")
	p := Policy{Steps: []PolicyStep{{Targets: []Target{{Role: "secondary"}, {Person: "frank"}}, AckTimeout: time.Minute}}}
	a := newAlert(t, p, env)
	acts := a.do(Trigger{}, t0)
	if !hasNote(acts, "step 1 (secondary, person:frank), pass 1 of 1: paging frank; nobody on call for secondary") {
		t.Errorf("notes %q", notesOf(acts))
	}
}

func TestOddInputsReturnErrors(t *testing.T) {
	valid := stdPolicy(0)
	env := stdEnv(smsNow)
	triggered, _, err := Step(State{}, Trigger{}, t0, valid, env)
	if err != nil {
		t.Fatal(err)
	}
	var nilAck *Ack
	for _, tc := range []struct {
		name string
		s    State
		e    Event
		p    Policy
		env  Env
		want error
	}{
		{"nil event", State{}, nil, valid, env, ErrUnknownEvent},
		{"nil pointer event", State{}, nilAck, valid, env, ErrUnknownEvent},
		{"trigger empty policy", State{}, Trigger{}, Policy{}, env, ErrInvalidPolicy},
		{"trigger nil env", State{}, Trigger{}, valid, nil, ErrNoEnv},
		{"tick untriggered", State{}, Tick{}, valid, env, ErrNotTriggered},
		{"ack untriggered", State{}, Ack{By: "a"}, valid, env, ErrNotTriggered},
		{"resolve untriggered", State{}, Resolve{By: "a"}, valid, env, ErrNotTriggered},
		{"escalate untriggered", State{}, EscalateNow{By: "a"}, valid, env, ErrNotTriggered},
		{"failure untriggered", State{}, DeliveryFailed{Person: "a"}, valid, env, ErrNotTriggered},
		{"trigger twice", triggered, Trigger{}, valid, env, ErrAlreadyTriggered},
		{"ack by nobody", triggered, Ack{}, valid, env, ErrNoActor},
		{"resolve by nobody", triggered, Resolve{}, valid, env, ErrNoActor},
		{"escalate by nobody", triggered, EscalateNow{}, valid, env, ErrNoActor},
		{"failure for nobody", triggered, DeliveryFailed{}, valid, env, ErrNoActor},
		{"tick with policy gone bad", triggered, Tick{}, Policy{Repeat: -1}, env, ErrInvalidPolicy},
		{"tick with nil env", triggered, Tick{}, valid, nil, ErrNoEnv},
		{"unknown status", State{Status: "snoozed"}, Tick{}, valid, env, ErrInvalidState},
		{"negative pass", State{Status: StatusTriggered, Pass: -1, StepDeadline: t0}, Tick{}, valid, env, ErrInvalidState},
		{"triggered without deadline", State{Status: StatusTriggered}, Tick{}, valid, env, ErrInvalidState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, acts, err := Step(tc.s, tc.e, t0, tc.p, tc.env)
			if !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
			if acts != nil || !reflect.DeepEqual(got, tc.s) {
				t.Errorf("error path changed state or acted: %#v", acts)
			}
		})
	}
	// Pointer events are accepted as their values.
	if _, acts, err := Step(State{}, &Trigger{}, t0, valid, env); err != nil || len(pagesOf(acts)) != 1 {
		t.Errorf("&Trigger{}: %v %#v", err, acts)
	}
	// Step never mutates its input, even through shared slices.
	before, _ := roundTrip(triggered)
	Step(triggered, Ack{By: "alice"}, at(time.Minute), valid, env)
	Step(triggered, Tick{}, at(time.Hour), valid, env)
	if !reflect.DeepEqual(before, triggered) {
		t.Error("Step mutated its input state")
	}
}

func TestPolicyShrankMidAlert(t *testing.T) {
	a := newAlert(t, stdPolicy(1), stdEnv(smsNow))
	a.do(Trigger{}, t0)
	a.do(Tick{}, at(5*time.Minute))
	a.do(Tick{}, at(10*time.Minute)) // now at step 3 (frank)
	a.p = Policy{Steps: []PolicyStep{{Targets: []Target{{Role: "primary"}}, AckTimeout: 5 * time.Minute}}}
	acts := a.do(Tick{}, at(20*time.Minute))
	// Position beyond the policy ends the pass; repeat 0 now means exhausted.
	if count[Exhausted](acts) != 1 {
		t.Errorf("actions %#v", acts)
	}
}

func TestPolicyValidate(t *testing.T) {
	ok := PolicyStep{Targets: []Target{{Role: "primary"}}, AckTimeout: time.Minute}
	for _, tc := range []struct {
		name string
		p    Policy
		want string // "" means valid
	}{
		{"valid", Policy{Steps: []PolicyStep{ok}, Repeat: 2}, ""},
		{"valid max repeat", Policy{Steps: []PolicyStep{ok}, Repeat: MaxRepeat}, ""},
		{"no steps", Policy{}, "no steps"},
		{"negative repeat", Policy{Steps: []PolicyStep{ok}, Repeat: -1}, "repeat -1"},
		{"repeat too high", Policy{Steps: []PolicyStep{ok}, Repeat: MaxRepeat + 1}, "repeat 11"},
		{"no targets", Policy{Steps: []PolicyStep{{AckTimeout: time.Minute}}}, "step 1: no targets"},
		{"zero timeout", Policy{Steps: []PolicyStep{ok, {Targets: ok.Targets}}}, "step 2: ack timeout 0s"},
		{"negative timeout", Policy{Steps: []PolicyStep{{Targets: ok.Targets, AckTimeout: -time.Second}}}, "must be positive"},
		{"both role and person", Policy{Steps: []PolicyStep{{Targets: []Target{{Role: "primary", Person: "x"}}, AckTimeout: time.Minute}}}, "step 1: target 1: target must set exactly one"},
		{"empty target", Policy{Steps: []PolicyStep{{Targets: []Target{{}}, AckTimeout: time.Minute}}}, "exactly one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.want == "" {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestTargetText(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Target
		wantErr bool
	}{
		{"primary", Target{Role: "primary"}, false},
		{"person:frank", Target{Person: "frank"}, false},
		{" person: frank ", Target{Person: "frank"}, false},
		{"person:", Target{}, true},
		{"", Target{}, true},
	} {
		got, err := ParseTarget(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseTarget(%q) = %+v, %v", tc.in, got, err)
		}
		if err == nil {
			if back, _ := ParseTarget(got.String()); back != got {
				t.Errorf("String/ParseTarget round trip of %+v gave %+v", got, back)
			}
		}
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Minute:               "5m",
		time.Hour:                     "1h",
		90 * time.Minute:              "1h30m",
		90 * time.Second:              "1m30s",
		300 * time.Millisecond:        "300ms",
		time.Hour + 5*time.Second:     "1h0m5s",
		10 * time.Minute:              "10m",
		24*time.Hour + 10*time.Minute: "24h10m",
		-5 * time.Minute:              "-5m",
		time.Duration(0):              "0s",
		time.Minute:                   "1m",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%v) = %q, want %q", d, got, want)
		}
	}
}
