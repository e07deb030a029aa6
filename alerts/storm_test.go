package alerts_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/escalation"
)

// Beyond the team's open-alert cap, new alerts are counted into one open
// storm alert, which pages once; their keys and summaries are on its
// timeline, and a repeat of one of them is counted, not named again. Once
// the team is under the cap, new alerts are stored one by one again.
func TestStormFoldsAlertsBeyondTheCap(t *testing.T) {
	t.Parallel()
	svc, st, _ := newService(t)
	svc.MaxOpenPerTeam = 3
	outcomes := map[string]int{}
	svc.Received = func(source, team, outcome string) { outcomes[outcome]++ }
	ctx := context.Background()
	trigger := func(key string) alerts.Result {
		t.Helper()
		res, err := svc.Receive(ctx, "ops", alerts.Event{Action: alerts.Trigger, Summary: "disk full on " + key, DedupKey: key, Source: alerts.SourceAlertmanager})
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return res
	}
	var first []alerts.Result
	for i := range 3 {
		first = append(first, trigger(fmt.Sprintf("db%d", i)))
	}
	for _, r := range first {
		if r.Status != "created" {
			t.Fatalf("under the cap: %+v", r)
		}
	}
	a := trigger("db3")
	b := trigger("db4")
	again := trigger("db3")
	if a.Status != "folded" || b.Status != "folded" || again.Status != "folded" || a.AlertID != b.AlertID || a.AlertID != again.AlertID {
		t.Fatalf("over the cap: %+v %+v %+v; want all folded into one alert", a, b, again)
	}
	if !strings.Contains(a.Message, "counted into storm alert") {
		t.Errorf("message %q", a.Message)
	}
	storm, err := st.Get(ctx, a.AlertID)
	if err != nil {
		t.Fatal(err)
	}
	if storm.DedupKey != alerts.StormKey || !strings.Contains(storm.Summary, "Alert storm") || storm.Count != 4 {
		t.Errorf("storm alert: key %q summary %q count %d; want count 4 (itself and three folds)", storm.DedupKey, storm.Summary, storm.Count)
	}
	if len(storm.Esc.Paged) == 0 {
		t.Error("the storm alert paged nobody")
	}
	var named []string
	for _, e := range storm.Timeline {
		if e.Kind == "folded" {
			named = append(named, e.Text)
		}
	}
	if len(named) != 2 || !strings.Contains(named[0], `key "db3": disk full on db3`) || !strings.Contains(named[1], `key "db4"`) {
		t.Errorf("folded alerts on the timeline: %q", named)
	}
	if n, err := st.OpenCountTeam(ctx, "ops"); err != nil || n != 4 {
		t.Errorf("open alerts %d (%v), want 4: three and the storm", n, err)
	}
	if outcomes["folded"] != 3 || outcomes["created"] != 3 {
		t.Errorf("outcomes %v", outcomes)
	}
	// Under the cap again: one by one.
	for _, id := range []int64{first[0].AlertID, first[1].AlertID, a.AlertID} {
		if _, err := svc.Act(ctx, id, escalation.Resolve{By: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	if r := trigger("db5"); r.Status != "created" {
		t.Errorf("under the cap again: %+v", r)
	}
}

// Rejections are all counted, and logged at WARN at most about once a
// second, each line saying how many it left out.
func TestRejectionsCountedAndTheirLogRateLimited(t *testing.T) {
	t.Parallel()
	svc, _, clk := newService(t)
	var buf bytes.Buffer
	svc.Log = slog.New(slog.NewTextHandler(&buf, nil))
	counted := 0
	svc.Rejected = func(source, reason string) {
		if source == alerts.SourceAPI && reason == alerts.RejectRateLimited {
			counted++
		}
	}
	for range 1000 {
		svc.Reject(alerts.SourceAPI, alerts.RejectRateLimited, "too many alerts", "remote", "192.0.2.7:4000")
	}
	if counted != 1000 {
		t.Errorf("counted %d of 1000", counted)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) > 10 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "reason=rate_limited") {
		t.Fatalf("%d lines logged for 1000 rejections in an instant:\n%s", len(lines), buf.String())
	}
	buf.Reset()
	clk.Advance(time.Second)
	svc.Reject(alerts.SourceAPI, alerts.RejectRateLimited, "too many alerts")
	if want := fmt.Sprintf("suppressed=%d", 1000-len(lines)); !strings.Contains(buf.String(), want) {
		t.Errorf("a second later: %q, want %s", buf.String(), want)
	}
}
