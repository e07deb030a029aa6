package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/internal/testenv"
)

// TestTOILInThePayReport: payments earns time off in lieu (1.5 hours per
// hour engaged on a holiday, a 2-hour late start per night interrupted).
// Alice, primary on Christmas Day 2026, works an alert from 02:05 to
// 03:05: an hour engaged on a holiday (paid 30.00) earns 1.5 hours off,
// and the night a 2-hour late start; an admin then takes 30 minutes
// away with a correction. The pay report lists them as their own lines,
// in hours, not money.
func TestTOILInThePayReport(t *testing.T) {
	t.Parallel()
	dir := commanderRota(t)
	pay := filepath.Join(dir, "payments.yaml")
	b, err := os.ReadFile(pay)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(b), "  minimum_callout_minutes: 30\n", "  minimum_callout_minutes: 30\n  toil: {holiday_engaged: 1.5, sleep_interruption: 2h}\n", 1)
	if edited == string(b) {
		t.Fatal("payments.yaml has no minimum_callout_minutes line to add toil after")
	}
	if err := os.WriteFile(pay, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 12, 25, 2, 0, 0, 0, time.UTC))
	env := testenv.New(t, dir, clk)
	url := env.Serve(t)
	ctx := context.Background()
	res, err := env.Alerts.Receive(ctx, "payments", alerts.Event{Action: alerts.Trigger, Summary: "card auth down", Severity: alerts.SeverityCritical, Source: alerts.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(5 * time.Minute)
	if _, err := env.Alerts.Act(ctx, res.AlertID, escalation.Ack{By: "alice"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if _, err := env.Alerts.Act(ctx, res.AlertID, escalation.Resolve{By: "alice"}); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(append(args, "--server", url), &out, &errb, timeNow); code != 0 {
			t.Fatalf("pagerd %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
		}
		return out.String()
	}
	if out := cli("ledger", "correct", "--team", "payments", "--person", "alice", "--from", "2026-12-25 12:00", "--toil-minutes", "-30", "--reason", "took half an hour as pay"); !strings.HasPrefix(out, "recorded: -30 minutes of time off in lieu for alice in payments") {
		t.Errorf("ledger correct --toil-minutes: %q", out)
	}
	csv := cli("report", "--team", "payments", "--person", "alice", "--from", "2026-12-25", "--to", "2026-12-26", "--format", "csv")
	want := "person,team,kind,class,minutes,amount,currency\n" +
		"alice,payments,engaged,holiday,60,30.00,GBP\n" +
		"alice,payments,toil,holiday_engaged,90,,\n" +
		"alice,payments,toil,sleep_interruption,120,,\n" +
		"alice,payments,toil,correction,-30,,\n"
	if csv != want {
		t.Errorf("report csv:\n%s\nwant\n%s", csv, want)
	}
	table := cli("report", "--team", "payments", "--from", "2026-12-25", "--to", "2026-12-26")
	for _, w := range []string{"toil  holiday_engaged   1:30  -", "toil       correction  -0:30  -", "total alice: 30.00 GBP"} {
		if !strings.Contains(strings.Join(strings.Fields(table), " "), strings.Join(strings.Fields(w), " ")) {
			t.Errorf("table lacks %q:\n%s", w, table)
		}
	}
}
