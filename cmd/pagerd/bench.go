package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pagerd/pagerd/app"
	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/store"
)

// cmdBench is the load generator: it posts alerts at a rate and
// concurrency and reports accepted alerts per second and how long an alert
// takes from being posted to its page reaching the notifier. Without
// --target it runs a whole daemon in-process (embedded etcd in a temporary
// directory) with a notifier that only records, so the page latency can be
// measured; with --target it loads a running daemon and reports only what
// a client can see.
func cmdBench(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", "bench [--count N] [--concurrency C] [--rate R] [--timeout D] [--target URL --team T]", stderr)
	count := fs.Int("count", 10000, "alerts to post")
	conc := fs.Int("concurrency", 32, "concurrent clients")
	rate := fs.Float64("rate", 0, "alerts per second in all (0: as fast as they are accepted)")
	timeout := fs.Duration("timeout", 2*time.Second, "in-process: the escalation step's ack timeout, to measure timer lateness")
	target := fs.String("target", "", "URL of a running pagerd to load instead of an in-process one")
	team := fs.String("team", "core", "team to raise alerts for (with --target)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	if *count < 1 || *conc < 1 {
		fmt.Fprintln(stderr, "pagerd bench: --count and --concurrency must be at least 1")
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "pagerd bench: %v\n", err)
			return 1
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	b := &bench{sent: map[int64]time.Time{}}
	base := strings.TrimRight(*target, "/")
	if base == "" {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		addr, done, err := b.startDaemon(ctx, *timeout, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "pagerd bench: %v\n", err)
			return 1
		}
		defer func() { cancel(); <-done }()
		base = "http://" + addr
	}
	fmt.Fprintf(stdout, "posting %d alerts to %s, %d clients, rate %s\n", *count, base, *conc, rateText(*rate))
	res := b.load(base, *team, *count, *conc, *rate)
	fmt.Fprintf(stdout, "accepted  %d of %d in %s: %.0f alerts/s (errors: %d)\n", res.ok, *count, res.elapsed.Round(time.Millisecond), float64(res.ok)/res.elapsed.Seconds(), res.errors)
	fmt.Fprintf(stdout, "202 latency        p50 %s  p99 %s  max %s\n", pct(res.http, 50), pct(res.http, 99), pct(res.http, 100))
	if *target != "" {
		return 0
	}
	// Posted -> page handed to the notifier, for every alert.
	deadline := time.Now().Add(2 * time.Minute)
	for b.pagedCount() < res.ok && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	var toPage []time.Duration
	b.mu.Lock()
	for id, at := range b.sent {
		if t0, ok := res.posted[id]; ok {
			toPage = append(toPage, at.Sub(t0))
		}
	}
	b.mu.Unlock()
	fmt.Fprintf(stdout, "posted -> page      p50 %s  p99 %s  max %s  (%d of %d paged)\n", pct(toPage, 50), pct(toPage, 99), pct(toPage, 100), len(toPage), res.ok)
	if *timeout > time.Minute {
		fmt.Fprintln(stdout, "timer lateness      not measured (--timeout over a minute)")
		return 0
	}
	// Each alert's step times out after --timeout and escalates: how late
	// are those timers handled?
	for time.Now().Before(res.end.Add(*timeout + 5*time.Second)) {
		if b.lateCount() >= res.ok {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.mu.Lock()
	late := slices.Clone(b.late)
	b.mu.Unlock()
	fmt.Fprintf(stdout, "timer lateness      p50 %s  p99 %s  max %s  (%d timers)\n", pct(late, 50), pct(late, 99), pct(late, 100), len(late))
	runtime.GC()
	fmt.Fprintf(stdout, "memory              RSS %s with %d open alerts (daemon, embedded etcd and this load generator in one process)\n", rss(), res.ok)
	return 0
}

func rateText(r float64) string {
	if r == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%.0f/s", r)
}

type bench struct {
	mu   sync.Mutex
	sent map[int64]time.Time // first page of each alert handed to the notifier
	late []time.Duration
}

func (b *bench) pagedCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.sent)
}

func (b *bench) lateCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.late)
}

// Name, Send: the bench notifier records when each alert's first page
// would have gone to Twilio.
func (b *bench) Name() string { return "bench" }

func (b *bench) Send(ctx context.Context, p notifier.Page) (notifier.Receipt, error) {
	now := time.Now()
	b.mu.Lock()
	if _, ok := b.sent[p.AlertID]; !ok {
		b.sent[p.AlertID] = now
	}
	b.mu.Unlock()
	return notifier.Receipt{Provider: "bench", ID: p.PageID}, nil
}

func (b *bench) Leader(bool)                                 {}
func (b *bench) PageSent(store.OutboxPage, time.Time, error) {}
func (b *bench) TimerFired(late time.Duration) {
	b.mu.Lock()
	b.late = append(b.late, late)
	b.mu.Unlock()
}

func (b *bench) startDaemon(ctx context.Context, timeout time.Duration, stderr io.Writer) (string, <-chan struct{}, error) {
	dir, err := os.MkdirTemp("", "pagerd-bench")
	if err != nil {
		return "", nil, err
	}
	rotaDir := filepath.Join(dir, "rota")
	os.MkdirAll(rotaDir, 0o755)
	team := strings.Replace(clusterTeamTemplate, "TIMEOUT", timeout.String(), -1)
	if err := os.WriteFile(filepath.Join(rotaDir, "people.yaml"), []byte(clusterPeopleYAML), 0o644); err != nil {
		return "", nil, err
	}
	if err := os.WriteFile(filepath.Join(rotaDir, "core.yaml"), []byte(team), 0o644); err != nil {
		return "", nil, err
	}
	ready := make(chan string, 1)
	done := make(chan struct{})
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	go func() {
		defer close(done)
		defer os.RemoveAll(dir)
		// No intake rate limit and no per-team cap (zero values): the
		// bench measures the store and the engine, from one sender into one
		// team, which the defaults would throttle and fold by design.
		err := app.Run(ctx, app.Config{RotaDir: rotaDir, DataDir: filepath.Join(dir, "data"), Listen: "127.0.0.1:0", Node: "bench"}, log,
			&app.Hooks{Notifier: b, Observer: b, Ready: func(addr string) { ready <- addr }})
		if err != nil {
			fmt.Fprintf(stderr, "pagerd bench: daemon: %v\n", err)
		}
	}()
	select {
	case addr := <-ready:
		return addr, done, nil
	case <-done:
		return "", done, fmt.Errorf("the daemon did not start")
	}
}

// The bench rota: one team, a primary page then a secondary one.
const clusterPeopleYAML = `people:
  - {id: ann, name: Ann, timezone: UTC, contacts: {sms: "+447700900101"}}
  - {id: ben, name: Ben, timezone: UTC, contacts: {sms: "+447700900102"}}
  - {id: cat, name: Cat, timezone: UTC, contacts: {sms: "+447700900103"}}
  - {id: dan, name: Dan, timezone: UTC, contacts: {sms: "+447700900104"}}
`

const clusterTeamTemplate = `team: core
timezone: UTC
rotations:
  primary:
    members: [ann, ben, cat, dan]
    handoff: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    start: 2020-01-06T09:00
  secondary:
    follows: primary
escalation:
  steps:
    - {notify: [primary], ack_timeout: TIMEOUT}
    - {notify: [secondary], ack_timeout: 1h}
`

type loadResult struct {
	ok, errors int
	elapsed    time.Duration
	end        time.Time
	http       []time.Duration
	posted     map[int64]time.Time
}

func (b *bench) load(base, team string, count, conc int, rate float64) loadResult {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}, Timeout: 30 * time.Second}
	var next atomic.Int64
	var mu sync.Mutex
	res := loadResult{posted: map[int64]time.Time{}}
	start := time.Now()
	var wg sync.WaitGroup
	run := strconv.FormatInt(start.UnixNano(), 36)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(count) {
					return
				}
				if rate > 0 {
					if d := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); d > 0 {
						time.Sleep(d)
					}
				}
				t0 := time.Now()
				body := fmt.Sprintf(`{"team":%q,"summary":"bench alert %d","dedup_key":"bench-%s-%d"}`, team, i, run, i)
				id, err := postAlertTo(client, base, body)
				t1 := time.Now()
				mu.Lock()
				if err != nil {
					res.errors++
				} else {
					res.ok++
					res.http = append(res.http, t1.Sub(t0))
					res.posted[id] = t0
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.end = time.Now()
	res.elapsed = res.end.Sub(start)
	return res
}

func postAlertTo(client *http.Client, base, body string) (int64, error) {
	resp, err := client.Post(base+"/api/v1/alerts", "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("%s: %s", resp.Status, data)
	}
	i := strings.Index(string(data), `"alert_id": `)
	if i < 0 {
		return 0, fmt.Errorf("no alert_id in %s", data)
	}
	rest := string(data[i+len(`"alert_id": `):])
	j := strings.IndexAny(rest, ",\n}")
	return strconv.ParseInt(strings.TrimSpace(rest[:j]), 10, 64)
}

func pct(ds []time.Duration, p float64) string {
	if len(ds) == 0 {
		return "-"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	d := s[i]
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	default:
		return d.Round(100 * time.Microsecond).String()
	}
}

func rss() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:"))
		}
	}
	return "?"
}
