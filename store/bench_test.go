package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkCreate measures durable alert writes (one transaction each:
// alert, dedup entry, timer, one outbox page) against an embedded etcd,
// from many goroutines at once as HTTP handlers would.
func BenchmarkCreate(b *testing.B) {
	st, err := Open(context.Background(), Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id, err := st.NextID(ctx)
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			a := &Alert{ID: id, Team: "core", Summary: "bench", DedupKey: fmt.Sprintf("k%d", n.Add(1)), CreatedAt: now}
			a.Esc.Timer = now.Add(time.Hour)
			a.Note(now, "received", "", "received from bench")
			if _, _, err := st.Create(ctx, a, []OutboxPage{{AlertID: id, PageID: "p1", Person: "ann", Method: "sms", Due: now, Queued: now}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}
