package store

import (
	"context"
	"fmt"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// idBlock is how many alert ids a process reserves at once: few enough that
// ids stay short for SMS replies (a restart leaves the rest of a block
// unused), enough that reservations are rare. Under a storm a block of 50
// lasts a few milliseconds: when an alert finds the next block not yet
// reserved (every caller then waits on the reservation, one at a time),
// the blocks double, up to idBlockMax.
const (
	idBlock    = 50
	idBlockMax = 1000
)

// NextID returns a new alert id, unique across the cluster. Ids come from
// blocks reserved in etcd; the next block is reserved in the background
// when half of the current one is used, so callers rarely wait on it.
func (s *Store) NextID(ctx context.Context) (int64, error) {
	s.idMu.Lock()
	defer s.idMu.Unlock()
	if s.idSize == 0 {
		s.idSize = idBlock
	}
	if s.idNext >= s.idTo {
		if s.idSpare.to > s.idSpare.from {
			s.idNext, s.idTo, s.idSpare = s.idSpare.from, s.idSpare.to, idRange{}
		} else {
			if s.idTo > 0 {
				s.idSize = min(2*s.idSize, idBlockMax) // the spare came too late
			}
			r, err := s.reserveIDs(ctx, s.idSize)
			if err != nil {
				return 0, err
			}
			s.idNext, s.idTo = r.from, r.to
		}
	}
	id := s.idNext
	s.idNext++
	if !s.idFetching && s.idSpare.to == 0 && s.idTo-s.idNext <= s.idSize/2 {
		s.idFetching = true
		s.bg.Add(1)
		size := s.idSize
		go func() {
			defer s.bg.Done()
			ctx, cancel := context.WithTimeout(s.bgCtx, requestTimeout)
			defer cancel()
			r, err := s.reserveIDs(ctx, size)
			s.idMu.Lock()
			defer s.idMu.Unlock()
			s.idFetching = false
			if err != nil {
				// NextID reserves a block itself when this one is missing.
				if s.bgCtx.Err() == nil {
					s.log.Warn("reserving the next block of alert ids failed; the next alert reserves it", "err", err)
				}
				return
			}
			s.idSpare = r
		}()
	}
	return id, nil
}

// idRange is a block of reserved ids, [from, to).
type idRange struct{ from, to int64 }

func (s *Store) reserveIDs(ctx context.Context, size int64) (idRange, error) {
	key := s.p + "ids"
	for {
		resp, err := s.cli.Get(ctx, key)
		if err != nil {
			return idRange{}, fmt.Errorf("reserve alert ids: %w", err)
		}
		var last, rev int64
		if len(resp.Kvs) == 1 {
			last, _ = strconv.ParseInt(string(resp.Kvs[0].Value), 10, 64)
			rev = resp.Kvs[0].ModRevision
		}
		tx, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
			Then(clientv3.OpPut(key, strconv.FormatInt(last+size, 10))).
			Commit()
		if err != nil {
			return idRange{}, fmt.Errorf("reserve alert ids: %w", err)
		}
		if tx.Succeeded {
			return idRange{last + 1, last + 1 + size}, nil
		}
	}
}
