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
// It decides only; the lead loop arms the timers and sends. It is used
// from the lead loop alone, so it needs no lock.
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
	waiting bool // a flush is armed
}

func newBundler(c clock.Clock, interval map[escalation.Method]time.Duration) *bundler {
	return &bundler{clock: c, interval: interval, boxes: map[string]*mailbox{}}
}

func boxKey(pg store.OutboxPage) string { return pg.Person + "|" + string(pg.Method) }

// add takes a page that is due. It returns the pages to send now: the page
// alone when its person's interval has passed. Otherwise the page is held
// and add returns nil; when arm is true the caller must call flush(key)
// after wait (once per mailbox: later pages join the armed one).
func (b *bundler) add(pg store.OutboxPage) (send []store.OutboxPage, key string, wait time.Duration, arm bool) {
	key = boxKey(pg)
	m := b.boxes[key]
	if m == nil {
		m = &mailbox{}
		b.boxes[key] = m
	}
	now := b.clock.Now()
	gap := b.interval[pg.Method]
	if !m.waiting && (m.last.IsZero() || now.Sub(m.last) >= gap) {
		m.last = now
		return []store.OutboxPage{pg}, key, 0, false
	}
	m.queue = append(m.queue, pg)
	b.held++
	if m.waiting {
		return nil, key, 0, false
	}
	m.waiting = true
	return nil, key, m.last.Add(gap).Sub(now), true
}

// flush empties mailbox key: its pages go now, as one message.
func (b *bundler) flush(key string) []store.OutboxPage {
	m := b.boxes[key]
	if m == nil {
		return nil
	}
	batch := m.queue
	m.queue, m.waiting, m.last = nil, false, b.clock.Now()
	b.held -= len(batch)
	return batch
}
