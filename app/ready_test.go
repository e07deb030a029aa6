package app

import (
	"context"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pagerd/pagerd/store"
)

// TestReadyOnlyWithALiveLeadership (issue 19, finding 4): a leader key
// restored from a snapshot under this node's own name does not make the
// node ready while it is not leading; another node's key with a live
// lease does; a key whose lease is gone does not.
func TestReadyOnlyWithALiveLeadership(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := leaderReady(ctx, st, "node-a", false); err == nil {
		t.Fatal("ready with no leader key at all")
	}
	lease, err := st.Client().Grant(ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	// As a snapshot brings it back: node-a's election key, a live lease.
	if _, err := st.Client().Put(ctx, st.Prefix()+"leader/694d9a1b2c3d4e5f", "node-a", clientv3.WithLease(lease.ID)); err != nil {
		t.Fatal(err)
	}
	if err := leaderReady(ctx, st, "node-a", false); err == nil {
		t.Error("ready on a leader key naming this node while it does not lead")
	} else {
		t.Log(err)
	}
	if err := leaderReady(ctx, st, "node-a", true); err != nil {
		t.Errorf("not ready while leading: %v", err)
	}
	if err := leaderReady(ctx, st, "node-b", false); err != nil {
		t.Errorf("another node leads with a live lease, yet not ready: %v", err)
	}
	if _, err := st.Client().Revoke(ctx, lease.ID); err != nil {
		t.Fatal(err)
	}
	// A key with no lease at all (written by hand) is not a leadership.
	if _, err := st.Client().Put(ctx, st.Prefix()+"leader/694d9a1b2c3d4e60", "node-b"); err != nil {
		t.Fatal(err)
	}
	if err := leaderReady(ctx, st, "node-b", false); err == nil {
		t.Error("ready on a leader key without a live lease")
	}
}
