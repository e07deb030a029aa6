// Package heaptrim gives the Go heap's spare memory back to the operating
// system once a burst of work is over.
//
// After a storm the heap holds what the storm needed: the collector frees
// the objects, but the runtime keeps their memory for the next burst and
// returns it only slowly, so an idle daemon sat at its storm's size for
// minutes. A daemon that pages a few times a day should look like one. So
// every so often the trimmer compares what the heap holds from the system
// with what is live, and when much is spare and the work of the last
// interval would not have used it, it collects and returns it
// (debug.FreeOSMemory). In a storm the allocations of an interval dwarf
// the spare memory, so it does nothing there.
package heaptrim

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/pagerd/pagerd/clock"
)

// Stats is what the trimmer reads of the heap.
type Stats struct {
	Allocated uint64 // bytes allocated since the process began
	Held      uint64 // heap memory held from the system (objects, free and unused spans)
	Live      uint64 // heap that was live at the last collection
}

// Trimmer returns spare heap to the system when the process is quiet.
type Trimmer struct {
	Clock clock.Clock
	// Every is how often it looks.
	Every time.Duration
	// Spare is how much held but not live memory is worth returning.
	Spare uint64
	Log   *slog.Logger
	// Read and Free default to the runtime's metrics and
	// debug.FreeOSMemory; tests replace them.
	Read func() Stats
	Free func()
}

// Defaults: a look every 10 s, returning at least 16 MiB.
const (
	DefaultEvery = 10 * time.Second
	DefaultSpare = 16 << 20
)

// Run looks every Every until ctx ends.
func (t *Trimmer) Run(ctx context.Context) error {
	read, free := t.Read, t.Free
	if read == nil {
		read = ReadRuntime
	}
	if free == nil {
		free = debug.FreeOSMemory
	}
	last := read()
	for {
		tm := t.Clock.NewTimer(t.Every)
		select {
		case <-ctx.Done():
			tm.Stop()
			return nil
		case <-tm.C():
		}
		now := read()
		if Quiet(last, now, t.Spare) {
			start := t.Clock.Now()
			free()
			after := read()
			t.Log.Debug("returned spare heap to the system", "held_before", now.Held, "held_after", after.Held,
				"live", after.Live, "took", t.Clock.Now().Sub(start))
			now = after
		}
		last = now
	}
}

// Quiet says whether to return the spare heap: more than spare of it is
// held beyond what is live, and less than that was allocated since the
// last look, so the work going on would not have used it.
func Quiet(last, now Stats, spare uint64) bool {
	if now.Held <= now.Live+spare {
		return false
	}
	excess := now.Held - now.Live
	return now.Allocated-last.Allocated < excess
}

// ReadRuntime reads Stats from runtime/metrics.
func ReadRuntime() Stats {
	s := []metrics.Sample{
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/gc/heap/live:bytes"},
	}
	metrics.Read(s)
	v := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0 // not in this runtime: the trimmer sees nothing spare
		}
		return s[i].Value.Uint64()
	}
	return Stats{Allocated: v(0), Held: v(1) + v(2) + v(3), Live: v(4)}
}
