package alerts_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/escalation"
)

func trigger(summary, key string) alerts.Event {
	return alerts.Event{Action: alerts.Trigger, Summary: summary, DedupKey: key, Source: alerts.SourceAlertmanager, Severity: alerts.SeverityCritical}
}

// The first pages of alerts that arrive together carry one group per
// person and method, sized, so the engine sends each person one message.
func TestReceiveAllGroupsTheFirstPages(t *testing.T) {
	svc, st, _ := newService(t)
	ctx := context.Background()
	res, err := svc.ReceiveAll(ctx, []string{"ops", "ops", "ops"}, []alerts.Event{trigger("a", "a"), trigger("b", "b"), trigger("c", "c")})
	if err != nil || len(res) != 3 {
		t.Fatalf("ReceiveAll = %+v, %v", res, err)
	}
	pages, _, err := st.Outbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]int{}
	for _, pg := range pages {
		if pg.Group == "" || pg.GroupSize != 3 {
			t.Errorf("page %s/%s to %s: group %q size %d", pg.Key(), pg.Method, pg.Person, pg.Group, pg.GroupSize)
		}
		groups[pg.Person+" "+pg.Group]++
	}
	if len(pages) != 6 || groups["alice batch-"+itoa(res[0].AlertID)] != 3 || groups["erin batch-"+itoa(res[0].AlertID)] != 3 {
		t.Errorf("pages %d, groups %v", len(pages), groups)
	}
	// A repeat in a later batch is counted, and pages nobody.
	again, err := svc.ReceiveAll(ctx, []string{"ops", "ops"}, []alerts.Event{trigger("a", "a"), trigger("d", "d")})
	if err != nil || again[0].Status != "deduplicated" || again[1].Status != "created" {
		t.Fatalf("second batch = %+v, %v", again, err)
	}
	pages, _, _ = st.Outbox(ctx)
	for _, pg := range pages {
		if pg.AlertID == again[1].AlertID && pg.Group != "" {
			t.Errorf("a lone new alert's page is grouped: %+v", pg)
		}
	}
}

// One key twice in a batch (fired, then resolved): stored in order, one by
// one, so the resolve finds the alert the trigger made.
func TestReceiveAllKeepsOrderForOneKey(t *testing.T) {
	svc, st, _ := newService(t)
	ctx := context.Background()
	res, err := svc.ReceiveAll(ctx, []string{"ops", "ops"}, []alerts.Event{
		trigger("a", "k"), {Action: alerts.Resolve, DedupKey: "k", Source: alerts.SourceAlertmanager}})
	if err != nil || res[0].Status != "created" || res[1].Status != "resolved" {
		t.Fatalf("ReceiveAll = %+v, %v", res, err)
	}
	if a, _ := st.Get(ctx, res[0].AlertID); a.Status() != escalation.StatusResolved {
		t.Errorf("status %s", a.Status())
	}
}

// A team that names its own Alertmanager label gets the severity from it,
// and its urgency rule decides: a warning at 03:00 waits for 09:00.
func TestSeverityFromTheTeamsLabel(t *testing.T) {
	svc, st, clk := newServiceWith(t, func(name, data string) string {
		if name != "ops.yaml" {
			return data
		}
		return data + "urgency:\n  high: [critical]\n  alertmanager_label: priority\n"
	})
	clk.Set(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	ctx := context.Background()
	ev := trigger("Disk 80% full", "disk")
	ev.Labels = map[string]string{"priority": "warning", "severity": "critical"}
	res, err := svc.Receive(ctx, "ops", ev)
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.Get(ctx, res.AlertID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Severity != alerts.SeverityWarning || a.Esc.Urgency != escalation.Low || !a.Esc.HeldUntil.Equal(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("severity %q urgency %q held until %v", a.Severity, a.Esc.Urgency, a.Esc.HeldUntil)
	}
	if !strings.Contains(a.Timeline[0].Text, "severity warning: low urgency") {
		t.Errorf("timeline %q", a.Timeline[0].Text)
	}
	if pages, _, _ := st.Outbox(ctx); len(pages) != 0 {
		t.Errorf("a held alert paged: %+v", pages)
	}
	// Without the label, the event's own severity holds: critical pages.
	res, _ = svc.Receive(ctx, "ops", trigger("Checkout down", "checkout"))
	if a, _ := st.Get(ctx, res.AlertID); a.Esc.Urgency != escalation.High || a.Esc.Held() {
		t.Errorf("critical: urgency %q held %v", a.Esc.Urgency, a.Esc.Held())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
