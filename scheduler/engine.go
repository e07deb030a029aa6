package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/store"
)

// Observer hears what the engine does, for metrics and benchmarks. Any
// method may be called from many goroutines.
type Observer interface {
	Leader(bool)
	// PageSent is called after each send attempt; err is nil on success.
	PageSent(p store.OutboxPage, at time.Time, err error)
	// TimerFired is called when an alert timer is handled, with how late.
	TimerFired(late time.Duration)
}

// OutboxObserver, when the Observer implements it too, hears at each sweep
// how many pages wait in the outbox and how long the oldest is overdue.
type OutboxObserver interface {
	Outbox(pages int, oldestOverdue time.Duration)
}

// HeldObserver, when the Observer implements it too, hears at each sweep
// how many pages wait in mailboxes for their person's interval.
type HeldObserver interface {
	Held(pages int)
}

// NoticeObserver, when the Observer implements it too, hears each handoff
// notice's outcome.
type NoticeObserver interface {
	Notice(err error)
}

// Engine runs escalations on whichever node etcd elects.
type Engine struct {
	Store    *store.Store
	Alerts   *alerts.Service // changes alerts: timers fired, sends failed
	Rota     *inforce.Current
	Notifier notifier.Notifier
	Clock    clock.Clock
	Log      *slog.Logger
	Node     string   // this node's name, stored as the election value
	Observer Observer // optional
	// Retention is how long a resolved alert stays in etcd in full before
	// its summary and compressed archive replace it, kept as Keep says
	// (zero Retention keeps everything). Archive, if set, gets a JSON line
	// of each retired alert too (an export).
	Retention time.Duration
	Keep      store.Keep
	Archive   *Archive
	// HandoffNotice is how long before a shift its person (and its
	// shadows) get a text about it; zero sends none.
	HandoffNotice time.Duration
	// OnLeader, if set, hears when this node starts and stops leading, for
	// work only the leader does (watching mailboxes).
	OnLeader func(leading bool)

	// TTL is the election lease in seconds: how long a dead leader's
	// leadership outlives it. Default 2.
	TTL int
	// Workers bounds concurrent sends, and apart from them concurrent
	// timer handlings. Default 64 of each.
	Workers int
	// Attempts is how many times a page is tried before it counts as
	// failed and the next contact method follows. Default 5: with the
	// doubling backoff, about 15 s of a provider's trouble before the
	// person's next method is tried.
	Attempts int
	// Backoff is the first retry delay; it doubles, with jitter. Default 1s.
	Backoff time.Duration
	// SweepEvery is how often the leader reads the whole outbox and every
	// timer back from etcd, to send what no watch reported and to retry
	// what failed. Default 1s.
	SweepEvery time.Duration
	// RequestTimeout bounds each etcd request the engine makes, so a
	// paused or partitioned etcd member costs one timeout and a retry
	// elsewhere, not a stall. Default 1s (etcd answers in milliseconds).
	RequestTimeout time.Duration
	// Interval is the least time between two messages to one person by
	// one method; pages that fall due sooner wait and go together in one
	// message. Defaults: sms 30s, voice 60s.
	Interval map[escalation.Method]time.Duration
	// Compose, if set, writes the SMS text for a page and the outbox pages
	// it covers (one, or a bundle).
	Compose func(p notifier.Page, pages []store.OutboxPage) string

	leader atomic.Bool
	held   atomic.Int64
	// working counts sends and timer handlings under way; sleepsUntil is
	// the instant (unix nanos) the lead loop sleeps until, 0 while it is
	// busy. Together they tell when the engine has done all that is due.
	working     atomic.Int64
	sleepsUntil atomic.Int64
	beat        atomic.Int64 // unix nanos of the lead loop's last turn
	retireNext  atomic.Int64 // unix nanos of the next retention sweep, 0 before the first
	noticeNext  atomic.Int64 // unix nanos the notice loop sleeps until, 0 before it plans
	lastDefrag  atomic.Int64 // unix nanos (engine clock) of the last defragmentation, 0: none
	compactTo   atomic.Int64 // the revision the next retention sweep compacts to, 0: none

	// afterIntent, if set (by tests), runs between a send's intent and
	// its request: where a pause of the process would fall.
	afterIntent func()
}

// Alive reports whether the engine is working: a follower always is; a
// leader is while its loop has turned within the last 30 seconds. systemd's
// watchdog uses it, so a wedged engine gets the process restarted.
func (e *Engine) Alive() bool {
	if !e.leader.Load() {
		return true
	}
	return time.Since(time.Unix(0, e.beat.Load())) < 30*time.Second
}

// Held is how many pages wait in mailboxes for their person's interval to
// pass (a measure of rate limiting at work).
func (e *Engine) Held() int { return int(e.held.Load()) }

// Idle reports whether the engine, leading, has handed out and finished
// everything due by now: its loop sleeps until an instant after now and no
// send or timer handling is under way. Tests driving a fake clock wait for
// it instead of for time.
func (e *Engine) Idle() bool {
	until := e.sleepsUntil.Load()
	return e.leader.Load() && until != 0 && time.Unix(0, until).After(e.Clock.Now()) && e.working.Load() == 0
}

// NextRetention is when the next retention sweep runs (zero before the
// first): tests driving a fake clock wait for it instead of for time.
func (e *Engine) NextRetention() time.Time {
	if n := e.retireNext.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// IsLeader reports whether this node runs the escalations now.
func (e *Engine) IsLeader() bool { return e.leader.Load() }

func (e *Engine) defaults() {
	if e.TTL == 0 {
		e.TTL = 2
	}
	if e.Workers == 0 {
		e.Workers = 64
	}
	if e.Attempts == 0 {
		e.Attempts = 5
	}
	if e.Backoff == 0 {
		e.Backoff = time.Second
	}
	if e.SweepEvery == 0 {
		e.SweepEvery = time.Second
	}
	if e.RequestTimeout == 0 {
		e.RequestTimeout = time.Second
	}
	if e.Interval == nil {
		e.Interval = map[escalation.Method]time.Duration{"sms": 30 * time.Second, "voice": 60 * time.Second}
	}
	if e.Clock == nil {
		e.Clock = clock.Real{}
	}
	if e.Log == nil {
		e.Log = slog.Default()
	}
}

// Run campaigns for leadership and, while leader, runs escalations, until
// ctx ends. Losing leadership (a lost lease, a fenced write) starts a new
// campaign.
func (e *Engine) Run(ctx context.Context) error {
	e.defaults()
	for {
		err := e.term(ctx)
		if ctx.Err() != nil {
			return nil
		}
		e.Log.Warn("leadership term ended; campaigning again", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (e *Engine) setLeader(v bool) {
	e.leader.Store(v)
	if e.OnLeader != nil {
		e.OnLeader(v)
	}
	if e.Observer != nil {
		e.Observer.Leader(v)
	}
}

// term is one campaign and, if won, one leadership.
func (e *Engine) term(ctx context.Context) error {
	// The session outlives ctx so that closing it revokes the lease on
	// shutdown or a lost term: the next leader then takes over at once
	// instead of after the TTL.
	sess, err := e.grant(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err := sess.close(e.RequestTimeout); err != nil {
			e.Log.Warn("election lease not revoked; it expires on its own", "node", e.Node, "in", (time.Duration(e.TTL) * time.Second).String(), "err", err)
		}
	}()
	key, rev, err := e.campaign(ctx, sess)
	if err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	lctx, cancel := context.WithCancelCause(ctx)
	watching := make(chan struct{})
	defer func() {
		cancel(nil)
		<-watching
	}()
	go func() {
		defer close(watching)
		select {
		case <-sess.done:
			cancel(errSessionLost)
		case <-lctx.Done():
		}
	}()
	e.Log.Info("leading", "node", e.Node, "rev", rev)
	// A new leader is alive from its first instant: stamp the heartbeat
	// before anyone (the systemd watchdog) can see it leading.
	e.beat.Store(time.Now().UnixNano())
	e.setLeader(true)
	defer e.setLeader(false)
	err = e.lead(lctx, &store.Fence{Key: key, Rev: rev})
	e.Log.Info("no longer leading", "node", e.Node, "err", err)
	return err
}
