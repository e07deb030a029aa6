package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEWalkthrough follows the README: the daemon on the example rota,
// the README's own curl payload, the page in the log, pagerd ack.
func TestREADMEWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go run ./cmd/pagerd serve --config configs/example", "go test ./...", "/api/v1/alerts", "pagerd ack"} {
		if !strings.Contains(string(readme), want) {
			t.Fatalf("README lacks %q", want)
		}
	}
	m := regexp.MustCompile(`(?s)curl [^\n]*?/api/v1/alerts.*?-d '([^']+)'`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no curl -d '...' to /api/v1/alerts")
	}
	payload := m[1]

	n := newNode(t, "readme", "--config", "../../configs/example", "--data-dir", t.TempDir())
	n.start()
	resp, err := http.Post("http://"+n.addr+"/api/v1/alerts", "application/json", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Alerts []struct {
			AlertID int64  `json:"alert_id"`
			Status  string `json:"status"`
		}
	}
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != 202 || len(out.Alerts) != 1 || out.Alerts[0].Status != "created" {
		t.Fatalf("README curl: %d %+v", resp.StatusCode, out)
	}
	id := out.Alerts[0].AlertID
	waitFor(t, "the page in the log", func() bool {
		for _, l := range n.logLines() {
			if l["msg"] == "PAGE" && l["alert"] == float64(id) && l["shadow"] == false {
				return true
			}
		}
		return false
	})
	var stdout, stderr bytes.Buffer
	if code := run([]string{"ack", "--server", "http://" + n.addr, "1"}, &stdout, &stderr, timeNow); code != 0 {
		t.Fatalf("pagerd ack: exit %d: %s", code, stderr.String())
	}
	// No token configured (loopback): nobody is authenticated, and the
	// timeline says so rather than believe a name.
	a, _ := getAlert(t, n.addr, id)
	if a.Status != "acknowledged" || !strings.Contains(stdout.String(), "acknowledged by anonymous") {
		t.Fatalf("after ack: %s\n%s", a.Status, stdout.String())
	}
	stdout.Reset()
	if code := run([]string{"alerts", "--server", "http://" + n.addr, "--state", "all"}, &stdout, &stderr, timeNow); code != 0 || !strings.Contains(stdout.String(), "acknowledged") {
		t.Fatalf("pagerd alerts: %d\n%s%s", code, stdout.String(), stderr.String())
	}
}
