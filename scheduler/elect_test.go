package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pagerd/pagerd/store"
)

// electionStore is an embedded etcd of the test's own.
type electionStore struct{ st *store.Store }

func newElectionStore(t *testing.T) *electionStore {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &electionStore{st: st}
}

func electionEngine(h *electionStore, node string) *Engine {
	e := &Engine{Store: h.st, Node: node, Log: slog.New(slog.DiscardHandler)}
	e.defaults()
	return e
}

// A session whose lease is gone (revoked, expired in etcd) says so, so
// the term it holds ends rather than acting on a leadership it lost.
func TestSessionEndsWhenItsLeaseIsGone(t *testing.T) {
	t.Parallel()
	h := newElectionStore(t)
	e := electionEngine(h, "a")
	s, err := e.grant(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.close(time.Second); err != nil {
			t.Error(err)
		}
	}()
	if _, err := h.st.Client().Revoke(context.Background(), s.id); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("session still held 30 s after its lease was revoked")
	}
}

// The oldest key leads; a later campaign waits until that key is gone
// (its node closed its session) and then leads under its own key, with a
// higher revision to fence by.
func TestCampaignWaitsForTheOlderKey(t *testing.T) {
	t.Parallel()
	h := newElectionStore(t)
	a, b := electionEngine(h, "a"), electionEngine(h, "b")
	ctx := context.Background()
	sa, err := a.grant(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keyA, revA, err := a.campaign(ctx, sa)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.grant(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sb.close(time.Second); err != nil {
			t.Error(err)
		}
	}()
	type won struct {
		key string
		rev int64
		err error
	}
	done := make(chan won, 1)
	go func() {
		k, r, err := b.campaign(ctx, sb)
		done <- won{k, r, err}
	}()
	// b's key is in, behind a's: a leads.
	var first string
	for first == "" {
		resp, err := h.st.Client().Get(ctx, h.st.Prefix()+"leader/", clientv3.WithPrefix())
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Kvs) == 2 {
			resp, err = h.st.Client().Get(ctx, h.st.Prefix()+"leader/", clientv3.WithFirstCreate()...)
			if err != nil {
				t.Fatal(err)
			}
			first = string(resp.Kvs[0].Key)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if first != keyA {
		t.Fatalf("leader key = %s, want a's %s", first, keyA)
	}
	select {
	case w := <-done:
		t.Fatalf("b won while a's key was there: %+v", w)
	default:
	}
	if err := sa.close(time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case w := <-done:
		if w.err != nil || w.key == keyA || w.rev <= revA {
			t.Fatalf("b's campaign = %+v; want its own key, revision above %d", w, revA)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("b still campaigning 30 s after a's session closed")
	}
}

// A campaign whose own lease is gone before it leads ends with that
// reason, instead of leading without a key.
func TestCampaignEndsWhenItsLeaseIsGone(t *testing.T) {
	t.Parallel()
	h := newElectionStore(t)
	a, b := electionEngine(h, "a"), electionEngine(h, "b")
	ctx := context.Background()
	sa, err := a.grant(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sa.close(time.Second); err != nil {
			t.Error(err)
		}
	}()
	if _, _, err := a.campaign(ctx, sa); err != nil {
		t.Fatal(err)
	}
	sb, err := b.grant(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := b.campaign(ctx, sb)
		done <- err
	}()
	if _, err := h.st.Client().Revoke(ctx, sb.id); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, errSessionLost) {
			t.Fatalf("campaign after its lease went = %v, want %v", err, errSessionLost)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("campaign went on 30 s after its lease was revoked")
	}
	if err := sb.close(time.Second); err != nil {
		t.Fatal(err)
	}
}
