package sdnotify

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/clock"
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
			ch <- datagram{string(buf[:n])}
		}
	}()
	return ch
}

// waitLimit bounds waits for something that must happen; it only decides
// how long a broken test hangs, so it is generous for a busy machine.
const waitLimit = 30 * time.Second

func next(t *testing.T, ch <-chan datagram) string {
	t.Helper()
	select {
	case d := <-ch:
		return d.msg
	case <-time.After(waitLimit):
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
	const timeout = 30 * time.Second // WatchdogSec=30
	t.Setenv("WATCHDOG_USEC", strconv.Itoa(int(timeout/time.Microsecond)))
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	n := New()
	if got := n.WatchdogInterval(); got != timeout {
		t.Fatalf("WatchdogInterval = %v, want %v", got, timeout)
	}
	clk := clock.NewFake(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	n.clock = clk
	const every = timeout / 2

	// alive hands the watchdog the test's answers one at a time, so the
	// test knows exactly when it was asked and what it said.
	ctx, cancel := context.WithCancel(context.Background())
	answers := make(chan bool)
	alive := func() bool {
		select {
		case v := <-answers:
			return v
		case <-ctx.Done():
			return false
		}
	}
	answer := func(v bool) {
		t.Helper()
		select {
		case answers <- v:
		case <-time.After(waitLimit):
			t.Fatal("the watchdog never asked whether the engine is alive")
		}
	}
	// armed waits until the watchdog waits for its next tick.
	armed := func() {
		t.Helper()
		deadline := time.Now().Add(waitLimit)
		for clk.Pending() != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("the watchdog armed %d timers, want 1", clk.Pending())
			}
			time.Sleep(time.Millisecond)
		}
	}
	done := make(chan struct{})
	go func() { n.RunWatchdog(ctx, alive); close(done) }()
	defer func() { cancel(); <-done }()

	// The first ping at once, before any tick.
	answer(true)
	if got := next(t, ch); got != "WATCHDOG=1" {
		t.Fatalf("first ping = %q", got)
	}
	// Then one every half timeout: not a nanosecond sooner.
	armed()
	clk.Advance(every - time.Nanosecond)
	if clk.Pending() != 1 {
		t.Fatalf("the watchdog ticked before half its %v timeout", timeout)
	}
	clk.Advance(time.Nanosecond)
	answer(true)
	if got := next(t, ch); got != "WATCHDOG=1" {
		t.Fatalf("ping on the first tick = %q", got)
	}
	for range 3 {
		armed()
		clk.Advance(every)
		answer(true)
		if got := next(t, ch); got != "WATCHDOG=1" {
			t.Fatalf("ping on a tick = %q", got)
		}
	}
	// Wedged for two ticks: no ping. Then alive again: pinging resumes.
	for _, v := range []bool{false, false, true} {
		armed()
		clk.Advance(every)
		answer(v)
	}
	if got := next(t, ch); got != "WATCHDOG=1" {
		t.Fatalf("ping after recovery = %q", got)
	}
	// A stall of three ticks (a suspended VM) brings one ping, not three,
	// and then the next tick waits its turn.
	armed()
	clk.Advance(3 * every)
	answer(true)
	if got := next(t, ch); got != "WATCHDOG=1" {
		t.Fatalf("ping after a stall = %q", got)
	}
	armed()

	cancel()
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatal("RunWatchdog did not return after cancel")
	}
	// Everything RunWatchdog sent is in the socket now; a marker sent after
	// it must come next, or some tick (a wedged one) pinged.
	if err := n.Status("marker"); err != nil {
		t.Fatal(err)
	}
	if got := next(t, ch); got != "STATUS=marker" {
		t.Fatalf("got %q after the last ping, want only the marker: a wedged tick pinged", got)
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
		case <-time.After(waitLimit):
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
	// A notifier that did read the socket sends a marker after Ready
	// returned: if Ready had sent anything, it would be read first.
	if err := New().Status("marker"); err != nil {
		t.Fatal(err)
	}
	if got := next(t, ch); got != "STATUS=marker" {
		t.Fatalf("sent %q though NOTIFY_SOCKET was unset at New", strings.TrimSpace(got))
	}
}
