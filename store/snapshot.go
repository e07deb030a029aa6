package store

import (
	"bytes"
	"context"
	"crypto/sha256"
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
// the snapshot's keyspace (alerts, history and archive alike). dataDir may
// be missing or hold anything but etcd data: restoring never overwrites.
//
// It can be retried: the file is checked whole (its SHA-256 trailer)
// before anything is created, and the restore is made in a temporary
// directory beside dataDir, renamed into place only once complete. A
// missing, truncated or corrupt file, or a failure part-way, leaves
// dataDir as it was.
func RestoreSnapshot(snapshotPath, dataDir string) error {
	if err := checkSnapshot(snapshotPath); err != nil {
		return fmt.Errorf("restore: %w; nothing was changed", err)
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	out := filepath.Join(abs, "etcd")
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("restore: %s already holds etcd data; restore into a new data directory", out)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	// Beside dataDir, so the rename stays on one file system.
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(abs)+".restoring-")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	done := false
	defer func() {
		if !done {
			// Best effort: a leftover temporary directory is named as
			// such and changes nothing a retry looks at.
			_ = os.RemoveAll(tmp)
		}
	}()
	// The peer URL is a placeholder: a single embedded node advertises
	// whatever port it gets when it starts.
	const peer = "http://127.0.0.1:2380"
	err = snapshot.NewV3(zap.NewNop()).Restore(snapshot.RestoreConfig{
		SnapshotPath: snapshotPath, Name: "pagerd", OutputDataDir: filepath.Join(tmp, "etcd"),
		PeerURLs: []string{peer}, InitialCluster: "pagerd=" + peer, InitialClusterToken: "etcd-cluster",
	})
	if err != nil {
		return fmt.Errorf("restore %s: %w; nothing was changed", snapshotPath, err)
	}
	if err := os.Chmod(tmp, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) {
		// The whole directory goes into place at once.
		if err := os.Rename(tmp, abs); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		done = true
		return nil
	}
	if err := os.Rename(filepath.Join(tmp, "etcd"), out); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// checkSnapshot refuses a file that is missing or is not a whole etcd
// snapshot: a snapshot taken through the maintenance API (pagerd snapshot
// save, etcdctl snapshot save) ends with the SHA-256 of what comes before.
func checkSnapshot(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a file", path)
	}
	size := fi.Size()
	// bbolt's pages are multiples of 512 bytes; the trailer adds 32.
	if size < 512+sha256.Size || size%512 != sha256.Size {
		return fmt.Errorf("%s (%d bytes) is truncated or not an etcd snapshot (a snapshot is whole pages and a SHA-256 trailer)", path, size)
	}
	h := sha256.New()
	if _, err := io.CopyN(h, f, size-sha256.Size); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	want := make([]byte, sha256.Size)
	if _, err := io.ReadFull(f, want); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if !bytes.Equal(h.Sum(nil), want) {
		return fmt.Errorf("%s is corrupt: its SHA-256 trailer does not match its contents", path)
	}
	return nil
}
