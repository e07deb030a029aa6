package store

import (
	"context"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Fence makes a write conditional on leadership: the election key must
// still exist with the revision it was created at.
type Fence struct {
	Key string
	Rev int64
}

func (f *Fence) cmps() []clientv3.Cmp {
	if f == nil {
		return nil
	}
	return []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(f.Key), "=", f.Rev)}
}

// ErrFenced is returned when a fenced write fails because this node is no
// longer the leader.
var ErrFenced = errors.New("no longer the leader")

// Holds reports whether f's leadership still holds, by a linearizable read
// of its election key: while it does, no other node has led since.
func (s *Store) Holds(ctx context.Context, f *Fence) (bool, error) {
	if f == nil {
		return true, nil // unfenced: nothing to lose
	}
	return s.holds(ctx, f)
}

func (s *Store) holds(ctx context.Context, f *Fence) (bool, error) {
	resp, err := s.cli.Get(ctx, f.Key)
	if err != nil {
		return false, fmt.Errorf("check leadership: %w", err)
	}
	return len(resp.Kvs) == 1 && resp.Kvs[0].CreateRevision == f.Rev, nil
}

// Leadership is the elected engine's node name and whether its election
// key's lease is alive: "" and false when none is elected.
func (s *Store) Leadership(ctx context.Context) (name string, live bool, err error) {
	resp, err := s.cli.Get(ctx, s.p+"leader/", clientv3.WithFirstCreate()...)
	if err != nil {
		return "", false, fmt.Errorf("read leader: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return "", false, nil
	}
	kv := resp.Kvs[0]
	if kv.Lease == 0 {
		return string(kv.Value), false, nil
	}
	ttl, err := s.cli.TimeToLive(ctx, clientv3.LeaseID(kv.Lease))
	if err != nil {
		return "", false, fmt.Errorf("read leader's lease: %w", err)
	}
	return string(kv.Value), ttl.TTL > 0, nil
}
