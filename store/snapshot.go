package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"
)

// Snapshot writes a consistent snapshot of the whole etcd keyspace to w,
// through etcd's maintenance API, and returns its size.
func (s *Store) Snapshot(ctx context.Context, w io.Writer) (int64, error) {
	rc, err := s.cli.Snapshot(ctx)
	if err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	defer rc.Close()
	n, err := io.Copy(w, rc)
	if err != nil {
		return n, fmt.Errorf("snapshot: %w", err)
	}
	return n, nil
}

// RestoreSnapshot makes dataDir an embedded pagerd's data directory holding
// the snapshot's keyspace. dataDir must not hold etcd data already:
// restoring never overwrites.
func RestoreSnapshot(snapshotPath, dataDir string) error {
	out := filepath.Join(dataDir, "etcd")
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("restore: %s already holds etcd data; restore into a new data directory", out)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	// The peer URL is a placeholder: a single embedded node advertises
	// whatever port it gets when it starts.
	const peer = "http://127.0.0.1:2380"
	err := snapshot.NewV3(zap.NewNop()).Restore(snapshot.RestoreConfig{
		SnapshotPath: snapshotPath, Name: "pagerd", OutputDataDir: out,
		PeerURLs: []string{peer}, InitialCluster: "pagerd=" + peer, InitialClusterToken: "etcd-cluster",
	})
	if err != nil {
		return fmt.Errorf("restore %s: %w", snapshotPath, err)
	}
	return nil
}
