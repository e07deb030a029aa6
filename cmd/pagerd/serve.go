package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"gopkg.in/yaml.v3"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/ingest/mail"
	"github.com/pagerd/pagerd/metrics"
	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/notifier/message"
	"github.com/pagerd/pagerd/notifier/twilio"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/scheduler"
	"github.com/pagerd/pagerd/sdnotify"
	"github.com/pagerd/pagerd/store"
)

// daemonConfig is pagerd serve's own settings, kept apart from the rota:
// an optional YAML file (--daemon-config), then flags on top.
type daemonConfig struct {
	Listen       string       `yaml:"listen"`
	DataDir      string       `yaml:"data_dir"`
	RotaDir      string       `yaml:"rota_dir"`
	PublicURL    string       `yaml:"public_url"`
	Node         string       `yaml:"node"`
	APITokenFile string       `yaml:"api_token_file"`
	Etcd         etcdConfig   `yaml:"etcd"`
	Twilio       twilioConfig `yaml:"twilio"`
	IMAP         imapConfig   `yaml:"imap"`
	// Retention of resolved alerts in etcd before they move to
	// ArchiveFile (default: data_dir/archive.jsonl).
	Retention time.Duration `yaml:"retention"`
	// HandoffNotice: a text this long before a shift to whoever takes it
	// (and its shadows); 0 sends none.
	HandoffNotice time.Duration `yaml:"handoff_notice"`
	ArchiveFile   string        `yaml:"archive_file"`
	// CalendarSecretFile holds the secret calendar feed tokens derive
	// from; without it there are no feeds.
	CalendarSecretFile string `yaml:"calendar_secret_file"`
	// The least time between two messages to one person by one method;
	// pages due sooner are bundled into the next message.
	SMSInterval   time.Duration `yaml:"sms_interval"`
	VoiceInterval time.Duration `yaml:"voice_interval"`
}

// twilioConfig says how to reach Twilio. Every value may instead come from
// the environment (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY,
// TWILIO_API_SECRET, TWILIO_SMS_FROM, TWILIO_VOICE_FROM,
// TWILIO_MESSAGING_SERVICE_SID); secrets from files named here, which is
// how systemd credentials arrive.
type twilioConfig struct {
	AccountSID          string `yaml:"account_sid"`
	AuthTokenFile       string `yaml:"auth_token_file"`
	APIKey              string `yaml:"api_key"`
	APISecretFile       string `yaml:"api_secret_file"`
	SMSFrom             string `yaml:"sms_from"`
	VoiceFrom           string `yaml:"voice_from"`
	MessagingServiceSID string `yaml:"messaging_service_sid"`
	// Testing aids, file only (docs/twilio.md): a fake Twilio API to talk
	// to instead of api.twilio.com, and the CA its certificate chains to.
	APIURL string `yaml:"api_url"`
	CAFile string `yaml:"ca_file"`
}

// twilioNotifier builds the Twilio notifier, or returns nil when Twilio
// isn't configured (no account SID anywhere).
func twilioNotifier(c daemonConfig, client *http.Client) (*twilio.Notifier, error) {
	t := c.Twilio
	sid := firstOf(t.AccountSID, os.Getenv("TWILIO_ACCOUNT_SID"))
	if sid == "" {
		return nil, nil
	}
	token, err := secretFrom(t.AuthTokenFile, "TWILIO_AUTH_TOKEN")
	if err != nil {
		return nil, err
	}
	secret, err := secretFrom(t.APISecretFile, "TWILIO_API_SECRET")
	if err != nil {
		return nil, err
	}
	if c.PublicURL == "" {
		return nil, errors.New("twilio: --public-url is required, so Twilio can reach the reply and status webhooks")
	}
	n, err := twilio.New(twilio.Config{
		AccountSID: sid, AuthToken: token,
		APIKey: firstOf(t.APIKey, os.Getenv("TWILIO_API_KEY")), APISecret: secret,
		SMSFrom:             firstOf(t.SMSFrom, os.Getenv("TWILIO_SMS_FROM")),
		VoiceFrom:           firstOf(t.VoiceFrom, os.Getenv("TWILIO_VOICE_FROM")),
		MessagingServiceSID: firstOf(t.MessagingServiceSID, os.Getenv("TWILIO_MESSAGING_SERVICE_SID")),
		PublicURL:           c.PublicURL,
		HTTPClient:          client,
		Speech:              speech,
		APIURL:              t.APIURL,
		CAFile:              t.CAFile,
	})
	if err != nil {
		return nil, fmt.Errorf("twilio: %w", err)
	}
	return n, nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// secretFrom reads a secret from a file if one is named, else from an
// environment variable.
func secretFrom(file, env string) (string, error) {
	if file != "" {
		return readSecret(file)
	}
	return os.Getenv(env), nil
}

type etcdConfig struct {
	Endpoints    []string `yaml:"endpoints"`
	CAFile       string   `yaml:"ca_file"`
	CertFile     string   `yaml:"cert_file"`
	KeyFile      string   `yaml:"key_file"`
	Username     string   `yaml:"username"`
	PasswordFile string   `yaml:"password_file"`
	Prefix       string   `yaml:"prefix"`
}

func loadDaemonConfig(path string) (daemonConfig, error) {
	var c daemonConfig
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read daemon config: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true) // a typo in the daemon config is an error too
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, fmt.Errorf("daemon config %s: %w", path, err)
	}
	return c, nil
}

// readSecret reads a secret from a file, trimming the trailing newline.
func readSecret(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func newLogger(w io.Writer) *slog.Logger {
	// Text for a person at a terminal, JSON for journald and collectors.
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, nil))
		}
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "serve --config DIR [flags]", stderr)
	daemonFile := fs.String("daemon-config", "", "YAML file with daemon settings (flags override it)")
	var c daemonConfig
	fs.StringVar(&c.RotaDir, "config", "", "rota directory to check and publish to the cluster")
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&c.DataDir, "data-dir", "./pagerd-data", "data directory (embedded etcd)")
	fs.StringVar(&c.PublicURL, "public-url", "", "URL this node is reached at from outside (for Twilio callbacks)")
	fs.StringVar(&c.Node, "node", "", "node name in the cluster (default host:listen)")
	fs.StringVar(&c.APITokenFile, "api-token-file", "", "file holding the token the operator API requires")
	fs.DurationVar(&c.SMSInterval, "sms-interval", 30*time.Second, "least time between two texts to one person; pages due sooner are bundled (0: no bundling)")
	fs.DurationVar(&c.VoiceInterval, "voice-interval", 60*time.Second, "least time between two calls to one person; pages due sooner are bundled (0: no bundling)")
	fs.DurationVar(&c.HandoffNotice, "handoff-notice", time.Hour, "text people this long before their shift starts (0: never)")
	fs.DurationVar(&c.Retention, "retention", 30*24*time.Hour, "how long resolved alerts stay in etcd before moving to the archive")
	fs.StringVar(&c.ArchiveFile, "archive-file", "", "JSON-lines file retired alerts are appended to (default DATA_DIR/archive.jsonl)")
	fs.StringVar(&c.CalendarSecretFile, "calendar-secret-file", "", "file holding the secret calendar feed tokens derive from (no feeds without it)")
	endpoints := fs.String("etcd-endpoints", "", "comma-separated etcd endpoints; empty starts an embedded etcd")
	fs.StringVar(&c.Etcd.CAFile, "etcd-ca", "", "etcd CA certificate file")
	fs.StringVar(&c.Etcd.CertFile, "etcd-cert", "", "etcd client certificate file")
	fs.StringVar(&c.Etcd.KeyFile, "etcd-key", "", "etcd client key file")
	fs.StringVar(&c.Etcd.Username, "etcd-user", "", "etcd user")
	fs.StringVar(&c.Etcd.PasswordFile, "etcd-password-file", "", "file holding the etcd password")
	fs.StringVar(&c.Etcd.Prefix, "etcd-prefix", "/pagerd/", "key prefix in etcd")
	if pos, err := parseInterleaved(fs, args); err != nil {
		return 2
	} else if len(pos) > 0 {
		fmt.Fprintf(stderr, "pagerd serve: unexpected argument %q (the rota directory goes after --config)\n", pos[0])
		return 2
	}
	if *endpoints != "" {
		c.Etcd.Endpoints = strings.Split(*endpoints, ",")
	}
	if *daemonFile != "" {
		fileCfg, err := loadDaemonConfig(*daemonFile)
		if err != nil {
			fmt.Fprintf(stderr, "pagerd serve: %v\n", err)
			return 2
		}
		// Flags given on the command line win over the file.
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		c = mergeConfig(fileCfg, c, set)
	}
	if c.Node == "" {
		host, _ := os.Hostname()
		c.Node = host + "/" + c.Listen
	}
	log := newLogger(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, c, log, nil); err != nil {
		log.Error("pagerd stopped", "err", err)
		return 1
	}
	return 0
}

// mergeConfig takes the file's settings, then every flag that was set.
func mergeConfig(file, flags daemonConfig, set map[string]bool) daemonConfig {
	out := file
	pick := func(name string, dst *string, v string) {
		if set[name] || *dst == "" {
			*dst = v
		}
	}
	pick("config", &out.RotaDir, flags.RotaDir)
	pick("listen", &out.Listen, flags.Listen)
	pick("data-dir", &out.DataDir, flags.DataDir)
	pick("public-url", &out.PublicURL, flags.PublicURL)
	pick("node", &out.Node, flags.Node)
	pick("api-token-file", &out.APITokenFile, flags.APITokenFile)
	pick("etcd-ca", &out.Etcd.CAFile, flags.Etcd.CAFile)
	pick("etcd-cert", &out.Etcd.CertFile, flags.Etcd.CertFile)
	pick("etcd-key", &out.Etcd.KeyFile, flags.Etcd.KeyFile)
	pick("etcd-user", &out.Etcd.Username, flags.Etcd.Username)
	pick("etcd-password-file", &out.Etcd.PasswordFile, flags.Etcd.PasswordFile)
	pick("etcd-prefix", &out.Etcd.Prefix, flags.Etcd.Prefix)
	out.Twilio = file.Twilio
	out.IMAP = file.IMAP
	pick("archive-file", &out.ArchiveFile, flags.ArchiveFile)
	pick("calendar-secret-file", &out.CalendarSecretFile, flags.CalendarSecretFile)
	if set["handoff-notice"] || out.HandoffNotice == 0 {
		out.HandoffNotice = flags.HandoffNotice
	}
	if set["retention"] || out.Retention == 0 {
		out.Retention = flags.Retention
	}
	if set["sms-interval"] || out.SMSInterval == 0 {
		out.SMSInterval = flags.SMSInterval
	}
	if set["voice-interval"] || out.VoiceInterval == 0 {
		out.VoiceInterval = flags.VoiceInterval
	}
	if set["etcd-endpoints"] || len(out.Etcd.Endpoints) == 0 {
		out.Etcd.Endpoints = flags.Etcd.Endpoints
	}
	return out
}

// serveHooks lets tests and the benchmark watch a running daemon.
type serveHooks struct {
	notifier     notifier.Notifier
	observer     scheduler.Observer
	ready        func(addr string)
	twilioClient *http.Client // tests: reaches a fake Twilio
}

// serve runs the daemon until ctx ends.
func serve(ctx context.Context, c daemonConfig, log *slog.Logger, hooks *serveHooks) error {
	if hooks == nil {
		hooks = &serveHooks{}
	}
	var files []rotafile.File
	if c.RotaDir != "" {
		var err error
		files, err = checkRota(c.RotaDir, log)
		if err != nil && !isLoadError(err) {
			return err
		}
	}
	password, err := readSecret(c.Etcd.PasswordFile)
	if err != nil {
		return err
	}
	token, err := readSecret(c.APITokenFile)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Config{
		Endpoints: c.Etcd.Endpoints, DataDir: c.DataDir,
		CAFile: c.Etcd.CAFile, CertFile: c.Etcd.CertFile, KeyFile: c.Etcd.KeyFile,
		Username: c.Etcd.Username, Password: password, Prefix: c.Etcd.Prefix, Logger: log,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Warn("closing etcd", "err", err)
		}
		log.Info("etcd closed")
	}()
	if st.Embedded() {
		log.Info("embedded etcd started", "data_dir", c.DataDir)
	}
	clk := clock.Real{}
	if files != nil {
		if _, err := publish(ctx, st, files, c.Node, clk, log); err != nil {
			return err
		}
	}
	if files == nil {
		if _, ok, err := st.Rota(ctx); err != nil {
			return err
		} else if !ok {
			return errors.New("no valid rota: fix the errors above (pagerd check), or join a cluster that has one")
		}
		log.Warn("running on the rota the cluster already has")
	}
	holder := &inforce.Current{}
	rotaCtx, stopRota := context.WithCancel(ctx)
	defer stopRota()
	loaded := make(chan struct{})
	go followRota(rotaCtx, st, holder, log, loaded)
	select {
	case <-loaded:
	case <-time.After(30 * time.Second):
		return errors.New("no valid rota in the cluster: start one node with --config DIR")
	case <-ctx.Done():
		return nil
	}
	if c.RotaDir != "" {
		go watchRotaDir(rotaCtx, c.RotaDir, st, c.Node, clk, log)
	}

	tw, err := twilioNotifier(c, hooks.twilioClient)
	if err != nil {
		return err
	}
	nt := hooks.notifier
	switch {
	case nt != nil:
	case tw != nil:
		nt = tw
		log.Info("paging through Twilio", "public_url", c.PublicURL)
	default:
		log.Warn("Twilio is not configured: pages are written to the log only")
		nt = notifier.Log{Logger: log}
	}
	interval := map[escalation.Method]time.Duration{"sms": c.SMSInterval, "voice": c.VoiceInterval}
	m := metrics.New()
	archive := c.ArchiveFile
	if archive == "" {
		archive = filepath.Join(c.DataDir, "archive.jsonl")
	}
	calSecret, err := readSecret(c.CalendarSecretFile)
	if err != nil {
		return err
	}
	eng := &scheduler.Engine{Store: st, Rota: holder, Notifier: nt, Clock: clk, Log: log, Node: c.Node,
		Observer: observer{m: m, next: hooks.observer}, Interval: interval, Compose: composeSMS,
		Retention: c.Retention, Archive: &scheduler.Archive{Path: archive}, HandoffNotice: c.HandoffNotice}
	svc := &alerts.Service{Store: st, Rota: holder, Clock: clk, Log: log, Acked: m.Acknowledged,
		Received: func(source, team, outcome string) { m.AlertReceived(source, outcome) }}
	eng.Alerts = svc
	srv := &api.Server{Store: st, Alerts: svc, Rota: holder, Clock: clk, Log: log, APIToken: token, Twilio: tw,
		Metrics: m.Handler(), CalendarSecret: []byte(calSecret),
		Ready: func(ctx context.Context) error {
			if err := st.Ping(ctx); err != nil {
				return fmt.Errorf("etcd: %w", err)
			}
			r := holder.Get()
			if r == nil {
				return errors.New("no rota loaded")
			}
			m.RotaRevision(r.Rev)
			if name, err := st.LeaderName(ctx); err != nil || name == "" {
				return errors.New("no leader elected yet")
			}
			return nil
		}}
	go watchKeyspace(rotaCtx, st, m, log)
	watcher, err := newMailWatcher(c.IMAP, st, &mail.Intake{Alerts: svc, Rota: holder, Log: log}, log)
	if err != nil {
		return err
	}
	if watcher != nil {
		mailboxes := &leaderOnly{run: watcher.Run, log: log}
		eng.OnLeader = mailboxes.Leader
		defer mailboxes.stop()
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	httpDone := make(chan error, 1)
	go func() { httpDone <- hs.Serve(ln) }()
	engCtx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
	engDone := make(chan struct{})
	go func() {
		defer close(engDone)
		eng.Run(engCtx)
	}()
	log.Info("pagerd serving", "listen", ln.Addr().String(), "node", c.Node, "rota_rev", holder.Get().Rev)
	if hooks.ready != nil {
		hooks.ready(ln.Addr().String())
	}
	// Under systemd (Type=notify): READY once etcd, the rota and HTTP are
	// up; a STATUS line an operator sees in systemctl status; watchdog pings
	// while the engine's loop turns.
	sd := sdnotify.New()
	status := func() string {
		role := "follower"
		if eng.IsLeader() {
			role = "leader"
		}
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		open, err := st.OpenCount(sctx)
		if err != nil {
			return fmt.Sprintf("%s, rota r%d, etcd unreachable", role, holder.Get().Rev)
		}
		return fmt.Sprintf("%s, rota r%d, %d open alerts", role, holder.Get().Rev, open)
	}
	if err := sd.Ready(status()); err != nil {
		log.Warn("systemd notify", "err", err)
	}
	go sd.RunWatchdog(engCtx, eng.Alive)
	go func() {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-engCtx.Done():
				return
			case <-t.C:
				sd.Status(status())
			}
		}
	}()

	select {
	case <-ctx.Done():
	case err := <-httpDone:
		stopEngine()
		<-engDone
		return fmt.Errorf("http server: %w", err)
	}
	sd.Stopping()
	log.Info("shutting down: no new requests; finishing those in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	// Stopping the engine resigns leadership, so another node takes over
	// at once rather than when the lease runs out.
	stopEngine()
	<-engDone
	return nil
}

type loadErr struct{ error }

func isLoadError(err error) bool {
	var le loadErr
	return errors.As(err, &le)
}

// checkRota loads the rota directory, logging every problem. A rota with
// errors returns a loadErr: the cluster keeps the rota it has.
func checkRota(dir string, log *slog.Logger) ([]rotafile.File, error) {
	files, err := rotafile.ReadDir(dir)
	if err != nil {
		log.Error("rota not loaded", "err", err)
		return nil, loadErr{err}
	}
	_, diags := rotafile.Load(files)
	for _, d := range diags {
		lvl := slog.LevelWarn
		if d.Severity == rotafile.Error {
			lvl = slog.LevelError
		}
		log.Log(context.Background(), lvl, "rota: "+d.Msg, "pos", fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Col), "hint", d.Hint)
	}
	if err := diags.Err(); err != nil {
		log.Error("rota has errors; keeping the rota in force", "dir", dir, "errors", len(diags.Errors()))
		return nil, loadErr{err}
	}
	return files, nil
}

func publish(ctx context.Context, st *store.Store, files []rotafile.File, node string, clk clock.Clock, log *slog.Logger) (store.RotaRecord, error) {
	rec, changed, err := st.PublishRota(ctx, files, node, clk.Now())
	if err != nil {
		return rec, err
	}
	if changed {
		log.Info("rota published", "rev", rec.Rev, "files", len(files))
	}
	return rec, nil
}

// followRota keeps holder on the cluster's published rotafile.
func followRota(ctx context.Context, st *store.Store, holder *inforce.Current, log *slog.Logger, loaded chan<- struct{}) {
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
		log.Info("rota in force", "rev", rec.Rev, "teams", len(r.Teams), "by", rec.PublishedBy)
		if first {
			first = false
			close(loaded)
		}
	}
}

// watchRotaDir reloads the rota on SIGHUP and when files in dir change.
func watchRotaDir(ctx context.Context, dir string, st *store.Store, node string, clk clock.Clock, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	w, err := fsnotify.NewWatcher()
	var events <-chan fsnotify.Event
	if err != nil {
		log.Warn("cannot watch the rota directory; reload with SIGHUP", "err", err)
	} else {
		defer w.Close()
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() && (p == dir || !strings.HasPrefix(d.Name(), ".")) {
				w.Add(p)
			}
			return nil
		})
		events = w.Events
	}
	var debounce <-chan time.Time
	reload := func(why string) {
		log.Info("reloading rota", "why", why, "dir", dir)
		files, err := checkRota(dir, log)
		if err != nil {
			return
		}
		publish(ctx, st, files, node, clk, log)
	}
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
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					w.Add(ev.Name)
				}
			}
			// Editors write a file in several steps; wait for quiet.
			debounce = time.After(500 * time.Millisecond)
		case <-debounce:
			debounce = nil
			reload("files changed")
		}
	}
}

// composeSMS writes the text of a page: one alert, or a bundle.
func composeSMS(p notifier.Page, pages []store.OutboxPage) string {
	alerts := make([]message.Alert, len(pages))
	for i, q := range pages {
		alerts[i] = message.Alert{ID: q.AlertID, Team: q.Team, Summary: q.Summary, Shadow: q.Shadow}
	}
	if len(alerts) > 0 {
		alerts[len(alerts)-1].Late = p.Late
	}
	return message.Compose(alerts)
}

// speech is what a voice page says.
func speech(p notifier.Page) string {
	s := message.Announce(message.Alert{ID: p.AlertID, Team: p.Team, Summary: p.Summary, Shadow: p.Shadow, Late: p.Late})
	if n := len(p.Bundled); n > 1 {
		s = fmt.Sprintf("You have %d alerts. The latest: %s", n, s)
	}
	return s
}
