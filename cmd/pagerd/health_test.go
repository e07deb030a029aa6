package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/store"
)

var updateHealthREADME = flag.Bool("update-health", false, "rewrite README.md's pagerd health example from a scripted week")

// scriptedWeek runs a week of payments alerts (Monday 23 to Monday 30
// November 2026, London) through the real alerts service on a fake clock,
// records the week's ledger from the example rota as the engine would, and
// serves the API. Dave is primary and alice secondary; bob's override
// covers dave from Tuesday 18:00 to Wednesday 09:00; erin shadows primary.
func scriptedWeek(t *testing.T) (*testenv.Env, string) {
	t.Helper()
	lon, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, lon) }
	from, to := at(23, 0, 0), at(30, 9, 0)
	clk := clock.NewFake(from)
	env := testenv.New(t, "../../configs/example", clk)
	ctx := context.Background()

	pay, _ := env.Rota.Team("payments")
	var held []store.Held
	for _, sh := range pay.Schedule.Shifts(from, to) {
		held = append(held, store.Held{Team: "payments", Role: sh.Role, Person: sh.Person, Start: sh.Start, End: sh.End,
			Source: string(sh.Source), Shadow: sh.Source == "shadow", RotaRev: 1, RecordedAt: to})
	}
	if err := env.Store.RecordHeld(ctx, nil, "payments", held, store.LedgerCursor{Upto: to, Alive: to}); err != nil {
		t.Fatal(err)
	}

	n := 0
	raise := func(when time.Time, summary string) int64 {
		t.Helper()
		clk.Set(when)
		n++
		res, err := env.Alerts.Receive(ctx, "payments", alerts.Event{Action: alerts.Trigger, Summary: summary,
			DedupKey: fmt.Sprintf("k%d", n), Severity: alerts.SeverityCritical, Source: alerts.SourceAPI})
		if err != nil {
			t.Fatal(err)
		}
		return res.AlertID
	}
	act := func(id int64, after time.Duration, ev escalation.Event) {
		t.Helper()
		clk.Advance(after)
		if _, err := env.Alerts.Act(ctx, id, ev); err != nil {
			t.Fatalf("alert %d: %T: %v", id, ev, err)
		}
	}
	// timeout fires the alert's timer (a later contact method, then the
	// ack timeout) until the policy moves to its next step.
	timeout := func(id int64) {
		t.Helper()
		for range 10 {
			a, err := env.Store.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			step := a.Esc.Step
			clk.Set(a.Esc.Timer)
			if err := env.Alerts.TimerFired(ctx, nil, id, a.Esc.Timer); err != nil {
				t.Fatal(err)
			}
			if a, err = env.Store.Get(ctx, id); err != nil {
				t.Fatal(err)
			} else if a.Esc.Step != step {
				return
			}
		}
		t.Fatalf("alert %d: no next step after 10 timers", id)
	}
	// Monday 14:00, business hours: dave acks in 2 minutes.
	id := raise(at(23, 14, 0), "checkout 5xx above 2%")
	act(id, 2*time.Minute, escalation.Ack{By: "dave"})
	act(id, 20*time.Minute, escalation.Resolve{By: "dave"})
	// Tuesday 23:40: bob, covering, acks in 4 minutes.
	id = raise(at(24, 23, 40), "settlement batch late")
	act(id, 4*time.Minute, escalation.Ack{By: "bob"})
	act(id, 40*time.Minute, escalation.Resolve{By: "bob"})
	// Wednesday 03:15: bob sleeps through it; alice (secondary) acks.
	id = raise(at(25, 3, 15), "card auth latency p99 > 2s")
	timeout(id)
	act(id, 2*time.Minute, escalation.Ack{By: "alice"})
	act(id, 30*time.Minute, escalation.Resolve{By: "alice"})
	// Thursday 19:30: dave acks in a minute.
	id = raise(at(26, 19, 30), "refund queue backing up")
	act(id, time.Minute, escalation.Ack{By: "dave"})
	act(id, 15*time.Minute, escalation.Resolve{By: "dave"})
	// Saturday 10:00: dave resolves it without an ack.
	id = raise(at(28, 10, 0), "disk 90% on pay-db-2")
	act(id, 10*time.Minute, escalation.Resolve{By: "dave"})
	// Sunday 02:30: nobody acks steps 1 and 2; frank does at step 3.
	id = raise(at(29, 2, 30), "payments API down")
	timeout(id)
	timeout(id)
	act(id, 3*time.Minute, escalation.Ack{By: "frank"})
	act(id, 25*time.Minute, escalation.Resolve{By: "frank"})
	return env, env.Serve(t)
}

// TestHealthOfAScriptedWeek reads the health of the scripted week through
// the CLI and the API, checks its figures, and keeps the README's example
// true (go test ./cmd/pagerd -run TestHealthOfAScriptedWeek -update-health
// rewrites it).
func TestHealthOfAScriptedWeek(t *testing.T) {
	t.Parallel()
	env, url := scriptedWeek(t)
	health := func(format string, extra ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args := append([]string{"health", "--server", url, "--from", "2026-11-23 09:00", "--to", "2026-11-30 09:00", "--team", "payments", "--format", format}, extra...)
		if code := run(args, &out, &errb, timeNow); code != 0 {
			t.Fatalf("health --format %s: exit %d: %s", format, code, errb.String())
		}
		return out.String()
	}
	recs, err := csv.NewReader(strings.NewReader(health("csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range recs[1:] {
		got[r[1]+"/"+r[2]] = r[3]
	}
	for k, want := range map[string]string{
		"/alerts": "6", "/escalated": "2", "/acked_by_nobody": "1",
		// Acks from the first page: 60, 120, 240, 420 (alice, after bob's
		// 5 minutes), 780 (frank, after 10 minutes of steps 1 and 2, +3).
		"/time_to_ack_p50_seconds": "240", "/time_to_ack_p90_seconds": "780",
		"dave/pages": "4", "dave/out_of_hours_interruptions": "3", "dave/sleep_interruptions": "1", "dave/nights_interrupted": "1",
		// Bob's two are one night: Tuesday's, 23:40 and 03:15.
		"bob/pages": "2", "bob/sleep_interruptions": "2", "bob/nights_interrupted": "1",
		"erin/pages": "6", "erin/shadow_seconds": "604800",
		"frank/pages": "1", "frank/time_to_ack_p50_seconds": "180",
		"alice/pages": "2",
		// Dave held primary all week but bob's 15 hours: 168 - 15 = 153h,
		// 42.5h of them business hours, 110.5h out of hours; alice (all
		// week secondary) 125.5h, bob 15h: 251h out of hours in all.
		"dave/business_seconds": "153000", "dave/weekday_out_of_hours_seconds": "225000", "dave/weekend_seconds": "172800",
		"/out_of_hours_seconds": "903600", "alice/fairness": "2", "bob/out_of_hours_share": "0.0598", "dave/fairness": "1.761",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
	// The last alert's story, as a postmortem starts.
	list, err := env.Store.List(context.Background(), nil, 1)
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	var md, errb bytes.Buffer
	if code := run([]string{"alert", "--server", url, "--markdown", fmt.Sprint(list[0].ID)}, &md, &errb, timeNow); code != 0 {
		t.Fatalf("alert --markdown: exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"# Alert #", ": payments API down", "| acknowledged | by frank at 2026-11-29 02:43:00 GMT (2026-11-29 02:43:00Z), 13m00s after the first page |",
		"| +10m00s | frank | person | 1 | 3 |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("alert --markdown lacks %q:\n%s", want, md.String())
		}
	}

	table := health("table")
	if !strings.Contains(table, "PERSON") || !strings.Contains(table, "TEAM") {
		t.Fatalf("table:\n%s", table)
	}
	block := "```\n$ pagerd health --team payments --from '2026-11-23 09:00' --to '2026-11-30 09:00'\n" + table + "```\n"
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- health example: go test ./cmd/pagerd -run TestHealthOfAScriptedWeek -update-health -->\n", "<!-- end health example -->"
	i, j := bytes.Index(readme, []byte(begin)), bytes.Index(readme, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("README lacks the health example markers")
	}
	if *updateHealthREADME {
		next := append(append(append([]byte{}, readme[:i+len(begin)]...), block...), readme[j:]...)
		if err := os.WriteFile("../../README.md", next, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(readme[i+len(begin):j]) != block {
		t.Errorf("README's health example is stale; go test ./cmd/pagerd -run TestHealthOfAScriptedWeek -update-health. Now:\n%s", block)
	}
}
