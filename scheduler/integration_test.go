package scheduler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/scheduler"
	"github.com/pagerd/pagerd/store"
)

func (h *harness) post(path string, body any, headers ...string) (int, map[string]any) {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest("POST", h.srv.URL+path, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// trigger raises an alert through the native API and returns its id.
func (h *harness) trigger(summary, dedup string) int64 {
	h.t.Helper()
	code, out := h.post("/api/v1/alerts", map[string]any{"routing_key": h.key, "summary": summary, "dedup_key": dedup})
	if code != http.StatusAccepted {
		h.t.Fatalf("POST alert: %d %v", code, out)
	}
	res := out["alerts"].([]any)[0].(map[string]any)
	return int64(res["alert_id"].(float64))
}

// act is by's ack, resolve or escalate through the API, with by's token
// (the lead's when by is nobody the tests know).
func (h *harness) act(id int64, action, by string) (int, map[string]any) {
	token := operatorToken("lead")
	if slices.Contains(actors, by) {
		token = operatorToken(by)
	}
	return h.post(fmt.Sprintf("/api/v1/alerts/%d/%s", id, action), nil, "Authorization", "Bearer "+token)
}

func TestAlertPagesPrimaryAndShadowThenAckStops(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.runEngine()
	id := h.trigger("Checkout error rate 12%", "checkout")
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	a := h.alert(id)
	if a.Status() != escalation.StatusTriggered || a.RotaRev != 1 {
		t.Fatalf("status %s, rota rev %d", a.Status(), a.RotaRev)
	}
	// alice's rule: a call 2 minutes after the text, while unacknowledged.
	h.advance(2 * time.Minute)
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)", "alice/voice")
	if code, out := h.act(id, "ack", "alice"); code != http.StatusOK {
		t.Fatalf("ack: %d %v", code, out)
	}
	// Well past every step: nobody else is paged.
	h.advance(time.Hour)
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)", "alice/voice")
	a = h.alert(id)
	if a.Status() != escalation.StatusAcknowledged || a.Esc.AckedBy != "alice" {
		t.Fatalf("status %s by %q", a.Status(), a.Esc.AckedBy)
	}
	tl := h.timeline(id)
	for _, want := range []string{"paging from rota r1", "sms to alice (+447700900001) sent via recorder", "sms (shadow copy) to erin", "acknowledged by alice"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
	if code, out := h.act(id, "ack", "bob"); code != http.StatusConflict || !strings.Contains(out["error"].(string), "already acknowledged by alice at 2026-11-24 12:02 UTC") {
		t.Errorf("second ack: %d %v", code, out)
	}
}

func TestTimeoutsEscalateAndRepeatThenExhaust(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.runEngine()
	id := h.trigger("Disk full on db-1", "")
	want := []string{"alice/sms", "erin/sms(shadow)"}
	h.pagesTo(id, want...)
	steps := []struct {
		after time.Duration
		more  []string
	}{
		{2 * time.Minute, []string{"alice/voice"}},                   // 12:02 alice's call
		{3 * time.Minute, []string{"bob/sms"}},                       // 12:05 step 2: secondary
		{2 * time.Minute, []string{"bob/voice"}},                     // 12:07 bob's call
		{3 * time.Minute, []string{"bob/sms", "frank/sms"}},          // 12:10 step 3: secondary and frank
		{2 * time.Minute, []string{"bob/voice"}},                     // 12:12 bob's call again
		{8 * time.Minute, []string{"alice/sms", "erin/sms(shadow)"}}, // 12:20 pass 2, step 1
		{2 * time.Minute, []string{"alice/voice"}},
		{3 * time.Minute, []string{"bob/sms"}},
		{2 * time.Minute, []string{"bob/voice"}},
		{3 * time.Minute, []string{"bob/sms", "frank/sms"}},
		{2 * time.Minute, []string{"bob/voice"}},
		{8 * time.Minute, nil}, // 12:40: repeat 1 means two passes; then exhausted
		{time.Hour, nil},
	}
	for _, s := range steps {
		h.advance(s.after)
		want = append(want, s.more...)
		h.pagesTo(id, want...)
	}
	a := h.alert(id)
	if !a.Esc.Exhausted || a.Status() != escalation.StatusTriggered {
		t.Fatalf("exhausted %v status %s\n%s", a.Esc.Exhausted, a.Status(), h.timeline(id))
	}
	if n := strings.Count(h.timeline(id), "exhausted  policy exhausted after 2 passes"); n != 1 {
		t.Errorf("exhaustion noted %d times\n%s", n, h.timeline(id))
	}
	// The final state is still open: an ack is taken.
	if code, _ := h.act(id, "ack", "frank"); code != http.StatusOK {
		t.Errorf("ack of exhausted alert: %d", code)
	}
}

func TestShadowAckDoesNotStopEscalation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.runEngine()
	id := h.trigger("Queue backlog", "")
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	if code, out := h.act(id, "ack", "erin"); code != http.StatusOK {
		t.Fatalf("shadow ack: %d %v", code, out)
	}
	if a := h.alert(id); a.Status() != escalation.StatusTriggered {
		t.Fatalf("shadow's ack changed status to %s", a.Status())
	}
	if tl := h.timeline(id); !strings.Contains(tl, "erin") || !strings.Contains(tl, "escalation continues") {
		t.Errorf("timeline doesn't record the shadow's ack:\n%s", tl)
	}
	h.advance(5 * time.Minute)
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)", "alice/voice", "bob/sms")
}

func TestReverseShadowAckStopsEscalation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.loadRota(func(name, data string) string {
		return strings.Replace(data, "until: 2026-11-30}", "until: 2026-11-30, reverse: true}", 1)
	})
	h.runEngine()
	id := h.trigger("Queue backlog", "")
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	if code, _ := h.act(id, "ack", "erin"); code != http.StatusOK {
		t.Fatal("ack failed")
	}
	if a := h.alert(id); a.Status() != escalation.StatusAcknowledged || a.Esc.AckedBy != "erin" {
		t.Fatalf("status %s by %s", a.Status(), a.Esc.AckedBy)
	}
	h.advance(time.Hour)
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
}

func TestResolveAndEscalateNow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.runEngine()
	id := h.trigger("Payments API 500s", "pay-500")
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	if code, out := h.act(id, "escalate", "alice"); code != http.StatusOK {
		t.Fatalf("escalate: %d %v", code, out)
	}
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)", "bob/sms")
	if code, _ := h.act(id, "resolve", "bob"); code != http.StatusOK {
		t.Fatal("resolve failed")
	}
	h.advance(time.Hour)
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)", "bob/sms")
	a := h.alert(id)
	if a.Status() != escalation.StatusResolved || a.Esc.ResolvedBy != "bob" {
		t.Fatalf("status %s by %s", a.Status(), a.Esc.ResolvedBy)
	}
	// The dedup key is free again: the same key raises a new alert.
	if id2 := h.trigger("Payments API 500s", "pay-500"); id2 == id {
		t.Fatalf("a resolved alert's dedup key was reused for %d", id2)
	}
	if code, _ := h.act(id, "frobnicate", "x"); code != http.StatusNotFound {
		t.Errorf("unknown action: %d", code)
	}
	if code, _ := h.act(99999, "ack", "x"); code != http.StatusNotFound {
		t.Errorf("unknown alert: %d", code)
	}
}

func TestDedupCountsAndPagesNobodyAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.runEngine()
	id := h.trigger("CPU high on web-3", "cpu-web-3")
	for i := 0; i < 4; i++ {
		if again := h.trigger("CPU high on web-3", "cpu-web-3"); again != id {
			t.Fatalf("repeat %d made alert %d, want %d", i, again, id)
		}
	}
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	if a := h.alert(id); a.Count != 5 {
		t.Errorf("count = %d, want 5", a.Count)
	}
}

// fixture reads an ingest fixture and sets its routing key.
func fixture(t *testing.T, name, key string) []byte {
	t.Helper()
	data, err := os.ReadFile("../ingest/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if key == "" {
		return data
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m["routing_key"] = key
	out, _ := json.Marshal(m)
	return out
}

func (h *harness) alerts() []*store.Alert {
	h.t.Helper()
	as, err := h.st.List(context.Background(), nil, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return as
}

func TestAlertmanagerCreatesDedupsAndResolves(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.runEngine()
	firing := fixture(t, "alertmanager_firing.json", "")
	code, out := h.post("/api/v1/integrations/alertmanager?key="+h.key, firing)
	if code != http.StatusAccepted {
		t.Fatalf("firing: %d %v", code, out)
	}
	if n := len(h.alerts()); n != 2 {
		t.Fatalf("alerts = %d, want one per fingerprint (2)", n)
	}
	// Alertmanager re-sends firing groups; nothing new is raised.
	if code, _ := h.post("/api/v1/integrations/alertmanager", firing, "Authorization", "Bearer "+h.key); code != http.StatusAccepted {
		t.Fatalf("repeat: %d", code)
	}
	as := h.alerts()
	if len(as) != 2 || as[0].Count != 2 || as[1].Count != 2 || as[0].Source != "alertmanager" {
		t.Fatalf("after repeat: %d alerts, counts %d %d", len(as), as[0].Count, as[1].Count)
	}
	code, out = h.post("/api/v1/integrations/alertmanager?key="+h.key, fixture(t, "alertmanager_resolved.json", ""))
	if code != http.StatusAccepted {
		t.Fatalf("resolved: %d %v", code, out)
	}
	resolved := 0
	for _, a := range h.alerts() {
		if a.Status() == escalation.StatusResolved {
			resolved++
		}
	}
	if resolved == 0 {
		t.Fatalf("resolved payload resolved nothing: %v", out)
	}
	if code, _ := h.post("/api/v1/integrations/alertmanager?key=wrong", firing); code != http.StatusUnauthorized {
		t.Errorf("bad key: %d, want 401", code)
	}
}

func TestPagerDutyTriggerAcknowledgeResolve(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.runEngine()
	code, out := h.post("/api/v1/integrations/pagerduty", fixture(t, "pagerduty_trigger.json", h.key))
	if code != http.StatusAccepted || out["status"] != "success" || out["dedup_key"] == "" {
		t.Fatalf("trigger: %d %v", code, out)
	}
	id := int64(out["alert_id"].(float64))
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	ack := fixture(t, "pagerduty_acknowledge.json", h.key)
	resolve := fixture(t, "pagerduty_resolve.json", h.key)
	// The fixtures share a dedup key with the trigger.
	if code, out := h.post("/api/v1/integrations/pagerduty", ack); code != http.StatusAccepted || out["outcome"] != "acknowledged" {
		t.Fatalf("acknowledge: %d %v", code, out)
	}
	if code, out := h.post("/api/v1/integrations/pagerduty", resolve); code != http.StatusAccepted || out["outcome"] != "resolved" {
		t.Fatalf("resolve: %d %v", code, out)
	}
	if a := h.alert(id); a.Status() != escalation.StatusResolved || a.Esc.AckedBy != "pagerduty" {
		t.Fatalf("status %s acked by %q", a.Status(), a.Esc.AckedBy)
	}
	bad := fixture(t, "pagerduty_trigger.json", "not-the-key")
	if code, _ := h.post("/api/v1/integrations/pagerduty", bad); code != http.StatusUnauthorized {
		t.Errorf("bad routing key: %d, want 401", code)
	}
}

func TestBadInputGets4xxAndStoresNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cases := []struct {
		name, path string
		body       any
		code       int
		msg        string
	}{
		{"not JSON", "/api/v1/alerts", `{"summary": `, 400, "JSON"},
		{"unknown field", "/api/v1/alerts", map[string]any{"routing_key": h.key, "sumary": "x"}, 400, "sumary"},
		{"no summary", "/api/v1/alerts", map[string]any{"routing_key": h.key}, 400, "summary"},
		{"bad key", "/api/v1/alerts", map[string]any{"routing_key": "nope", "summary": "x"}, 401, "integration key"},
		{"no key or team", "/api/v1/alerts", map[string]any{"summary": "x"}, 400, "routing_key"},
		{"team without a token", "/api/v1/alerts", map[string]any{"team": "ops", "summary": "x"}, 401, "API token"},
		{"unknown team", "/api/v1/alerts", map[string]any{"team": "nope", "summary": "x"}, 400, "no team"},
		{"key for another team", "/api/v1/alerts", map[string]any{"routing_key": h.key, "team": "other", "summary": "x"}, 400, "belongs to team"},
		{"batch with one bad", "/api/v1/alerts", []any{map[string]any{"routing_key": h.key, "summary": "ok"}, map[string]any{"routing_key": "bad", "summary": "x"}}, 401, "integration key"},
		{"too big", "/api/v1/alerts", `{"summary":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "larger"},
		{"alertmanager v3", "/api/v1/integrations/alertmanager?key=" + h.key, `{"version":"3","alerts":[]}`, 400, "version"},
		{"pagerduty no key", "/api/v1/integrations/pagerduty", `{"event_action":"trigger","payload":{"summary":"x","source":"y","severity":"critical"}}`, 400, "routing_key"},
	}
	for _, c := range cases {
		var headers []string
		if c.name == "unknown team" { // naming a team takes a token first
			headers = asLead()
		}
		code, out := h.post(c.path, c.body, headers...)
		msg, _ := out["error"].(string)
		if code != c.code || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %d %q, want %d containing %q", c.name, code, msg, c.code, c.msg)
		}
	}
	if n := len(h.alerts()); n != 0 {
		t.Errorf("bad input stored %d alerts", n)
	}
}

func TestTemporaryFailuresAreRetriedThenDeliveredOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.rec.fail = func(p notifier.Page, attempt int) error {
		if p.Person == "alice" && p.Method == "sms" && attempt <= 2 {
			return errors.New("twilio: 503 service unavailable")
		}
		return nil
	}
	h.runEngine()
	id := h.trigger("Login failures", "")
	h.eventually("two failed attempts", func() bool { return strings.Count(h.timeline(id), "retrying in") == 1 })
	h.clk.Advance(2 * time.Second) // first backoff: 1s plus jitter up to 0.5s
	h.eventually("second failure", func() bool { return strings.Count(h.timeline(id), "retrying in") == 2 })
	h.clk.Advance(4 * time.Second)
	h.pagesTo(id, "erin/sms(shadow)", "alice/sms")
	tl := h.timeline(id)
	if !strings.Contains(tl, "sms to alice failed (attempt 1 of 5): twilio: 503") || strings.Count(tl, "sms to alice (+447700900001) sent") != 1 {
		t.Errorf("timeline:\n%s", tl)
	}
}

func TestPermanentFailureMovesToNextMethodAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.rec.fail = func(p notifier.Page, attempt int) error {
		if p.Person == "alice" && p.Method == "sms" {
			return notifier.Permanent(errors.New("twilio: 400 unverified number"))
		}
		return nil
	}
	h.runEngine()
	id := h.trigger("Login failures", "")
	// No clock movement: the call follows the failed text at once.
	h.pagesTo(id, "erin/sms(shadow)", "alice/voice")
	if tl := h.timeline(id); !strings.Contains(tl, "sms to alice failed: twilio: 400 unverified number") {
		t.Errorf("timeline:\n%s", tl)
	}
}

func TestStepWithNobodyOnCallMovesOn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// Secondary becomes its own rotation that starts next year.
	h.loadRota(func(name, data string) string {
		return strings.Replace(data, "    follows: primary\n",
			"    members: [carol]\n    handoff: \"FREQ=WEEKLY\"\n    start: 2027-01-04T09:00\n", 1)
	})
	h.runEngine()
	id := h.trigger("Replication lag", "")
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	h.advance(5 * time.Minute)
	// Step 2 (secondary) has nobody: straight on to step 3, frank.
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)", "alice/voice", "frank/sms")
	if tl := h.timeline(id); !strings.Contains(tl, "nobody on call") {
		t.Errorf("timeline doesn't say the step was skipped:\n%s", tl)
	}
}

func TestPagesDueWhileNoLeaderGoOutLateOnceOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	stop := h.runEngine()
	id := h.trigger("Cache cluster down", "")
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	h.settle()
	stop()
	// Nobody leads for 7 minutes: alice's call (12:02) and step 2 (12:05)
	// fall due meanwhile; bob's call is due at 12:07.
	h.clk.Advance(7 * time.Minute)
	id2 := h.trigger("Second alert while leaderless", "")
	h.runEngine()
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)", "alice/voice", "bob/sms", "bob/voice")
	h.pagesTo(id2, "alice/sms", "erin/sms(shadow)")
	var late int
	for _, p := range h.rec.sent() {
		if p.AlertID == id && p.Late > 0 {
			late++
		}
	}
	if late < 2 {
		t.Errorf("late pages = %d, want the call and step 2 marked late\n%s", late, h.timeline(id))
	}
	if tl := h.timeline(id); !strings.Contains(tl, "late") {
		t.Errorf("timeline doesn't mark lateness:\n%s", tl)
	}
}

func TestRotaEditChangesWhoIsPagedAndIsRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.runEngine()
	id1 := h.trigger("first", "")
	h.pagesTo(id1, "alice/sms", "erin/sms(shadow)")
	h.loadRota(func(name, data string) string {
		return strings.Replace(data, "escalation:", "overrides:\n  - {role: primary, person: dave, from: 2026-11-24T11:00, until: 2026-11-24T18:00}\nescalation:", 1)
	})
	id2 := h.trigger("second", "")
	h.pagesTo(id2, "dave/sms")
	// erin had a text for the first alert moments ago: hers waits out the
	// 30s interval.
	h.advance(30 * time.Second)
	h.pagesTo(id2, "dave/sms", "erin/sms(shadow)")
	if a := h.alert(id2); a.RotaRev != 2 || !strings.Contains(h.timeline(id2), "paging from rota r2") {
		t.Errorf("rota rev = %d\n%s", a.RotaRev, h.timeline(id2))
	}
}

func TestStormIsBundledIntoFewMessages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.runEngine()
	var ids []int64
	for i := 0; i < 40; i++ {
		ids = append(ids, h.trigger(fmt.Sprintf("disk full on web-%d", i), ""))
	}
	// The first alert's text goes at once; the other 39 wait out alice's
	// 30s interval and go as one message.
	h.settle()
	h.eventually("first text", func() bool { return len(h.rec.sent()) >= 2 })
	h.clk.Advance(30 * time.Second)
	h.settle()
	var alice []notifier.Page
	for _, p := range h.rec.sent() {
		if p.Person == "alice" && p.Method == "sms" {
			alice = append(alice, p)
		}
	}
	if len(alice) != 2 {
		t.Fatalf("alice got %d texts for 40 alerts, want 2\n%s", len(alice), h.timeline(ids[5]))
	}
	if len(alice[0].Bundled) != 0 || len(alice[1].Bundled) != 39 {
		t.Fatalf("bundles: %d then %d alerts", len(alice[0].Bundled), len(alice[1].Bundled))
	}
	// Every alert's timeline says how its text went.
	for _, id := range ids[1:] {
		if tl := h.timeline(id); !strings.Contains(tl, "in one message about 39 alerts") {
			t.Fatalf("alert %d timeline:\n%s", id, tl)
		}
	}
	// An alert acknowledged while its page waits is left out of the bundle.
	h.advance(90 * time.Second) // alice's calls, 2 minutes after each text
	var calls int
	for _, p := range h.rec.sent() {
		if p.Person == "alice" && p.Method == "voice" {
			calls++
		}
	}
	if calls > 2 {
		t.Errorf("alice got %d calls for 40 alerts", calls)
	}
}

func TestPageAckedWhileWaitingInMailboxIsNotSent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.runEngine()
	id1 := h.trigger("first", "")
	h.pagesTo(id1, "alice/sms", "erin/sms(shadow)")
	id2 := h.trigger("second", "")
	h.settle()
	if code, _ := h.act(id2, "ack", "alice"); code != http.StatusOK {
		t.Fatal("ack failed")
	}
	h.advance(30 * time.Second)
	h.pagesTo(id2)
	if tl := h.timeline(id2); !strings.Contains(tl, "not sent: alert is acknowledged") {
		t.Errorf("timeline:\n%s", tl)
	}
}

func TestEngineAliveWhileLeading(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// Ask at the instant leadership is published, before the lead loop has
	// had any chance to turn: systemd's watchdog may ask then too, and a
	// new leader must not look wedged.
	type answer struct{ leading, alive bool }
	answers := make(chan answer, 4)
	h.onLeader = func(leading bool) { answers <- answer{leading, h.eng.Alive()} }
	stop := h.runEngine()
	if a := <-answers; !a.leading || !a.alive {
		t.Errorf("as leadership was published: leading=%v alive=%v, want a live leader", a.leading, a.alive)
	}
	if !h.eng.Alive() {
		t.Error("a leading engine whose loop turns is not alive")
	}
	stop()
	if a := <-answers; a.leading || !a.alive {
		t.Errorf("as leadership ended: leading=%v alive=%v, want a live follower", a.leading, a.alive)
	}
	if h.eng.IsLeader() || !h.eng.Alive() {
		t.Error("a stopped engine should be a follower, and followers are alive")
	}
}

func TestResolvedAlertsRetireToTheArchive(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	archive := &scheduler.Archive{Path: filepath.Join(t.TempDir(), "archive.jsonl")}
	h.retention, h.archive = 30*24*time.Hour, archive
	h.runEngine()
	old := h.trigger("old and resolved", "")
	open := h.trigger("still open", "")
	h.act(old, "resolve", "alice")
	h.settle()
	// 31 days on: the resolved alert leaves etcd for the archive; the open
	// one stays.
	h.clk.Advance(31 * 24 * time.Hour)
	h.eventually("retired", func() bool {
		_, err := h.st.Get(context.Background(), old)
		return errors.Is(err, store.ErrNotFound)
	})
	if _, err := h.st.Get(context.Background(), open); err != nil {
		t.Fatalf("an open alert was retired: %v", err)
	}
	data, err := os.ReadFile(archive.Path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var a store.Alert
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &a) != nil || a.ID != old || len(a.Timeline) == 0 {
		t.Fatalf("archive: %s", data)
	}
}

// TestShortRetentionRetiresWithinATenth: with a 30 s retention, the sweep
// runs every 3 s, so a resolved alert leaves the live keyspace within a
// tenth of its retention (it used to wait for an hourly sweep), its
// summary and archive stay, and etcd is compacted after.
func TestShortRetentionRetiresWithinATenth(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.retention = 30 * time.Second
	h.keep = store.Keep{Archive: time.Hour, History: 24 * time.Hour}
	obs := &retentionWatch{}
	h.observer = obs
	h.runEngine()
	id := h.trigger("short-lived", "")
	h.act(id, "resolve", "alice")
	h.settle()
	resolved := h.clk.Now()
	// Step the clock a sweep at a time, each once the engine has armed
	// its next sweep.
	for h.clk.Now().Before(resolved.Add(33 * time.Second)) {
		h.eventually("the next retention sweep armed", func() bool { return h.eng.NextRetention().After(h.clk.Now()) })
		h.clk.Set(h.eng.NextRetention())
	}
	h.eventually("retired", func() bool {
		_, err := h.st.Get(context.Background(), id)
		return errors.Is(err, store.ErrNotFound)
	})
	if sum, err := h.st.History(context.Background(), id); err != nil || sum.ResolvedBy != "alice" {
		t.Fatalf("summary after retirement: %+v %v", sum, err)
	}
	if a, err := h.st.Archived(context.Background(), id); err != nil || len(a.Timeline) == 0 {
		t.Fatalf("archive after retirement: %v", err)
	}
	// The sweep after the one that retired compacts.
	h.eventually("the next retention sweep armed", func() bool { return h.eng.NextRetention().After(h.clk.Now()) })
	h.clk.Set(h.eng.NextRetention())
	h.eventually("retirement and maintenance observed", func() bool { r, m := obs.counts(); return r >= 1 && m >= 1 })
}

// retentionWatch counts what the retention sweeps report.
type retentionWatch struct {
	mu                 sync.Mutex
	retired, maintains int
}

func (r *retentionWatch) Leader(bool)                                 {}
func (r *retentionWatch) PageSent(store.OutboxPage, time.Time, error) {}
func (r *retentionWatch) TimerFired(time.Duration)                    {}
func (r *retentionWatch) Retired(n, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retired += n
}
func (r *retentionWatch) Maintained(m store.Maintenance, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.maintains++ // the shared test etcd is external: nothing to compact here (store tests cover it)
	}
}
func (r *retentionWatch) counts() (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.retired, r.maintains
}

// TestHandoffNoticeAtTheExactInstant: a 2-minute notice goes at 08:58:00
// for a 09:00 handoff, planned as a timer for that instant; it used to go
// at the next turn of a minute ticker (up to a minute off), and its log
// line carried alert 0. Each person gets it once.
func TestHandoffNoticeAtTheExactInstant(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.notice = 2 * time.Minute
	h.runEngine()
	handoff := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	// Half a minute off the minute, so that a ticker would be late.
	h.clk.Set(handoff.Add(-2*time.Minute - 30*time.Second))
	due := handoff.Add(-2 * time.Minute)
	h.eventually("the notice planned for 08:58:00", func() bool { return h.eng.NextNotice().Equal(due) })
	if n := len(h.rec.sent()); n != 0 {
		t.Fatalf("%d notices before their instant", n)
	}
	h.clk.Set(due)
	h.eventually("two notices at 08:58:00", func() bool { return len(h.rec.sent()) >= 2 })
	// Planned next: the following week's handoff, not this one again.
	h.eventually("the next notice planned", func() bool { return h.eng.NextNotice().After(handoff) })
	h.clk.Set(handoff)
	h.eventually("the next notice planned after the handoff", func() bool { return h.eng.NextNotice().After(handoff) && !h.eng.NextNotice().Equal(due) })
	if n := len(h.rec.sent()); n != 2 {
		t.Fatalf("%d notices, want 2 (bob, carol), once each", n)
	}
	for _, p := range h.rec.sent() {
		if p.AlertID != 0 || !strings.Contains(p.Text, "from Mon 30 Nov 09:00 UTC") {
			t.Errorf("notice to %s: %+v", p.Person, p)
		}
	}
}

func TestHandoffNoticesAnHourBefore(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.notice = time.Hour
	// A shadow for next week's primary.
	h.loadRota(func(name, data string) string {
		return strings.Replace(data, "shadows:\n", "shadows:\n  - {person: frank, role: primary, from: 2026-11-30T09:00, until: 2026-12-07T09:00}\n", 1)
	})
	h.runEngine()
	// Mon 30 Nov 09:00 UTC: bob takes primary from alice, carol secondary
	// from bob. Nothing before 08:00.
	h.clk.Set(time.Date(2026, 11, 30, 7, 58, 0, 0, time.UTC))
	h.settle()
	for i := 0; i < 3; i++ {
		h.clk.Advance(time.Minute)
	}
	h.eventually("three notices", func() bool { return len(h.rec.sent()) >= 3 })
	h.clk.Advance(time.Minute) // and no repeats
	h.settle()
	texts := map[string]string{}
	for _, p := range h.rec.sent() {
		texts[p.Person] = p.Text
	}
	if len(h.rec.sent()) != 3 {
		t.Fatalf("notices: %v", texts)
	}
	for person, want := range map[string]string{
		"bob":   "from Mon 30 Nov 09:00 UTC you are ops primary, taking over from alice",
		"carol": "you are ops secondary, taking over from bob",
		"frank": "you shadow ops primary; bob is on call",
	} {
		if !strings.Contains(texts[person], want) {
			t.Errorf("%s got %q, want %q", person, texts[person], want)
		}
	}
}
