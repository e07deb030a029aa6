package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Maintenance is what one Maintain did.
type Maintenance struct {
	Compacted  int64         // the revision compacted to (0: none)
	Defragged  bool          // whether the backend was defragmented
	Before     int64         // backend size before, bytes
	After      int64         // backend size after, bytes
	DefragTook time.Duration // how long the defragmentation held etcd
}

// defragFreeShare is the share of the backend that must be free (pages
// left by deleted revisions) before a defragmentation is worth its pause:
// etcd takes no writes while it runs.
const defragFreeShare = 4 // a quarter

// Revision is etcd's current revision.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	resp, err := s.cli.Get(ctx, s.p+"ids", clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("etcd revision: %w", err)
	}
	return resp.Header.Revision, nil
}

// Maintain compacts the embedded etcd's history up to rev (0: now) and,
// if defrag allows and a quarter or more of its backend is free space,
// defragments it, through etcd's maintenance API: deleted records give
// their space back, so the keyspace shrinks after retention instead of
// only growing. An external etcd is its operators' to compact and
// defragment (it may hold more than pagerd), so Maintain does nothing
// there.
func (s *Store) Maintain(ctx context.Context, rev int64, defrag bool) (Maintenance, error) {
	var m Maintenance
	if s.etcd == nil {
		return m, nil
	}
	const ep = "embedded" // the in-process client has one member; any name reaches it
	if rev == 0 {
		var err error
		if rev, err = s.Revision(ctx); err != nil {
			return m, fmt.Errorf("etcd maintenance: %w", err)
		}
	}
	// Physical: return once the compaction is applied to the backend, so
	// the free space is known before deciding to defragment.
	if _, err := s.cli.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil && !isCompacted(err) {
		return m, fmt.Errorf("etcd compaction to revision %d: %w", rev, err)
	}
	m.Compacted = rev
	st, err := s.cli.Status(ctx, ep)
	if err != nil {
		return m, fmt.Errorf("etcd status: %w", err)
	}
	m.Before, m.After = st.DbSize, st.DbSize
	if free := st.DbSize - st.DbSizeInUse; !defrag || free*defragFreeShare < st.DbSize {
		return m, nil
	}
	start := time.Now()
	if err := s.defragment(ctx); err != nil {
		return m, err
	}
	m.DefragTook, m.Defragged = time.Since(start), true
	if st, err = s.cli.Status(ctx, ep); err != nil {
		return m, fmt.Errorf("etcd status: %w", err)
	}
	m.After = st.DbSize
	return m, nil
}

// defragment asks the embedded etcd to defragment through its maintenance
// API on its unix socket: the in-process client's maintenance adapter
// lacks what defragmentation needs.
func (s *Store) defragment(ctx context.Context) error {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{s.Endpoint()}, DialTimeout: 5 * time.Second,
		Context: ctx, Logger: zapNop()})
	if err != nil {
		return fmt.Errorf("etcd defragmentation: connect to %s: %w", s.Endpoint(), err)
	}
	defer func() {
		if err := cli.Close(); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Warn("closing the maintenance connection to the embedded etcd", "err", err)
		}
	}()
	if _, err := cli.Defragment(ctx, s.Endpoint()); err != nil {
		return fmt.Errorf("etcd defragmentation: %w", err)
	}
	return nil
}

// isCompacted reports an etcd "already compacted" error: another compaction
// (etcd's own periodic one) got there first, which is as good.
func isCompacted(err error) bool { return errors.Is(err, rpctypes.ErrCompacted) }
