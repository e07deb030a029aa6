package alerts_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/alerts"
)

// Finding 11: a repeat's timeline entry names its source once, as the
// entry's actor, not again in its text ("... (alertmanager)" after "from
// alertmanager").
func TestRepeatNoteNamesSourceOnce(t *testing.T) {
	svc, st, _ := newService(t)
	ctx := context.Background()
	ev := alerts.Event{Action: alerts.Trigger, Summary: "disk full", DedupKey: "disk", Source: alerts.SourceAlertmanager}
	first, err := svc.Receive(ctx, "ops", ev)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := svc.Receive(ctx, "ops", ev); err != nil || res.Status != "deduplicated" {
		t.Fatalf("repeat: %+v, %v", res, err)
	}
	a, err := st.Get(ctx, first.AlertID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range a.Timeline {
		if e.Kind != "repeat" {
			continue
		}
		if e.By != alerts.SourceAlertmanager || strings.Contains(e.Text, alerts.SourceAlertmanager) {
			t.Errorf("repeat entry: text %q by %q; want the source only as its actor", e.Text, e.By)
		}
		return
	}
	t.Errorf("no repeat entry in %+v", a.Timeline)
}
