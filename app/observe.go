package app

import (
	"context"
	"fmt"
	"log/slog"
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
func readiness(ctx context.Context, st *store.Store, holder *inforce.Current, m *metrics.Metrics, eng *scheduler.Engine, w *imapwatch.Watcher) []api.Check {
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
	leader, err := st.LeaderName(ctx)
	switch {
	case err != nil:
		out = append(out, api.Check{Name: "leader", State: "unknown", Reason: err.Error(), Required: true})
	case leader == "":
		out = append(out, api.Check{Name: "leader", State: "none", Reason: "no leader elected yet", Required: true})
	case eng.IsLeader():
		out = append(out, api.Check{Name: "leader", OK: true, State: "ok", Reason: "this node (" + leader + ")", Required: true})
	default:
		out = append(out, api.Check{Name: "leader", OK: true, State: "ok", Reason: leader, Required: true})
	}
	if w == nil {
		return out
	}
	leading := eng.IsLeader()
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
