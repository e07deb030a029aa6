package scheduler

import (
	"time"

	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/store"
)

// bundler is per-person rate limiting and bundling: pages that fall due
// while their person was messaged by the same method less than the
// method's interval ago wait in a mailbox; when the interval is up they go
// together in one message, so a storm becomes a few messages, not hundreds.
// It decides only; the lead loop sends. It is used from the lead loop
// alone, so it needs no lock.
type bundler struct {
	clock    clock.Clock
	interval map[escalation.Method]time.Duration
	boxes    map[string]*mailbox
	held     int // pages waiting in mailboxes
}

// mailbox is the pages waiting for one person and method.
type mailbox struct {
	last    time.Time // when the last message went
	queue   []store.OutboxPage
	flushAt time.Time // when queue goes; zero when empty
}

func newBundler(c clock.Clock, interval map[escalation.Method]time.Duration) *bundler {
	return &bundler{clock: c, interval: interval, boxes: map[string]*mailbox{}}
}

func boxKey(pg store.OutboxPage) string { return pg.Person + "|" + string(pg.Method) }

// add takes a page that is due. It returns the pages to send now: the page
// alone when its person's interval has passed. Otherwise the page waits in
// its mailbox until flushDue hands it out, and add returns nil.
func (b *bundler) add(pg store.OutboxPage) []store.OutboxPage {
	key := boxKey(pg)
	m := b.boxes[key]
	if m == nil {
		m = &mailbox{}
		b.boxes[key] = m
	}
	now := b.clock.Now()
	gap := b.interval[pg.Method]
	if m.flushAt.IsZero() && (m.last.IsZero() || now.Sub(m.last) >= gap) {
		m.last = now
		return []store.OutboxPage{pg}
	}
	m.queue = append(m.queue, pg)
	b.held++
	if m.flushAt.IsZero() {
		m.flushAt = m.last.Add(gap)
	}
	return nil
}

// next is when the earliest mailbox is due to go.
func (b *bundler) next() (time.Time, bool) {
	var at time.Time
	for _, m := range b.boxes {
		if !m.flushAt.IsZero() && (at.IsZero() || m.flushAt.Before(at)) {
			at = m.flushAt
		}
	}
	return at, !at.IsZero()
}

// flushDue empties every mailbox due by now: each one's pages go as one
// message, in the order they came.
func (b *bundler) flushDue(now time.Time) [][]store.OutboxPage {
	var out [][]store.OutboxPage
	for key, m := range b.boxes {
		if m.flushAt.IsZero() {
			if now.Sub(m.last) > time.Hour {
				delete(b.boxes, key) // idle: forget it, so the map stays small
			}
			continue
		}
		if m.flushAt.After(now) {
			continue
		}
		out = append(out, m.queue)
		b.held -= len(m.queue)
		m.queue, m.flushAt, m.last = nil, time.Time{}, now
	}
	return out
}
