package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/pagerd/pagerd/metrics"
	"github.com/pagerd/pagerd/store"
)

// observer feeds the engine's doings to the metrics.
type observer struct {
	m    *metrics.Metrics
	next interface {
		Leader(bool)
		PageSent(store.OutboxPage, time.Time, error)
		TimerFired(time.Duration)
	}
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

// watchKeyspace exports etcd's size and open alerts, and warns at 80% of
// the quota: etcd stops taking writes when it is full.
func watchKeyspace(ctx context.Context, st *store.Store, m *metrics.Metrics, log *slog.Logger) {
	warned := false
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
		}
		if oerr == nil {
			m.OpenAlerts(open)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(30 * time.Second):
		}
	}
}
