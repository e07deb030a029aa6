package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/store"
)

// Archive appends retired alerts, one JSON object per line, to a file:
// resolved alerts leave etcd but their history is kept.
type Archive struct {
	Path string
	mu   sync.Mutex
}

// Append writes one alert as a line and syncs it before returning, so an
// alert is never removed from etcd before it is on disk.
func (a *Archive) Append(al *store.Alert) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := os.OpenFile(a.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	b, err := json.Marshal(al)
	if err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// retire removes alerts resolved more than Retention ago, archiving each
// first. It runs on the leader, every hour.
func (e *Engine) retire(ctx context.Context) (int, error) {
	if e.Retention <= 0 || e.Archive == nil {
		return 0, nil
	}
	cutoff := e.Clock.Now().Add(-e.Retention)
	old, err := e.Store.List(ctx, func(a *store.Alert) bool {
		return a.Status() == escalation.StatusResolved && a.Esc.ResolvedAt.Before(cutoff)
	}, 1000)
	if err != nil {
		return 0, err
	}
	for i, a := range old {
		if err := e.Store.Retire(ctx, a.ID, e.Archive.Append); err != nil {
			return i, fmt.Errorf("retire: %w", err)
		}
	}
	return len(old), nil
}

// retireLoop runs retention while leading.
func (e *Engine) retireLoop(ctx context.Context) {
	for {
		n, err := e.retire(ctx)
		if err != nil && ctx.Err() == nil {
			e.Log.Error("retiring resolved alerts", "err", err)
		}
		if n > 0 {
			e.Log.Info("retired resolved alerts to the archive", "alerts", n, "archive", e.Archive.Path)
		}
		wait := time.Hour
		if n == 1000 {
			wait = time.Second // more to do
		}
		t := e.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}
