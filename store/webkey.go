package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// WebKey returns the cluster's key for signing web console sessions,
// making it on first use. Every node signs and checks with the same key,
// so a session begun on one node works on any other.
func (s *Store) WebKey(ctx context.Context) ([]byte, error) {
	k := s.p + "web/session-key"
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("web session key: %w", err)
	}
	tx, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
		Then(clientv3.OpPut(k, string(key))).Else(clientv3.OpGet(k)).Commit()
	if err != nil {
		return nil, fmt.Errorf("web session key: %w", err)
	}
	if tx.Succeeded {
		return key, nil
	}
	kvs := tx.Responses[0].GetResponseRange().GetKvs()
	if len(kvs) == 0 || len(kvs[0].Value) < 32 {
		return nil, errors.New("web session key: stored key is missing or short")
	}
	return kvs[0].Value, nil
}
