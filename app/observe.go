package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/ingest/imapwatch"
	"github.com/pagerd/pagerd/metrics"
	"github.com/pagerd/pagerd/scheduler"
	"github.com/pagerd/pagerd/store"
)

// observer feeds the engine's doings to the metrics, and to next if set.
type observer struct {
	m    *metrics.Metrics
	next scheduler.Observer
}

func (o observer) Leader(v bool) {
	o.m.Leader(v)
	if o.next != nil {
		o.next.Leader(v)
	}
}

func (o observer) PageSent(p store.OutboxPage, at time.Time, err error) {
	o.m.PageSent(string(p.Method), err)
	if o.next != nil {
		o.next.PageSent(p, at, err)
	}
}

func (o observer) TimerFired(late time.Duration) {
	o.m.TimerFired(late)
	if o.next != nil {
		o.next.TimerFired(late)
	}
}

// Outbox reports the leader's sweep: the outbox backlog.
func (o observer) Outbox(pages int, oldest time.Duration) {
	o.m.Outbox(pages, oldest)
	if next, ok := o.next.(scheduler.OutboxObserver); ok {
		next.Outbox(pages, oldest)
	}
}

// Held reports pages held in mailboxes.
func (o observer) Held(pages int) {
	o.m.HeldPages(pages)
	if next, ok := o.next.(scheduler.HeldObserver); ok {
		next.Held(pages)
	}
}

// Retired reports a retention sweep.
func (o observer) Retired(alerts, failed int) {
	o.m.Retired(alerts, failed)
	if next, ok := o.next.(scheduler.RetentionObserver); ok {
		next.Retired(alerts, failed)
	}
}

// Maintained reports etcd's compaction and defragmentation.
func (o observer) Maintained(mt store.Maintenance, err error) {
	o.m.Maintained(mt.Compacted > 0, mt.Defragged, mt.DefragTook, err)
	if next, ok := o.next.(scheduler.RetentionObserver); ok {
		next.Maintained(mt, err)
	}
}

// Notice reports a handoff notice.
func (o observer) Notice(err error) {
	o.m.HandoffNotice(err)
	if next, ok := o.next.(scheduler.NoticeObserver); ok {
		next.Notice(err)
	}
}

// countRequests counts every answered request by route and status.
func countRequests(h http.Handler, m *metrics.Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		// The mux sets the matched pattern on the request it was given.
		m.HTTPRequest(r.Pattern, sw.code)
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// keyspaceEvery is how often the keyspace size and open alerts are read.
const keyspaceEvery = 30 * time.Second

// watchKeyspace exports etcd's size and open alerts until ctx ends, and
// warns at 80% of the quota: etcd stops taking writes when it is full.
func watchKeyspace(ctx context.Context, st *store.Store, m *metrics.Metrics, log *slog.Logger) {
	warned := false
	t := time.NewTicker(keyspaceEvery)
	defer t.Stop()
	for {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		size, quota, err := st.KeyspaceSize(sctx)
		open, oerr := st.OpenCount(sctx)
		cancel()
		if err == nil {
			m.KeyspaceBytes(size)
			m.KeyspaceQuotaBytes(quota)
			full := quota > 0 && size*100 >= quota*80
			if full && !warned {
				log.Warn("etcd keyspace above 80% of its quota: retire resolved alerts sooner, or compact and defragment", "bytes", size, "quota", quota)
			}
			warned = full
		} else if ctx.Err() == nil {
			log.Warn("reading the etcd keyspace size", "err", err)
		}
		if oerr == nil {
			m.OpenAlerts(open)
		} else if ctx.Err() == nil {
			log.Warn("counting open alerts", "err", oerr)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// readiness is /readyz's view of this node, subsystem by subsystem: etcd,
// the rota, the leader (required), and each watched mailbox (reported, not
// required: the HTTP intake works without it).
func readiness(ctx context.Context, st *store.Store, node string, holder *inforce.Current, m *metrics.Metrics, eng *scheduler.Engine, w *imapwatch.Watcher) []api.Check {
	var out []api.Check
	if err := st.Ping(ctx); err != nil {
		out = append(out, api.Check{Name: "etcd", State: "unreachable", Reason: err.Error(), Required: true})
	} else {
		out = append(out, api.Check{Name: "etcd", OK: true, State: "ok", Required: true})
	}
	if r := holder.Get(); r == nil {
		out = append(out, api.Check{Name: "rota", State: "none", Reason: "no rota loaded", Required: true})
	} else {
		m.RotaRevision(r.Rev)
		out = append(out, api.Check{Name: "rota", OK: true, State: "ok", Reason: fmt.Sprintf("revision %d", r.Rev), Required: true})
	}
	leading := eng.IsLeader()
	// Ready means some node can page: a leadership with a live lease
	// (leaderReady says why not). The name is for the reasons below.
	leader, _, err := st.Leadership(ctx)
	if err != nil {
		leader = "" // leaderReady reads it again and reports the error
	}
	switch err := leaderReady(ctx, st, node, leading); {
	case err != nil:
		out = append(out, api.Check{Name: "leader", State: "none", Reason: err.Error(), Required: true})
	case leading:
		out = append(out, api.Check{Name: "leader", OK: true, State: "ok", Reason: "this node (" + node + ")", Required: true})
	default:
		out = append(out, api.Check{Name: "leader", OK: true, State: "ok", Reason: leader, Required: true})
	}
	if w == nil {
		return out
	}
	for _, s := range w.Status() {
		c := api.Check{Name: "mailbox " + s.Mailbox}
		switch {
		case !leading:
			// Only the leader watches mail; this node's view is none.
			c.OK, c.State = true, "not watched here"
			if leader != "" {
				c.Reason = "the leader (" + leader + ") watches it"
			}
		case s.Connected:
			c.OK, c.State = true, "ok"
			if !s.LastSync.IsZero() {
				c.Reason = "last pass " + s.LastSync.UTC().Format(time.RFC3339)
			}
		default:
			c.State, c.Reason = "failing", s.Err
			if !s.Since.IsZero() {
				c.Reason += " (since " + s.Since.UTC().Format(time.RFC3339) + ")"
			}
		}
		out = append(out, c)
	}
	return out
}
