package store

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Claim marks name as done, once across the cluster: it returns true to
// the one caller that claimed it first.
func (s *Store) Claim(ctx context.Context, name string) (bool, error) {
	k := s.p + "claims/" + name
	tx, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).Then(clientv3.OpPut(k, "1")).Commit()
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", name, err)
	}
	return tx.Succeeded, nil
}
