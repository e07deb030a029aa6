package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSystemdNotify runs the daemon as systemd would with Type=notify and
// WatchdogSec, against a fake NOTIFY_SOCKET: READY with a STATUS line once
// it serves, watchdog pings while the engine runs, STOPPING on SIGTERM.
func TestSystemdNotify(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	dir, err := os.MkdirTemp("", "sd") // a socket path must be short
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	n := newNode(t, "sd", "--config", "../../configs/example", "--data-dir", t.TempDir())
	n.env = []string{"NOTIFY_SOCKET=" + sock, "WATCHDOG_USEC=1000000"}
	n.start()
	want := func(prefix string) string {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case m := <-got:
				if strings.HasPrefix(m, prefix) {
					return m
				}
			case <-deadline:
				t.Fatalf("no %q from the daemon", prefix)
			}
		}
	}
	ready := want("READY=1")
	if !strings.Contains(ready, "STATUS=") || !strings.Contains(ready, "rota r1") || !strings.Contains(ready, "open alerts") {
		t.Errorf("ready: %q", ready)
	}
	// WatchdogSec=1s: the engine is alive, so the pings keep coming (their
	// cadence is sdnotify's TestWatchdogCadence, on a fake clock).
	want("WATCHDOG=1")
	want("WATCHDOG=1")
	n.cmd.Process.Signal(syscall.SIGTERM)
	want("STOPPING=1")
	n.cmd.Wait()
}
