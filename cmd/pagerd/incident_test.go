package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/internal/testenv"
)

// commanderRota is the example rota with an incident-commander team file.
func commanderRota(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob("../../configs/example/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("example rota: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	commander := `team: commander
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
	if err := os.WriteFile(filepath.Join(dir, "commander.yaml"), []byte(commander), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDrillPageMajorDirectoryFromTheCLI: on Tuesday 24 November 2026 a
// drill of erin alone, then platform pulled in to a payments alert and the
// alert declared major, all with the CLI; the directory lists who is on
// call; the timeline and the health report show what happened.
func TestDrillPageMajorDirectoryFromTheCLI(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	env := testenv.New(t, commanderRota(t), clk)
	url := env.Serve(t)
	ctx := context.Background()
	cli := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(append(args, "--server", url), &out, &errb, timeNow); code != 0 {
			t.Fatalf("pagerd %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
		}
		return out.String()
	}

	out := cli("drill", "--team", "payments", "--person", "erin")
	var drill int64
	if _, err := fmt.Sscanf(out, "drill #%d is paging", &drill); err != nil {
		t.Fatalf("drill: %q", out)
	}
	clk.Advance(45 * time.Second)
	if _, err := env.Alerts.Act(ctx, drill, escalation.Ack{By: "erin"}); err != nil {
		t.Fatal(err)
	}

	res, err := env.Alerts.Receive(ctx, "payments", alerts.Event{Action: alerts.Trigger, Summary: "checkout 5xx", Severity: alerts.SeverityCritical, Source: alerts.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(res.AlertID, 10)
	if out := cli("page", "--alert", id, "--team", "platform"); !strings.HasPrefix(out, "paging platform's on-call about #"+id+": their part is #") {
		t.Errorf("page: %q", out)
	}
	if out := cli("major", id); !strings.HasPrefix(out, "#"+id+" is a major incident: the incident commander is paged as #") {
		t.Errorf("major: %q", out)
	}
	dir := cli("directory")
	var rows []string
	for _, l := range strings.Split(dir, "\n") {
		rows = append(rows, strings.Join(strings.Fields(l), " "))
	}
	for _, want := range []string{"commander (incident commander) primary heidi Heidi Hill +12025550102 +12025550102",
		"payments primary dave Dave Dunn +447700900004 +447700900004", "payments primary (shadow) erin Erin Eze +447700900005 +447700900005"} {
		if !slices.Contains(rows, want) {
			t.Errorf("directory lacks %q:\n%s", want, dir)
		}
	}
	md := cli("alert", id, "--markdown")
	for _, want := range []string{"| major incident | yes |\n", "## Pulled in\n", "| platform | help | anonymous | #", "| commander | incident commander | anonymous | #",
		"| help | anonymous | team platform's on-call pulled in by anonymous: alert ", "| major | anonymous | declared a major incident by anonymous; incident commander (team commander) paged: alert "} {
		if !strings.Contains(md, want) {
			t.Errorf("timeline lacks %q:\n%s", want, md)
		}
	}
	csv := cli("health", "--team", "payments", "--from", "2026-11-24", "--to", "2026-11-25", "--format", "csv")
	for _, want := range []string{"payments,,drills,1\n", "payments,,drill_time_to_ack_p50_seconds,45\n", "payments,erin,drills,1\n", "payments,,alerts,1\n"} {
		if !strings.Contains(csv, want) {
			t.Errorf("health lacks %q:\n%s", want, csv)
		}
	}
}
