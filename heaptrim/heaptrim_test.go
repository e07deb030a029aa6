package heaptrim

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/clock"
)

func TestQuiet(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		name      string
		last, now Stats
		want      bool
	}{
		{"after a storm, idle", Stats{Allocated: 1000 * mb}, Stats{Allocated: 1002 * mb, Held: 120 * mb, Live: 40 * mb}, true},
		{"in a storm", Stats{Allocated: 1000 * mb}, Stats{Allocated: 3000 * mb, Held: 120 * mb, Live: 40 * mb}, false},
		{"little spare", Stats{Allocated: 1000 * mb}, Stats{Allocated: 1000 * mb, Held: 50 * mb, Live: 40 * mb}, false},
		{"nothing spare", Stats{}, Stats{Held: 40 * mb, Live: 40 * mb}, false},
		{"live above held (read between collections)", Stats{}, Stats{Held: 30 * mb, Live: 40 * mb}, false},
	} {
		if got := Quiet(c.last, c.now, DefaultSpare); got != c.want {
			t.Errorf("%s: Quiet = %v, want %v", c.name, got, c.want)
		}
	}
}

// The trimmer frees when a look finds the heap quiet with much spare, and
// not when the interval's allocations were large.
func TestRunFreesWhenQuiet(t *testing.T) {
	t.Parallel()
	const mb = 1 << 20
	clk := clock.NewFake(time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	stats := Stats{Allocated: 100 * mb, Held: 120 * mb, Live: 40 * mb}
	freed := make(chan struct{}, 10)
	tr := &Trimmer{Clock: clk, Every: 10 * time.Second, Spare: DefaultSpare, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Read: func() Stats { mu.Lock(); defer mu.Unlock(); return stats },
		Free: func() {
			mu.Lock()
			stats.Held = stats.Live
			mu.Unlock()
			freed <- struct{}{}
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- tr.Run(ctx) }()
	step := func(alloc uint64) {
		for clk.Pending() == 0 {
			runtime.Gosched()
		}
		mu.Lock()
		stats.Allocated += alloc
		stats.Held = 120 * mb
		mu.Unlock()
		clk.Advance(10 * time.Second)
	}
	step(500 * mb) // busy: held memory is being used
	step(1 * mb)   // quiet: freed
	select {
	case <-freed:
	case <-time.After(10 * time.Second):
		t.Fatal("a quiet look with 80 MB spare freed nothing")
	}
	for clk.Pending() == 0 {
		runtime.Gosched()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(freed) != 0 {
		t.Errorf("freed %d more times, want only after the quiet look", len(freed))
	}
}

// ReadRuntime reads real figures: the heap holds at least what is live,
// and allocation moves the counter.
func TestReadRuntime(t *testing.T) {
	runtime.GC()
	a := ReadRuntime()
	if a.Held == 0 || a.Live == 0 || a.Allocated == 0 {
		t.Fatalf("runtime stats missing: %+v", a)
	}
	buf := make([][]byte, 0, 64)
	for range 64 {
		buf = append(buf, make([]byte, 64<<10))
	}
	b := ReadRuntime()
	if b.Allocated < a.Allocated+uint64(len(buf))*64<<10 {
		t.Errorf("allocated %d -> %d after 4 MiB of allocations", a.Allocated, b.Allocated)
	}
}
