package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/metrics"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
	"github.com/pagerd/pagerd/web"
)

// Rota distribution: a node started with --config publishes its rota
// directory to the cluster (at start, on SIGHUP, when a file changes), and
// every node follows what the cluster has published.

// rotaSource is a rota directory this node publishes from.
type rotaSource struct {
	dir  string
	node string
	clk  clock.Clock
	log  *slog.Logger
	m    *metrics.Metrics
	// last is what the latest check found, for the web console's Rota
	// page.
	last atomic.Pointer[web.DiskCheck]
}

// lastCheck is what the latest check of the directory found.
func (r *rotaSource) lastCheck() *web.DiskCheck { return r.last.Load() }

// publishTimeout bounds a publish on reload, so an unreachable etcd is
// reported rather than waited on.
const publishTimeout = 15 * time.Second

// check loads the directory, logging every problem, and sets the disk
// errors gauge. It returns nil when the rota has errors: the cluster keeps
// the rota it has.
func (r *rotaSource) check() []rotafile.File {
	files, err := rotafile.ReadDir(r.dir)
	if err != nil {
		r.last.Store(&web.DiskCheck{Dir: r.dir, At: r.clk.Now(), Err: err})
		r.log.Error("rota not loaded", "dir", r.dir, "err", err)
		r.m.RotaDiskErrors(1)
		return nil
	}
	_, diags := rotafile.Load(files)
	r.last.Store(&web.DiskCheck{Dir: r.dir, At: r.clk.Now(), Diags: diags})
	for _, d := range diags {
		lvl := slog.LevelWarn
		if d.Severity == rotafile.Error {
			lvl = slog.LevelError
		}
		r.log.Log(context.Background(), lvl, "rota: "+d.Msg, "pos", fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Col), "hint", d.Hint)
	}
	r.m.RotaDiskErrors(len(diags.Errors()))
	if diags.Err() != nil {
		r.log.Error("rota has errors; keeping the rota in force", "dir", r.dir, "errors", len(diags.Errors()))
		return nil
	}
	return files
}

// publish makes files the cluster's rota, unless they are already.
func (r *rotaSource) publish(ctx context.Context, st *store.Store, files []rotafile.File) (changed bool, err error) {
	rec, changed, err := st.PublishRota(ctx, files, r.node, r.clk.Now())
	if err != nil {
		return false, err
	}
	if changed {
		r.log.Info("rota published", "rev", rec.Rev, "files", len(files))
	} else {
		r.log.Info("rota unchanged", "rev", rec.Rev, "dir", r.dir)
	}
	return changed, nil
}

// reload checks the directory again and publishes it if it is valid and
// new. Every outcome is logged and counted; a failed publish leaves the
// cluster on the rota in force, and the next reload tries again.
func (r *rotaSource) reload(ctx context.Context, st *store.Store, why string) metrics.RotaReloadResult {
	r.log.Info("reloading rota", "why", why, "dir", r.dir)
	result := func() metrics.RotaReloadResult {
		files := r.check()
		if files == nil {
			return metrics.RotaInvalid
		}
		pctx, cancel := context.WithTimeout(ctx, publishTimeout)
		defer cancel()
		changed, err := r.publish(pctx, st, files)
		switch {
		case err != nil:
			r.log.Error("rota not published; the cluster keeps the rota in force until the next reload", "dir", r.dir, "why", why, "err", err)
			return metrics.RotaFailed
		case changed:
			return metrics.RotaPublished
		default:
			return metrics.RotaUnchanged
		}
	}()
	r.m.RotaReload(result)
	return result
}

// watch reloads the rota on SIGHUP and when rota files in the directory
// change, until ctx ends. Other files (an editor's swap file, anything
// else kept there) are not the rota and change nothing.
func (r *rotaSource) watch(ctx context.Context, st *store.Store) {
	r.watchEvents(ctx, st, nil)
}

// watchEvents is watch; reloaded, if set, hears each reload's reason
// (tests).
func (r *rotaSource) watchEvents(ctx context.Context, st *store.Store, reloaded func(why string)) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var events <-chan fsnotify.Event
	var errs <-chan error
	watched := map[string]bool{} // directories under watch
	w, err := fsnotify.NewWatcher()
	if err != nil {
		r.log.Warn("cannot watch the rota directory; reload with SIGHUP", "dir", r.dir, "err", err)
	} else {
		defer func() {
			if err := w.Close(); err != nil {
				r.log.Warn("closing the rota directory watch", "dir", r.dir, "err", err)
			}
		}()
		// A directory that can't be watched is logged and skipped: the
		// rest are still watched, and SIGHUP reloads everything.
		walkErr := filepath.WalkDir(r.dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				if p != r.dir && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir // as the loader: hidden directories are not the rota
				}
				if err = w.Add(p); err == nil {
					watched[p] = true
				}
			}
			if err != nil {
				r.log.Warn("cannot watch part of the rota directory; reload with SIGHUP", "path", p, "err", err)
			}
			return nil
		})
		if walkErr != nil {
			r.log.Warn("cannot watch the rota directory; reload with SIGHUP", "dir", r.dir, "err", walkErr)
		}
		events, errs = w.Events, w.Errors
	}
	reload := func(why string) {
		r.reload(ctx, st, why)
		if reloaded != nil {
			reloaded(why)
		}
	}
	var debounce <-chan time.Time
	changed := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			reload("SIGHUP")
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			base := filepath.Base(ev.Name)
			if ev.Has(fsnotify.Create) && !strings.HasPrefix(base, ".") {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					if err := w.Add(ev.Name); err != nil {
						r.log.Warn("cannot watch a new rota directory; reload with SIGHUP", "dir", ev.Name, "err", err)
					} else {
						watched[ev.Name] = true
					}
					changed[ev.Name] = true
					debounce = time.After(500 * time.Millisecond)
					continue
				}
			}
			// A rota file, or a watched directory going away with the
			// files in it. Nothing else is the rota.
			if !rotaFile(base) && !watched[ev.Name] {
				continue
			}
			if watched[ev.Name] && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				delete(watched, ev.Name)
			}
			changed[ev.Name] = true
			// Editors write a file in several steps; wait for quiet.
			debounce = time.After(500 * time.Millisecond)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			r.log.Warn("rota directory watch", "dir", r.dir, "err", err)
		case <-debounce:
			debounce = nil
			names := make([]string, 0, len(changed))
			for n := range changed {
				if rel, err := filepath.Rel(r.dir, n); err == nil {
					n = rel
				}
				names = append(names, n)
			}
			slices.Sort(names)
			clear(changed)
			reload("files changed: " + strings.Join(names, ", "))
		}
	}
}

// rotaFile reports whether a file name is one the rota loader reads.
func rotaFile(name string) bool {
	return !strings.HasPrefix(name, ".") && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml"))
}

// followRota keeps holder on the cluster's published rota until ctx ends,
// closing loaded when the first one is in force. inForce, if set, hears
// each revision put in force (the metric); changed, if set, is called
// after each later one.
func followRota(ctx context.Context, st *store.Store, holder *inforce.Current, log *slog.Logger, loaded chan<- struct{}, inForce func(rev int64), changed func()) {
	first := true
	for rec := range st.WatchRota(ctx) {
		if cur := holder.Get(); cur != nil && cur.Rev >= rec.Rev {
			continue
		}
		r, diags := rotafile.Load(rec.Files)
		if err := diags.Err(); err != nil {
			// Published rotas were checked, but by a node that may run
			// another version: keep the one in force.
			log.Error("published rota does not load here; keeping the one in force", "rev", rec.Rev, "err", err)
			continue
		}
		holder.Set(inforce.New(r, rec.Rev, log))
		if inForce != nil {
			inForce(rec.Rev)
		}
		log.Info("rota in force", "rev", rec.Rev, "teams", len(r.Teams), "by", rec.PublishedBy)
		if first {
			first = false
			close(loaded)
		} else if changed != nil {
			changed()
		}
	}
}
