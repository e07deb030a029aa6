package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
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

// docs/deploy.md and systemd/pagerd.service agree: every credential the
// docs point a setting at is loaded by the unit, and every credential the
// unit loads is documented; the unit caps memory and narrows the syscall
// filter.
func TestUnitMatchesDeployDoc(t *testing.T) {
	t.Parallel()
	unit, err := os.ReadFile("../../systemd/pagerd.service")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	loaded := map[string]bool{}
	directives := map[string][]string{}
	for _, line := range strings.Split(string(unit), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		directives[k] = append(directives[k], v)
		if k == "LoadCredential" {
			name, _, _ := strings.Cut(v, ":")
			loaded[name] = true
		}
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`/run/credentials/pagerd\.service/([A-Za-z0-9_.-]+)`).FindAllStringSubmatch(string(doc), -1) {
		used[m[1]] = true
	}
	for name := range used {
		if !loaded[name] {
			t.Errorf("docs/deploy.md reads /run/credentials/pagerd.service/%s, but the unit has no LoadCredential=%s:...", name, name)
		}
	}
	for name := range loaded {
		if !used[name] {
			t.Errorf("the unit loads credential %s, which docs/deploy.md never mentions", name)
		}
	}
	for _, want := range []string{"tokens", "api-token", "calendar-secret", "twilio-token", "imap-password"} {
		if !loaded[want] {
			t.Errorf("the unit loads no %s credential", want)
		}
	}
	if len(directives["MemoryMax"]) == 0 {
		t.Error("the unit sets no MemoryMax=")
	}
	denied := strings.Join(directives["SystemCallFilter"], " ")
	if !strings.Contains(denied, "~@privileged") || !strings.Contains(denied, "@resources") {
		t.Errorf("SystemCallFilter= %q does not deny @privileged and @resources", denied)
	}
	if got := directives["SystemCallErrorNumber"]; len(got) != 1 || got[0] != "EPERM" {
		t.Errorf("SystemCallErrorNumber=%v: a filtered call should fail, not kill the daemon", got)
	}
}
