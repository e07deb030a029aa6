package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// mailMetrics are the email intake's series: whether each watched mailbox
// is connected, when it last finished a pass, and mail no route matched.
// Kept apart from the other families so intake changes touch one file.
type mailMetrics struct {
	connected *prometheus.GaugeVec
	lastSync  *prometheus.GaugeVec
	unmatched *prometheus.CounterVec
}

func (m *Metrics) registerMail() {
	m.mail = mailMetrics{
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace,
			Name:      "imap_connected",
			Help:      "1 while this node is logged in to the mailbox with it selected, else 0 (also 0 on nodes that are not the leader: only the leader watches mail).",
		}, []string{"mailbox"}),
		lastSync: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace,
			Name:      "imap_last_sync_timestamp_seconds",
			Help:      "Unix time of the mailbox's last complete pass (every unprocessed mail read and judged); alert on time() minus this.",
		}, []string{"mailbox"}),
		unmatched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "mail_unmatched_total",
			Help:      "Mails no email route matched (left untouched in the mailbox), by mailbox.",
		}, []string{"mailbox"}),
	}
	m.reg.MustRegister(m.mail.connected, m.mail.lastSync, m.mail.unmatched)
}

// MailboxKnown starts a mailbox's series (disconnected, never synced, no
// unmatched mail), so they exist before the first connection.
func (m *Metrics) MailboxKnown(mailbox string) {
	m.mail.connected.WithLabelValues(mailbox).Set(0)
	m.mail.lastSync.WithLabelValues(mailbox)
	m.mail.unmatched.WithLabelValues(mailbox)
}

// IMAPConnected sets whether the mailbox is connected and selected.
func (m *Metrics) IMAPConnected(mailbox string, connected bool) {
	v := 0.0
	if connected {
		v = 1
	}
	m.mail.connected.WithLabelValues(mailbox).Set(v)
}

// IMAPSynced records a complete pass over the mailbox at t.
func (m *Metrics) IMAPSynced(mailbox string, t time.Time) {
	m.mail.lastSync.WithLabelValues(mailbox).Set(float64(t.UnixNano()) / 1e9)
}

// MailUnmatched counts one mail no route matched.
func (m *Metrics) MailUnmatched(mailbox string) {
	m.mail.unmatched.WithLabelValues(mailbox).Inc()
}
