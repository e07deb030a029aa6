package store

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tcpListeners lists the TCP sockets this process listens on, by inode:
// the LISTEN rows of /proc/net/tcp{,6} whose inode is one of our fds.
func tcpListeners(t *testing.T) map[string]bool {
	t.Helper()
	ours := map[string]bool{}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("read fds: %v", err)
	}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			ours[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	out := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 9 && fields[3] == "0A" && ours[fields[9]] { // 0A: LISTEN
				out[fields[9]] = true
			}
		}
		f.Close()
	}
	return out
}

// The embedded etcd is reachable only by pagerd: it opens no TCP port, not
// for clients and not for peers. Its one listener is a unix socket inside
// the 0700 data directory. Not parallel: it counts the process's listeners.
func TestEmbeddedOpensNoTCPPort(t *testing.T) {
	before := tcpListeners(t)
	dir := t.TempDir()
	s, err := Open(context.Background(), Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.NextID(context.Background()); err != nil {
		t.Fatal(err)
	}
	for inode := range tcpListeners(t) {
		if !before[inode] {
			t.Errorf("the embedded etcd listens on TCP (socket inode %s)", inode)
		}
	}
	if ep := s.Endpoint(); !strings.HasPrefix(ep, "unix://"+dir) {
		t.Errorf("endpoint %q, want a unix socket in the data directory", ep)
	}
	fi, err := os.Stat(filepath.Join(dir, "etcd"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("etcd directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	// Another process of the same user can still reach it (snapshots,
	// etcdctl, a test's second node): through the socket.
	other, err := Open(context.Background(), Config{Endpoints: []string{s.Endpoint()}})
	if err != nil {
		t.Fatalf("open through the socket: %v", err)
	}
	other.Close()
}
