package metrics

import (
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type = %q, want text/plain", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mfs
}

func family(t *testing.T, mfs map[string]*dto.MetricFamily, name string, typ dto.MetricType) *dto.MetricFamily {
	t.Helper()
	mf, ok := mfs[name]
	if !ok {
		t.Fatalf("family %s missing", name)
	}
	if mf.GetType() != typ {
		t.Fatalf("family %s type = %v, want %v", name, mf.GetType(), typ)
	}
	return mf
}

// find returns the metric of mf whose labels are exactly want.
func find(mf *dto.MetricFamily, want map[string]string) *dto.Metric {
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		match := true
		for _, lp := range m.GetLabel() {
			if v, ok := want[lp.GetName()]; !ok || v != lp.GetValue() {
				match = false
				break
			}
		}
		if match {
			return m
		}
	}
	return nil
}

func counter(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	m := find(family(t, mfs, name, dto.MetricType_COUNTER), labels)
	if m == nil {
		t.Fatalf("%s%v missing", name, labels)
	}
	return m.GetCounter().GetValue()
}

func gauge(t *testing.T, mfs map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	m := find(family(t, mfs, name, dto.MetricType_GAUGE), nil)
	if m == nil {
		t.Fatalf("%s missing", name)
	}
	return m.GetGauge().GetValue()
}

func histogram(t *testing.T, mfs map[string]*dto.MetricFamily, name string) *dto.Histogram {
	t.Helper()
	m := find(family(t, mfs, name, dto.MetricType_HISTOGRAM), nil)
	if m == nil {
		t.Fatalf("%s missing", name)
	}
	return m.GetHistogram()
}

// bounds returns the finite bucket upper bounds of h; the text parser
// includes the implicit +Inf bucket.
func bounds(h *dto.Histogram) []float64 {
	var out []float64
	for _, b := range h.GetBucket() {
		if !math.IsInf(b.GetUpperBound(), +1) {
			out = append(out, b.GetUpperBound())
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	m := New()
	h := m.Handler()

	m.AlertReceived("alertmanager", "payments", "paged")
	m.AlertReceived("alertmanager", "payments", "paged")
	m.AlertReceived("webhook", "payments", "deduplicated")
	m.PageSent("sms", nil)
	m.PageSent("sms", errors.New("twilio: 503"))
	m.PageSent("email", nil)
	m.Acknowledged(90 * time.Second)
	m.TimerFired(3 * time.Millisecond)
	m.TimerFired(-time.Second) // clamped to 0
	m.Leader(true)
	m.RotaRevision(42)
	m.KeyspaceBytes(1 << 20)
	m.KeyspaceQuotaBytes(2 << 30)
	m.OpenAlerts(3)

	mfs := scrape(t, h)

	for name := range mfs {
		if strings.HasPrefix(name, "etcd_") {
			t.Errorf("unexpected etcd family %s on dedicated registry", name)
		}
	}
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes"} {
		if _, ok := mfs[name]; !ok {
			t.Errorf("Go collector family %s missing", name)
		}
	}

	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"pagerd_alerts_received_total", map[string]string{"source": "alertmanager", "team": "payments", "outcome": "paged"}, 2},
		{"pagerd_alerts_received_total", map[string]string{"source": "webhook", "team": "payments", "outcome": "deduplicated"}, 1},
		{"pagerd_pages_sent_total", map[string]string{"channel": "sms"}, 1},
		{"pagerd_pages_sent_total", map[string]string{"channel": "email"}, 1},
		{"pagerd_pages_failed_total", map[string]string{"channel": "sms"}, 1},
	}
	for _, c := range checks {
		if got := counter(t, mfs, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if find(mfs["pagerd_pages_failed_total"], map[string]string{"channel": "email"}) != nil {
		t.Errorf("pagerd_pages_failed_total{channel=email} present, want absent")
	}

	ack := histogram(t, mfs, "pagerd_time_to_ack_seconds")
	if ack.GetSampleCount() != 1 || ack.GetSampleSum() != 90 {
		t.Errorf("time_to_ack count/sum = %d/%v, want 1/90", ack.GetSampleCount(), ack.GetSampleSum())
	}
	if b := bounds(ack); len(b) == 0 || b[0] != 10 || b[len(b)-1] != 3600 {
		t.Errorf("time_to_ack buckets = %v, want 10..3600", b)
	}
	late := histogram(t, mfs, "pagerd_escalation_timer_lateness_seconds")
	if late.GetSampleCount() != 2 || late.GetSampleSum() != 0.003 {
		t.Errorf("lateness count/sum = %d/%v, want 2/0.003", late.GetSampleCount(), late.GetSampleSum())
	}
	if b := bounds(late); len(b) == 0 || b[0] != 0.001 || b[len(b)-1] != 60 {
		t.Errorf("lateness buckets = %v, want 0.001..60", b)
	}

	gauges := map[string]float64{
		"pagerd_leader":                    1,
		"pagerd_rota_revision":             42,
		"pagerd_etcd_keyspace_bytes":       1 << 20,
		"pagerd_etcd_keyspace_quota_bytes": 2 << 30,
		"pagerd_open_alerts":               3,
	}
	for name, want := range gauges {
		if got := gauge(t, mfs, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}

	// Page another alert: counters move between scrapes, gauges follow.
	m.AlertReceived("alertmanager", "payments", "paged")
	m.PageSent("sms", nil)
	m.Acknowledged(30 * time.Minute)
	m.Leader(false)

	mfs2 := scrape(t, h)
	paged := map[string]string{"source": "alertmanager", "team": "payments", "outcome": "paged"}
	if a, b := counter(t, mfs, "pagerd_alerts_received_total", paged), counter(t, mfs2, "pagerd_alerts_received_total", paged); b != a+1 {
		t.Errorf("alerts_received paged: %v -> %v, want +1", a, b)
	}
	sms := map[string]string{"channel": "sms"}
	if a, b := counter(t, mfs, "pagerd_pages_sent_total", sms), counter(t, mfs2, "pagerd_pages_sent_total", sms); b != a+1 {
		t.Errorf("pages_sent sms: %v -> %v, want +1", a, b)
	}
	if got := histogram(t, mfs2, "pagerd_time_to_ack_seconds").GetSampleCount(); got != 2 {
		t.Errorf("time_to_ack count = %d, want 2", got)
	}
	if got := gauge(t, mfs2, "pagerd_leader"); got != 0 {
		t.Errorf("pagerd_leader = %v, want 0", got)
	}
}

// Two instances must not collide: there is no shared registry.
func TestNewIsIndependent(t *testing.T) {
	a, b := New(), New()
	a.AlertReceived("x", "t", "paged")
	_ = a.Handler()
	_ = a.Handler() // building the handler twice must not panic
	mfs := scrape(t, b.Handler())
	if _, ok := mfs["pagerd_alerts_received_total"]; ok {
		t.Errorf("alert counted on a leaked into b")
	}
}

func TestOutboxGauges(t *testing.T) {
	m := New()
	m.Outbox(7, 42*time.Second)
	mfs := scrape(t, m.Handler())
	if got := family(t, mfs, "pagerd_outbox_pages", dto.MetricType_GAUGE).Metric[0].GetGauge().GetValue(); got != 7 {
		t.Errorf("pagerd_outbox_pages = %v, want 7", got)
	}
	if got := family(t, mfs, "pagerd_outbox_oldest_seconds", dto.MetricType_GAUGE).Metric[0].GetGauge().GetValue(); got != 42 {
		t.Errorf("pagerd_outbox_oldest_seconds = %v, want 42", got)
	}
}

func TestRotaReloads(t *testing.T) {
	m := New()
	mfs := scrape(t, m.Handler())
	// Every result is there from the start, at zero.
	for _, r := range []RotaReloadResult{RotaPublished, RotaUnchanged, RotaInvalid, RotaFailed} {
		if v := counter(t, mfs, "pagerd_rota_reloads_total", map[string]string{"result": string(r)}); v != 0 {
			t.Errorf("%s starts at %v", r, v)
		}
	}
	if v := gauge(t, mfs, "pagerd_rota_disk_errors"); v != 0 {
		t.Errorf("disk errors start at %v", v)
	}
	m.RotaReload(RotaFailed)
	m.RotaReload(RotaFailed)
	m.RotaReload(RotaUnchanged)
	m.RotaDiskErrors(3)
	mfs = scrape(t, m.Handler())
	for r, want := range map[RotaReloadResult]float64{RotaPublished: 0, RotaUnchanged: 1, RotaInvalid: 0, RotaFailed: 2} {
		if v := counter(t, mfs, "pagerd_rota_reloads_total", map[string]string{"result": string(r)}); v != want {
			t.Errorf("%s = %v, want %v", r, v, want)
		}
	}
	if v := gauge(t, mfs, "pagerd_rota_disk_errors"); v != 3 {
		t.Errorf("disk errors = %v, want 3", v)
	}
	m.RotaDiskErrors(0)
	if v := gauge(t, scrape(t, m.Handler()), "pagerd_rota_disk_errors"); v != 0 {
		t.Errorf("disk errors after a fix = %v, want 0", v)
	}
}

func TestIntakeRejected(t *testing.T) {
	m := New()
	m.IntakeRejectedKnown([]string{"api", "email"}, []string{"rate_limited", "unauthenticated"})
	mfs := scrape(t, m.Handler())
	for _, s := range []string{"api", "email"} {
		for _, r := range []string{"rate_limited", "unauthenticated"} {
			if v := counter(t, mfs, "pagerd_intake_rejected_total", map[string]string{"source": s, "reason": r}); v != 0 {
				t.Errorf("%s/%s starts at %v", s, r, v)
			}
		}
	}
	m.IntakeRejected("api", "rate_limited")
	m.IntakeRejected("api", "rate_limited")
	if v := counter(t, scrape(t, m.Handler()), "pagerd_intake_rejected_total", map[string]string{"source": "api", "reason": "rate_limited"}); v != 2 {
		t.Errorf("api/rate_limited = %v, want 2", v)
	}
}

func TestMailSeries(t *testing.T) {
	m := New()
	m.MailboxKnown("INBOX")
	mfs := scrape(t, m.Handler())
	inbox := map[string]string{"mailbox": "INBOX"}
	if g := find(family(t, mfs, "pagerd_imap_connected", dto.MetricType_GAUGE), inbox); g == nil || g.GetGauge().GetValue() != 0 {
		t.Errorf("imap_connected before any connection: %v", g)
	}
	if v := counter(t, mfs, "pagerd_mail_unmatched_total", inbox); v != 0 {
		t.Errorf("mail_unmatched starts at %v", v)
	}
	at := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	m.IMAPConnected("INBOX", true)
	m.IMAPSynced("INBOX", at)
	m.MailUnmatched("INBOX")
	mfs = scrape(t, m.Handler())
	if g := find(family(t, mfs, "pagerd_imap_connected", dto.MetricType_GAUGE), inbox); g.GetGauge().GetValue() != 1 {
		t.Errorf("imap_connected = %v, want 1", g.GetGauge().GetValue())
	}
	if g := find(family(t, mfs, "pagerd_imap_last_sync_timestamp_seconds", dto.MetricType_GAUGE), inbox); g.GetGauge().GetValue() != float64(at.Unix()) {
		t.Errorf("last sync = %v, want %d", g.GetGauge().GetValue(), at.Unix())
	}
	if v := counter(t, mfs, "pagerd_mail_unmatched_total", inbox); v != 1 {
		t.Errorf("mail_unmatched = %v, want 1", v)
	}
}
