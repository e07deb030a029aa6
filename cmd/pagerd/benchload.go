package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pagerd/pagerd/clock"
)

// The bench's measurement logic, apart from HTTP and processes so that it
// can be tested on a fake clock.
//
// Open-loop load: request i is meant to start at start + i/rate whether or
// not the ones before it have been answered (a user's alerts do not wait
// for pagerd). Its latency runs from that intended start, not from when a
// worker got round to sending it, so time spent queued behind a slow
// server is counted (no coordinated omission). With rate 0 the load is
// closed: each worker sends its next request as soon as the last is
// answered, which finds the saturation throughput; latency then runs from
// the actual start.

// plan is when each request of a run should start.
type plan struct {
	start time.Time
	rate  float64 // requests per second in all; 0: closed loop
	count int
}

// intended is when request i should start; the zero time in a closed loop.
func (p plan) intended(i int) time.Time {
	if p.rate <= 0 {
		return time.Time{}
	}
	return p.start.Add(time.Duration(math.Round(float64(i) / p.rate * float64(time.Second))))
}

// sample is one request's outcome.
type sample struct {
	i        int
	intended time.Time // the zero time in a closed loop
	started  time.Time // when it was actually sent
	done     time.Time
	err      error
}

// latency is from the intended start (open loop) or the actual one
// (closed loop) to the answer.
func (s sample) latency() time.Duration {
	if s.intended.IsZero() {
		return s.done.Sub(s.started)
	}
	return s.done.Sub(s.intended)
}

// from is what latency counts from.
func (s sample) from() time.Time {
	if s.intended.IsZero() {
		return s.started
	}
	return s.intended
}

// runLoad sends p.count requests from workers goroutines, each waiting
// for its request's intended start on clk, and returns every sample in
// request order. progress, if not nil, is called after each answer.
func runLoad(ctx context.Context, clk clock.Clock, p plan, workers int, do func(ctx context.Context, i int) error, progress func(sample)) []sample {
	out := make([]sample, p.count)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= p.count || ctx.Err() != nil {
					return
				}
				at := p.intended(i)
				if !at.IsZero() {
					if d := at.Sub(clk.Now()); d > 0 {
						t := clk.NewTimer(d)
						select {
						case <-t.C():
						case <-ctx.Done():
							t.Stop()
							return
						}
					}
				}
				s := sample{i: i, intended: at, started: clk.Now()}
				s.err = do(ctx, i)
				s.done = clk.Now()
				out[i] = s
				if progress != nil {
					progress(s)
				}
			}
		})
	}
	wg.Wait()
	return out
}

// percentile is the p-th percentile (0-100) of ds by the nearest-rank
// method: the smallest value at least p% of the values are at or below.
// 100 is the maximum. ds need not be sorted; it is not changed.
func percentile(ds []time.Duration, p float64) (time.Duration, bool) {
	if len(ds) == 0 {
		return 0, false
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1], true
}

// dist is "p50 X  p99 Y  max Z" for ds.
func dist(ds []time.Duration) string {
	if len(ds) == 0 {
		return "p50 -  p99 -  max -"
	}
	p50, _ := percentile(ds, 50)
	p99, _ := percentile(ds, 99)
	mx, _ := percentile(ds, 100)
	return fmt.Sprintf("p50 %s  p99 %s  max %s", roundDur(p50), roundDur(p99), roundDur(mx))
}

func roundDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}

// perSecond counts events into one-second buckets from start; a load
// tool prints them in --duration mode.
type perSecond struct {
	start time.Time
	mu    sync.Mutex
	n     []int
}

func (c *perSecond) add(at time.Time) {
	i := int(at.Sub(c.start) / time.Second)
	if i < 0 {
		i = 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.n) <= i {
		c.n = append(c.n, 0)
	}
	c.n[i]++
}

// at is the count of second i.
func (c *perSecond) at(i int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i < 0 || i >= len(c.n) {
		return 0
	}
	return c.n[i]
}

// probeTeams is how many probe teams a run needs so that no probe's
// person was messaged within the SMS interval (plus the first step's
// timeout, after which the secondary is paged, and a margin): each probe
// then measures a page sent at once, not one held to be bundled.
func probeTeams(probesPerSec float64, interval, timeout time.Duration) int {
	if probesPerSec <= 0 {
		return 0
	}
	span := interval + timeout + 5*time.Second
	return max(1, int(math.Ceil(probesPerSec*span.Seconds())))
}

// probeEvery says which requests are probes: every n-th, for about
// probesPerSec of rate. In a closed loop (rate 0) guess rate at 5,000/s.
func probeEvery(rate, probesPerSec float64) int {
	if probesPerSec <= 0 {
		return 0
	}
	if rate <= 0 {
		rate = 5000
	}
	return max(1, int(math.Round(rate/probesPerSec)))
}

// parseAlertID reads the alert id a single-alert page's text starts with
// ("#42 core: ..."); false for a bundle or anything else.
func parseAlertID(body string) (int64, bool) {
	if len(body) < 2 || body[0] != '#' {
		return 0, false
	}
	var id int64
	i := 1
	for ; i < len(body) && body[i] >= '0' && body[i] <= '9'; i++ {
		id = id*10 + int64(body[i]-'0')
		if id > 1<<53 {
			return 0, false
		}
	}
	if i == 1 || i >= len(body) || body[i] != ' ' {
		return 0, false
	}
	return id, true
}
