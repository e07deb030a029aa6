package main

import (
	"bytes"
	"context"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/clock"
)

var t0 = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

// A server slower than the rate: with one client, each request starts
// when the one before is answered, and its latency counts the time it
// waited from its intended start (no coordinated omission).
func TestRunLoadCountsQueueingFromIntendedStart(t *testing.T) {
	clk := clock.NewFake(t0)
	p := plan{start: t0, rate: 10, count: 4} // one every 100 ms
	got := runLoad(context.Background(), clk, p, 1, func(ctx context.Context, i int) error {
		clk.Advance(250 * time.Millisecond) // each answer takes 250 ms
		return nil
	}, nil)
	want := []time.Duration{250 * time.Millisecond, 400 * time.Millisecond, 550 * time.Millisecond, 700 * time.Millisecond}
	for i, s := range got {
		if s.latency() != want[i] {
			t.Errorf("request %d: latency %s, want %s (intended %s, started %s, done %s)", i, s.latency(), want[i],
				s.intended.Sub(t0), s.started.Sub(t0), s.done.Sub(t0))
		}
		if s.from() != t0.Add(time.Duration(i)*100*time.Millisecond) {
			t.Errorf("request %d counts from %s, want its intended start", i, s.from().Sub(t0))
		}
	}
}

// A fast server: each request waits for its intended start, and its
// latency is only its own service time.
func TestRunLoadWaitsForIntendedStart(t *testing.T) {
	clk := clock.NewFake(t0)
	p := plan{start: t0, rate: 10, count: 3}
	done := make(chan []sample)
	go func() {
		done <- runLoad(context.Background(), clk, p, 1, func(ctx context.Context, i int) error {
			clk.Advance(10 * time.Millisecond)
			return nil
		}, nil)
	}()
	// Requests 1 and 2 each wait on a timer for their start: advance the
	// clock to it once the worker waits.
	for i := 1; i < 3; i++ {
		for clk.Pending() == 0 {
			time.Sleep(time.Millisecond) // waits for the worker to block, not for time to pass
		}
		clk.Set(p.intended(i))
	}
	got := <-done
	for i, s := range got {
		if !s.started.Equal(p.intended(i)) || s.latency() != 10*time.Millisecond {
			t.Errorf("request %d: started %s, latency %s; want started at %s, 10ms", i, s.started.Sub(t0), s.latency(), p.intended(i).Sub(t0))
		}
	}
}

// In a closed loop there is no intended start: latency is from the send.
func TestRunLoadClosedLoop(t *testing.T) {
	clk := clock.NewFake(t0)
	got := runLoad(context.Background(), clk, plan{start: t0, count: 3}, 1, func(ctx context.Context, i int) error {
		clk.Advance(time.Duration(i+1) * time.Millisecond)
		return nil
	}, nil)
	for i, s := range got {
		if !s.intended.IsZero() || s.latency() != time.Duration(i+1)*time.Millisecond {
			t.Errorf("request %d: intended %v, latency %s", i, s.intended, s.latency())
		}
	}
}

func TestPlanIntended(t *testing.T) {
	p := plan{start: t0, rate: 3}
	if got := p.intended(2).Sub(t0); got != 666666667*time.Nanosecond {
		t.Errorf("request 2 at 3/s starts at %s", got)
	}
	if !(plan{start: t0}).intended(5).IsZero() {
		t.Error("a closed loop has no intended start")
	}
}

func TestPercentileNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {99.9, 100 * time.Millisecond}, {100, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got, _ := percentile(ds, c.p); got != c.want {
			t.Errorf("p%g = %s, want %s", c.p, got, c.want)
		}
	}
	if ds[0] != 100*time.Millisecond {
		t.Error("percentile sorted its argument")
	}
	// Of 10 values p99 is the largest: there is no 99th-percentile value
	// below it.
	if got, _ := percentile(ds[:10], 99); got != 100*time.Millisecond {
		t.Errorf("p99 of 10 values = %s", got)
	}
	if _, ok := percentile(nil, 50); ok {
		t.Error("percentile of nothing")
	}
}

func TestPerSecond(t *testing.T) {
	c := &perSecond{start: t0}
	c.add(t0)
	c.add(t0.Add(999 * time.Millisecond))
	c.add(t0.Add(2500 * time.Millisecond))
	if c.at(0) != 2 || c.at(1) != 0 || c.at(2) != 1 || c.at(3) != 0 {
		t.Errorf("seconds: %d %d %d %d", c.at(0), c.at(1), c.at(2), c.at(3))
	}
}

// Enough probe teams that a probe team comes round again only after its
// people's SMS interval (and the first step's timeout) have passed.
func TestProbeTeamsOutlastTheInterval(t *testing.T) {
	o := benchOptions{rate: 1000, probes: 20, count: 100000, conc: 1, loadTeams: 20, timeout: 2 * time.Second}
	if err := o.check(); err != nil {
		t.Fatal(err)
	}
	last := map[string]time.Time{}
	p := plan{start: t0, rate: o.rate}
	probes := 0
	for i := range o.count {
		team, k := o.teamOf(i)
		if k < 0 {
			continue
		}
		probes++
		at := p.intended(i)
		if prev, ok := last[team]; ok && at.Sub(prev) < o.interval+o.timeout {
			t.Fatalf("probe team %s again after %s (interval %s)", team, at.Sub(prev), o.interval)
		}
		last[team] = at
	}
	if probes != o.count/o.probeNth || probes < 1900 {
		t.Errorf("%d probes in %d alerts at %g probes/s", probes, o.count, o.probes)
	}
}

func TestParseAlertID(t *testing.T) {
	for body, want := range map[string]int64{
		"#42 core: disk full. Reply 42a ack, 42r resolve, ? help": 42,
		"#7 x":                  7,
		"3 alerts for core: #4": -1,
		"#":                     -1,
		"#12":                   -1,
		"#12a core":             -1,
	} {
		got, ok := parseAlertID(body)
		if want < 0 && ok || want >= 0 && (!ok || got != want) {
			t.Errorf("parseAlertID(%q) = %d, %v", body, got, ok)
		}
	}
}

// pagerd serve's default memory limit applies when GOMEMLIMIT is unset,
// and GOMEMLIMIT, read by the runtime at start, wins when it is set.
func TestMemoryLimitDefault(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	t.Setenv("GOMEMLIMIT", "")
	if got, fromEnv := memoryLimit(); fromEnv || got != defaultMemoryLimit || debug.SetMemoryLimit(-1) != defaultMemoryLimit {
		t.Errorf("without GOMEMLIMIT: limit %d (from env %v), runtime %d; want %d", got, fromEnv, debug.SetMemoryLimit(-1), defaultMemoryLimit)
	}
	debug.SetMemoryLimit(before)
	t.Setenv("GOMEMLIMIT", "300MiB")
	if got, fromEnv := memoryLimit(); !fromEnv || got != before {
		t.Errorf("with GOMEMLIMIT: limit %d (from env %v); want the runtime's own %d", got, fromEnv, before)
	}
}

// pagerd serve's collector target applies when GOGC is unset, and GOGC,
// read by the runtime at start, wins when it is set.
func TestGCPercentDefault(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })
	t.Setenv("GOGC", "")
	if got, fromEnv := gcPercent(); fromEnv || got != defaultGCPercent || debug.SetGCPercent(100) != defaultGCPercent {
		t.Errorf("without GOGC: %d (from env %v); want %d in force", got, fromEnv, defaultGCPercent)
	}
	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150) // what the runtime would have read at start
	if got, fromEnv := gcPercent(); !fromEnv || got != 150 || debug.SetGCPercent(150) != 150 {
		t.Errorf("with GOGC: %d (from env %v); want the runtime's own 150 left in force", got, fromEnv)
	}
}

// pagerd bench runs end to end: a child pagerd serve (this test binary),
// open-loop load after a warm-up counted apart, every probe paged and
// escalated through the fake Twilio,
// and the store alone printed as the host's yardstick, with no ratio: at a
// rate the bench chose, end to end : store alone would say nothing of the
// daemon.
func TestBenchRunsEndToEnd(t *testing.T) {
	t.Setenv("PAGERD_CHILD", "1") // the child is this binary: TestMain runs it as pagerd
	var out, errOut bytes.Buffer
	if code := run([]string{"bench", "--rate", "200", "--count", "400", "--probes", "10", "--rss-after", "0"}, &out, &errOut, timeNow); code != 0 {
		t.Fatalf("pagerd bench exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	got := out.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^machine +[0-9]+ cores, load average `),
		regexp.MustCompile(`(?m)^go +GOGC `),
		regexp.MustCompile(`(?m)^accepted +400 of 400 .*\(errors: 0\)`),
		regexp.MustCompile(`(?m)^page +p50 .*, 20 probes \(missing: 0\)`),
		regexp.MustCompile(`(?m)^timer +p50 .*\(missing: 0\)`),
		// The first second is posted and paged, and counted apart.
		regexp.MustCompile(`(?m)^warm-up +200 alerts first \(1s at the rate\), counted apart$`),
		regexp.MustCompile(`(?m)^warm-up +202 p50 .*\(200 alerts, not in the figures; errors: 0\)$`),
		regexp.MustCompile(`(?m)^warm-up +page p50 .*, timer p50 .*\(10 probes, not in the figures; missing: 0, 0\)$`),
		regexp.MustCompile(`(?m)^disk +p50 .* a 4 KiB write and fsync, 500 in `),
		regexp.MustCompile(`(?m)^store +[0-9]+ creates/s alone: this host's yardstick`),
	} {
		if !want.MatchString(got) {
			t.Errorf("bench output lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "end to end : store alone") {
		t.Errorf("an open-loop run printed a ratio:\n%s", got)
	}
}
