package scheduler

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"

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
	// Retention is how long a resolved alert stays in etcd before it is
	// moved to Archive (both needed; zero keeps everything).
	Retention time.Duration
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
	// Workers bounds concurrent sends and timer handlings. Default 64.
	Workers int
	// Attempts is how many times a page is tried before it counts as
	// failed and the next contact method follows. Default 3.
	Attempts int
	// Backoff is the first retry delay; it doubles, with jitter. Default 1s.
	Backoff time.Duration
	// Interval is the least time between two messages to one person by
	// one method; pages that fall due sooner wait and go together in one
	// message. Defaults: sms 30s, voice 60s.
	Interval map[escalation.Method]time.Duration
	// Compose, if set, writes the SMS text for a page and the outbox pages
	// it covers (one, or a bundle).
	Compose func(p notifier.Page, pages []store.OutboxPage) string

	leader atomic.Bool
	held   atomic.Int64
	beat   atomic.Int64 // unix nanos of the lead loop's last turn
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
		e.Attempts = 3
	}
	if e.Backoff == 0 {
		e.Backoff = time.Second
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
	// The session outlives ctx so Close can revoke the lease on shutdown:
	// the next leader then takes over at once instead of after the TTL.
	sess, err := concurrency.NewSession(e.Store.Client(), concurrency.WithTTL(e.TTL),
		concurrency.WithContext(context.WithoutCancel(ctx)))
	if err != nil {
		return fmt.Errorf("election session: %w", err)
	}
	defer sess.Close()
	el := concurrency.NewElection(sess, e.Store.Prefix()+"leader")
	if err := el.Campaign(ctx, e.Node); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sess.Done():
			cancel()
		case <-lctx.Done():
		}
	}()
	e.Log.Info("leading", "node", e.Node, "rev", el.Rev())
	e.setLeader(true)
	defer e.setLeader(false)
	err = e.lead(lctx, &store.Fence{Key: el.Key(), Rev: el.Rev()})
	e.Log.Info("no longer leading", "node", e.Node, "err", err)
	return err
}

// lead runs escalations until ctx ends or a watch fails.
func (e *Engine) lead(ctx context.Context, fence *store.Fence) error {
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancelCause(ctx)
	defer func() {
		cancel(nil)
		wg.Wait() // no send or tick of this term outlives it
		e.held.Store(0)
	}()
	sem := make(chan struct{}, e.Workers)
	spawn := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			f()
		}()
	}
	fenced := func(err error) {
		if errors.Is(err, store.ErrFenced) {
			cancel(err)
		}
	}

	timers, trev, err := e.Store.Timers(ctx)
	if err != nil {
		return err
	}
	pages, orev, err := e.Store.Outbox(ctx)
	if err != nil {
		return err
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		e.noticeLoop(ctx)
	}()
	go func() {
		defer wg.Done()
		e.recordLedger(ctx, fence)
	}()
	go func() {
		defer wg.Done()
		e.retireLoop(ctx)
	}()
	tw := e.Store.WatchTimers(ctx, trev)
	ow := e.Store.WatchOutbox(ctx, orev)
	q := &timerQueue{index: map[int64]*timerItem{}}
	for id, due := range timers {
		q.set(id, due)
	}
	boxes := newBundler(e.Clock, e.Interval)
	flush := make(chan string, 64)
	sendNow := func(pgs []store.OutboxPage) { spawn(func() { fenced(e.send(ctx, fence, pgs)) }) }
	send := func(pg store.OutboxPage) {
		now, key, wait, arm := boxes.add(pg)
		e.held.Store(int64(boxes.held))
		if now != nil {
			sendNow(now)
		}
		if !arm {
			return
		}
		t := e.Clock.NewTimer(wait)
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-t.C():
				select {
				case flush <- key:
				case <-ctx.Done():
				}
			case <-ctx.Done():
				t.Stop()
			}
		}()
	}
	for _, pg := range pages {
		send(pg)
	}
	if n := len(pages); n > 0 {
		e.Log.Info("resuming pages left by the previous leader", "pages", n)
	}
	retry := make(chan int64, 64)
	// The loop turns at least this often, so Alive can tell a wedged loop
	// from an idle one. Wall time on purpose: it watches this process.
	heartbeat := time.NewTicker(5 * time.Second)
	defer heartbeat.Stop()
	for {
		e.beat.Store(time.Now().UnixNano())
		var wake <-chan time.Time
		var tm clock.Timer
		if due, ok := q.peek(); ok {
			tm = e.Clock.NewTimer(due.Sub(e.Clock.Now()))
			wake = tm.C()
		}
		select {
		case <-ctx.Done():
			if tm != nil {
				tm.Stop()
			}
			return context.Cause(ctx)
		case ev, ok := <-tw:
			if !ok {
				return errors.New("timer watch ended")
			}
			if ev.Due.IsZero() {
				q.remove(ev.ID)
			} else {
				q.set(ev.ID, ev.Due)
			}
		case pg, ok := <-ow:
			if !ok {
				return errors.New("outbox watch ended")
			}
			send(pg)
		case key := <-flush:
			batch := boxes.flush(key)
			e.held.Store(int64(boxes.held))
			sendNow(batch)
		case <-heartbeat.C:
		case id := <-retry:
			q.set(id, e.Clock.Now().Add(time.Second))
		case now := <-wake:
			for {
				id, due, ok := q.popDue(now)
				if !ok {
					break
				}
				spawn(func() {
					err := e.tick(ctx, fence, id, due)
					fenced(err)
					if err != nil && !errors.Is(err, store.ErrFenced) && ctx.Err() == nil {
						e.Log.Error("alert timer failed; retrying", "alert", id, "err", err)
						select {
						case retry <- id:
						case <-ctx.Done():
						}
					}
				})
			}
		}
		if tm != nil {
			tm.Stop()
		}
	}
}

// tick handles an alert's due timer.
func (e *Engine) tick(ctx context.Context, fence *store.Fence, id int64, due time.Time) error {
	if e.Observer != nil {
		e.Observer.TimerFired(e.Clock.Now().Sub(due))
	}
	return e.Alerts.TimerFired(ctx, fence, id, due)
}

// send delivers pages for one person by one method: one page, or several
// bundled into one message (see mailbox). It retries, and records the
// outcome on every alert concerned.
func (e *Engine) send(ctx context.Context, fence *store.Fence, pages []store.OutboxPage) error {
	pages, err := e.stillWanted(ctx, pages)
	if err != nil || len(pages) == 0 {
		return err
	}
	pg := pages[len(pages)-1] // the newest speaks for the bundle
	r := e.Rota.Get()
	p, ok := r.People[pg.Person]
	to := ""
	if ok {
		to = p.SMS
		if pg.Method == "voice" {
			to = p.Voice
		}
	}
	if to == "" {
		return e.failedAll(ctx, pages, fmt.Errorf("%s has no %s number in rota r%d", pg.Person, pg.Method, r.Rev), 0)
	}
	page := notifier.Page{
		AlertID: pg.AlertID, PageID: pg.PageID, Team: pg.Team, Summary: pg.Summary, Severity: pg.Severity,
		Person: p.ID, PersonName: p.Name, Method: string(pg.Method), To: to, Role: pg.Role,
		Shadow: pg.Shadow,
	}
	if late := e.Clock.Now().Sub(pages[0].Due); late > 2*time.Second {
		page.Late = late
	}
	if len(pages) > 1 {
		for _, q := range pages {
			page.Bundled = append(page.Bundled, q.AlertID)
			page.BundledPages = append(page.BundledPages, q.PageID)
		}
	}
	if e.Compose != nil {
		page.Text = e.Compose(page, pages)
	}
	what := fmt.Sprintf("%s to %s", pg.Method, pg.Person)
	backoff := e.Backoff
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return ctx.Err() // leadership lost before sending: the next leader sends it
		}
		// A send under way is allowed to finish even if leadership ends, so
		// its outcome is known and recorded rather than repeated.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
		rec, err := e.Notifier.Send(sctx, page)
		cancel()
		if e.Observer != nil {
			for _, q := range pages {
				e.Observer.PageSent(q, e.Clock.Now(), err)
			}
		}
		if err == nil {
			late := ""
			if page.Late > 0 {
				late = fmt.Sprintf(", %s late", page.Late.Round(time.Second))
			}
			bundle := ""
			if len(pages) > 1 {
				bundle = fmt.Sprintf(" in one message about %d alerts", len(pages))
			}
			var errs []error
			for _, q := range pages {
				shadow := ""
				if q.Shadow {
					shadow = " (shadow copy)"
				}
				errs = append(errs, e.finish(ctx, q, "sent", "%s%s to %s (%s) sent via %s [%s]%s%s", q.Method, shadow, q.Person, to, rec.Provider, rec.ID, bundle, late))
			}
			return errors.Join(errs...)
		}
		if ctx.Err() != nil {
			return ctx.Err() // leadership lost: the next leader sends it
		}
		if notifier.IsPermanent(err) || attempt >= e.Attempts {
			return e.failedAll(ctx, pages, err, attempt)
		}
		wait := backoff + time.Duration(rand.Int64N(int64(backoff)/2+1))
		backoff *= 2
		// Arm the wait before saying so, so whoever reads the note (a
		// test driving the clock) finds the timer already running.
		t := e.Clock.NewTimer(wait)
		for _, q := range pages {
			entry := store.Entry{At: e.Clock.Now(), Kind: "retry", Text: fmt.Sprintf("%s failed (attempt %d of %d): %v; retrying in %s", what, attempt, e.Attempts, err, wait.Round(time.Millisecond))}
			if rerr := e.Store.RecordEvent(ctx, q.AlertID, fmt.Sprintf("%s-retry-%d", q.PageID, attempt), entry); rerr != nil {
				t.Stop()
				return rerr
			}
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}

// stillWanted drops pages whose alerts were acknowledged or resolved since
// they were queued (a leader died, or they waited in a mailbox): a page now
// would wake someone for nothing. Fresh pages skip the read: they were just
// decided.
func (e *Engine) stillWanted(ctx context.Context, pages []store.OutboxPage) ([]store.OutboxPage, error) {
	var out []store.OutboxPage
	for _, pg := range pages {
		if e.Clock.Now().Sub(pg.Queued) <= staleAfter {
			out = append(out, pg)
			continue
		}
		a, err := e.Store.Get(ctx, pg.AlertID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if a.Status() != escalation.StatusTriggered {
			if err := e.finish(ctx, pg, "skipped", "%s to %s not sent: alert is %s", pg.Method, pg.Person, a.Status()); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, pg)
	}
	return out, nil
}

func (e *Engine) failedAll(ctx context.Context, pages []store.OutboxPage, cause error, attempts int) error {
	var errs []error
	for _, pg := range pages {
		errs = append(errs, e.failed(ctx, pg, cause, attempts))
	}
	return errors.Join(errs...)
}

// staleAfter is how old a queued page may be before send checks that its
// alert is still unacknowledged.
const staleAfter = time.Second

// finish removes a page from the outbox, noting why on the timeline. It
// is not fenced and outlives the term: that a page went out is a fact
// whoever leads, and recording it even as leadership is lost keeps the next
// leader from sending it again.
func (e *Engine) finish(ctx context.Context, pg store.OutboxPage, kind, format string, args ...any) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	entry := store.Entry{At: e.Clock.Now(), Kind: kind, Text: fmt.Sprintf(format, args...)}
	if kind == "sent" {
		return e.Store.RecordSent(rctx, pg, entry)
	}
	return e.Store.RecordEvent(rctx, pg.AlertID, pg.PageID+"-"+kind, entry, pg)
}

// failed records a page that could not be sent and moves the person on to
// their next contact method. The record outlives the term, like finish.
func (e *Engine) failed(ctx context.Context, pg store.OutboxPage, cause error, attempts int) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	return e.Alerts.SendFailed(rctx, pg, cause, attempts)
}

// timerQueue is a min-heap of alert timers with an index for updates.
type timerQueue struct {
	items []*timerItem
	index map[int64]*timerItem
}

type timerItem struct {
	id  int64
	due time.Time
	i   int
}

func (q *timerQueue) Len() int           { return len(q.items) }
func (q *timerQueue) Less(i, j int) bool { return q.items[i].due.Before(q.items[j].due) }
func (q *timerQueue) Swap(i, j int) {
	q.items[i], q.items[j] = q.items[j], q.items[i]
	q.items[i].i, q.items[j].i = i, j
}
func (q *timerQueue) Push(x any) {
	it := x.(*timerItem)
	it.i = len(q.items)
	q.items = append(q.items, it)
}
func (q *timerQueue) Pop() any {
	it := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return it
}

func (q *timerQueue) set(id int64, due time.Time) {
	if it, ok := q.index[id]; ok {
		it.due = due
		heap.Fix(q, it.i)
		return
	}
	it := &timerItem{id: id, due: due}
	q.index[id] = it
	heap.Push(q, it)
}

func (q *timerQueue) remove(id int64) {
	if it, ok := q.index[id]; ok {
		heap.Remove(q, it.i)
		delete(q.index, id)
	}
}

func (q *timerQueue) peek() (time.Time, bool) {
	if len(q.items) == 0 {
		return time.Time{}, false
	}
	return q.items[0].due, true
}

func (q *timerQueue) popDue(now time.Time) (int64, time.Time, bool) {
	if len(q.items) == 0 || q.items[0].due.After(now) {
		return 0, time.Time{}, false
	}
	it := heap.Pop(q).(*timerItem)
	delete(q.index, it.id)
	return it.id, it.due, true
}
