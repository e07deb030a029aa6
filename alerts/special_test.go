package alerts_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
)

// commanderTeam is a cross-team role in its own team file: the incident
// commanders, London, weekly. In the week of 23 November 2026 heidi holds it.
const commanderTeam = `team: commander
timezone: Europe/London
commander: true
rotations:
  primary:
    members: [frank, carol, bob, heidi]
    handoff: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    start: 2026-11-02T09:00
escalation:
  steps:
    - {notify: [primary], ack_timeout: 5m}
`

// exampleService is the alerts service on a real embedded etcd with the
// example rota and a commander team, at Tuesday 24 November 2026 12:00
// UTC: payments' primary is dave, its secondary alice, erin shadows
// primary.
func exampleService(t *testing.T) (*alerts.Service, *store.Store, *rotafile.Rota, *clock.Fake) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	files, err := rotafile.ReadDir("../configs/example")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, rotafile.File{Name: "commander.yaml", Data: []byte(commanderTeam)})
	r, diags := rotafile.Load(files)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cur := &inforce.Current{}
	cur.Set(inforce.New(r, 1, quiet))
	clk := clock.NewFake(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	return &alerts.Service{Store: st, Rota: cur, Clock: clk, Log: quiet}, st, r, clk
}

// paged lists who an alert's page marks name, "person" or "person(shadow)".
func pagedMarks(a *store.Alert) []string {
	var out []string
	for _, p := range a.Pages {
		s := p.Person
		if p.Shadow {
			s += "(shadow)"
		}
		out = append(out, s)
	}
	return out
}

// fireUntil fires the alert's timer until done says so.
func fireUntil(t *testing.T, svc *alerts.Service, st *store.Store, clk *clock.Fake, id int64, done func(*store.Alert) bool) *store.Alert {
	t.Helper()
	ctx := context.Background()
	for range 20 {
		a, err := st.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if done(a) {
			return a
		}
		if a.Esc.Timer.IsZero() {
			t.Fatalf("alert %d: no timer left and not done: %+v", id, a.Esc)
		}
		clk.Set(a.Esc.Timer)
		if err := svc.TimerFired(ctx, nil, id, a.Esc.Timer); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("alert %d: not done after 20 timers", id)
	return nil
}

func get(t *testing.T, st *store.Store, id int64) *store.Alert {
	t.Helper()
	a, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A drill of payments' primary pages dave (and erin's shadow copy) with
// the [DRILL] marker, stops after its one step unless asked to escalate,
// and is never paid.
func TestDrillPagesTheRoleStopsAndIsNeverPaid(t *testing.T) {
	t.Parallel()
	svc, st, _, clk := exampleService(t)
	ctx := context.Background()
	res, err := svc.Drill(ctx, alerts.DrillRequest{Team: "payments", Role: "primary", By: "lead"})
	if err != nil {
		t.Fatal(err)
	}
	a := get(t, st, res.AlertID)
	if !a.Drill || !strings.HasPrefix(a.Summary, alerts.DrillMarker+" ") || a.Source != alerts.SourceDrill {
		t.Fatalf("drill alert %+v", a)
	}
	if got := pagedMarks(a); !slices.Equal(got, []string{"dave", "erin(shadow)"}) {
		t.Errorf("paged %v, want dave and erin's shadow copy", got)
	}
	a = fireUntil(t, svc, st, clk, res.AlertID, func(a *store.Alert) bool { return a.Esc.Exhausted })
	if got := pagedMarks(a); !slices.Equal(got, []string{"dave", "erin(shadow)"}) {
		t.Errorf("after the timeout paged %v: a drill that was not asked to escalate paged someone else", got)
	}
	clk.Advance(time.Minute)
	if _, err := svc.Act(ctx, res.AlertID, escalation.Ack{By: "dave"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Minute)
	if _, err := svc.Act(ctx, res.AlertID, escalation.Resolve{By: "dave"}); err != nil {
		t.Fatal(err)
	}
	worked, err := st.Worked(ctx, clk.Now().Add(-time.Hour), clk.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(worked) != 0 {
		t.Errorf("a drill was recorded as engaged time: %+v", worked)
	}

	// Asked to escalate, it goes on to the secondary.
	res, err = svc.Drill(ctx, alerts.DrillRequest{Team: "payments", Escalate: true, By: "lead"})
	if err != nil {
		t.Fatal(err)
	}
	a = fireUntil(t, svc, st, clk, res.AlertID, func(a *store.Alert) bool { return a.Esc.Step > 0 })
	if got := pagedMarks(a); !slices.Contains(got, "alice") {
		t.Errorf("an escalating drill paged %v, want alice (secondary) at step 2", got)
	}
}

// A shadow can be drilled alone, and her ack acknowledges the drill.
func TestDrillAShadowAlone(t *testing.T) {
	t.Parallel()
	svc, st, _, clk := exampleService(t)
	ctx := context.Background()
	res, err := svc.Drill(ctx, alerts.DrillRequest{Team: "payments", Person: "erin", By: "lead"})
	if err != nil {
		t.Fatal(err)
	}
	if got := pagedMarks(get(t, st, res.AlertID)); !slices.Equal(got, []string{"erin"}) {
		t.Errorf("paged %v, want erin alone", got)
	}
	clk.Advance(90 * time.Second)
	a, err := svc.Act(ctx, res.AlertID, escalation.Ack{By: "erin"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status() != escalation.StatusAcknowledged || a.Esc.AckedBy != "erin" {
		t.Errorf("erin's ack left the drill %s (by %q)", a.Status(), a.Esc.AckedBy)
	}
	for _, c := range []struct {
		req    alerts.DrillRequest
		status int
	}{
		{alerts.DrillRequest{Team: "nope"}, 404},
		{alerts.DrillRequest{Team: "payments", Role: "tertiary"}, 404},
		{alerts.DrillRequest{Team: "payments", Person: "nobody"}, 404},
		{alerts.DrillRequest{Team: "payments", Role: "primary", Person: "erin"}, 400},
	} {
		_, err := svc.Drill(ctx, c.req)
		var re *alerts.RequestError
		if !errors.As(err, &re) || re.Status != c.status {
			t.Errorf("%+v: %v, want a %d", c.req, err, c.status)
		}
	}
}

// Pulling in platform's on-call opens their part, paged by their own first
// step, linked both ways; they acknowledge their part; resolving the alert
// resolves it, and only whoever acked it is paid.
func TestPullInAnotherTeam(t *testing.T) {
	t.Parallel()
	svc, st, r, clk := exampleService(t)
	ctx := context.Background()
	in, err := svc.Receive(ctx, "payments", alerts.Event{Action: alerts.Trigger, Summary: "checkout 5xx", Severity: alerts.SeverityCritical, Source: alerts.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if _, err := svc.Act(ctx, in.AlertID, escalation.Ack{By: "dave"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	help, err := svc.PullIn(ctx, in.AlertID, "platform", "dave")
	if err != nil {
		t.Fatal(err)
	}
	platform, _ := r.Team("platform")
	holder, ok := platform.Schedule.Holder("primary", clk.Now())
	if !ok {
		t.Fatal("nobody holds platform's primary")
	}
	h := get(t, st, help.AlertID)
	if h.Team != "platform" || h.Parent != in.AlertID || !strings.HasPrefix(h.Summary, "[HELP #") || !slices.Equal(pagedMarks(h), []string{holder.Person}) {
		t.Fatalf("helper %+v paged %v, want platform's primary %s", h, pagedMarks(h), holder.Person)
	}
	if h.Policy == nil || len(h.Policy.Steps) != 1 {
		t.Errorf("helper policy %+v, want platform's first step only", h.Policy)
	}
	p := get(t, st, in.AlertID)
	if len(p.Helpers) != 1 || p.Helpers[0].AlertID != help.AlertID || p.Helpers[0].By != "dave" || p.Helpers[0].Team != "platform" {
		t.Errorf("parent helpers %+v", p.Helpers)
	}
	if last := p.Timeline[len(p.Timeline)-1]; last.Kind != "help" || last.By != "dave" || !strings.Contains(last.Text, "team platform's on-call pulled in by dave") {
		t.Errorf("parent's last timeline entry %+v", last)
	}
	// Again: already paged, nothing new.
	again, err := svc.PullIn(ctx, in.AlertID, "platform", "alice")
	if err != nil || again.Status != "already paged" || again.AlertID != help.AlertID {
		t.Errorf("second pull-in: %+v %v", again, err)
	}
	// Their part, acked by them; the parent is dave's still.
	clk.Advance(2 * time.Minute)
	if _, err := svc.Act(ctx, help.AlertID, escalation.Ack{By: holder.Person}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(20 * time.Minute)
	if _, err := svc.Act(ctx, in.AlertID, escalation.Resolve{By: "dave"}); err != nil {
		t.Fatal(err)
	}
	if h = get(t, st, help.AlertID); h.Status() != escalation.StatusResolved || h.Esc.ResolvedBy != alerts.SourcePagerd {
		t.Errorf("helper after the parent resolved: %s by %q", h.Status(), h.Esc.ResolvedBy)
	}
	worked, err := st.Worked(ctx, clk.Now().Add(-time.Hour), clk.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range worked {
		got = append(got, w.Team+":"+w.Person+":"+w.End.Sub(w.Start).String())
	}
	slices.Sort(got)
	if want := []string{"payments:dave:23m0s", "platform:" + holder.Person + ":20m0s"}; !slices.Equal(got, want) {
		t.Errorf("worked %v, want %v", got, want)
	}
	for _, bad := range []struct {
		id     int64
		team   string
		status int
	}{{in.AlertID, "platform", 409}, {help.AlertID + 1000, "platform", 0}} {
		_, err := svc.PullIn(ctx, bad.id, bad.team, "dave")
		var re *alerts.RequestError
		switch {
		case bad.status == 0 && !errors.Is(err, store.ErrNotFound):
			t.Errorf("pull into a missing alert: %v", err)
		case bad.status != 0 && (!errors.As(err, &re) || re.Status != bad.status):
			t.Errorf("pull into a resolved alert: %v", err)
		}
	}
}

// SMS replies: "N page platform" pulls platform in, "N major" pages the
// incident commander (heidi this week) and marks the alert major.
func TestReplyPageAndMajor(t *testing.T) {
	t.Parallel()
	svc, st, _, _ := exampleService(t)
	ctx := context.Background()
	in, err := svc.Receive(ctx, "payments", alerts.Event{Action: alerts.Trigger, Summary: "card auth down", Severity: alerts.SeverityCritical, Source: alerts.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(in.AlertID, 10)
	if got := svc.Reply(ctx, "dave", id+" page platform"); !strings.HasPrefix(got, "Paging platform's on-call about #"+id+" (their part is #") {
		t.Errorf("page reply: %q", got)
	}
	if got := svc.Reply(ctx, "dave", id+" page nope"); got != "#"+id+": no team \"nope\"." {
		t.Errorf("page an unknown team: %q", got)
	}
	// grace is no member of payments and was never paged about it.
	if got := svc.Reply(ctx, "grace", id+" major"); got != "#"+id+": no such alert of yours." {
		t.Errorf("major by a stranger: %q", got)
	}
	got := svc.Reply(ctx, "dave", id+" major")
	if !strings.HasPrefix(got, "#"+id+" is a major incident: incident commander (commander) paged as #") {
		t.Errorf("major reply: %q", got)
	}
	p := get(t, st, in.AlertID)
	if !p.Major || len(p.Helpers) != 2 || p.Helpers[1].Kind != alerts.CommanderKind {
		t.Fatalf("after major: major %v helpers %+v", p.Major, p.Helpers)
	}
	if c := get(t, st, p.Helpers[1].AlertID); c.Team != "commander" || !slices.Equal(pagedMarks(c), []string{"heidi"}) || !strings.HasPrefix(c.Summary, "[MAJOR #"+id+"] ") {
		t.Errorf("commander alert %+v paged %v", c, pagedMarks(c))
	}
	if got := svc.Reply(ctx, "dave", id+" major"); got != "#"+id+" is already a major incident; the incident commander was paged." {
		t.Errorf("major again: %q", got)
	}
}
