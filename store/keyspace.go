package store

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// OpenCount is how many alerts are open: each holds its dedup key.
func (s *Store) OpenCount(ctx context.Context) (int64, error) {
	resp, err := s.cli.Get(ctx, s.p+"dedup/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("count open alerts: %w", err)
	}
	return resp.Count, nil
}

// KeyspaceSize is the etcd backend's size in bytes and, for the embedded
// etcd, its quota (0 when unknown).
func (s *Store) KeyspaceSize(ctx context.Context) (size, quota int64, err error) {
	if s.etcd != nil {
		return s.etcd.Server.Backend().Size(), s.etcd.Config().QuotaBackendBytes, nil
	}
	resp, err := s.cli.Status(ctx, s.cli.Endpoints()[0])
	if err != nil {
		return 0, 0, fmt.Errorf("etcd status: %w", err)
	}
	return resp.DbSize, 0, nil
}

// OpenCountTeam is how many of team's alerts are open. It is a local
// (serializable) read: the cap it serves is a bound against floods, not
// an exact count.
func (s *Store) OpenCountTeam(ctx context.Context, team string) (int64, error) {
	resp, err := s.cli.Get(ctx, s.p+"dedup/"+team+"/", clientv3.WithPrefix(), clientv3.WithCountOnly(), clientv3.WithSerializable())
	if err != nil {
		return 0, fmt.Errorf("count team %s's open alerts: %w", team, err)
	}
	return resp.Count, nil
}
