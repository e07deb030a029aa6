package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/pagerd/pagerd/api"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsReadinessAndCalendars checks what an operator scrapes and
// what on-call people subscribe to, on a running daemon.
func TestMetricsReadinessAndCalendars(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "calendar-secret")
	os.WriteFile(secret, []byte("s3cret\n"), 0o600)
	n := newNode(t, "ops", "--config", "../../configs/example", "--data-dir", t.TempDir(), "--calendar-secret-file", secret)
	n.start()
	base := "http://" + n.addr
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("readyz: %d %s", code, body)
	}
	scrape := func() map[string]float64 {
		t.Helper()
		_, body := get(t, base+"/metrics")
		parser := expfmt.NewTextParser(model.LegacyValidation)
		fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
		if err != nil {
			t.Fatalf("metrics don't parse: %v", err)
		}
		out := map[string]float64{}
		for name, f := range fams {
			if strings.HasPrefix(name, "etcd_") {
				t.Errorf("etcd's own metric %s is exported", name)
			}
			for _, m := range f.Metric {
				key := name
				for _, l := range m.Label {
					key += "," + l.GetName() + "=" + l.GetValue()
				}
				switch {
				case m.Counter != nil:
					out[key] = m.Counter.GetValue()
				case m.Gauge != nil:
					out[key] = m.Gauge.GetValue()
				}
			}
		}
		return out
	}
	before := scrape()
	if before["pagerd_leader"] != 1 || before["pagerd_rota_revision"] != 1 {
		t.Errorf("leader %v, rota revision %v", before["pagerd_leader"], before["pagerd_rota_revision"])
	}
	if _, err := postAlertTeam(base, "payments"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the page counted", func() bool { return scrape()["pagerd_pages_sent_total,channel=sms"] >= 1 })
	after := scrape()
	if after["pagerd_alerts_received_total,outcome=created,source=api,team=payments"] != before["pagerd_alerts_received_total,outcome=created,source=api,team=payments"]+1 {
		t.Errorf("alerts received did not move: %v -> %v", before, after)
	}

	// Calendars: the operator lists the feeds; a feed with its token is
	// iCalendar; a wrong token learns nothing.
	resp, err := http.Get(base + "/api/v1/calendar-urls")
	if err != nil {
		t.Fatal(err)
	}
	var urls map[string]string
	json.NewDecoder(resp.Body).Decode(&urls)
	resp.Body.Close()
	feed := urls["person/alice"]
	if !strings.Contains(feed, api.CalendarToken([]byte("s3cret"), "person/alice")) {
		t.Fatalf("feeds: %v", urls)
	}
	code, ics := get(t, base+feed)
	if code != 200 || !strings.HasPrefix(ics, "BEGIN:VCALENDAR") || !strings.Contains(ics, "On call: payments primary (alice)") {
		t.Fatalf("alice's feed: %d\n%s", code, ics)
	}
	if code, _ := get(t, base+"/api/v1/calendar/person/alice.ics?token=guess"); code != 404 {
		t.Errorf("a wrong token got %d", code)
	}
}

func postAlertTeam(base, team string) (int64, error) {
	resp, err := http.Post(base+"/api/v1/alerts", "application/json", strings.NewReader(`{"team":"`+team+`","summary":"metrics test"}`))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Alerts []struct {
			AlertID int64 `json:"alert_id"`
		}
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if len(out.Alerts) != 1 {
		return 0, io.ErrUnexpectedEOF
	}
	return out.Alerts[0].AlertID, nil
}
