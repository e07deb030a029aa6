package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotafile"
)

const paymentsKey = "payments-integration-key-0123456789"

// withKeyFile puts the example rota in force with payments' integration
// key read from a file (the example names an environment variable, which a
// parallel test can't set).
func withKeyFile(t *testing.T, s *Server) {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "payments-key")
	if err := os.WriteFile(keyFile, []byte(paymentsKey), 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := rotafile.ReadDir("../configs/example")
	if err != nil {
		t.Fatal(err)
	}
	for i := range files {
		files[i].Data = []byte(strings.ReplaceAll(string(files[i].Data), "key_env: PAYMENTS_INTEGRATION_KEY", "key_file: "+keyFile))
	}
	r, diags := rotafile.Load(files)
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	s.Rota.Set(inforce.New(r, 2, slog.New(slog.NewTextHandler(io.Discard, nil))))
}

// rejections counts Server.Alerts' rejections by source/reason.
type rejections struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *rejections) count(source, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[source+"/"+reason]++
}

func (c *rejections) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[k]
}

// 5,000 alerts in one second on one key, at the default limits (100 a
// second, 1,000 at once): the first 1,000 are stored, every later request
// gets 429 with Retry-After and stores nothing, and a second later the
// bucket has room for 100 more. Each refusal is counted.
func TestFloodOnOneKeyIsRateLimited(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	rej := &rejections{n: map[string]int{}}
	_, st, hs := newServerWith(t, func(s *Server) {
		withKeyFile(t, s)
		s.Clock = clk
		s.IntakeRate, s.IntakeBurst = 100, 1000
		s.Alerts.Rejected = rej.count
	})
	batch := func(n int) string {
		var b strings.Builder
		b.WriteString("[")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"routing_key":%q,"summary":"flood %d","dedup_key":"flood-%d"}`, paymentsKey, n, i)
		}
		b.WriteString("]")
		return b.String()
	}
	codes := map[int]int{}
	for i := range 50 { // 50 x 100 alerts, the clock standing still
		body := strings.ReplaceAll(batch(100), "flood-", fmt.Sprintf("flood-%d-", i))
		a := post(t, hs.URL, body, nil)
		codes[a.code]++
		if a.code == http.StatusTooManyRequests && (a.header.Get("Retry-After") == "" || !strings.Contains(a.Error, "nothing of this request was stored")) {
			t.Errorf("429 without Retry-After or a clear reason: %q %q", a.header.Get("Retry-After"), a.Error)
		}
	}
	if codes[202] != 10 || codes[429] != 40 {
		t.Errorf("answers %v; want 10 accepted (the burst) and 40 refused", codes)
	}
	ctx := context.Background()
	if n, err := st.OpenCountTeam(ctx, "payments"); err != nil || n != 1000 {
		t.Errorf("%d alerts stored (%v), want exactly the 1000 accepted", n, err)
	}
	if got := rej.get("api/rate_limited"); got != 40 {
		t.Errorf("%d rate-limited refusals counted, want 40", got)
	}
	clk.Advance(time.Second)
	if a := post(t, hs.URL, strings.ReplaceAll(batch(100), "flood-", "later-"), nil); a.code != 202 {
		t.Errorf("a second later, 100 alerts: %d %s", a.code, a.Error)
	}
	if a := post(t, hs.URL, strings.ReplaceAll(batch(1), "flood-", "later-1-"), nil); a.code != 429 {
		t.Errorf("and one more at once: %d", a.code)
	}
}

// 10,000 alerts in one Alertmanager notification: 413 naming the cap,
// nothing stored, counted.
func TestTenThousandAlertsInOneRequest(t *testing.T) {
	t.Parallel()
	rej := &rejections{n: map[string]int{}}
	_, st, hs := newServerWith(t, func(s *Server) {
		withKeyFile(t, s)
		s.Alerts.Rejected = rej.count
	})
	var b strings.Builder
	b.WriteString(`{"version":"4","status":"firing","alerts":[`)
	for i := range 10000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"status":"firing","labels":{"alertname":"a%d"}}`, i)
	}
	b.WriteString("]}")
	req, _ := http.NewRequest("POST", hs.URL+"/api/v1/integrations/alertmanager?key="+paymentsKey, strings.NewReader(b.String()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "at most 1000 per request") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	if n, err := st.OpenCount(context.Background()); err != nil || n != 0 {
		t.Errorf("%d alerts stored (%v), want none", n, err)
	}
	if rej.get("alertmanager/too_many") != 1 {
		t.Errorf("refusals counted: %v", rej.n)
	}
	// Bad input and unknown keys are counted too, each by its reason.
	for _, tc := range []struct{ url, body, reason string }{
		{"/api/v1/integrations/alertmanager?key=" + paymentsKey, `{"version":"3","alerts":[]}`, "alertmanager/bad_request"},
		{"/api/v1/integrations/alertmanager?key=wrong-key", `{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"x"}}]}`, "alertmanager/unauthorized"},
		{"/api/v1/integrations/pagerduty", `{"routing_key":"nope","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"critical"}}`, "pagerduty/unauthorized"},
	} {
		resp, err := http.Post(hs.URL+tc.url, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 || rej.get(tc.reason) != 1 {
			t.Errorf("%s: %d, counted %v; want a 4xx counted as %s", tc.url, resp.StatusCode, rej.n, tc.reason)
		}
	}
}
