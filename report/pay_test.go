package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/report"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
	"github.com/pagerd/pagerd/timesheet"
)

// example is the alerts service on a real embedded etcd with the example
// rota, its clock at now.
func example(t *testing.T, now time.Time) (*alerts.Service, *store.Store, *rotafile.Rota, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(now)
	env := testenv.New(t, "../configs/example", clk)
	return env.Alerts, env.Store, env.Rota, clk
}

// raiseAndResolve triggers an alert for team and, after, resolves it as
// by without anyone acknowledging it.
func raiseAndResolve(t *testing.T, svc *alerts.Service, clk *clock.Fake, team, by string, after time.Duration) {
	t.Helper()
	ctx := context.Background()
	res, err := svc.Receive(ctx, team, alerts.Event{Action: alerts.Trigger, Summary: "disk full", DedupKey: "disk-" + by,
		Severity: alerts.SeverityCritical, Source: alerts.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(after)
	if _, err := svc.Act(ctx, res.AlertID, escalation.Resolve{By: by}); err != nil {
		t.Fatal(err)
	}
}

// Issue 18, finding 10: the on-call person who resolves an alert at 3 a.m.
// without acknowledging it first ("42r") is paid the minimum call-out.
func TestResolveWithoutAckIsPaidTheMinimumCallout(t *testing.T) {
	t.Parallel()
	// Wednesday 25 Nov 2026 03:00 London: bob covers payments' primary.
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	svc, st, r, clk := example(t, at)
	raiseAndResolve(t, svc, clk, "payments", "bob", 4*time.Minute)
	// An operator who is not a person in the rota is not paid.
	raiseAndResolve(t, svc, clk, "payments", "ops-console", time.Minute)

	lines, err := report.Pay(context.Background(), st, r, at.Add(-time.Hour), at.Add(time.Hour), "payments", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 {
		t.Fatalf("lines %+v, want bob's one engaged line", lines)
	}
	l := lines[0]
	// 30 minutes at 30.00 an hour: the call-out minimum, in GBP.
	if l.Person != "bob" || l.Kind != timesheet.Engaged || l.Class != timesheet.WeekdayOutOfHours || l.Seconds != 1800 || l.Amount != 1500 || l.Currency != "GBP" {
		t.Errorf("bob's line %+v", l)
	}
}

// Issue 18, finding 6: a team without a pay block still reports an ISO
// 4217 code: XXX, "no currency", with every amount 0.
func TestTeamWithoutPayReportsCurrencyXXX(t *testing.T) {
	t.Parallel()
	// Wednesday 25 Nov 2026 03:00 in Sydney (16:00 UTC the day before).
	at := time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC)
	svc, st, r, clk := example(t, at)
	ctx := context.Background()
	res, err := svc.Receive(ctx, "data", alerts.Event{Action: alerts.Trigger, Summary: "etl late", DedupKey: "etl",
		Severity: alerts.SeverityCritical, Source: alerts.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if _, err := svc.Act(ctx, res.AlertID, escalation.Ack{By: "peggy"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Minute)
	if _, err := svc.Act(ctx, res.AlertID, escalation.Resolve{By: "peggy"}); err != nil {
		t.Fatal(err)
	}
	lines, err := report.Pay(context.Background(), st, r, at.Add(-time.Hour), at.Add(time.Hour), "data", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 {
		t.Fatal("no lines: peggy's engaged time is not listed")
	}
	for _, l := range lines {
		if l.Currency != timesheet.NoCurrency || l.Amount != 0 {
			t.Errorf("line %+v: want currency %s and no amount", l, timesheet.NoCurrency)
		}
	}
}
