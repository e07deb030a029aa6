package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// TestSnapshotUnderLoadRestores takes a snapshot while alerts are being
// written and restores it into a fresh data directory: every alert stored
// before the snapshot began is there.
func TestSnapshotUnderLoadRestores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := t.TempDir()
	st, err := Open(ctx, Config{DataDir: src})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var stored []int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	var n atomic.Int64
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				a := newAlert(st, t, "core", fmt.Sprintf("k%d", n.Add(1)))
				if _, _, err := st.Create(ctx, a, nil); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				stored = append(stored, a.ID)
				mu.Unlock()
			}
		}()
	}
	for {
		mu.Lock()
		k := len(stored)
		mu.Unlock()
		if k >= 500 {
			break
		}
	}
	mu.Lock()
	before := append([]int64(nil), stored...)
	mu.Unlock()
	path := filepath.Join(t.TempDir(), "pagerd.snapshot")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	size, err := st.Snapshot(ctx, f)
	f.Close()
	stop.Store(true)
	wg.Wait()
	st.Close()
	if err != nil || size == 0 {
		t.Fatalf("snapshot: %d bytes, %v", size, err)
	}

	dst := t.TempDir()
	if err := RestoreSnapshot(path, dst); err != nil {
		t.Fatal(err)
	}
	if err := RestoreSnapshot(path, dst); err == nil {
		t.Error("restoring over existing data was allowed")
	}
	restored, err := Open(ctx, Config{DataDir: dst})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	for _, id := range before {
		if _, err := restored.Get(ctx, id); err != nil {
			t.Fatalf("alert %d stored before the snapshot is missing: %v", id, err)
		}
	}
	all, _ := restored.List(ctx, nil, 0)
	t.Logf("%d alerts stored before the snapshot, %d in it (%d bytes)", len(before), len(all), size)
	// New ids don't collide with restored ones.
	id, err := restored.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := restored.Get(ctx, id); err == nil {
		t.Errorf("new id %d is already taken", id)
	}
}
