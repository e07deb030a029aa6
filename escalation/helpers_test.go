package escalation

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// t0 is the fake clock's origin; tests advance plain time.Time values from it.
var t0 = time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// fakeEnv is a static on-call world.
type fakeEnv struct {
	roles map[string][]Recipient // role -> holder then shadows
	rules map[string][]Rule
}

func (f *fakeEnv) Resolve(t Target, _ time.Time) []Recipient {
	if t.Person != "" {
		return []Recipient{{Person: t.Person}}
	}
	return slices.Clone(f.roles[t.Role])
}

func (f *fakeEnv) Rules(person string) []Rule { return slices.Clone(f.rules[person]) }

// hoursEnv is fakeEnv with business hours: the instants in [open[i],
// close[i]) for some i.
type hoursEnv struct {
	*fakeEnv
	open, close []time.Time
}

func (h *hoursEnv) BusinessHours(t time.Time) (bool, time.Time) {
	var next time.Time
	for i := range h.open {
		if !t.Before(h.open[i]) && t.Before(h.close[i]) {
			return true, time.Time{}
		}
		if h.open[i].After(t) && (next.IsZero() || h.open[i].Before(next)) {
			next = h.open[i]
		}
	}
	return false, next
}

var (
	smsNow   = []Rule{{Method: "sms"}}
	smsVoice = []Rule{{Method: "sms"}, {Method: "voice", After: 2 * time.Minute}}
)

// stdEnv: alice is primary, bob secondary; frank is the manager.
func stdEnv(rules []Rule) *fakeEnv {
	return &fakeEnv{
		roles: map[string][]Recipient{
			"primary":   {{Person: "alice", Role: "primary"}},
			"secondary": {{Person: "bob", Role: "secondary"}},
		},
		rules: map[string][]Rule{"alice": rules, "bob": rules, "frank": rules, "erin": rules},
	}
}

// stdPolicy is the one in DESIGN.md's sketch, with a chosen repeat.
func stdPolicy(repeat int) Policy {
	return Policy{Repeat: repeat, Steps: []PolicyStep{
		{Targets: []Target{{Role: "primary"}}, AckTimeout: 5 * time.Minute},
		{Targets: []Target{{Role: "secondary"}}, AckTimeout: 5 * time.Minute},
		{Targets: []Target{{Person: "frank"}}, AckTimeout: 10 * time.Minute},
	}}
}

// alert drives one alert through Step, checking invariants after each call.
type alert struct {
	t   *testing.T
	s   State
	p   Policy
	env Env
	ids map[string]bool
}

func newAlert(t *testing.T, p Policy, env Env) *alert {
	return &alert{t: t, p: p, env: env, ids: map[string]bool{}}
}

func (a *alert) do(e Event, now time.Time) []Action {
	a.t.Helper()
	next, acts, err := Step(a.s, e, now, a.p, a.env)
	if err != nil {
		a.t.Fatalf("Step(%T%+v) at %v: %v", e, e, now.Sub(t0), err)
	}
	if err := checkStep(a.s, next, acts, now); err != nil {
		a.t.Fatalf("Step(%T%+v) at %v: %v", e, e, now.Sub(t0), err)
	}
	for _, pg := range pagesOf(acts) {
		if a.ids[pg.ID] {
			a.t.Fatalf("page ID %s reused", pg.ID)
		}
		a.ids[pg.ID] = true
	}
	a.s = next
	return acts
}

// fail runs an event expected to fail and checks nothing changed.
func (a *alert) fail(e Event, now time.Time) error {
	a.t.Helper()
	next, acts, err := Step(a.s, e, now, a.p, a.env)
	if err == nil {
		a.t.Fatalf("Step(%T%+v): want an error, got actions %v", e, e, acts)
	}
	if acts != nil || !reflect.DeepEqual(next, a.s) {
		a.t.Fatalf("Step(%T%+v) failed (%v) but changed state or acted: %v", e, e, err, acts)
	}
	return err
}

// tickUntilQuiet ticks at each armed timer until none is left or limit.
func (a *alert) tickUntilQuiet(limit int) []Action {
	a.t.Helper()
	var all []Action
	for i := 0; i < limit && !a.s.Timer.IsZero(); i++ {
		all = append(all, a.do(Tick{}, a.s.Timer)...)
	}
	return all
}

// checkStep asserts the invariants of one successful Step call.
func checkStep(prev, next State, acts []Action, now time.Time) error {
	if next.Seq < prev.Seq {
		return fmt.Errorf("seq went down: %d -> %d", prev.Seq, next.Seq)
	}
	if next.Status != StatusTriggered && len(next.Pending) > 0 {
		return fmt.Errorf("%s alert has %d pending", next.Status, len(next.Pending))
	}
	if next.Status == "" {
		return fmt.Errorf("status empty after a successful step")
	}
	if !slices.IsSortedFunc(next.Pending, func(a, b Pending) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		if c := strings.Compare(a.Person, b.Person); c != 0 {
			return c
		}
		return strings.Compare(string(a.Method), string(b.Method))
	}) {
		return fmt.Errorf("pending not sorted: %+v", next.Pending)
	}
	// Page IDs are p<Seq>, consecutive, so unique over the alert's life.
	pages := pagesOf(acts)
	if len(pages) != next.Seq-prev.Seq {
		return fmt.Errorf("%d pages but seq moved %d", len(pages), next.Seq-prev.Seq)
	}
	for i, pg := range pages {
		if want := "p" + strconv.Itoa(prev.Seq+i+1); pg.ID != want {
			return fmt.Errorf("page %d has ID %s, want %s", i, pg.ID, want)
		}
		if pg.Due.After(now) {
			return fmt.Errorf("page %s sent before due", pg.ID)
		}
		if pg.Late != max(now.Sub(pg.Due), 0) {
			return fmt.Errorf("page %s Late %v, want %v", pg.ID, pg.Late, now.Sub(pg.Due))
		}
	}
	nEx := count[Exhausted](acts)
	if nEx > 1 || (nEx == 1) != (!prev.Exhausted && next.Exhausted) {
		return fmt.Errorf("exhausted emitted %d times (was %v, now %v)", nEx, prev.Exhausted, next.Exhausted)
	}
	// The recorded timer is the earliest thing due, and in the future.
	var want time.Time
	if next.Status == StatusTriggered && next.Held() {
		want = next.HeldUntil
		if len(next.Pending) > 0 {
			return fmt.Errorf("held alert has %d pending", len(next.Pending))
		}
	} else if next.Status == StatusTriggered {
		if len(next.Pending) > 0 {
			want = next.Pending[0].Due
		}
		if !next.Exhausted && (want.IsZero() || next.StepDeadline.Before(want)) {
			want = next.StepDeadline
		}
	}
	if !want.Equal(next.Timer) {
		return fmt.Errorf("timer %v, want %v", next.Timer, want)
	}
	if !next.Timer.IsZero() && !next.Timer.After(now) && !next.Timer.Equal(prev.Timer) {
		return fmt.Errorf("timer armed in the past: %v (now %v)", next.Timer, now)
	}
	if rt, err := roundTrip(next); err != nil || !reflect.DeepEqual(rt, next) {
		return fmt.Errorf("JSON round trip differs (%v):\n%+v\n%+v", err, next, rt)
	}
	return nil
}

func roundTrip(s State) (State, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return State{}, err
	}
	var out State
	err = json.Unmarshal(b, &out)
	return out, err
}

func pagesOf(acts []Action) []Page {
	var out []Page
	for _, a := range acts {
		if p, ok := a.(Page); ok {
			out = append(out, p)
		}
	}
	return out
}

func notesOf(acts []Action) []string {
	var out []string
	for _, a := range acts {
		if n, ok := a.(Note); ok {
			out = append(out, n.Text)
		}
	}
	return out
}

func count[T Action](acts []Action) int {
	n := 0
	for _, a := range acts {
		if _, ok := a.(T); ok {
			n++
		}
	}
	return n
}

// brief renders pages compactly for comparisons: "alice/sms@0s late 0s".
func brief(pages []Page) []string {
	out := make([]string, len(pages))
	for i, p := range pages {
		out[i] = fmt.Sprintf("%s/%s p%d s%d due %v late %v", p.Person, p.Method, p.Pass, p.Step, p.Due.Sub(t0), p.Late)
	}
	return out
}

func hasNote(acts []Action, sub string) bool {
	return slices.ContainsFunc(notesOf(acts), func(n string) bool { return strings.Contains(n, sub) })
}
