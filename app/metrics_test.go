package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/store"
)

// httpMetrics is a running daemon's /metrics as a handler, for scrape.
func httpMetrics(t *testing.T, addr string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.Copy(w, resp.Body); err != nil {
			t.Fatal(err)
		}
	})
}

// TestOperatorMetrics (issue 19, finding 7): on a node of a cluster over
// an external etcd, before anything asks /readyz, the rota revision is
// set; build info, etcd request latency, HTTP requests by route and
// status, and the failure counters are there from the start; the quota
// gauge, which an external etcd doesn't report, is absent rather than 0.
func TestOperatorMetrics(t *testing.T) {
	t.Parallel()
	etcd, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	logger, _ := newLog()
	c := Defaults()
	c.RotaDir = writeRotaDir(t)
	c.Etcd.Endpoints = []string{etcd.Endpoint()}
	c.Listen = "127.0.0.1:0"
	c.Node = "metrics"
	ready := make(chan string, 1)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, c, logger, &Hooks{Notifier: notifier.Log{Logger: logger}, Ready: func(addr string) { ready <- addr }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Run ended before it served: %v", err)
	}
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	got := scrape(t, httpMetrics(t, addr))
	for _, want := range []string{
		"pagerd_pages_failed_total,channel=sms", "pagerd_pages_failed_total,channel=voice",
		"pagerd_alerts_received_total,outcome=created,source=email,team=core",
		"pagerd_retirement_failures_total", "pagerd_etcd_maintenance_failures_total", "pagerd_held_pages",
		"pagerd_etcd_request_errors_total,op=txn", "pagerd_handoff_notices_total,result=failed",
		`pagerd_http_requests_total,code=503,route=POST /api/v1/alerts`,
	} {
		if v, ok := got[want]; !ok || v != 0 {
			t.Errorf("%s = %v (exported %v), want 0 from the start", want, v, ok)
		}
	}
	if got["pagerd_rota_revision"] != 1 {
		t.Errorf("pagerd_rota_revision = %v before any /readyz, want 1", got["pagerd_rota_revision"])
	}
	if got["pagerd_etcd_request_duration_seconds_count,op=get"] == 0 {
		t.Error("no etcd get timed, yet the node read its rota")
	}
	build := false
	for k, v := range got {
		build = build || (strings.HasPrefix(k, "pagerd_build_info,") && v == 1)
	}
	if !build {
		t.Error("no pagerd_build_info")
	}
	if _, ok := got["pagerd_etcd_keyspace_quota_bytes"]; ok {
		t.Error("pagerd_etcd_keyspace_quota_bytes exported on an external etcd, which doesn't report its quota")
	}
	resp, err := http.Post("http://"+addr+"/api/v1/alerts", "application/json", strings.NewReader(`{"team":"core","summary":"disk full"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got = scrape(t, httpMetrics(t, addr))
	if got[`pagerd_http_requests_total,code=202,route=POST /api/v1/alerts`] != 1 {
		t.Errorf("the accepted alert was not counted by route and status: %v", got[`pagerd_http_requests_total,code=202,route=POST /api/v1/alerts`])
	}
}

// TestRetentionShrinksTheEmbeddedEtcd (issue 19, finding 2): with a short
// retention, resolved alerts are retired within seconds, and the embedded
// etcd is compacted and defragmented after, as the metrics show: etcd
// gives the space back instead of only growing.
func TestRetentionShrinksTheEmbeddedEtcd(t *testing.T) {
	t.Parallel()
	logger, _ := newLog()
	c := Defaults()
	c.RotaDir = writeRotaDir(t)
	c.DataDir = t.TempDir()
	c.Listen = "127.0.0.1:0"
	c.Node = "retention"
	c.Retention = time.Second
	ready := make(chan string, 1)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, c, logger, &Hooks{Notifier: notifier.Log{Logger: logger}, Ready: func(addr string) { ready <- addr }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Run ended before it served: %v", err)
	}
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	details := strings.Repeat("a long stack trace, kept until retention; ", 100)
	const n = 100
	var batch []string
	for i := 0; i < n; i++ {
		batch = append(batch, fmt.Sprintf(`{"team":"core","summary":"disk %d full","dedup_key":"d%d","details":%q}`, i, i, details))
	}
	for _, action := range []string{"trigger", "resolve"} {
		body := strings.ReplaceAll("["+strings.Join(batch, ",")+"]", `"team":"core"`, `"team":"core","action":"`+action+`"`)
		resp, err := http.Post("http://"+addr+"/api/v1/alerts", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: %d", action, resp.StatusCode)
		}
	}
	waitFor(t, "every alert retired, and etcd compacted and defragmented", func() bool {
		got := scrape(t, httpMetrics(t, addr))
		return got["pagerd_retired_alerts_total"] >= n && got["pagerd_etcd_compactions_total"] >= 1 && got["pagerd_etcd_defrags_total"] >= 1
	})
}
