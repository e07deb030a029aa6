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
// an export of the retired alerts, beside the archive in etcd (which is
// the one every node reads, and which a snapshot carries).
type Archive struct {
	Path string
	mu   sync.Mutex
}

// Append writes one alert as a line and syncs it before returning: the
// line is on disk before the alert leaves the live keyspace. A retirement
// that fails after its export is retried, so an alert may appear twice;
// readers keep the last line of an id.
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

// RetentionObserver, when the Observer implements it too, hears each
// retention sweep: alerts retired (and failures), and etcd's maintenance.
type RetentionObserver interface {
	Retired(alerts, failed int)
	Maintained(m store.Maintenance, err error)
}

// retireEvery is how often retention runs: a tenth of the retention, so a
// resolved alert leaves etcd within 10% of its time, but at least every
// second and at most every hour.
func retireEvery(retention time.Duration) time.Duration {
	return min(max(retention/10, time.Second), time.Hour)
}

// defragEvery is the least time between two defragmentations.
const defragEvery = time.Hour

// retireBatch bounds one sweep's work; a full batch sweeps again at once.
const retireBatch = 1000

// retire replaces alerts resolved more than Retention ago by their summary
// and archive (store.Retire), removes summaries and archives whose time is
// up, and then has etcd give the space back (store.Maintain). It runs on
// the leader. It returns how many records it removed; one alert that
// fails is logged with its id and the others go on.
func (e *Engine) retire(ctx context.Context) (int, error) {
	if e.Retention <= 0 {
		return 0, nil
	}
	now := e.Clock.Now()
	cutoff := now.Add(-e.Retention)
	old, err := e.Store.List(ctx, func(a *store.Alert) bool {
		return a.Status() == escalation.StatusResolved && a.Esc.ResolvedAt.Before(cutoff)
	}, retireBatch)
	if err != nil {
		return 0, fmt.Errorf("retire: %w", err)
	}
	retired, failed := 0, 0
	for _, a := range old {
		if e.Archive != nil {
			// The export is a convenience beside the archive of record: a
			// failure is logged, and retirement goes on.
			full, err := e.Store.Get(ctx, a.ID)
			if err == nil {
				err = e.Archive.Append(full)
			}
			if err != nil {
				e.Log.Error("alert not exported to the JSON-lines file; it is retired to the archive (etcd or its bucket) all the same", "alert", a.ID, "file", e.Archive.Path, "err", err)
			}
		}
		if _, err := e.Store.Retire(ctx, a.ID, now, e.Keep); err != nil {
			if ctx.Err() != nil {
				return retired, ctx.Err()
			}
			failed++
			e.Log.Error("retiring a resolved alert failed; the next sweep tries again", "alert", a.ID, "team", a.Team, "err", err)
			continue
		}
		retired++
	}
	expired, err := e.Store.Expire(ctx, now, retireBatch)
	if ro, ok := e.Observer.(RetentionObserver); ok {
		ro.Retired(retired, failed)
	}
	if err != nil {
		return retired + expired, fmt.Errorf("expire history: %w", err)
	}
	if retired > 0 {
		e.Log.Info("retired resolved alerts to history and the archive", "alerts", retired, "archive_until", now.Add(e.Keep.Archive))
	}
	if expired > 0 {
		e.Log.Info("removed expired history and archive records", "records", expired)
	}
	// What the previous sweep removed is compacted away now, one sweep
	// later: a watch (the engine's, a rota follower's) a little behind
	// head is not cut off by the compaction, which etcd's own periodic one
	// keeps an hour behind for the same reason.
	if rev := e.compactTo.Swap(0); rev > 0 {
		// A defragmentation holds etcd's writes while it copies the
		// backend (seconds for hundreds of MB): at most one an hour.
		last := e.lastDefrag.Load()
		m, err := e.Store.Maintain(ctx, rev, last == 0 || now.Sub(time.Unix(0, last)) >= defragEvery)
		if m.Defragged {
			e.lastDefrag.Store(now.UnixNano())
		}
		if ro, ok := e.Observer.(RetentionObserver); ok {
			ro.Maintained(m, err)
		}
		if err != nil {
			return retired + expired, err
		}
		if m.Defragged {
			e.Log.Info("etcd defragmented", "bytes_before", m.Before, "bytes_after", m.After, "took", m.DefragTook.String())
		}
	}
	if retired+expired > 0 {
		rev, err := e.Store.Revision(ctx)
		if err != nil {
			return retired + expired, err
		}
		e.compactTo.Store(rev)
	}
	return retired + expired, nil
}

// retireLoop runs retention while leading, on its own cadence.
func (e *Engine) retireLoop(ctx context.Context) {
	if e.Retention <= 0 {
		return
	}
	for {
		n, err := e.retire(ctx)
		if err != nil && ctx.Err() == nil {
			e.Log.Error("retention sweep", "err", err)
		}
		wait := retireEvery(e.Retention)
		if n >= retireBatch {
			wait = 0 // more to do
		}
		e.retireNext.Store(e.Clock.Now().Add(wait).UnixNano())
		t := e.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}
