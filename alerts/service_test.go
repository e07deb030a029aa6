package alerts_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
)

// newService is the alerts service on a real embedded etcd with the
// scheduler's test rota (ops: alice primary, bob secondary, erin shadow on
// Tuesday 24 Nov 2026 12:00 UTC).
func newService(t *testing.T) (*alerts.Service, *store.Store, *clock.Fake) {
	t.Helper()
	return newServiceWith(t, nil)
}

// newServiceWith is newService with the rota files edited.
func newServiceWith(t *testing.T, edit func(name, data string) string) (*alerts.Service, *store.Store, *clock.Fake) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	files, err := rotafile.ReadDir("../scheduler/testdata/rota")
	if err != nil {
		t.Fatal(err)
	}
	for i := range files {
		files[i].Data = []byte(strings.ReplaceAll(string(files[i].Data), "KEYFILE", "/dev/null"))
		if edit != nil {
			files[i].Data = []byte(edit(filepath.Base(files[i].Name), string(files[i].Data)))
		}
	}
	r, diags := rotafile.Load(files)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cur := &inforce.Current{}
	cur.Set(inforce.New(r, 1, quiet))
	clk := clock.NewFake(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	return &alerts.Service{Store: st, Rota: cur, Clock: clk, Log: quiet}, st, clk
}

// Every intake's text passes the one sanitizer, whichever intake forgot:
// an email subject with a bidi override, a summary with escape sequences,
// and a dedup key longer than the limit cut on a character boundary.
func TestReceiveCleansEveryText(t *testing.T) {
	svc, st, _ := newService(t)
	ctx := context.Background()
	key := strings.Repeat("k", alerts.MaxDedupKey-1) + "é" // the é straddles the limit
	res, err := svc.Receive(ctx, "ops", alerts.Event{
		Action: alerts.Trigger, Summary: "disk \u202efull\u202c on \x1b[31mdb1\x1b[0m", Details: "line1\r\nline2\x00",
		DedupKey: key, Severity: alerts.SeverityCritical, Source: alerts.SourceEmail, Origin: "nagios@\u2066example.com",
	})
	if err != nil || res.Status != "created" {
		t.Fatalf("Receive = %+v, %v", res, err)
	}
	a, err := st.Get(ctx, res.AlertID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Summary != "disk full on [31mdb1[0m" {
		t.Errorf("summary %q: control and bidi characters should be gone", a.Summary)
	}
	if a.Details != "line1\nline2" || a.Origin != "nagios@example.com" {
		t.Errorf("details %q origin %q", a.Details, a.Origin)
	}
	if !utf8.ValidString(a.DedupKey) || len(a.DedupKey) > alerts.MaxDedupKey || !strings.HasPrefix(key, a.DedupKey) {
		t.Errorf("dedup key cut badly: %d bytes, valid UTF-8 %v", len(a.DedupKey), utf8.ValidString(a.DedupKey))
	}
	// The same (cleaned) key again is a repeat, not a second alert.
	again, err := svc.Receive(ctx, "ops", alerts.Event{Action: alerts.Trigger, Summary: "again", DedupKey: key, Source: alerts.SourceEmail})
	if err != nil || again.Status != "deduplicated" || again.AlertID != res.AlertID {
		t.Errorf("repeat = %+v, %v; want deduplicated onto %d", again, err, res.AlertID)
	}
}

// An actor's name is cleaned too: escape sequences must not reach a
// terminal that prints the timeline.
func TestActCleansTheActor(t *testing.T) {
	svc, st, clk := newService(t)
	ctx := context.Background()
	res, err := svc.Receive(ctx, "ops", alerts.Event{Action: alerts.Trigger, Summary: "s", Source: alerts.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	a, err := svc.Act(ctx, res.AlertID, escalation.Ack{By: "mallory\x1b]0;pwned\x07\u202e"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Esc.AckedBy != "mallory]0;pwned" {
		t.Errorf("acked by %q", a.Esc.AckedBy)
	}
	full, err := st.Get(ctx, res.AlertID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range full.Timeline {
		if strings.ContainsAny(e.By+e.Text, "\x1b\x07\u202e") {
			t.Errorf("timeline entry carries control characters: %q", e)
		}
	}
}

// The service is the one driver: a timer that fires steps the alert, and
// one that was re-armed meanwhile changes nothing.
func TestTimerFiredStepsOnlyDueTimers(t *testing.T) {
	svc, st, clk := newService(t)
	ctx := context.Background()
	res, err := svc.Receive(ctx, "ops", alerts.Event{Action: alerts.Trigger, Summary: "s", Source: alerts.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := st.Get(ctx, res.AlertID)
	due := a.Esc.Timer
	// Early: nothing happens.
	if err := svc.TimerFired(ctx, nil, res.AlertID, due); err != nil {
		t.Fatal(err)
	}
	if b, _ := st.Get(ctx, res.AlertID); b.Esc.Step != 0 || !b.Esc.Timer.Equal(due) {
		t.Fatalf("a timer fired before it was due changed the alert: step %d timer %s", b.Esc.Step, b.Esc.Timer)
	}
	// At the step's deadline every timer due by then fires in turn (the
	// primary's call after two minutes, then the deadline itself), and the
	// alert moves on to the secondary.
	clk.Set(a.Esc.StepDeadline)
	for i := 0; ; i++ {
		b, err := st.Get(ctx, res.AlertID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Esc.Step == 1 {
			break
		}
		if i == 10 || b.Esc.Timer.After(clk.Now()) {
			t.Fatalf("the deadline passed but the alert stays on step %d (timer %s)", b.Esc.Step, b.Esc.Timer)
		}
		if err := svc.TimerFired(ctx, nil, res.AlertID, b.Esc.Timer); err != nil {
			t.Fatal(err)
		}
	}
}
