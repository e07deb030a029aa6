// Package sdnotify is a thin layer over systemd's notify protocol
// (github.com/coreos/go-systemd/v22/daemon) for pagerd serve running as a
// Type=notify unit: readiness, status lines, stopping, and a watchdog that
// is only fed while the engine says it is alive.
package sdnotify

import (
	"context"
	"os"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"

	"github.com/pagerd/pagerd/clock"
)

// Notifier sends sd_notify messages. It reads the environment once, in New.
// The zero value (and a Notifier from New when NOTIFY_SOCKET is unset) does
// nothing: every method returns nil and WatchdogInterval is 0. A nil
// *Notifier behaves like the zero value.
type Notifier struct {
	enabled  bool          // NOTIFY_SOCKET was set when New ran
	watchdog time.Duration // WATCHDOG_USEC for this PID, 0 when not enabled
	clock    clock.Clock   // paces RunWatchdog; nil is the wall clock (tests set a fake)
}

// New reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. It leaves them set
// (unsetEnvironment=false), so the daemon package can still reach the socket
// on each send. An unparsable WATCHDOG_USEC counts as no watchdog.
func New() *Notifier {
	n := &Notifier{}
	if os.Getenv("NOTIFY_SOCKET") == "" {
		return n
	}
	n.enabled = true
	if d, err := daemon.SdWatchdogEnabled(false); err == nil && d > 0 {
		n.watchdog = d
	}
	return n
}

func (n *Notifier) send(state string) error {
	if n == nil || !n.enabled {
		return nil
	}
	_, err := daemon.SdNotify(false, state)
	return err
}

// Ready tells systemd that start-up is finished: "READY=1\nSTATUS=status".
// An empty status sends only READY=1.
func (n *Notifier) Ready(status string) error {
	msg := daemon.SdNotifyReady
	if status != "" {
		msg += "\nSTATUS=" + status
	}
	return n.send(msg)
}

// Status sets the free-form status shown by systemctl status: "STATUS=status".
func (n *Notifier) Status(status string) error {
	return n.send("STATUS=" + status)
}

// Stopping tells systemd a clean shutdown has begun: "STOPPING=1".
func (n *Notifier) Stopping() error {
	return n.send(daemon.SdNotifyStopping)
}

// WatchdogInterval is the watchdog timeout systemd set (WatchdogSec=), or 0
// when the watchdog is not enabled for this process or notify is off.
func (n *Notifier) WatchdogInterval() time.Duration {
	if n == nil || !n.enabled {
		return 0
	}
	return n.watchdog
}

// Watchdog feeds the watchdog once: "WATCHDOG=1".
func (n *Notifier) Watchdog() error {
	return n.send(daemon.SdNotifyWatchdog)
}

// RunWatchdog feeds the watchdog every WatchdogInterval()/2, but only when
// alive() returns true, so a wedged engine stops the pings and systemd
// kills and restarts pagerd (Restart=on-failure). It pings at once if alive,
// then on each tick; a tick where alive() is false is skipped (pinging
// resumes if alive() recovers before systemd acts). It blocks until ctx is
// done and returns at once when the watchdog is not enabled. Send errors
// are ignored and nothing is logged; alive must be safe to call from this
// goroutine and should be quick.
func (n *Notifier) RunWatchdog(ctx context.Context, alive func() bool) {
	d := n.WatchdogInterval() / 2
	if d <= 0 {
		return
	}
	clk := n.clock
	if clk == nil {
		clk = clock.Real{}
	}
	ping := func() {
		if alive() {
			// A failed ping is a missed one: the next tick tries again,
			// and if none gets through systemd restarts pagerd, which
			// is what the watchdog is for. Nothing to log to here.
			_ = n.Watchdog()
		}
	}
	ping()
	next := clk.Now()
	for {
		// Keep to the schedule like a ticker: a slow alive() doesn't push
		// every later ping back, and ticks missed in a stall are dropped
		// rather than sent in a burst.
		now := clk.Now()
		next = next.Add(d)
		if !next.After(now) {
			next = now.Add(d)
		}
		t := clk.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
			if ctx.Err() != nil {
				return
			}
			ping()
		}
	}
}
