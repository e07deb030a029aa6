package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/store"
)

// A held alert shows in `pagerd alerts` with when it will page, and
// `pagerd urgent` pages it now.
func TestAlertsShowsHeldAndUrgentRaises(t *testing.T) {
	st, srv := inProcessAPI(t)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	ctx := context.Background()
	now := time.Now().UTC()
	opens := now.Add(5 * time.Hour).Truncate(time.Minute)
	id, err := st.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a := &store.Alert{ID: id, Team: "payments", Summary: "Disk 80% full", DedupKey: "disk", Severity: "warning", Source: "api",
		CreatedAt: now, UpdatedAt: now, LastSeenAt: now, Count: 1,
		Esc: escalation.State{Status: escalation.StatusTriggered, Urgency: escalation.Low, HeldUntil: opens, Timer: opens}}
	if _, dup, err := st.Create(ctx, a, nil); err != nil || dup {
		t.Fatalf("create: %v %v", dup, err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"alerts", "--server", hs.URL}, &out, &errOut, timeNow); code != 0 {
		t.Fatalf("alerts: %d %s", code, errOut.String())
	}
	if want := "held until " + opens.Local().Format("2006-01-02 15:04"); !strings.Contains(out.String(), want) {
		t.Errorf("pagerd alerts lacks %q:\n%s", want, out.String())
	}
	out.Reset()
	if code := run([]string{"urgent", strconv.FormatInt(id, 10), "--server", hs.URL}, &out, &errOut, timeNow); code != 0 {
		t.Fatalf("urgent: %d %s", code, errOut.String())
	}
	// No operator tokens: the actor is "anonymous"; the timeline line is
	// of its own kind, not a Go type name.
	if !strings.Contains(out.String(), "[triggered]") || !strings.Contains(out.String(), " urgent ") || !strings.Contains(out.String(), "raised to high urgency by anonymous: paging now") {
		t.Errorf("urgent printed:\n%s", out.String())
	}
	got, err := st.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Esc.Held() || got.Esc.Urgency != escalation.High {
		t.Errorf("after urgent: held %v urgency %q", got.Esc.Held(), got.Esc.Urgency)
	}
}
