package sdnotify

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeSystemd listens on a unixgram socket like systemd's notify socket and
// points NOTIFY_SOCKET at it. Tests using it can't be parallel (t.Setenv).
func fakeSystemd(t *testing.T) *net.UnixConn {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "notify.sock")
	if len(path) > 100 { // sun_path is 108 bytes
		d, err := os.MkdirTemp("", "sd")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		path = filepath.Join(d, "n.sock")
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return conn
}

type datagram struct {
	msg string
	at  time.Time
}

// collect reads datagrams until the socket is closed.
func collect(conn *net.UnixConn) <-chan datagram {
	ch := make(chan datagram, 1024)
	go func() {
		defer close(ch)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			ch <- datagram{string(buf[:n]), time.Now()}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan datagram) string {
	t.Helper()
	select {
	case d := <-ch:
		return d.msg
	case <-time.After(2 * time.Second):
		t.Fatal("no datagram")
		return ""
	}
}

func TestMessages(t *testing.T) {
	conn := fakeSystemd(t)
	ch := collect(conn)
	n := New()
	if err := n.Ready("serving 3 rotas"); err != nil {
		t.Fatal(err)
	}
	if got, want := next(t, ch), "READY=1\nSTATUS=serving 3 rotas"; got != want {
		t.Errorf("Ready sent %q, want %q", got, want)
	}
	if err := n.Status("reloading"); err != nil {
		t.Fatal(err)
	}
	if got := next(t, ch); got != "STATUS=reloading" {
		t.Errorf("Status sent %q", got)
	}
	if err := n.Watchdog(); err != nil {
		t.Fatal(err)
	}
	if got := next(t, ch); got != "WATCHDOG=1" {
		t.Errorf("Watchdog sent %q", got)
	}
	if err := n.Stopping(); err != nil {
		t.Fatal(err)
	}
	if got := next(t, ch); got != "STOPPING=1" {
		t.Errorf("Stopping sent %q", got)
	}
	if d := n.WatchdogInterval(); d != 0 {
		t.Errorf("WatchdogInterval = %v without WATCHDOG_USEC", d)
	}
	// New read the environment, and left it set.
	if os.Getenv("NOTIFY_SOCKET") == "" {
		t.Error("New unset NOTIFY_SOCKET")
	}
}

func TestWatchdogCadence(t *testing.T) {
	conn := fakeSystemd(t)
	ch := collect(conn)
	const timeout = 200 * time.Millisecond
	t.Setenv("WATCHDOG_USEC", strconv.Itoa(int(timeout/time.Microsecond)))
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	n := New()
	if got := n.WatchdogInterval(); got != timeout {
		t.Fatalf("WatchdogInterval = %v, want %v", got, timeout)
	}

	var alive atomic.Bool
	alive.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.RunWatchdog(ctx, alive.Load); close(done) }()
	defer func() { cancel(); <-done }()

	// Alive: pings at interval/2 = 100ms, the first at once.
	var pings []time.Time
	deadline := time.After(550 * time.Millisecond)
loop:
	for {
		select {
		case d := <-ch:
			if d.msg != "WATCHDOG=1" {
				t.Fatalf("unexpected message %q", d.msg)
			}
			pings = append(pings, d.at)
		case <-deadline:
			break loop
		}
	}
	if len(pings) < 4 || len(pings) > 7 {
		t.Fatalf("%d pings in 550ms at a 100ms cadence, want about 6", len(pings))
	}
	for i := 1; i < len(pings); i++ {
		if gap := pings[i].Sub(pings[i-1]); gap < 50*time.Millisecond || gap > 190*time.Millisecond {
			t.Errorf("gap %d = %v, want about 100ms (and under the 200ms timeout)", i, gap)
		}
	}

	// Wedged: no more pings, for well over the watchdog timeout.
	alive.Store(false)
	// A ping already in flight when alive flipped may still land.
	drain := time.After(20 * time.Millisecond)
drained:
	for {
		select {
		case <-ch:
		case <-drain:
			break drained
		}
	}
	select {
	case d := <-ch:
		t.Fatalf("got %q after alive() turned false", d.msg)
	case <-time.After(3 * timeout):
	}

	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("RunWatchdog did not return after cancel")
	}
}

func TestWatchdogOtherPID(t *testing.T) {
	fakeSystemd(t)
	t.Setenv("WATCHDOG_USEC", "1000000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()+1))
	if d := New().WatchdogInterval(); d != 0 {
		t.Errorf("WatchdogInterval = %v for another PID's watchdog", d)
	}
}

func TestNoNotifySocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	os.Unsetenv("NOTIFY_SOCKET")
	t.Setenv("WATCHDOG_USEC", "1000000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	for name, n := range map[string]*Notifier{"New": New(), "zero": {}, "nil": nil} {
		for call, err := range map[string]error{
			"Ready":    n.Ready("x"),
			"Status":   n.Status("x"),
			"Stopping": n.Stopping(),
			"Watchdog": n.Watchdog(),
		} {
			if err != nil {
				t.Errorf("%s.%s = %v, want nil", name, call, err)
			}
		}
		if d := n.WatchdogInterval(); d != 0 {
			t.Errorf("%s.WatchdogInterval = %v, want 0", name, d)
		}
		done := make(chan struct{})
		go func() {
			n.RunWatchdog(context.Background(), func() bool { t.Error("alive called"); return true })
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(time.Second):
			t.Errorf("%s.RunWatchdog blocked with no watchdog", name)
		}
	}
}

// Notify is read once: a socket set after New is not used.
func TestReadsEnvironmentOnce(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	os.Unsetenv("NOTIFY_SOCKET")
	n := New()
	conn := fakeSystemd(t)
	ch := collect(conn)
	if err := n.Ready("x"); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-ch:
		t.Fatalf("sent %q though NOTIFY_SOCKET was unset at New", strings.TrimSpace(d.msg))
	case <-time.After(50 * time.Millisecond):
	}
}
