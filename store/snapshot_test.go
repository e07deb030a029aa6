package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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

// TestRestoreCanBeRetried: a missing file, a truncated one and a corrupt
// one are refused before anything is touched (no data directory made,
// none left half-restored), and the next restore of a whole snapshot into
// the same directory succeeds. With the retired alerts' history and
// archive: they travel in the snapshot.
func TestRestoreCanBeRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	a := resolvedAlert(t, st, t0, "")
	if _, err := st.Retire(ctx, a.ID, t0.Add(time.Hour), Keep{Archive: time.Hour}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.snapshot")
	f, err := os.Create(good)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Snapshot(ctx, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	st.Close()
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.snapshot")
	corrupt := filepath.Join(dir, "corrupt.snapshot")
	os.WriteFile(truncated, data[:len(data)/2], 0o600)
	bad := append([]byte(nil), data...)
	bad[len(bad)/2] ^= 0xff
	os.WriteFile(corrupt, bad, 0o600)

	target := filepath.Join(t.TempDir(), "restored")
	for _, file := range []string{filepath.Join(dir, "missing.snapshot"), truncated, corrupt} {
		if err := RestoreSnapshot(file, target); err == nil {
			t.Fatalf("restore of %s succeeded", filepath.Base(file))
		} else {
			t.Logf("%s: %v", filepath.Base(file), err)
		}
		if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a refused restore of %s made the data directory: %v", filepath.Base(file), err)
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(target), ".restored.restoring-*")); len(left) != 0 {
			t.Fatalf("a refused restore left %v", left)
		}
	}
	// An existing, empty data directory (a StateDirectory) is fine too.
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := RestoreSnapshot(truncated, target); err == nil {
		t.Fatal("restore of a truncated file succeeded")
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Fatalf("a refused restore changed the data directory: %v", entries)
	}
	if err := RestoreSnapshot(good, target); err != nil {
		t.Fatalf("retry with a whole snapshot: %v", err)
	}
	restored, err := Open(ctx, Config{DataDir: target})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if _, err := restored.History(ctx, a.ID); err != nil {
		t.Errorf("history after restore: %v", err)
	}
	if _, err := restored.Archived(ctx, a.ID); err != nil {
		t.Errorf("archive after restore: %v", err)
	}
}
