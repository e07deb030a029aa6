package store

import (
	"context"
	"errors"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Writes from many goroutines (HTTP handlers storing alerts, senders
// recording pages) are coalesced into shared transactions: while
// transactions are in flight the next ones queue, and go together. Each etcd
// transaction is a raft entry and an apply, so under load this multiplies
// throughput; when idle a write goes alone, with no added wait.
//
// Up to batchesInFlight transactions are in flight at once, and each is
// bounded by the latest deadline among its callers: a transaction stuck on
// an etcd member that lost its leader (etcd answers it only after its own
// 7 s request timeout) holds up its own callers, who have given up by
// then anyway, not every write of the process behind it.

// write is one caller's part of a batched transaction.
type write struct {
	cmps []clientv3.Cmp // must all hold
	ops  []clientv3.Op
	// key is a further key this write must not share a batch with (""
	// for none), beyond the keys of its own ops, which never share one:
	// etcd refuses a transaction that writes a key twice.
	key  string
	done chan error
	// deadline is the caller's; zero when it has none.
	deadline time.Time
}

// batchesInFlight bounds concurrent batched transactions. More than one
// keeps a single stuck request from stalling the rest; a few are enough
// to keep etcd's pipeline full.
const batchesInFlight = 4

// errAlone says a batch's compare failed: the caller retries on its own,
// where it can tell which of its compares failed and why.
var errAlone = errors.New("batch conflict; retry alone")

var errClosed = errors.New("store closed")

// batched submits w and waits for its batch to commit.
func (s *Store) batched(ctx context.Context, w *write) error {
	w.done = make(chan error, 1)
	w.deadline, _ = ctx.Deadline()
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
	var inFlight sync.WaitGroup
	defer func() {
		inFlight.Wait()
		close(s.batchDone)
	}()
	slots := make(chan struct{}, batchesInFlight)
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
		// Wait for a free slot before gathering, so that what queued
		// meanwhile goes in this batch.
		select {
		case slots <- struct{}{}:
		case <-s.quit:
			first.done <- errClosed
			return
		}
		batch := []*write{first}
		nOps, nCmps := len(first.ops), len(first.cmps)
		keys := map[string]bool{}
		first.addKeys(keys)
	gather:
		for {
			select {
			case w := <-s.writes:
				if nOps+len(w.ops) > s.maxOps || nCmps+len(w.cmps) > s.maxOps || w.sharesKey(keys) {
					held = w
					break gather
				}
				batch = append(batch, w)
				nOps, nCmps = nOps+len(w.ops), nCmps+len(w.cmps)
				w.addKeys(keys)
			default:
				break gather
			}
		}
		inFlight.Add(1)
		go func() {
			defer inFlight.Done()
			s.commit(batch, nOps, nCmps)
			<-slots
		}()
	}
}

// batchTimeout is how long a batch may take: until the last of its
// callers gives up, and never longer than requestTimeout.
func batchTimeout(batch []*write, now time.Time) time.Duration {
	var last time.Time
	for _, w := range batch {
		if w.deadline.IsZero() {
			return requestTimeout
		}
		if w.deadline.After(last) {
			last = w.deadline
		}
	}
	return min(last.Sub(now), requestTimeout)
}

func (s *Store) commit(batch []*write, nOps, nCmps int) {
	cmps := make([]clientv3.Cmp, 0, nCmps)
	ops := make([]clientv3.Op, 0, nOps)
	for _, w := range batch {
		cmps = append(cmps, w.cmps...)
		ops = append(ops, w.ops...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout(batch, time.Now()))
	defer cancel()
	tx, err := s.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err == nil && !tx.Succeeded {
		err = errAlone
	}
	for _, w := range batch {
		w.done <- err
	}
}

// addKeys adds the keys w writes (and its further key) to keys.
func (w *write) addKeys(keys map[string]bool) {
	if w.key != "" {
		keys[w.key] = true
	}
	for _, op := range w.ops {
		keys[string(op.KeyBytes())] = true
	}
}

// sharesKey says whether w writes a key already in keys.
func (w *write) sharesKey(keys map[string]bool) bool {
	if w.key != "" && keys[w.key] {
		return true
	}
	for _, op := range w.ops {
		if keys[string(op.KeyBytes())] {
			return true
		}
	}
	return false
}

// batchedOrAlone commits cmps and ops in a shared transaction, or, when a
// compare in that batch fails, alone: it reports whether its own compares
// held.
func (s *Store) batchedOrAlone(ctx context.Context, cmps []clientv3.Cmp, ops []clientv3.Op) (bool, error) {
	switch err := s.batched(ctx, &write{cmps: cmps, ops: ops}); {
	case err == nil:
		return true, nil
	case !errors.Is(err, errAlone):
		return false, err
	}
	tx, err := s.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		return false, err
	}
	return tx.Succeeded, nil
}
