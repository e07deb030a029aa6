package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/pagerd/pagerd/store"
)

// timerResync is how often a sweep reads every timer back while the
// timer watch is healthy.
const timerResync = 30 * time.Second

// A sweep reads the outbox's keys every time while it holds fewer than
// bigOutbox pages, and every keyScanEvery when it holds more.
const (
	bigOutbox    = 1000
	keyScanEvery = 5 * time.Second
)

// A sweep reads the outbox and the timers back from etcd. It offers every
// page no worker has in hand (a page whose watch event was lost, one whose
// send failed, one a previous leader left), re-arms every timer, reports
// the backlog, and warns of pages overdue.
//
// A full sweep reads every page and timer (the first of a term, and one
// that makes a lost watch again). Otherwise it reads the outbox's keys,
// then the records of only the pages not in hand, and the timers only
// every timerResync: under load most pages wait in mailboxes, in hand.
// With a big outbox (a storm's pages held in mailboxes) even the keys are
// read only every keyScanEvery; the sweeps between read, by key, the pages
// whose backoff is over.
//
// The reads run apart from the lead loop, which goes on taking new pages
// and timers meanwhile: with a storm's 50,000 pages in hand a sweep read
// in the loop held every new page and timer up for 10 to 180 ms each
// second. What the loop did meanwhile is newer than what was read, and
// wins: a timer the watch reported, a page whose send finished.

// sweepRead is one sweep: what it reads, decided in the loop, and what it
// read, filled in by fetch apart from it.
type sweepRead struct {
	full   bool // every page and timer
	timers bool // every timer
	scan   bool // every key of the outbox, then the pages not in hand
	// byKey are the outbox keys to read the pages of: a partial sweep's
	// pages whose backoff is over, or a scan's pages not in hand.
	byKey []string
	// keysRead: a scan's keys are read, and byKey is what is left to read.
	keysRead bool
	// stuck: the timer watch had not answered; the timers read here
	// start a new one.
	stuck   bool
	started time.Time

	due        map[int64]time.Time // every timer (timers)
	trev, orev int64               // revisions read at (timers; full or scan)
	keys       []string            // every key of the outbox (scan), sorted
	pages      []store.OutboxPage
	err        error
}

// planSweep decides what the next sweep reads.
func (l *leadership) planSweep(full bool) *sweepRead {
	now := l.e.Clock.Now()
	stuck := l.progressAsked && now.Sub(l.progressAskedAt) >= l.e.SweepEvery
	r := &sweepRead{full: full, stuck: stuck, started: now}
	r.timers = full || r.stuck || now.Sub(l.timersAt) >= timerResync || now.Before(l.timersAt)
	switch {
	case full:
	case l.keysSeen >= bigOutbox && now.Sub(l.keysAt) < keyScanEvery && !now.Before(l.keysAt):
		// A big outbox is mostly pages in hand: its keys are read every
		// keyScanEvery (reading a storm's 100,000 back every second took a
		// sixth of the CPU). New pages come by the watch, and a page the
		// watch missed waits for the next scan.
		for k, rs := range l.retry {
			if _, ok := l.inflight[k]; !ok && !now.Before(rs.at) {
				r.byKey = append(r.byKey, k)
			}
		}
	default:
		r.scan = true
	}
	return r
}

// startSweep reads apart from the loop; the loop takes the answer from
// l.swept. It counts as work under way, so the engine is not idle while a
// read is out.
func (l *leadership) startSweep(r *sweepRead) {
	l.sweeping = r
	l.e.working.Add(1)
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer l.e.working.Add(-1)
		if l.fetcher != nil {
			l.fetcher(r)
		} else {
			l.fetch(r)
		}
		select {
		case l.sweptc <- r:
		case <-l.ctx.Done():
		}
	}()
}

// fetch does a sweep's reads (a scan's in two turns: the keys, then the
// pages the loop found not in hand). It touches nothing of the loop's.
func (l *leadership) fetch(r *sweepRead) {
	e := l.e
	ctx, cancel := context.WithTimeout(l.ctx, e.RequestTimeout)
	defer cancel()
	if r.timers && r.due == nil {
		if r.due, r.trev, r.err = e.Store.Timers(ctx); r.err != nil {
			return
		}
	}
	switch {
	case r.full:
		r.pages, r.orev, r.err = e.Store.Outbox(ctx)
	case r.scan && !r.keysRead:
		r.keys, r.orev, r.err = e.Store.OutboxKeys(ctx)
		r.keysRead = true
	case len(r.byKey) > 0:
		r.pages, r.err = e.Store.OutboxPages(ctx, r.byKey)
	}
}

// swept takes a sweep's answer in the loop: a scan's keys go back out for
// the pages not in hand; anything else is taken up.
func (l *leadership) swept(r *sweepRead) error {
	if r.err == nil && r.scan && r.keysRead && r.byKey == nil {
		now := l.e.Clock.Now()
		for _, k := range r.keys {
			if _, ok := l.inflight[k]; ok || l.doneSince[k] {
				continue
			}
			if rs, ok := l.retry[k]; ok && now.Before(rs.at) {
				continue // waiting out a backoff: not offered yet, so not read
			}
			r.byKey = append(r.byKey, k)
		}
		if len(r.byKey) > 0 {
			l.startSweep(r)
			return nil
		}
	}
	l.sweeping = nil
	defer func() {
		clear(l.doneSince)
		clear(l.touched)
	}()
	if r.err != nil {
		return fmt.Errorf("sweep: %w", r.err)
	}
	l.takeUp(r)
	return nil
}

// takeUp applies what a sweep read: timers re-armed, pages not in hand
// offered, the backlog reported, overdue pages warned of.
func (l *leadership) takeUp(r *sweepRead) (offered int) {
	e := l.e
	for id, due := range r.due {
		// A timer the watch reported since the read, or one a worker has,
		// is newer than what was read.
		if !l.ticking[id] && !l.touched[id] {
			l.timers.set(id, due)
		}
	}
	if r.timers {
		l.timersAt = r.started
	}
	if r.full || r.scan {
		l.keysAt = r.started
		l.keysSeen = len(r.keys)
		if r.full {
			l.keysSeen = len(r.pages)
		}
	}
	now := e.Clock.Now()
	var oldest time.Duration
	// A few pages are named per sweep; the rest are counted in one line,
	// so a storm's backlog doesn't write a line per page.
	var newlyOverdue int
	warn := func() bool {
		newlyOverdue++
		return newlyOverdue <= overdueNamed
	}
	defer func() {
		if more := newlyOverdue - overdueNamed; more > 0 {
			e.Log.Warn("more pages overdue", "pages", more, "oldest_overdue", oldest.Round(time.Second).String())
		}
	}()
	// Pages in hand wait in a mailbox (by design, up to their person's
	// interval) or are being sent: warned of only past both. A storm's
	// tens of thousands are looked through when the keys are read, not
	// every sweep (10 ms and more of the loop's time each second); the
	// oldest due among them is kept for the sweeps between.
	if r.full || r.scan || len(l.inflight) < bigOutbox {
		l.handOldest = time.Time{}
		for k, h := range l.inflight {
			if l.handOldest.IsZero() || h.due.Before(l.handOldest) {
				l.handOldest = h.due
			}
			if over := now.Sub(h.due); over > overdueWarn+e.Interval[h.method] && !l.warned[k] {
				l.warned[k] = true
				if warn() {
					e.Log.Warn("page overdue", "alert", h.alert, "page", h.page, "person", h.person, "method", h.method,
						"overdue", over.Round(time.Second).String(), "in_hand", true)
				}
			}
		}
	}
	if len(l.inflight) > 0 && !l.handOldest.IsZero() {
		oldest = max(oldest, now.Sub(l.handOldest))
	}
	inHand := len(l.inflight) // before the pages read join them
	// Pages that carry a send intent from earlier go as the message they
	// were: regrouped, looked up at the provider, and sent again only if
	// it has no trace of them.
	groups := map[string][]store.OutboxPage{}
	var order []string
	var due []store.OutboxPage
	read := 0 // pages read that are still in the outbox as far as the loop knows
	for _, pg := range r.pages {
		k := pg.Key()
		if _, ok := l.inflight[k]; ok || l.doneSince[k] {
			continue // in hand (counted above), or sent since the read
		}
		read++
		over := now.Sub(pg.Due)
		oldest = max(oldest, over)
		if over > overdueWarn && !l.warned[k] {
			l.warned[k] = true
			if warn() {
				e.Log.Warn("page overdue", "alert", pg.AlertID, "page", pg.PageID, "person", pg.Person, "method", pg.Method,
					"overdue", over.Round(time.Second).String(), "in_hand", false)
			}
		}
		if rs, ok := l.retry[k]; ok && now.Before(rs.at) {
			continue
		}
		if pg.Intent != nil {
			m := pg.Intent.Message
			if _, ok := groups[m]; !ok {
				order = append(order, m)
			}
			groups[m] = append(groups[m], pg)
			continue
		}
		due = append(due, pg)
	}
	offered += l.offerAll(due)
	for _, m := range order {
		batch := groups[m]
		for _, pg := range batch {
			l.inflight[pg.Key()] = handOf(pg)
		}
		l.send(&outgoing{pages: batch})
		offered += len(batch)
	}
	waiting := 0 // pages waiting out a backoff, not read
	if r.full || r.scan {
		// Every key was read: what is not in the outbox any more needs no
		// warning or backoff. A backoff begun since the read is kept: its
		// page may be newer than the read.
		keys := r.keys
		if r.full {
			keys = make([]string, len(r.pages))
			for i, pg := range r.pages {
				keys[i] = pg.Key()
			}
			sort.Strings(keys)
		}
		present := func(k string) bool {
			i := sort.SearchStrings(keys, k)
			return i < len(keys) && keys[i] == k
		}
		for k := range l.warned {
			if !present(k) {
				delete(l.warned, k)
			}
		}
		for k, rs := range l.retry {
			switch {
			case !present(k) && rs.since.Before(r.started):
				delete(l.retry, k)
			case r.scan && now.Before(rs.at):
				waiting++ // not read (a full read counted it above)
			}
		}
	} else {
		for k, rs := range l.retry {
			if _, ok := l.inflight[k]; !ok && now.Before(rs.at) {
				waiting++
			}
		}
	}
	if o, ok := e.Observer.(OutboxObserver); ok {
		o.Outbox(read+inHand+waiting, max(oldest, 0))
	}
	if o, ok := e.Observer.(HeldObserver); ok {
		o.Held(l.boxes.held)
	}
	return offered
}

// afterSweep takes a sweep's answer in the loop and, once it is whole,
// makes lost watches again and sets the next sweep. Only a lost term ends
// the loop; a failed read is tried again a sweep later.
func (l *leadership) afterSweep(r *sweepRead, tw *<-chan store.TimerEvent, ow *<-chan store.OutboxPage) error {
	e := l.e
	err := l.swept(r)
	if l.sweeping != nil {
		return nil // a scan's second read is out
	}
	switch {
	case errors.Is(err, store.ErrFenced):
		return err
	case err != nil && l.ctx.Err() == nil:
		e.Log.Warn("outbox sweep failed; trying again", "in", e.SweepEvery.String(), "err", err)
	case err != nil:
	default:
		if r.stuck && *tw != nil {
			// The sweep read every timer: watch again from there, on a
			// stream of its own. The old watch is drained apart, as it
			// ends: its stream may take a while.
			e.Log.Warn("timer watch not answering; watching again", "asked_at", l.progressAskedAt.Format(time.RFC3339Nano))
			l.twStop()
			l.wg.Add(1)
			go func(old <-chan store.TimerEvent) {
				defer l.wg.Done()
				for range old {
				}
			}(*tw)
			*tw = nil
		}
		// A watch is made again from the revision a full read of it was
		// made at; one lost while a lesser read was out waits for the
		// full sweep that follows at once.
		if *tw == nil && r.timers {
			*tw = l.watchTimers(r.trev)
		}
		l.askTimerProgress()
		if *ow == nil && r.full {
			*ow = e.Store.WatchOutbox(l.ctx, r.orev)
		}
	}
	l.sweepAt = e.Clock.Now().Add(e.SweepEvery)
	if err == nil && (*tw == nil || *ow == nil) {
		l.sweepAt = e.Clock.Now()
	}
	return nil
}
