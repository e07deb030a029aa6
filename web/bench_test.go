package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/internal/testenv"
)

// benchRota writes a rota of n teams, each with a weekly primary, a
// secondary following it, and one shadow, over 40 people in three zones.
func benchRota(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	zones := []string{"Europe/London", "America/New_York", "Australia/Sydney"}
	var people strings.Builder
	people.WriteString("people:\n")
	for i := range 40 {
		fmt.Fprintf(&people, "  - {id: p%d, name: Person %d, timezone: %s, contacts: {sms: \"+4477009%05d\"}}\n", i, i, zones[i%3], i)
	}
	if err := os.WriteFile(filepath.Join(dir, "people.yaml"), []byte(people.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		team := fmt.Sprintf(`team: t%04d
name: Team %d
timezone: %s
rotations:
  primary:
    members: [p%d, p%d, p%d, p%d]
    handoff: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    start: 2026-01-05T09:00
  secondary:
    follows: primary
    offset: 1
shadows:
  - {person: p%d, role: primary, from: 2026-11-01, until: 2027-01-01}
escalation:
  steps:
    - {notify: [primary], ack_timeout: 5m}
`, i, i, zones[i%3], i%40, (i+1)%40, (i+2)%40, (i+3)%40, (i+4)%40)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("t%04d.yaml", i)), []byte(team), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkNowPage1000Teams is the server's time to answer GET / for a
// rota of 1,000 teams: the session checked, who holds each role now and
// next, the page rendered (target: at most 50 ms).
func BenchmarkNowPage1000Teams(b *testing.B) {
	env := testenv.New(b, benchRota(b, 1000), clock.NewFake(exampleAt))
	if n := len(env.Rota.Teams); n != 1000 {
		b.Fatalf("%d teams loaded, want 1000", n)
	}
	c := &Console{Store: env.Store, Alerts: env.Alerts, Rota: env.Current, Tokens: env.API.Tokens(), Clock: clock.NewFake(exampleAt),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h := c.Handler(http.NotFoundHandler())
	// The first request makes the (open console's) session.
	first := httptest.NewRecorder()
	h.ServeHTTP(first, httptest.NewRequest(http.MethodGet, "/", nil))
	if first.Code != http.StatusOK || !strings.Contains(first.Body.String(), `id="team-t0999"`) {
		b.Fatalf("GET /: %d, or team t0999 missing", first.Code)
	}
	cookies := first.Result().Cookies()
	b.ReportAllocs()
	b.ResetTimer()
	var bytes int
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET /: %d", rec.Code)
		}
		bytes = rec.Body.Len()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/page")
	b.ReportMetric(float64(bytes)/1024, "KiB/page")
}
