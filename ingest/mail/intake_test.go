package mail

import (
	"context"
	"io"
	"log/slog"
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

// newIntake is the mail intake over the alerts service on a real
// embedded etcd, with the test rota as changed by edit.
func newIntake(t *testing.T, edit func(*rotafile.Rota)) (*Intake, *store.Store, map[string]int) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := testRota(t)
	if edit != nil {
		edit(r)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cur := &inforce.Current{}
	cur.Set(inforce.New(r, 1, quiet))
	rejected := map[string]int{}
	svc := &alerts.Service{Store: st, Rota: cur, Clock: clock.NewFake(time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)), Log: quiet,
		Rejected: func(source, reason string) { rejected[source+"/"+reason]++ }}
	return &Intake{Alerts: svc, Rota: cur, Log: quiet}, st, rejected
}

func status(t *testing.T, st *store.Store, id int64) escalation.Status {
	t.Helper()
	a, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Status()
}

// A RECOVERY mail closes only an alert its own route raised: one forged
// with the key of an alert raised over HTTP leaves that alert paging
// (issue 12), unless the route says resolve_any.
func TestEmailResolvesOnlyWhatItsRouteRaised(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in, st, _ := newIntake(t, nil)
	viaHTTP, err := in.Alerts.Receive(ctx, "infra", alerts.Event{Action: alerts.Trigger, Summary: "web-1 down", DedupKey: "web-1/HTTP", Source: alerts.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	if handled, err := in.Deliver(ctx, parseFixture(t, "nagios_recovery.eml")); !handled || err != nil {
		t.Fatalf("deliver: %v %v", handled, err)
	}
	if s := status(t, st, viaHTTP.AlertID); s != escalation.StatusTriggered {
		t.Errorf("the HTTP alert is %s after a RECOVERY mail; want it still triggered", s)
	}
	// A problem the nagios route raised, its recovery closes.
	problem := parseFixture(t, "nagios_problem.eml")
	problem.Subject = strings.ReplaceAll(problem.Subject, "web-1", "web-2")
	recovery := parseFixture(t, "nagios_recovery.eml")
	recovery.Subject = strings.ReplaceAll(recovery.Subject, "web-1", "web-2")
	if handled, err := in.Deliver(ctx, problem); !handled || err != nil {
		t.Fatalf("deliver: %v %v", handled, err)
	}
	id, ok, err := st.OpenByDedup(ctx, "infra", "web-2/HTTP")
	if err != nil || !ok {
		t.Fatalf("the problem mail raised nothing: %v", err)
	}
	if a, _ := st.Get(ctx, id); a.Route != "nagios" || a.Source != alerts.SourceEmail {
		t.Errorf("the alert records source %q route %q", a.Source, a.Route)
	}
	in.Deliver(ctx, recovery)
	if s := status(t, st, id); s != escalation.StatusResolved {
		t.Errorf("the route's own alert is %s after its RECOVERY mail", s)
	}

	// resolve_any: the route may close whatever has the key.
	in2, st2, _ := newIntake(t, func(r *rotafile.Rota) { r.Teams[0].Routes[0].ResolveAny = true })
	viaHTTP, err = in2.Alerts.Receive(ctx, "infra", alerts.Event{Action: alerts.Trigger, Summary: "web-1 down", DedupKey: "web-1/HTTP", Source: alerts.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	in2.Deliver(ctx, parseFixture(t, "nagios_recovery.eml"))
	if s := status(t, st2, viaHTTP.AlertID); s != escalation.StatusResolved {
		t.Errorf("with resolve_any the HTTP alert is %s", s)
	}
}

// A mail that fails its route's require_auth changes nothing, is left in
// the mailbox (not handled), and is counted as unauthenticated.
func TestUnauthenticatedMailIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in, st, rejected := newIntake(t, func(r *rotafile.Rota) {
		r.Teams[0].Routes[0].RequireAuth = []string{"dkim"}
		r.Teams[0].Routes[0].AuthServID = "mx.example.net"
	})
	forged := parseFixture(t, "nagios_problem.eml")
	forged.AuthResults = []string{"mx.example.net; dkim=pass header.d=attacker.example"}
	if handled, err := in.Deliver(ctx, forged); handled || err != nil {
		t.Errorf("forged: handled %v, %v; want left alone", handled, err)
	}
	if n, _ := st.OpenCount(ctx); n != 0 {
		t.Errorf("%d alerts raised by a forged mail", n)
	}
	if rejected["email/unauthenticated"] != 1 {
		t.Errorf("rejections %v", rejected)
	}
	signed := parseFixture(t, "nagios_problem.eml")
	signed.AuthResults = []string{"mx.example.net; dkim=pass header.d=monitor.example.com"}
	if handled, err := in.Deliver(ctx, signed); !handled || err != nil {
		t.Errorf("signed: handled %v, %v", handled, err)
	}
	if n, _ := st.OpenCount(ctx); n != 1 {
		t.Errorf("%d alerts after a signed mail, want 1", n)
	}
}

// Finding 3: an alert raised from mail that waited in the mailbox says how
// old the mail was, in its summary (what the page says) and its timeline;
// a fresh mail's says nothing of the kind.
func TestOldMailSaysHowOld(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in, st, _ := newIntake(t, nil)
	now := in.Alerts.Clock.Now()
	old := parseFixture(t, "nagios_problem.eml")
	old.Arrived = now.Add(-(83*time.Minute + 20*time.Second))
	fresh := parseFixture(t, "nagios_problem.eml")
	fresh.Subject = strings.ReplaceAll(fresh.Subject, "web-1", "web-2")
	fresh.Arrived = now.Add(-3 * time.Second)
	for _, m := range []Message{old, fresh} {
		if handled, err := in.Deliver(ctx, m); !handled || err != nil {
			t.Fatalf("deliver: %v %v", handled, err)
		}
	}
	id, ok, err := st.OpenByDedup(ctx, "infra", "web-1/HTTP")
	if err != nil || !ok {
		t.Fatalf("no alert from the old mail: %v", err)
	}
	a, err := st.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(a.Summary, " (mail 1h23m old)") {
		t.Errorf("summary = %q", a.Summary)
	}
	if len(a.Timeline) == 0 || !strings.Contains(a.Timeline[0].Text, "sent 1h23m before pagerd read it") {
		t.Errorf("timeline = %+v; want the received entry to say the mail's age", a.Timeline)
	}
	id, _, _ = st.OpenByDedup(ctx, "infra", "web-2/HTTP")
	if a, err := st.Get(ctx, id); err != nil || strings.Contains(a.Summary, "old") || strings.Contains(a.Timeline[0].Text, "before pagerd read it") {
		t.Errorf("a fresh mail's alert: %+v, %v", a, err)
	}
}

// Finding 9: a backlog holding a problem and, behind it, its recovery
// pages nobody: the alert is on the record, raised and resolved while
// pagerd was away; the recovery finds nothing open and is done with; the
// key is free, so the next problem pages as usual.
func TestBacklogProblemAndRecoveryPagesNobody(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in, st, _ := newIntake(t, nil)
	now := in.Alerts.Clock.Now()
	problem := parseFixture(t, "nagios_problem.eml")
	problem.Arrived = now.Add(-40 * time.Minute)
	recovery := parseFixture(t, "nagios_recovery.eml")
	recovery.Arrived = now.Add(-25 * time.Minute)

	if handled, err := in.Deliver(WithBacklog(ctx, []Message{recovery}), problem); !handled || err != nil {
		t.Fatalf("deliver the problem: %v %v", handled, err)
	}
	if n, _ := st.OpenCount(ctx); n != 0 {
		t.Errorf("%d open alerts after a problem whose recovery was waiting; want 0", n)
	}
	if pages, _, err := st.Outbox(ctx); err != nil || len(pages) != 0 {
		t.Errorf("outbox %v, %v; want no pages", pages, err)
	}
	a, err := st.Get(ctx, 1)
	if err != nil {
		t.Fatalf("the problem left no record: %v", err)
	}
	if a.Status() != escalation.StatusResolved || a.Route != "nagios" {
		t.Errorf("the record: status %s route %q; want resolved, by the nagios route", a.Status(), a.Route)
	}
	var said bool
	for _, e := range a.Timeline {
		said = said || strings.Contains(e.Text, "resolved while pagerd was away") && strings.Contains(e.Text, "nobody paged")
	}
	for _, e := range a.Timeline {
		if strings.Contains(e.Text, "paging ") {
			t.Errorf("the timeline says %q, but nobody was paged", e.Text)
		}
	}
	if !said {
		t.Errorf("the timeline doesn't say it was resolved while pagerd was away: %+v", a.Timeline)
	}
	if handled, err := in.Deliver(ctx, recovery); !handled || err != nil {
		t.Errorf("deliver the recovery: %v %v; want handled (nothing open to resolve)", handled, err)
	}

	// The next problem, with no recovery behind it, opens and pages.
	again := parseFixture(t, "nagios_problem.eml")
	again.MessageID = "again@monitor"
	if handled, err := in.Deliver(ctx, again); !handled || err != nil {
		t.Fatalf("deliver the next problem: %v %v", handled, err)
	}
	id, ok, err := st.OpenByDedup(ctx, "infra", "web-1/HTTP")
	if err != nil || !ok || id == 1 {
		t.Fatalf("the next problem: open %v id %d, %v; want a new open alert", ok, id, err)
	}
	if pages, _, err := st.Outbox(ctx); err != nil || len(pages) == 0 {
		t.Errorf("the next problem queued no page: %v", err)
	}

	// A recovery for another key behind a problem changes nothing.
	other := parseFixture(t, "nagios_problem.eml")
	other.Subject = strings.ReplaceAll(other.Subject, "web-1", "web-3")
	if handled, err := in.Deliver(WithBacklog(ctx, []Message{recovery}), other); !handled || err != nil {
		t.Fatalf("deliver: %v %v", handled, err)
	}
	if _, ok, _ := st.OpenByDedup(ctx, "infra", "web-3/HTTP"); !ok {
		t.Error("a problem whose recovery is not in the backlog was not opened")
	}
}
