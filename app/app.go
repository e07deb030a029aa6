// Package app wires pagerd serve together and owns its start and stop:
// the store first, then the rota, the alerts service and the engine, the
// HTTP API, and the watchers; on shutdown the same parts stop in reverse,
// each waited for, so nothing started here outlives the store.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/heaptrim"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/ingest/imapwatch"
	"github.com/pagerd/pagerd/ingest/mail"
	"github.com/pagerd/pagerd/metrics"
	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/scheduler"
	"github.com/pagerd/pagerd/sdnotify"
	"github.com/pagerd/pagerd/store"
	"github.com/pagerd/pagerd/web"
)

// Hooks lets tests and the benchmark watch a running daemon. The zero
// value (or nil) changes nothing.
type Hooks struct {
	Notifier     notifier.Notifier  // sends pages instead of Twilio or the log
	Observer     scheduler.Observer // hears the engine, beside the metrics
	Ready        func(addr string)  // called once HTTP serves, with its address
	TwilioClient *http.Client       // reaches a fake Twilio

	// storeClosing runs just before the store closes (tests: nothing
	// Run started may be running by then).
	storeClosing func()
}

const (
	// drainTimeout bounds how long shutdown waits for HTTP requests in
	// flight (systemd's TimeoutStopSec is 60s).
	drainTimeout = 20 * time.Second
	// rotaWait is how long a node without a rota of its own waits for the
	// cluster's.
	rotaWait = 30 * time.Second
)

// Run runs the daemon until ctx ends or a part of it fails, then stops
// every part in reverse order of start and closes the store last. It
// returns nil after a clean stop.
func Run(ctx context.Context, c Config, log *slog.Logger, hooks *Hooks) (err error) {
	if hooks == nil {
		hooks = &Hooks{}
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Node == "" {
		host, err := os.Hostname()
		if err != nil {
			log.Warn("no host name for the node name; set --node", "err", err)
		}
		c.Node = host + "/" + c.Listen
	}
	clk := clock.Real{}
	m := metrics.New()
	var src *rotaSource
	var files []rotafile.File
	if c.RotaDir != "" {
		src = &rotaSource{dir: c.RotaDir, node: c.Node, clk: clk, log: log, m: m}
		files = src.check()
	}
	password, err := ReadSecret(c.Etcd.PasswordFile)
	if err != nil {
		return err
	}
	token, err := ReadSecret(c.APITokenFile)
	if err != nil {
		return err
	}
	operators, err := readOperators(c.TokensFile)
	if err != nil {
		return err
	}
	if c.InsecureNoAuth {
		log.Warn("--insecure-no-auth: the operator API is open to anyone who can reach this address: they can ack, resolve and escalate alerts, read the rota and take snapshots of everything", "listen", c.Listen)
	}
	calSecret, err := ReadSecret(c.CalendarSecretFile)
	if err != nil {
		return err
	}
	tw, err := twilioNotifier(c, hooks.TwilioClient)
	if err != nil {
		return err
	}

	var archiveBucket store.Bucket
	if c.Archive.S3.Bucket != "" {
		b, err := openBucket(ctx, c.Archive.S3, log)
		if err != nil {
			return err
		}
		log.Info("retired alerts are archived in a bucket", "bucket", b.String(), "endpoint", c.Archive.S3.Endpoint)
		archiveBucket = b
	}
	st, err := store.Open(ctx, store.Config{
		Endpoints: c.Etcd.Endpoints, DataDir: c.DataDir,
		CAFile: c.Etcd.CAFile, CertFile: c.Etcd.CertFile, KeyFile: c.Etcd.KeyFile,
		Username: c.Etcd.Username, Password: password, Prefix: c.Etcd.Prefix, Logger: log,
		Observe: m.EtcdRequest, Bucket: archiveBucket,
	})
	if err != nil {
		return err
	}
	defer func() {
		if hooks.storeClosing != nil {
			hooks.storeClosing()
		}
		if cerr := st.Close(); cerr != nil {
			log.Warn("closing etcd", "err", cerr)
		}
		log.Info("etcd closed")
	}()
	if st.Embedded() {
		log.Info("embedded etcd started", "data_dir", c.DataDir)
	} else {
		// An etcd client can't read the server's quota: no gauge rather
		// than a false 0 (docs/deploy.md).
		m.NoKeyspaceQuota()
	}
	if files != nil {
		if _, err := src.publish(ctx, st, files); err != nil {
			return err
		}
	} else {
		if _, ok, err := st.Rota(ctx); err != nil {
			return err
		} else if !ok {
			return errors.New("no valid rota: fix the errors above (pagerd check), or join a cluster that has one")
		}
		log.Warn("running on the rota the cluster already has")
	}

	// From here every part runs under comps, and the deferred Stop ends
	// them all (in reverse) before the deferred Close above.
	comps := newComponents(ctx, log)
	defer func() {
		if serr := comps.Stop(); err == nil {
			err = serr
		}
	}()
	if c.PprofListen != "" {
		if err := servePprof(comps, c.PprofListen, log); err != nil {
			return err
		}
	}
	holder := &inforce.Current{}
	loaded := make(chan struct{})
	// The mail watcher, once built: a new rota asks it to judge recent
	// unmatched mail again (a fixed route should see what it missed).
	var mailWatcher atomic.Pointer[imapwatch.Watcher]
	comps.Go("rota follower", func(ctx context.Context) error {
		inForce := func(rev int64) {
			m.RotaRevision(rev)
			// Counters per team start at zero for the teams of this rota.
			if r := holder.Get(); r != nil {
				teams := make([]string, len(r.Teams))
				for i, t := range r.Teams {
					teams[i] = t.ID
				}
				// Only "created": a rate of new alerts per team is what
				// rules ask for, and every outcome of every source of
				// every team is tens of thousands of series for a big rota.
				m.Known(alerts.Sources, []string{"created"}, teams)
			}
		}
		followRota(ctx, st, holder, log, loaded, inForce, func() {
			if w := mailWatcher.Load(); w != nil {
				w.Rejudge()
			}
		})
		return nil
	})
	select {
	case <-loaded:
	case <-time.After(rotaWait):
		return errors.New("no valid rota in the cluster: start one node with --config DIR")
	case <-comps.Failed():
		return nil // the deferred Stop returns the failure
	case <-ctx.Done():
		return nil
	}
	if src != nil {
		comps.Go("rota reloader", func(ctx context.Context) error {
			src.watch(ctx, st)
			return nil
		})
	}

	nt := hooks.Notifier
	switch {
	case nt != nil:
	case tw != nil:
		nt = tw
		log.Info("paging through Twilio", "public_url", c.PublicURL)
	default:
		log.Warn("Twilio is not configured: pages are written to the log only")
		nt = notifier.Log{Logger: log}
	}
	// The JSON-lines export: by default only for an embedded etcd, whose
	// data directory is this node's own; a cluster's archive of record is
	// the one in etcd, which every node reads.
	var archive *scheduler.Archive
	switch {
	case c.ArchiveFile != "":
		archive = &scheduler.Archive{Path: c.ArchiveFile}
	case st.Embedded():
		archive = &scheduler.Archive{Path: filepath.Join(c.DataDir, "archive.jsonl")}
	}
	m.IntakeRejectedKnown(alerts.Sources, alerts.RejectReasons)
	svc := &alerts.Service{Store: st, Rota: holder, Clock: clk, Log: log, Acked: m.Acknowledged,
		Received:       m.AlertReceived,
		Rejected:       m.IntakeRejected,
		MaxOpenPerTeam: c.MaxOpenPerTeam}
	eng := &scheduler.Engine{Store: st, Alerts: svc, Rota: holder, Notifier: nt, Clock: clk, Log: log, Node: c.Node,
		Observer:  observer{m: m, next: hooks.Observer},
		Interval:  map[escalation.Method]time.Duration{"sms": c.SMSInterval, "voice": c.VoiceInterval},
		Retention: c.Retention, Keep: store.Keep{Archive: c.ArchiveRetention, History: c.HistoryRetention},
		Archive:       archive,
		HandoffNotice: c.HandoffNotice}
	srv := &api.Server{Store: st, Alerts: svc, Rota: holder, Clock: clk, Log: log, APIToken: token, Operators: operators, Twilio: tw,
		IntakeRate: c.IntakeRate, IntakeBurst: c.IntakeBurst,
		Metrics: m.Handler(), CalendarSecret: []byte(calSecret),
		Ready: func(ctx context.Context) []api.Check {
			return readiness(ctx, st, c.Node, holder, m, eng, mailWatcher.Load())
		}}
	watcher, err := newMailWatcher(c.IMAP, st, &mail.Intake{Alerts: svc, Rota: holder, Log: log}, m, log)
	if err != nil {
		return err
	}
	mailWatcher.Store(watcher)
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	// Nothing can fail between here and serveHTTP, which owns ln from then.

	if watcher != nil {
		// One node watches the mailboxes: the leader. Its leadership
		// ending (the engine stopping) stops the watcher; close then keeps
		// it from starting again.
		mailboxes := &leaderOnly{run: watcher.Run, log: log}
		eng.OnLeader = mailboxes.Leader
		comps.OnStop("mail watcher", mailboxes.close)
	}
	// Under systemd (Type=notify): READY once etcd, the rota and HTTP are
	// up; a STATUS line an operator sees in systemctl status; watchdog
	// pings while the engine's loop turns. Started before the engine, so
	// it stops after it: the pings go on while the engine hands over.
	sd := sdnotify.New()
	up := make(chan struct{})
	status := func(ctx context.Context) string {
		role := "follower"
		if eng.IsLeader() {
			role = "leader"
		}
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		open, err := st.OpenCount(sctx)
		if err != nil {
			return fmt.Sprintf("%s, rota r%d, etcd unreachable", role, holder.Get().Rev)
		}
		return fmt.Sprintf("%s, rota r%d, %d open alerts", role, holder.Get().Rev, open)
	}
	comps.Go("systemd notify", func(ctx context.Context) error {
		select {
		case <-up:
		case <-ctx.Done():
			return nil
		}
		var wg sync.WaitGroup
		wg.Go(func() { sd.RunWatchdog(ctx, eng.Alive) })
		defer wg.Wait()
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				if err := sd.Status(status(ctx)); err != nil {
					log.Warn("systemd notify", "err", err)
				}
			}
		}
	})
	// Stopping the engine resigns leadership, so another node takes over
	// at once rather than when the lease runs out.
	comps.Go("engine", eng.Run)
	// A storm's memory goes back to the system once it is over.
	trim := &heaptrim.Trimmer{Clock: clk, Every: heaptrim.DefaultEvery, Spare: heaptrim.DefaultSpare, Log: log}
	comps.Go("heap trimmer", trim.Run)
	console := &web.Console{Store: st, Alerts: svc, Rota: holder, Tokens: srv.Tokens(), Clock: clk, Log: log,
		CalendarSecret: []byte(calSecret), Reports: []web.Report{web.HealthReport(st)}}
	if src != nil {
		console.Disk = src.lastCheck
	}
	serveHTTP(comps, ln, countRequests(console.Handler(srv.Handler()), m), log)
	comps.Go("keyspace watcher", func(ctx context.Context) error {
		watchKeyspace(ctx, st, m, log)
		return nil
	})

	log.Info("pagerd serving", "listen", ln.Addr().String(), "node", c.Node, "rota_rev", holder.Get().Rev)
	log.Info("web console: open "+consoleURL(ln.Addr()), "url", consoleURL(ln.Addr()))
	if hooks.Ready != nil {
		hooks.Ready(ln.Addr().String())
	}
	if err := sd.Ready(status(ctx)); err != nil {
		log.Warn("systemd notify", "err", err)
	}
	close(up)

	select {
	case <-ctx.Done():
	case <-comps.Failed():
	}
	if err := sd.Stopping(); err != nil {
		log.Warn("systemd notify", "err", err)
	}
	log.Info("shutting down: no new requests; finishing those in flight")
	return nil // the deferred Stop and Close do the rest
}

// leaderReady is nil when some node holds a live leadership: pages can
// go. A leader key that names this node while this node is not leading is
// not one: it was restored from a snapshot (or left by this node's last
// run), and lives only until its lease runs out.
func leaderReady(ctx context.Context, st *store.Store, node string, leading bool) error {
	if leading {
		return nil
	}
	name, live, err := st.Leadership(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("no leader known: %w", err)
	case name == "" || !live:
		return errors.New("no leader elected yet")
	case name == node:
		return fmt.Errorf("the leader key names this node (%s), which is not leading: it is left from a snapshot or an earlier run, and goes when its lease runs out", node)
	}
	return nil
}

// serveHTTP serves h on ln as a part of comps. Stopping it drains: no new
// requests, those in flight finish (for up to drainTimeout, then their
// connections are closed), and no handler is still running when it
// returns, so none can reach the store after it closes.
func serveHTTP(comps *components, ln net.Listener, h http.Handler, log *slog.Logger) {
	// Each request holds a read lock; the drain takes the write lock, so
	// it waits for every handler. A request that arrives after the drain
	// began is refused rather than queued.
	var running sync.RWMutex
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !running.TryRLock() {
				http.Error(w, "pagerd is shutting down", http.StatusServiceUnavailable)
				return
			}
			defer running.RUnlock()
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
	}
	comps.GoStop("http server", func() error {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}, func() {
		ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			log.Warn("http shutdown: closing the requests still in flight", "err", err)
			if err := hs.Close(); err != nil {
				log.Warn("http close", "err", err)
			}
		}
		running.Lock() // every handler has returned; never unlocked
	})
}

// readOperators reads the tokens file, if one is named.
func readOperators(path string) ([]api.Operator, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tokens file: %w", err)
	}
	ops, err := api.ParseOperators(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ops, nil
}

// consoleURL is where a browser on this machine finds the web console: a
// wildcard listen address is reached at localhost.
func consoleURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
