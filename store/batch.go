package store

import (
	"context"
	"errors"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Writes from many goroutines (HTTP handlers storing alerts, senders
// recording pages) are coalesced into shared transactions: while one
// transaction is in flight the next ones queue, and go together. Each etcd
// transaction is a raft entry and an apply, so under load this multiplies
// throughput; when idle a write goes alone, with no added wait.

// write is one caller's part of a batched transaction.
type write struct {
	cmps []clientv3.Cmp // must all hold
	ops  []clientv3.Op
	key  string // at most one write per key in a batch ("" for none)
	done chan error
}

// errAlone says a batch's compare failed: the caller retries on its own,
// where it can tell which of its compares failed and why.
var errAlone = errors.New("batch conflict; retry alone")

var errClosed = errors.New("store closed")

// batched submits w and waits for its batch to commit.
func (s *Store) batched(ctx context.Context, w *write) error {
	w.done = make(chan error, 1)
	select {
	case s.writes <- w:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.quit:
		return errClosed
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		// The write may still commit; callers treat this like any
		// failed request whose outcome is unknown.
		return ctx.Err()
	}
}

func (s *Store) batchLoop() {
	defer close(s.batchDone)
	var held *write // didn't fit the last batch; goes first in the next
	for {
		var first *write
		if held != nil {
			first, held = held, nil
		} else {
			select {
			case first = <-s.writes:
			case <-s.quit:
				return
			}
		}
		batch := []*write{first}
		nOps, nCmps := len(first.ops), len(first.cmps)
		keys := map[string]bool{}
		if first.key != "" {
			keys[first.key] = true
		}
	gather:
		for {
			select {
			case w := <-s.writes:
				if nOps+len(w.ops) > s.maxOps || nCmps+len(w.cmps) > s.maxOps || (w.key != "" && keys[w.key]) {
					held = w
					break gather
				}
				batch = append(batch, w)
				nOps, nCmps = nOps+len(w.ops), nCmps+len(w.cmps)
				if w.key != "" {
					keys[w.key] = true
				}
			default:
				break gather
			}
		}
		s.commit(batch, nOps, nCmps)
	}
}

func (s *Store) commit(batch []*write, nOps, nCmps int) {
	cmps := make([]clientv3.Cmp, 0, nCmps)
	ops := make([]clientv3.Op, 0, nOps)
	for _, w := range batch {
		cmps = append(cmps, w.cmps...)
		ops = append(ops, w.ops...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	tx, err := s.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err == nil && !tx.Succeeded {
		err = errAlone
	}
	for _, w := range batch {
		w.done <- err
	}
}
