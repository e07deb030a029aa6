// Package metrics exposes pagerd's Prometheus metrics from a dedicated
// registry, so /metrics carries only pagerd's own families plus the Go
// runtime and process collectors, and none of the etcd_* families that the
// embedded etcd server registers on the default registry.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "pagerd"

// Metrics holds pagerd's collectors, all registered on its own
// prometheus.Registry. The zero value is not usable; call New. All methods
// are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	alertsReceived *prometheus.CounterVec
	pagesSent      *prometheus.CounterVec
	pagesFailed    *prometheus.CounterVec
	timeToAck      prometheus.Histogram
	timerLateness  prometheus.Histogram
	leader         prometheus.Gauge
	rotaRevision   prometheus.Gauge
	keyspaceBytes  prometheus.Gauge
	keyspaceQuota  prometheus.Gauge
	openAlerts     prometheus.Gauge
	outboxPages    prometheus.Gauge
	outboxOldest   prometheus.Gauge
	rotaReloads    *prometheus.CounterVec
	rotaDiskErrors prometheus.Gauge
	intakeRejected *prometheus.CounterVec
	mail           mailMetrics
	ops            *ops // ops.go
}

// RotaReloadResult is how a reload of the rota directory ended.
type RotaReloadResult string

// The results of a rota reload, each a label of pagerd_rota_reloads_total.
const (
	RotaPublished RotaReloadResult = "published" // valid and new: the cluster has it
	RotaUnchanged RotaReloadResult = "unchanged" // valid, and the cluster has it already
	RotaInvalid   RotaReloadResult = "invalid"   // errors on disk: the rota in force stays
	RotaFailed    RotaReloadResult = "failed"    // valid, but publishing failed (etcd unreachable)
)

// New creates a Metrics with a fresh registry holding pagerd's collectors
// and the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		alertsReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "alerts_received_total",
			Help:      "Alerts received, by source (api, alertmanager, pagerduty, email), team and outcome (created, deduplicated, resolved, ...).",
		}, []string{"source", "team", "outcome"}),
		pagesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "pages_sent_total",
			Help:      "Pages delivered successfully, by channel.",
		}, []string{"channel"}),
		pagesFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "pages_failed_total",
			Help:      "Pages whose delivery failed, by channel.",
		}, []string{"channel"}),
		timeToAck: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace,
			Name:      "time_to_ack_seconds",
			Help:      "Time from page to acknowledgement.",
			Buckets:   []float64{10, 30, 60, 120, 300, 600, 900, 1800, 3600},
		}),
		timerLateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace,
			Name:      "escalation_timer_lateness_seconds",
			Help:      "How late escalation timers fired relative to their deadline.",
			Buckets:   []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60},
		}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace,
			Name:      "leader",
			Help:      "1 if this node currently holds leadership, else 0.",
		}),
		rotaRevision: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace,
			Name:      "rota_revision",
			Help:      "Revision of the rota currently in effect.",
		}),
		keyspaceBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace,
			Name:      "etcd_keyspace_bytes",
			Help:      "Size of the etcd keyspace (backend database) in bytes.",
		}),
		keyspaceQuota: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace,
			Name:      "etcd_keyspace_quota_bytes",
			Help:      "etcd backend quota in bytes.",
		}),
		openAlerts: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace,
			Name:      "open_alerts",
			Help:      "Alerts currently open (not resolved).",
		}),
		outboxPages: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace,
			Name:      "outbox_pages",
			Help:      "Pages waiting in the outbox (due, held for a person's interval, or being sent), as of the leader's last sweep.",
		}),
		outboxOldest: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace,
			Name:      "outbox_oldest_seconds",
			Help:      "How long past due the oldest page in the outbox is, as of the leader's last sweep (0 when empty).",
		}),
		rotaReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "rota_reloads_total",
			Help:      "Reloads of the rota directory (SIGHUP or a file changed), by result: published, unchanged, invalid (errors on disk), failed (not published).",
		}, []string{"result"}),
		rotaDiskErrors: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace,
			Name:      "rota_disk_errors",
			Help:      "Errors found in the rota directory by its last check; 0 when it is valid. The rota in force stays while it has errors.",
		}),
		intakeRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "intake_rejected_total",
			Help:      "Alerts (requests, or mails) refused at intake, by source and reason: bad_request, unauthorized, forbidden, too_large, too_many, rate_limited, unauthenticated.",
		}, []string{"source", "reason"}),
	}
	m.ops = newOps(m.reg)
	// Pages by channel from zero: an alert on the first failure works.
	for _, c := range Channels {
		m.pagesSent.WithLabelValues(c)
		m.pagesFailed.WithLabelValues(c)
	}
	// Every result from zero, so a rate or an alert on "failed" works
	// before the first failure.
	for _, r := range []RotaReloadResult{RotaPublished, RotaUnchanged, RotaInvalid, RotaFailed} {
		m.rotaReloads.WithLabelValues(string(r))
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.alertsReceived,
		m.pagesSent,
		m.pagesFailed,
		m.timeToAck,
		m.timerLateness,
		m.leader,
		m.rotaRevision,
		m.keyspaceBytes,
		m.keyspaceQuota,
		m.openAlerts,
		m.outboxPages,
		m.outboxOldest,
		m.rotaReloads,
		m.rotaDiskErrors,
		m.intakeRejected,
	)
	m.registerMail()
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// AlertReceived counts one alert from source for team with the given
// outcome.
func (m *Metrics) AlertReceived(source, team, outcome string) {
	m.alertsReceived.WithLabelValues(source, team, outcome).Inc()
}

// PageSent counts one page on channel: sent if err is nil, failed otherwise.
func (m *Metrics) PageSent(channel string, err error) {
	if err != nil {
		m.pagesFailed.WithLabelValues(channel).Inc()
		return
	}
	m.pagesSent.WithLabelValues(channel).Inc()
}

// Acknowledged records the time from page to acknowledgement.
func (m *Metrics) Acknowledged(after time.Duration) {
	m.timeToAck.Observe(nonNegative(after).Seconds())
}

// TimerFired records how late an escalation timer fired.
func (m *Metrics) TimerFired(late time.Duration) {
	m.timerLateness.Observe(nonNegative(late).Seconds())
}

// Leader sets the leadership gauge to 1 or 0.
func (m *Metrics) Leader(leading bool) {
	if leading {
		m.leader.Set(1)
		return
	}
	m.leader.Set(0)
}

// RotaRevision sets the revision of the rota in effect.
func (m *Metrics) RotaRevision(rev int64) { m.rotaRevision.Set(float64(rev)) }

// KeyspaceBytes sets the etcd keyspace size in bytes.
func (m *Metrics) KeyspaceBytes(n int64) { m.keyspaceBytes.Set(float64(n)) }

// KeyspaceQuotaBytes sets the etcd backend quota in bytes.
func (m *Metrics) KeyspaceQuotaBytes(n int64) { m.keyspaceQuota.Set(float64(n)) }

// OpenAlerts sets the number of currently open alerts.
func (m *Metrics) OpenAlerts(n int64) { m.openAlerts.Set(float64(n)) }

// RotaReload counts one reload of the rota directory.
func (m *Metrics) RotaReload(r RotaReloadResult) { m.rotaReloads.WithLabelValues(string(r)).Inc() }

// RotaDiskErrors sets the number of errors in the rota directory's last
// check.
func (m *Metrics) RotaDiskErrors(n int) { m.rotaDiskErrors.Set(float64(n)) }

func nonNegative(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// Outbox sets the outbox gauges from a leader's sweep.
func (m *Metrics) Outbox(pages int, oldestOverdue time.Duration) {
	m.outboxPages.Set(float64(pages))
	m.outboxOldest.Set(oldestOverdue.Seconds())
}

// IntakeRejectedKnown starts the rejection counter at zero for every
// source and reason given, so rates and alerts on it work before the
// first rejection.
func (m *Metrics) IntakeRejectedKnown(sources, reasons []string) {
	for _, s := range sources {
		for _, r := range reasons {
			m.intakeRejected.WithLabelValues(s, r)
		}
	}
}

// IntakeRejected counts one refusal at intake.
func (m *Metrics) IntakeRejected(source, reason string) {
	m.intakeRejected.WithLabelValues(source, reason).Inc()
}
