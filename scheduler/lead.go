package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/store"
)

// overdueWarn is how overdue a page may be before the leader warns. A
// page in hand may also have waited out its person's interval in a
// mailbox, by design: it is warned of only past both. (Warning of every
// page of a storm's mailboxes wrote a line per page, tens of thousands,
// from the lead loop, and held it up for seconds.)
const overdueWarn = 30 * time.Second

// overdueNamed is how many newly overdue pages a sweep names in the log.
const overdueNamed = 5

// leadership is one term's state. Only the lead loop goroutine touches it;
// sends and timer handlings run in workers and report back on channels.
type leadership struct {
	e     *Engine
	fence *store.Fence
	ctx   context.Context
	stop  context.CancelCauseFunc
	wg    sync.WaitGroup
	// sends and ticks bound the workers sending messages and handling
	// timers, each Workers at once: apart, so a burst of timers falling
	// due together (a storm's alerts, their first steps timing out) never
	// holds the pages of a new alert behind it, nor the reverse.
	sends, ticks chan struct{}
	// bulk bounds the sends of big bundles (bulkPages or more pages) to
	// bulkSends at once, apart from the rest: each page of a bundle has
	// its intent and its outcome written, so a storm's mailboxes flushing
	// together (tens of thousands of pages) otherwise fill etcd for
	// seconds while new alerts and their first pages wait behind them.
	// The big bundles go a little later instead; they have waited out
	// the interval already.
	bulk chan struct{}

	timers  *timerQueue
	ticking map[int64]bool // timers handed to a worker
	// rearm holds the latest timer event of an alert whose timer a worker
	// has in hand (its own update re-arms it for the next step): it takes
	// effect when the worker is done (a zero Due: disarmed).
	rearm map[int64]time.Time
	boxes *bundler

	// inflight holds the outbox keys of pages this term is working on
	// (held in a mailbox, or being sent), each with its page as offered.
	// The sweep leaves them alone and reads only their keys again.
	inflight map[string]inHand
	// retry holds pages whose last send (or its bookkeeping) failed: the
	// sweep offers them again after their backoff.
	retry map[string]retryState
	// warned holds overdue pages already warned about, so the log says so
	// once per page, not every sweep.
	warned map[string]bool
	// sweepAt is when the next sweep reads the outbox back: every
	// SweepEvery, and sooner when a failed page's backoff ends first.
	sweepAt time.Time
	// timersAt is when the sweep last read every timer back. The timer
	// watch keeps the queue current; the read is the net under it (a
	// timer whose handling left it armed and unchanged), so it is made
	// every timerResync, not every sweep: with thousands of open alerts
	// it is most of a sweep's cost.
	timersAt time.Time
	// keysAt is when the sweep last read every key of the outbox, and
	// keysSeen how many it found.
	keysAt   time.Time
	keysSeen int
	// A watch on a stream stuck on an etcd member that stopped answering
	// reports nothing, and can't tell it from quiet. So each sweep asks
	// the timer watch to answer (progressAsked, when it was first asked
	// without answer since); one that has not answered a sweep later is
	// made again, on a stream of its own, from a full read of the timers.
	progressAsked   bool
	progressAskedAt time.Time
	twCtx           context.Context
	twStop          context.CancelFunc

	// sweeping is the sweep whose read is out, if any; its answer comes
	// on sweptc. Meanwhile doneSince holds the pages whose send finished
	// and touched the timers the watch reported: both newer than the read.
	sweeping  *sweepRead
	sweptc    chan *sweepRead
	doneSince map[string]bool
	touched   map[int64]bool
	fetcher   func(*sweepRead) // tests: reads in place of fetch
	// handOldest is the earliest due of the pages in hand when a sweep
	// last looked through them all (zero: none).
	handOldest time.Time

	sent   chan sendDone
	ticked chan tickDone
}

// inHand is what the sweep needs of a page in hand: when it was due and
// whose it is, for the backlog figure and the overdue warning.
type inHand struct {
	due          time.Time
	alert        int64
	page, person string
	method       escalation.Method
}

func handOf(pg store.OutboxPage) inHand {
	return inHand{due: pg.Due, alert: pg.AlertID, page: pg.PageID, person: pg.Person, method: pg.Method}
}

type retryState struct {
	at    time.Time
	wait  time.Duration
	since time.Time // when the backoff began
}

type sendDone struct {
	pages []store.OutboxPage
	err   error
}

type tickDone struct {
	id  int64
	err error
}

// lead runs escalations until ctx ends (the session is lost, or shutdown)
// or a fenced write says another node leads now. A failed watch does not
// end the term: the sweep covers the gap and the watch is made again.
func (e *Engine) lead(ctx context.Context, fence *store.Fence) error {
	ctx, cancel := context.WithCancelCause(ctx)
	l := &leadership{
		e: e, fence: fence, ctx: ctx, stop: cancel, sends: make(chan struct{}, e.Workers), ticks: make(chan struct{}, e.Workers), bulk: make(chan struct{}, bulkSends),
		timers: &timerQueue{index: map[int64]*timerItem{}}, ticking: map[int64]bool{}, rearm: map[int64]time.Time{},
		boxes:    newBundler(e.Clock, e.Interval),
		inflight: map[string]inHand{}, retry: map[string]retryState{}, warned: map[string]bool{},
		sent: make(chan sendDone), ticked: make(chan tickDone),
		sweptc: make(chan *sweepRead), doneSince: map[string]bool{}, touched: map[int64]bool{},
	}
	defer func() {
		cancel(nil)
		l.wg.Wait() // no send or tick of this term outlives it
		e.held.Store(0)
	}()
	l.wg.Add(3)
	go func() {
		defer l.wg.Done()
		e.noticeLoop(ctx)
	}()
	go func() {
		defer l.wg.Done()
		e.recordLedger(ctx, fence)
	}()
	go func() {
		defer l.wg.Done()
		e.retireLoop(ctx)
	}()
	return l.loop()
}

func (l *leadership) loop() error {
	e := l.e
	// The first sweep reads what the previous leader left: pages to send
	// (those it may have sent are looked up first) and timers to arm.
	r := l.planSweep(true)
	l.fetch(r)
	if r.err != nil {
		return fmt.Errorf("sweep: %w", r.err)
	}
	n, trev, orev := l.takeUp(r), r.trev, r.orev
	tw, ow := l.watchTimers(trev), e.Store.WatchOutbox(l.ctx, orev)
	defer func() {
		// The watches end with the term's context; wait for them, so no
		// goroutine of this term outlives it.
		l.stop(nil)
		for tw != nil {
			if _, ok := <-tw; !ok {
				tw = nil
			}
		}
		for ow != nil {
			if _, ok := <-ow; !ok {
				ow = nil
			}
		}
	}()
	if n > 0 {
		e.Log.Info("resuming pages left by the previous leader", "pages", n)
	}
	l.sweepAt = e.Clock.Now().Add(e.SweepEvery)
	// The loop turns at least this often, so Alive can tell a wedged loop
	// from an idle one. Wall time on purpose: it watches this process.
	heartbeat := time.NewTicker(5 * time.Second)
	defer heartbeat.Stop()
	for {
		e.beat.Store(time.Now().UnixNano())
		// Everything due by now is handed out before the loop sleeps: the
		// escalation timers, the mailboxes whose interval is up, the sweep.
		// Timers are taken from the queue only as workers are free for
		// them: a storm's thousands falling due at once wait in the queue,
		// not as thousands of goroutines (whose stacks every collection
		// scanned: most of the CPU at saturation went to the collector).
		now := e.Clock.Now()
		for len(l.ticking) < cap(l.ticks) {
			id, due, ok := l.timers.popDue(now)
			if !ok {
				break
			}
			l.tick(id, due)
		}
		for _, msg := range l.boxes.flushDue(now) {
			l.send(&msg)
		}
		e.held.Store(int64(l.boxes.held))
		if l.sweeping == nil && !l.sweepAt.After(now) {
			// A lost watch is made again from a full read.
			l.startSweep(l.planSweep(tw == nil || ow == nil))
		}
		next := l.sweepAt
		if l.sweeping != nil {
			next = now.Add(time.Hour) // the read's answer wakes the loop
		}
		// With every tick worker busy the loop waits for one to finish
		// (l.ticked), not for a timer already due.
		if due, ok := l.timers.peek(); ok && due.Before(next) && len(l.ticking) < cap(l.ticks) {
			next = due
		}
		if due, ok := l.boxes.next(); ok && due.Before(next) {
			next = due
		}
		// Armed from the clock's reading now, not the one above: a clock
		// that moved meanwhile makes the timer fire at once.
		wake := e.Clock.NewTimer(next.Sub(e.Clock.Now()))
		e.sleepsUntil.Store(next.UnixNano())
		select {
		case <-l.ctx.Done():
			wake.Stop()
			return context.Cause(l.ctx)
		case ev, ok := <-tw:
			if !ok {
				if l.ctx.Err() != nil {
					return context.Cause(l.ctx)
				}
				// The sweep reads the timers back and watches again.
				e.Log.Warn("timer watch ended; the next sweep watches again", "in", e.SweepEvery.String())
				tw = nil
				break
			}
			// Anything on the watch says it is live.
			l.progressAsked = false
			if l.sweeping != nil && !ev.Progress {
				l.touched[ev.ID] = true // newer than what the sweep reads
			}
			switch {
			case ev.Progress:
			case l.ticking[ev.ID]:
				l.rearm[ev.ID] = ev.Due
			case ev.Due.IsZero():
				l.timers.remove(ev.ID)
			default:
				l.timers.set(ev.ID, ev.Due)
			}
		case pg, ok := <-ow:
			if !ok {
				if l.ctx.Err() != nil {
					return context.Cause(l.ctx)
				}
				e.Log.Warn("outbox watch ended; the next sweep reads the outbox and watches again", "in", e.SweepEvery.String())
				ow = nil
				break
			}
			l.offer(pg)
		case r := <-l.sweptc:
			if err := l.afterSweep(r, &tw, &ow); err != nil {
				return err
			}
		case d := <-l.sent:
			l.sendFinished(d)
		case d := <-l.ticked:
			delete(l.ticking, d.id)
			if due, ok := l.rearm[d.id]; ok {
				delete(l.rearm, d.id)
				if !due.IsZero() {
					l.timers.set(d.id, due)
				}
			}
			if d.err != nil && !errors.Is(d.err, store.ErrFenced) && l.ctx.Err() == nil {
				e.Log.Error("alert timer failed; retrying", "alert", d.id, "err", d.err)
				l.timers.set(d.id, e.Clock.Now().Add(time.Second))
			}
		case <-heartbeat.C:
		case <-wake.C():
		}
		e.sleepsUntil.Store(0)
		wake.Stop()
	}
}

// tick hands an alert's due timer to a worker.
func (l *leadership) tick(id int64, due time.Time) {
	if l.ticking[id] {
		return // a worker has it; its outcome re-arms it
	}
	l.ticking[id] = true
	l.spawn(l.ticks, func() {
		err := l.e.tick(l.ctx, l.fence, id, due)
		if errors.Is(err, store.ErrFenced) {
			l.stop(err)
		}
		select {
		case l.ticked <- tickDone{id, err}:
		case <-l.ctx.Done():
		}
	})
}

// spawn runs f in a worker, at most cap(sem) at once.
func (l *leadership) spawn(sem chan struct{}, f func()) {
	l.wg.Add(1)
	l.e.working.Add(1)
	go func() {
		defer l.wg.Done()
		defer l.e.working.Add(-1)
		select {
		case sem <- struct{}{}:
		case <-l.ctx.Done():
			return
		}
		defer func() { <-sem }()
		f()
	}()
}

// offer takes a page that is due: into its person's mailbox, and out when
// the bundler says so. A page already in hand, or waiting out a backoff,
// is left for later. How late the page is when the leader takes it up is
// noted on it: a page due while no leader existed says so when it goes;
// time held back by the rate limit is not lateness and is shown apart.
func (l *leadership) offer(pg store.OutboxPage) { l.offerAll([]store.OutboxPage{pg}) }

// offerAll offers pages that are due together, as a sweep finds them:
// those for one person and method arrive at once, so a backlog (what a
// dead leader left) goes as one message now rather than its first page
// alone and the rest an interval later.
func (l *leadership) offerAll(pages []store.OutboxPage) (offered int) {
	now := l.e.Clock.Now()
	boxes := map[string][]store.OutboxPage{}
	var order []string
	for _, pg := range pages {
		k := pg.Key()
		if _, ok := l.inflight[k]; ok {
			continue
		}
		if r, ok := l.retry[k]; ok && now.Before(r.at) {
			continue
		}
		l.inflight[k] = handOf(pg)
		offered++
		if late := now.Sub(pg.Due); late > pg.Late {
			pg.Late = late
		}
		if pg.Group != "" && pg.GroupSize >= 2 {
			l.send(l.boxes.add(pg)) // waits for the rest of its group
			continue
		}
		bk := boxKey(pg)
		if _, ok := boxes[bk]; !ok {
			order = append(order, bk)
		}
		boxes[bk] = append(boxes[bk], pg)
	}
	for _, bk := range order {
		l.send(l.boxes.arrive(boxes[bk]))
	}
	l.e.held.Store(int64(l.boxes.held))
	return offered
}

// A bundle of bulkPages or more goes in one of bulkSends workers of its own.
const (
	bulkPages = 100
	bulkSends = 2
)

// send hands one message to a worker.
func (l *leadership) send(msg *outgoing) {
	if msg == nil || len(msg.pages) == 0 {
		return
	}
	pages := msg.pages
	sem := l.sends
	if len(pages) >= bulkPages {
		sem = l.bulk
	}
	l.spawn(sem, func() {
		err := l.e.send(l.ctx, l.fence, *msg)
		if errors.Is(err, store.ErrFenced) {
			l.stop(err)
		}
		select {
		case l.sent <- sendDone{pages, err}:
		case <-l.ctx.Done():
		}
	})
}

// sendFinished takes a worker's outcome. A page whose send or bookkeeping
// failed stays in the outbox; it is logged with its ids and offered again
// by a sweep after a backoff that doubles once (1 s, then 2 s).
func (l *leadership) sendFinished(d sendDone) {
	for _, pg := range d.pages {
		k := pg.Key()
		delete(l.inflight, k)
		if len(l.inflight) == 0 {
			// A Go map keeps its size after a storm's pages have gone:
			// a fresh one gives the memory back.
			l.inflight = map[string]inHand{}
		}
		if d.err == nil {
			delete(l.retry, k)
			if l.sweeping != nil {
				l.doneSince[k] = true // a sweep's read may still have it
			}
			continue
		}
		if l.ctx.Err() != nil || errors.Is(d.err, store.ErrFenced) {
			continue // the next leader takes it over
		}
		r := l.retry[k]
		// The backoff stays short: a provider's trouble is retried
		// inside send; what fails here is our own bookkeeping (etcd), and
		// pages must go within a second or two of etcd answering again.
		r.wait = min(max(2*r.wait, l.e.Backoff), 2*l.e.Backoff)
		r.at = l.e.Clock.Now().Add(r.wait)
		r.since = l.e.Clock.Now()
		l.retry[k] = r
		if r.at.Before(l.sweepAt) {
			l.sweepAt = r.at
		}
		l.e.Log.Error("page not sent or not recorded; retrying", "alert", pg.AlertID, "page", pg.PageID,
			"person", pg.Person, "method", pg.Method, "in", r.wait.String(), "err", d.err)
	}
}

// watchTimers watches the timers from rev on a stream of its own.
func (l *leadership) watchTimers(rev int64) <-chan store.TimerEvent {
	l.twCtx, l.twStop = context.WithCancel(l.e.Store.OwnWatchStream(l.ctx))
	l.progressAsked = false
	return l.e.Store.WatchTimers(l.twCtx, rev)
}

// askTimerProgress asks the timer watch to answer, unless an ask is
// pending; the ask itself runs apart, since on a stuck stream it blocks.
func (l *leadership) askTimerProgress() {
	if l.progressAsked || l.twCtx == nil {
		return
	}
	l.progressAsked, l.progressAskedAt = true, l.e.Clock.Now()
	wctx := l.twCtx
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		ctx, cancel := context.WithTimeout(wctx, l.e.RequestTimeout)
		defer cancel()
		if err := l.e.Store.RequestTimerProgress(ctx); err != nil && wctx.Err() == nil {
			// Unanswered, the next sweep reads the timers and watches
			// again: the remedy for a stuck watch either way.
			l.e.Log.Debug("asking the timer watch for progress failed", "err", err)
		}
	}()
}
