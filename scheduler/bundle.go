package scheduler

import (
	"time"

	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/store"
)

// groupWait is how long a group (pages decided together: the alerts of one
// request, the fallback of one undelivered bundle) waits for its next page
// before it goes with the pages it has. A group is normally complete within
// moments (its alerts are written one after another); one of its alerts
// answered meanwhile can leave it short.
const groupWait = 5 * time.Second

// bundler is per-person rate limiting and bundling: pages that fall due
// while their person was messaged by the same method less than the
// method's interval ago wait in a mailbox; when the interval is up they go
// together in one message, so a storm becomes a few messages, not hundreds.
// Pages decided together (a group) first wait for each other, so they go
// as one message rather than the first alone and the rest an interval
// later. It decides only; the lead loop sends. It is used from the lead
// loop alone, so it needs no lock.
type bundler struct {
	clock    clock.Clock
	interval map[escalation.Method]time.Duration
	boxes    map[string]*mailbox
	// pending holds the boxes with pages waiting: next and flushDue look
	// at these alone, not every person ever paged, several times for each
	// page of a storm.
	pending map[string]*mailbox
	forming map[string]*forming
	held    int // pages waiting in mailboxes and forming groups
	// swept is when idle boxes were last forgotten.
	swept time.Time
}

// mailbox is the pages waiting for one person and method.
type mailbox struct {
	last     time.Time // when the last message went
	queue    []store.OutboxPage
	queuedAt time.Time // when the oldest of queue began to wait
	flushAt  time.Time // when queue goes; zero when empty
}

// forming is a group's pages for one person and method, waiting for the
// rest of the group.
type forming struct {
	pages    []store.OutboxPage
	size     int
	deadline time.Time
}

// outgoing is one message's pages, and how long the rate limit held them
// (the oldest page's wait in its mailbox).
type outgoing struct {
	pages []store.OutboxPage
	held  time.Duration
}

func newBundler(c clock.Clock, interval map[escalation.Method]time.Duration) *bundler {
	return &bundler{clock: c, interval: interval, boxes: map[string]*mailbox{}, pending: map[string]*mailbox{}, forming: map[string]*forming{}}
}

func boxKey(pg store.OutboxPage) string { return pg.Person + "|" + string(pg.Method) }

// add takes a page that is due. It returns the message to send now: the
// page alone (or with the rest of its group) when its person's interval
// has passed. Otherwise the page waits, for its group or in its mailbox,
// until flushDue hands it out, and add returns nil.
func (b *bundler) add(pg store.OutboxPage) *outgoing {
	if pg.Group == "" || pg.GroupSize < 2 {
		return b.arrive([]store.OutboxPage{pg})
	}
	key := boxKey(pg) + "|" + pg.Group
	f := b.forming[key]
	if f == nil {
		f = &forming{size: pg.GroupSize}
		b.forming[key] = f
	}
	// The wait restarts with each page: a large group written slowly is
	// still one message.
	f.deadline = b.clock.Now().Add(groupWait)
	f.pages = append(f.pages, pg)
	b.held++
	if len(f.pages) < f.size {
		return nil
	}
	delete(b.forming, key)
	b.held -= len(f.pages)
	return b.arrive(f.pages)
}

// arrive takes pages for one person and method that are ready to go: now,
// if the person's interval has passed, else into their mailbox.
func (b *bundler) arrive(pages []store.OutboxPage) *outgoing {
	key := boxKey(pages[0])
	m := b.boxes[key]
	if m == nil {
		m = &mailbox{}
		b.boxes[key] = m
	}
	now := b.clock.Now()
	gap := b.interval[pages[0].Method]
	if m.flushAt.IsZero() && (m.last.IsZero() || now.Sub(m.last) >= gap) {
		m.last = now
		return &outgoing{pages: pages}
	}
	if m.flushAt.IsZero() {
		m.flushAt, m.queuedAt = m.last.Add(gap), now
		b.pending[key] = m
	}
	m.queue = append(m.queue, pages...)
	b.held += len(pages)
	return nil
}

// next is when the earliest mailbox or forming group is due to go.
func (b *bundler) next() (time.Time, bool) {
	var at time.Time
	for _, m := range b.pending {
		if at.IsZero() || m.flushAt.Before(at) {
			at = m.flushAt
		}
	}
	for _, f := range b.forming {
		if at.IsZero() || f.deadline.Before(at) {
			at = f.deadline
		}
	}
	return at, !at.IsZero()
}

// flushDue hands out what is due by now: groups that waited their longest
// for their missing pages go on as they are, and every mailbox whose
// interval is up goes as one message, pages in the order they came.
func (b *bundler) flushDue(now time.Time) []outgoing {
	var out []outgoing
	for key, f := range b.forming {
		if f.deadline.After(now) {
			continue
		}
		delete(b.forming, key)
		b.held -= len(f.pages)
		if msg := b.arrive(f.pages); msg != nil {
			out = append(out, *msg)
		}
	}
	for key, m := range b.pending {
		if m.flushAt.After(now) {
			continue
		}
		out = append(out, outgoing{pages: m.queue, held: now.Sub(m.queuedAt)})
		b.held -= len(m.queue)
		m.queue, m.flushAt, m.queuedAt, m.last = nil, time.Time{}, time.Time{}, now
		delete(b.pending, key)
	}
	if now.Sub(b.swept) > time.Minute {
		b.swept = now
		for key, m := range b.boxes {
			if m.flushAt.IsZero() && now.Sub(m.last) > time.Hour {
				delete(b.boxes, key) // idle: forget it, so the map stays small
			}
		}
	}
	return out
}
