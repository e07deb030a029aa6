package report_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/report"
	"github.com/pagerd/pagerd/store"
	"github.com/pagerd/pagerd/timesheet"
)

// exampleWithTOIL is the example rota in a temporary directory, payments
// earning a 2-hour late start per night interrupted.
func exampleWithTOIL(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob("../configs/example/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "payments.yaml" {
			edited := strings.Replace(string(b), "  minimum_callout_minutes: 30\n", "  minimum_callout_minutes: 30\n  toil: {sleep_interruption: 2h}\n", 1)
			if edited == string(b) {
				t.Fatal("payments.yaml has no minimum_callout_minutes line to add toil after")
			}
			b = []byte(edited)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Issue 19: the health and pay reports read history. An alert retired
// (its full record gone from etcd, its summary left) counts in the health
// report and in the pay report's time off in lieu with the same figures as
// before retirement; before, it dropped out of both.
func TestRetiredAlertsCountInTheReportsAsBefore(t *testing.T) {
	t.Parallel()
	// Wednesday 25 Nov 2026 03:00 London: night, in payments' sleep hours.
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	clk := clock.NewFake(at)
	env := testenv.New(t, exampleWithTOIL(t), clk)
	svc, st, r := env.Alerts, env.Store, env.Rota
	ctx := context.Background()

	// An alert that escalated: bob paged at step 1, carol at step 2
	// (twice: her first page counts), erin as a shadow; carol acks.
	first, err := svc.Receive(ctx, "payments", alerts.Event{Action: alerts.Trigger, Summary: "card auth down", DedupKey: "auth",
		Severity: alerts.SeverityCritical, Source: alerts.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(ctx, first.AlertID, nil, func(a *store.Alert) (store.Change, error) {
		a.MarkPage(store.PageMark{Person: "bob", Role: "primary", At: at})
		a.MarkPage(store.PageMark{Person: "erin", Role: "primary", Shadow: true, At: at})
		a.MarkPage(store.PageMark{Person: "carol", Role: "secondary", Step: 1, At: at.Add(5 * time.Minute)})
		a.MarkPage(store.PageMark{Person: "carol", Role: "secondary", Pass: 1, At: at.Add(15 * time.Minute)})
		return store.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(7 * time.Minute)
	if _, err := svc.Act(ctx, first.AlertID, escalation.Ack{By: "carol"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(40 * time.Minute)
	if _, err := svc.Act(ctx, first.AlertID, escalation.Resolve{By: "carol"}); err != nil {
		t.Fatal(err)
	}
	// A drill, resolved without an ack.
	drill, err := svc.Receive(ctx, "payments", alerts.Event{Action: alerts.Trigger, Summary: "drill", DedupKey: "drill",
		Severity: alerts.SeverityCritical, Source: alerts.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(ctx, drill.AlertID, nil, func(a *store.Alert) (store.Change, error) {
		a.Drill = true
		a.MarkPage(store.PageMark{Person: "bob", Role: "primary", At: clk.Now()})
		return store.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(3 * time.Minute)
	if _, err := svc.Act(ctx, drill.AlertID, escalation.Resolve{By: "bob"}); err != nil {
		t.Fatal(err)
	}

	from, to := at.Add(-time.Hour), at.Add(6*time.Hour)
	beforeHealth, err := report.Health(ctx, st, r, from, to, "payments", "")
	if err != nil {
		t.Fatal(err)
	}
	beforePay, err := report.Pay(ctx, st, r, from, to, "payments", "")
	if err != nil {
		t.Fatal(err)
	}
	// The figures are worth comparing: both alerts, the escalation, the
	// drill (counted apart from the alerts), carol's ack, and a night of TOIL for bob and for carol.
	if len(beforeHealth.Teams) != 1 {
		t.Fatalf("teams %+v", beforeHealth.Teams)
	}
	if tm := beforeHealth.Teams[0]; tm.Alerts != 1 || tm.Escalated != 1 || tm.Drills != 1 || tm.Ack.N != 1 {
		t.Fatalf("payments before retirement: %+v", tm)
	}
	nights := 0
	for _, l := range beforePay {
		if l.Kind == timesheet.TOIL {
			nights++
		}
	}
	if nights == 0 {
		t.Fatalf("pay before retirement has no TOIL line: %+v", beforePay)
	}

	clk.Advance(time.Hour)
	for _, id := range []int64{first.AlertID, drill.AlertID} {
		if _, err := st.Retire(ctx, id, clk.Now(), store.Keep{Archive: time.Hour, History: 365 * 24 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Get(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("alert %d still live after retirement: %v", id, err)
		}
	}
	afterHealth, err := report.Health(ctx, st, r, from, to, "payments", "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(afterHealth, beforeHealth) {
		t.Errorf("health after retirement:\n%+v\nbefore:\n%+v", afterHealth, beforeHealth)
	}
	afterPay, err := report.Pay(ctx, st, r, from, to, "payments", "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(afterPay, beforePay) {
		t.Errorf("pay after retirement:\n%+v\nbefore:\n%+v", afterPay, beforePay)
	}
}
