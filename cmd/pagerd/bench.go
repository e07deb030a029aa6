package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pagerd/pagerd/app"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/notifier/twilio/twiliotest"
)

// cmdBench is the load tool. It measures what a user of pagerd sees: it
// starts a pagerd serve as a child process (default settings, embedded
// etcd in a temporary directory, Twilio pointed at a fake Twilio REST API
// over TLS in this process), or loads one already running (--target),
// and posts alerts over HTTP, open-loop at --rate or as fast as
// --concurrency clients go. Every figure is printed beside the machine's
// cores and load average and the settings in force.
//
// Page latency is measured on probes: every so often an alert goes to a
// team of its own whose people nobody has messaged within the SMS
// interval, so its page goes at once rather than waiting to be bundled
// (the rest of the load goes to a few teams and is bundled, as a storm
// is); it runs from the alert's intended start to the SMS request's
// arrival at the fake Twilio. Each probe's first step times out after
// --timeout, and the second step's page measures timer lateness: its
// arrival at the fake minus the step's deadline.
//
// An open-loop run starts with --warmup at the rate, not counted: the
// bench's 64 connections and the daemon's first to Twilio open there,
// and 2 or 3 probes paying for them would be the p99 of 200. What the
// warm-up saw is printed on a line of its own.
func cmdBench(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", "bench [--rate R] [--count N | --duration D] [--concurrency C] [--target URL]", stderr)
	o := benchOptions{}
	fs.Float64Var(&o.rate, "rate", 1000, "alerts per second, open loop (0: closed loop, as fast as --concurrency clients are answered)")
	fs.IntVar(&o.count, "count", 10000, "alerts to post and count (ignored with --duration)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "open loop: post at --rate this long first, counted apart (connections opening, the daemon's first pages)")
	fs.DurationVar(&o.duration, "duration", 0, "post at --rate for this long instead of --count, printing each second's figures")
	fs.IntVar(&o.conc, "concurrency", 64, "clients: requests in flight at most (open loop: a request that finds all busy waits, and its wait counts)")
	fs.Float64Var(&o.probes, "probes", 20, "probe alerts per second (pages measured to the fake Twilio; 0: none)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Second, "the probes' first step's ack timeout, after which the second step pages (timer lateness)")
	fs.IntVar(&o.loadTeams, "load-teams", 20, "teams the rest of the load goes to (their pages are bundled)")
	fs.DurationVar(&o.rssAfter, "rss-after", 60*time.Second, "read the daemon's RSS this long after the load (0: don't)")
	fs.BoolVar(&o.storeAlone, "store", true, "also measure the store alone (durable creates/s on an embedded etcd in this process) and print the ratio")
	fs.StringVar(&o.target, "target", "", "URL of a running pagerd to load instead of a child (no page figures; its teams must exist: --team)")
	fs.StringVar(&o.team, "team", "", "with --target: the team to raise alerts for")
	fs.IntVar(&o.pid, "pid", 0, "with --target: the daemon's process id, to read its RSS")
	fs.StringVar(&o.serveArgs, "serve-args", "", "extra flags for the child pagerd serve, space-separated (e.g. \"--pprof-listen 127.0.0.1:6060\")")
	fs.StringVar(&o.keep, "keep", "", "keep the child's data, rota and log in this directory (default: a temporary one, removed)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	if err := o.check(); err != nil {
		fmt.Fprintf(stderr, "pagerd bench: %v\n", err)
		return 2
	}
	// Interrupted, the bench still stops its child and removes its files.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := runBench(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "pagerd bench: %v\n", err)
		return 1
	}
	return 0
}

type benchOptions struct {
	rate                 float64
	count                int
	duration             time.Duration
	warmup               time.Duration
	warm                 int // requests of the warm-up: the first warm of the plan
	conc                 int
	probes               float64
	timeout              time.Duration
	loadTeams            int
	rssAfter             time.Duration
	storeAlone           bool
	target, team         string
	pid                  int
	serveArgs, keep      string
	interval             time.Duration // the child's SMS interval
	probeTeams, probeNth int
}

func (o *benchOptions) check() error {
	switch {
	case o.conc < 1:
		return errors.New("--concurrency must be at least 1")
	case o.rate < 0 || o.probes < 0:
		return errors.New("--rate and --probes must be at least 0")
	case o.warmup < 0:
		return errors.New("--warmup must be at least 0")
	case o.duration > 0 && o.rate == 0:
		return errors.New("--duration needs a --rate")
	case o.duration > 0:
		o.count = int(o.rate * o.duration.Seconds())
	}
	if o.count < 1 {
		return errors.New("--count must be at least 1")
	}
	if o.target != "" && o.team == "" {
		return errors.New("--target needs --team, a team of its rota")
	}
	if o.loadTeams < 1 {
		return errors.New("--load-teams must be at least 1")
	}
	if o.target != "" {
		o.probes = 0 // pages go wherever that daemon sends them
	}
	if o.rate > 0 {
		o.probes = min(o.probes, o.rate)
	}
	if o.rate > 0 {
		o.warm = int(math.Round(o.rate * o.warmup.Seconds()))
	} else {
		o.warmup, o.warm = 0, 0 // a closed loop has no rate to warm up at
	}
	o.interval = app.Defaults().SMSInterval
	o.probeTeams = probeTeams(o.probes, o.interval, o.timeout)
	o.probeNth = probeEvery(o.rate, o.probes)
	return nil
}

// teamOf is the team request i raises its alert for, and whether it is a
// probe (and which probe team).
func (o *benchOptions) teamOf(i int) (team string, probe int) {
	if o.target != "" {
		return o.team, -1
	}
	if o.probeNth > 0 && i%o.probeNth == 0 {
		k := (i / o.probeNth) % o.probeTeams
		return fmt.Sprintf("probe%04d", k), k
	}
	return fmt.Sprintf("load%02d", i%o.loadTeams), -1
}

func runBench(ctx context.Context, o benchOptions, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "machine   %d cores, load average %s, %s %s/%s\n", runtime.NumCPU(), loadAverage(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	base := strings.TrimRight(o.target, "/")
	var fake *twiliotest.Fake
	pages := newPageLog()
	var child *benchChild
	if base == "" {
		fake = twiliotest.Start()
		defer fake.Close()
		fake.OnRequest(pages.arrived)
		var err error
		child, err = startChild(ctx, o, fake, stderr)
		if err != nil {
			return err
		}
		defer child.stop(stderr)
		base = child.url
		fmt.Fprintf(stdout, "daemon    pagerd serve, pid %d, %s; embedded etcd in %s\n", child.pid(), base, child.dir)
		fmt.Fprintf(stdout, "settings  defaults of pagerd serve (sms_interval %s, voice_interval %s, retention %s), except intake_rate 0 and max_open_alerts_per_team 0 (one sender into few teams); Twilio: the fake at %s over TLS\n",
			app.Defaults().SMSInterval, app.Defaults().VoiceInterval, app.Defaults().Retention, fake.URL())
		if o.serveArgs != "" {
			fmt.Fprintf(stdout, "          and %s\n", o.serveArgs)
		}
		fmt.Fprintf(stdout, "go        %s\n", goSettings())
		fmt.Fprintf(stdout, "rota      %d load teams (bundled), %d probe teams (each probe: first step %s, then a second step to another person)\n", o.loadTeams, o.probeTeams, o.timeout)
	} else {
		fmt.Fprintf(stdout, "daemon    %s (its own settings), team %s\n", base, o.team)
	}
	mode := fmt.Sprintf("open loop at %s/s, up to %d in flight", fmtFloat(o.rate), o.conc)
	if o.rate == 0 {
		mode = fmt.Sprintf("closed loop, %d clients", o.conc)
	}
	fmt.Fprintf(stdout, "load      %d alerts, %s, %s probes/s\n", o.count, mode, fmtFloat(o.probes))
	if o.warm > 0 {
		fmt.Fprintf(stdout, "warm-up   %d alerts first (%s at the rate), counted apart\n", o.warm, o.warmup)
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.conc, MaxIdleConns: o.conc}, Timeout: 30 * time.Second}
	total := o.warm + o.count
	ids := make([]int64, total)
	run := fmt.Sprintf("%x", time.Now().UnixNano())
	p := plan{start: time.Now().Add(100 * time.Millisecond), rate: o.rate, count: total}
	accepted := &perSecond{start: p.start.Add(o.warmup)}
	var failures, warmFailures atomic.Int64
	var firstErr atomic.Value
	tick := o.duration > 0
	stopTick := make(chan struct{})
	tickDone := make(chan struct{})
	go func() {
		defer close(tickDone)
		if !tick {
			return
		}
		printSeconds(stdout, accepted, pages, stopTick)
	}()
	samples := runLoad(ctx, clock.Real{}, p, o.conc, func(ctx context.Context, i int) error {
		team, _ := o.teamOf(i)
		body := fmt.Sprintf(`{"team":%q,"summary":"bench alert %d","dedup_key":"bench-%s-%d"}`, team, i, run, i)
		id, err := postBenchAlert(ctx, client, base, body)
		if err != nil {
			if i < o.warm {
				warmFailures.Add(1)
			}
			if failures.Add(1) == 1 {
				firstErr.Store(err)
			}
			return err
		}
		ids[i] = id
		return nil
	}, func(s sample) {
		if s.err == nil && s.i >= o.warm {
			accepted.add(s.done)
		}
	})
	close(stopTick)
	<-tickDone
	end := time.Now()
	if ctx.Err() != nil {
		return ctx.Err()
	}

	var ok, warm []time.Duration
	first, last := time.Time{}, time.Time{}
	for _, s := range samples {
		if s.err != nil {
			continue
		}
		if s.i < o.warm {
			warm = append(warm, s.latency())
			continue
		}
		ok = append(ok, s.latency())
		if first.IsZero() || s.from().Before(first) {
			first = s.from()
		}
		if s.done.After(last) {
			last = s.done
		}
	}
	elapsed := last.Sub(first)
	if len(ok) == 0 {
		return fmt.Errorf("no alert was accepted: %v", firstErr.Load())
	}
	e2eRate := float64(len(ok)) / elapsed.Seconds()
	fmt.Fprintf(stdout, "accepted  %d of %d in %s: %.0f alerts/s (errors: %d)\n", len(ok), o.count, elapsed.Round(time.Millisecond), e2eRate, failures.Load()-warmFailures.Load())
	if err, _ := firstErr.Load().(error); err != nil {
		fmt.Fprintf(stdout, "          first error: %v\n", err)
	}
	what := "from intended start"
	if o.rate == 0 {
		what = "closed loop"
	}
	fmt.Fprintf(stdout, "202       %s  (%s)\n", dist(ok), what)
	if o.warm > 0 {
		fmt.Fprintf(stdout, "warm-up   202 %s  (%d alerts, not in the figures; errors: %d)\n", dist(warm), len(warm), warmFailures.Load())
	}

	if fake != nil && o.probes > 0 {
		if err := reportPages(ctx, o, client, base, samples, ids, pages, fake, end, stdout); err != nil {
			return err
		}
	}
	if o.rssAfter > 0 && (child != nil || o.pid > 0) {
		pid := o.pid
		if child != nil {
			pid = child.pid()
		}
		wait := time.Until(end.Add(o.rssAfter))
		fmt.Fprintf(stdout, "memory    waiting %s for the RSS %s after the load...\n", wait.Round(time.Second), o.rssAfter)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		m, err := processRSS(pid)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "memory    RSS %s (anonymous %s, files %s: the binary and etcd's mapped database; peak %s) of pagerd serve (pid %d) %s after %d alerts, load average %s\n",
			m["VmRSS"], m["RssAnon"], m["RssFile"], m["VmHWM"], pid, o.rssAfter, len(ok), loadAverage())
	}
	if o.storeAlone {
		if child != nil {
			child.stop(stderr) // the store alone runs on a quiet machine
		}
		syncs, err := syncLatency(500)
		if err != nil {
			return fmt.Errorf("disk yardstick: %w", err)
		}
		fmt.Fprintf(stdout, "disk      %s  a 4 KiB write and fsync, %d in %s (etcd syncs its log so at every commit)\n", dist(syncs), len(syncs), os.TempDir())
		n := max(o.count, 10000)
		fmt.Fprintf(stdout, "store     %d durable creates alone (embedded etcd in this process, %d goroutines)...\n", n, storeGoroutines)
		perSec, err := storeAloneRate(ctx, n)
		if err != nil {
			return fmt.Errorf("store alone: %w", err)
		}
		if o.rate == 0 {
			fmt.Fprintf(stdout, "store     %.0f creates/s alone; end to end : store alone = %.2f  (load average %s)\n", perSec, e2eRate/perSec, loadAverage())
		} else {
			// The rate was the bench's, not the daemon's limit: the store's
			// figure is this host's yardstick, not a ratio's denominator.
			fmt.Fprintf(stdout, "store     %.0f creates/s alone: this host's yardstick (the ratio needs --rate 0)  (load average %s)\n", perSec, loadAverage())
		}
	}
	return nil
}

// probe is a probe alert: its request, id and probe team.
type probe struct {
	s    sample
	id   int64
	team int
}

// reportPages prints the probes' page latency and timer lateness, and
// what the rest of the load's pages became.
func reportPages(ctx context.Context, o benchOptions, client *http.Client, base string, samples []sample, ids []int64, pages *pageLog, fake *twiliotest.Fake, end time.Time, stdout io.Writer) error {
	var probes, warm []probe
	for _, s := range samples {
		if s.err != nil {
			continue
		}
		if _, k := o.teamOf(s.i); k >= 0 {
			if s.i < o.warm {
				warm = append(warm, probe{s, ids[s.i], k})
			} else {
				probes = append(probes, probe{s, ids[s.i], k})
			}
		}
	}
	all := append(append([]probe(nil), warm...), probes...)
	// Wait for every probe's two pages, or until they are clearly late.
	deadline := end.Add(o.timeout + 30*time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		missing := 0
		for _, p := range all {
			if _, ok := pages.first(p.id, probeNumber(p.team, false)); !ok {
				missing++
			} else if _, ok := pages.first(p.id, probeNumber(p.team, true)); !ok {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	due, err := deadlines(ctx, client, base, all, o.timeout)
	if err != nil {
		return err
	}
	measure := func(probes []probe) (toPage, late []time.Duration, noPage, noTimer int) {
		for _, p := range probes {
			if at, ok := pages.first(p.id, probeNumber(p.team, false)); ok {
				toPage = append(toPage, at.Sub(p.s.from()))
			} else {
				noPage++
			}
			if at, ok := pages.first(p.id, probeNumber(p.team, true)); ok {
				late = append(late, at.Sub(due[p.id]))
			} else {
				noTimer++
			}
		}
		return toPage, late, noPage, noTimer
	}
	toPage, late, noPage, noTimer := measure(probes)
	fmt.Fprintf(stdout, "page      %s  alert -> SMS request at the fake Twilio, %d probes (missing: %d)\n", dist(toPage), len(probes), noPage)
	fmt.Fprintf(stdout, "timer     %s  step deadline -> next step's SMS request at the fake (missing: %d)\n", dist(late), noTimer)
	if len(warm) > 0 {
		toPage, late, noPage, noTimer := measure(warm)
		fmt.Fprintf(stdout, "warm-up   page %s, timer %s  (%d probes, not in the figures; missing: %d, %d)\n", dist(toPage), dist(late), len(warm), noPage, noTimer)
	}
	fmt.Fprintf(stdout, "twilio    %d requests in all (the load's pages bundled: one text per person per %s)\n", len(fake.Requests()), o.interval)
	return nil
}

// deadlines reads each probe's created time from the daemon: its first
// step's deadline is that plus the step's timeout. The API gives
// milliseconds, so lateness may read up to 1 ms high.
func deadlines(ctx context.Context, client *http.Client, base string, probes []probe, timeout time.Duration) (map[int64]time.Time, error) {
	out := make(map[int64]time.Time, len(probes))
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	sem := make(chan struct{}, 8)
	for _, p := range probes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var a struct {
				CreatedAt time.Time `json:"created_at"`
			}
			err := getJSON(ctx, client, fmt.Sprintf("%s/api/v1/alerts/%d", base, p.id), &a)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("alert %d: %w", p.id, err)
				}
				return
			}
			out[p.id] = a.CreatedAt.Add(timeout)
		})
	}
	wg.Wait()
	return out, firstErr
}

// printSeconds prints each second's accepted alerts and Twilio requests
// until stop closes. Seconds count from accepted's start (after the
// warm-up), so each line is printed once its second is over.
func printSeconds(w io.Writer, accepted *perSecond, pages *pageLog, stop <-chan struct{}) {
	start := accepted.start
	fmt.Fprintln(w, "second    accepted  twilio requests")
	for i := 0; ; i++ {
		t := time.NewTimer(time.Until(start.Add(time.Duration(i+1)*time.Second + 200*time.Millisecond)))
		select {
		case <-stop:
			t.Stop()
			return
		case <-t.C:
		}
		fmt.Fprintf(w, "%6d    %8d  %15d\n", i+1, accepted.at(i), pages.perSec(start, i))
	}
}

func fmtFloat(f float64) string { return fmt.Sprintf("%g", f) }

// postAlert posts one native alert and returns its id.
func postBenchAlert(ctx context.Context, client *http.Client, base, body string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/alerts", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(data))
	}
	var r struct {
		Alerts []struct {
			AlertID int64 `json:"alert_id"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal(data, &r); err != nil || len(r.Alerts) != 1 {
		return 0, fmt.Errorf("unexpected answer %s", data)
	}
	return r.Alerts[0].AlertID, nil
}

func getJSON(ctx context.Context, client *http.Client, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(data))
	}
	return json.Unmarshal(data, out)
}

// pageLog is every SMS or call request the fake Twilio received, by the
// alert id its text starts with and the number it went to.
type pageLog struct {
	mu    sync.Mutex
	at    map[pageKey]time.Time // the first request for each
	times []time.Time           // every request's arrival
}

type pageKey struct {
	id int64
	to string
}

func newPageLog() *pageLog { return &pageLog{at: map[pageKey]time.Time{}} }

func (l *pageLog) arrived(r twiliotest.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.times = append(l.times, r.Time)
	if id, ok := parseAlertID(r.Body); ok {
		k := pageKey{id, r.To}
		if _, seen := l.at[k]; !seen {
			l.at[k] = r.Time
		}
	}
}

func (l *pageLog) first(id int64, to string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.at[pageKey{id, to}]
	return t, ok
}

// perSec is the requests that arrived in second i after start.
func (l *pageLog) perSec(start time.Time, i int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, t := range l.times {
		if int(t.Sub(start)/time.Second) == i && !t.Before(start) {
			n++
		}
	}
	return n
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// processRSS reads the memory lines of /proc/PID/status: VmRSS, RssAnon,
// RssFile and VmHWM (the peak RSS), each as written there ("158664 kB"),
// "?" when missing.
func processRSS(pid int) (map[string]string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, fmt.Errorf("read the daemon's RSS: %w", err)
	}
	out := map[string]string{"VmRSS": "?", "RssAnon": "?", "RssFile": "?", "VmHWM": "?"}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(line, ":")
		if _, ok := out[k]; ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out, nil
}

// goSettings says which Go runtime settings the child runs with: serve's
// own, or those of the environment it inherits.
func goSettings() string {
	gc := fmt.Sprintf("GOGC %d (serve's default)", defaultGCPercent)
	if v := os.Getenv("GOGC"); v != "" {
		gc = "GOGC " + v + " (from the environment)"
	}
	limit := fmt.Sprintf("memory limit %d MiB (serve's default)", defaultMemoryLimit>>20)
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		limit = "GOMEMLIMIT " + v + " (from the environment)"
	}
	return gc + ", " + limit
}
