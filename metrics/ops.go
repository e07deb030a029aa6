package metrics

import (
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ops are the families an operator alerts on: pagerd's own health rather
// than the alerts it carries (docs/prometheus-rules.yaml uses them).
type ops struct {
	retired        prometheus.Counter
	retireFailed   prometheus.Counter
	compactions    prometheus.Counter
	defrags        prometheus.Counter
	maintainFailed prometheus.Counter
	defragSeconds  prometheus.Histogram
	heldPages      prometheus.Gauge
	etcdLatency    *prometheus.HistogramVec
	etcdErrors     *prometheus.CounterVec
	httpRequests   *prometheus.CounterVec
	notices        *prometheus.CounterVec
	buildInfo      *prometheus.GaugeVec
}

// EtcdOps are the operations etcd requests are counted by.
var EtcdOps = []string{"get", "put", "delete", "txn", "compact"}

// HTTPRoutes are the API's routes, to start their counters at zero.
var HTTPRoutes = []string{"POST /api/v1/alerts", "GET /api/v1/alerts", "GET /api/v1/alerts/{id}", "POST /api/v1/alerts/{id}/{action}",
	"POST /api/v1/integrations/alertmanager", "POST /api/v1/integrations/pagerduty", "GET /readyz"}

func newOps(reg *prometheus.Registry) *ops {
	o := &ops{
		retired: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "retired_alerts_total",
			Help: "Resolved alerts retired from the live keyspace to their summary and archive."}),
		retireFailed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "retirement_failures_total",
			Help: "Alerts a retention sweep failed to retire (tried again at the next sweep)."}),
		compactions: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "etcd_compactions_total",
			Help: "Compactions of the embedded etcd after retention."}),
		defrags: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "etcd_defrags_total",
			Help: "Defragmentations of the embedded etcd after retention."}),
		maintainFailed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "etcd_maintenance_failures_total",
			Help: "Compactions or defragmentations of the embedded etcd that failed."}),
		defragSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "etcd_defrag_seconds",
			Help: "How long each defragmentation held the embedded etcd (no writes meanwhile).", Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 10}}),
		heldPages: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "held_pages",
			Help: "Pages the leader holds in mailboxes for their person's interval (rate limiting at work)."}),
		etcdLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "etcd_request_duration_seconds",
			Help: "etcd requests pagerd made, by operation, errors included.", Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}}, []string{"op"}),
		etcdErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "etcd_request_errors_total",
			Help: "etcd requests that failed, by operation (a failed transaction compare is not an error)."}, []string{"op"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code."}, []string{"route", "code"}),
		notices: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "handoff_notices_total",
			Help: "Handoff notices, by result: sent, failed."}, []string{"result"}),
		buildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "build_info",
			Help: "1, labelled with the version and Go version pagerd was built with."}, []string{"version", "goversion"}),
	}
	version := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	o.buildInfo.WithLabelValues(version, runtime.Version()).Set(1)
	for _, op := range EtcdOps {
		o.etcdLatency.WithLabelValues(op)
		o.etcdErrors.WithLabelValues(op)
	}
	for _, r := range HTTPRoutes {
		for _, code := range []int{200, 202, 400, 401, 404, 429, 503} {
			o.httpRequests.WithLabelValues(r, strconv.Itoa(code))
		}
	}
	for _, r := range []string{"sent", "failed"} {
		o.notices.WithLabelValues(r)
	}
	reg.MustRegister(o.retired, o.retireFailed, o.compactions, o.defrags, o.maintainFailed, o.defragSeconds, o.heldPages,
		o.etcdLatency, o.etcdErrors, o.httpRequests, o.notices, o.buildInfo)
	return o
}

// Retired counts a retention sweep's work.
func (m *Metrics) Retired(alerts, failed int) {
	m.ops.retired.Add(float64(alerts))
	m.ops.retireFailed.Add(float64(failed))
}

// Maintained counts a compaction and defragmentation after retention.
func (m *Metrics) Maintained(compacted, defragged bool, took time.Duration, err error) {
	if err != nil {
		m.ops.maintainFailed.Inc()
	}
	if compacted {
		m.ops.compactions.Inc()
	}
	if defragged {
		m.ops.defrags.Inc()
		m.ops.defragSeconds.Observe(took.Seconds())
	}
}

// HeldPages sets how many pages wait in mailboxes.
func (m *Metrics) HeldPages(n int) { m.ops.heldPages.Set(float64(n)) }

// EtcdRequest records one etcd request.
func (m *Metrics) EtcdRequest(op string, took time.Duration, err error) {
	m.ops.etcdLatency.WithLabelValues(op).Observe(took.Seconds())
	if err != nil {
		m.ops.etcdErrors.WithLabelValues(op).Inc()
	}
}

// HTTPRequest counts one answered request by its route pattern ("" for
// a path no route matched) and status.
func (m *Metrics) HTTPRequest(route string, code int) {
	if route == "" {
		route = "unmatched"
	}
	m.ops.httpRequests.WithLabelValues(route, strconv.Itoa(code)).Inc()
}

// HandoffNotice counts one handoff notice: sent, or failed.
func (m *Metrics) HandoffNotice(err error) {
	if err != nil {
		m.ops.notices.WithLabelValues("failed").Inc()
		return
	}
	m.ops.notices.WithLabelValues("sent").Inc()
}

// Channels are the contact methods pages go by.
var Channels = []string{"sms", "voice"}

// Known starts the alerts-received counter at zero for every source and
// outcome given, so that a rate works from the start.
func (m *Metrics) Known(sources, outcomes, teams []string) {
	for _, s := range sources {
		for _, o := range outcomes {
			for _, t := range teams {
				m.alertsReceived.WithLabelValues(s, t, o)
			}
		}
	}
}

// NoKeyspaceQuota drops the quota gauge: an external etcd's quota is its
// servers' setting, which no client request reports, and a gauge of 0
// would say "no room" to any rule dividing by it.
func (m *Metrics) NoKeyspaceQuota() { m.reg.Unregister(m.keyspaceQuota) }
