package scheduler

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/store"
)

// testLeadership is a term's state with no store behind it: enough to
// take up what a sweep read.
func testLeadership(t *testing.T, clk *clock.Fake) *leadership {
	e := &Engine{Clock: clk, Log: slog.New(slog.DiscardHandler)}
	e.defaults()
	ctx, cancel := context.WithCancelCause(t.Context())
	t.Cleanup(func() { cancel(nil) })
	return &leadership{e: e, ctx: ctx, stop: cancel,
		sends: make(chan struct{}, 1), ticks: make(chan struct{}, 1), bulk: make(chan struct{}, 1),
		timers: &timerQueue{index: map[int64]*timerItem{}}, ticking: map[int64]bool{}, rearm: map[int64]time.Time{},
		boxes:    newBundler(clk, e.Interval),
		inflight: map[string]inHand{}, retry: map[string]retryState{}, warned: map[string]bool{},
		sent: make(chan sendDone, 16), ticked: make(chan tickDone, 16),
		sweptc: make(chan *sweepRead, 1), doneSince: map[string]bool{}, touched: map[int64]bool{},
	}
}

// A sweep's read is older than what the loop did while it was out: a page
// whose send finished meanwhile is not offered again, and a timer the
// watch reported meanwhile keeps the watch's due.
func TestSweepReadIsOlderThanTheLoop(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC))
	l := testLeadership(t, clk)
	now := clk.Now()
	// alice was paged just now: her next pages wait in her mailbox, in
	// hand, so none is sent by this test.
	if msg := l.boxes.arrive([]store.OutboxPage{{AlertID: 1, PageID: "p1", Person: "alice", Method: "sms", Due: now}}); msg == nil {
		t.Fatal("alice's first page was not let through")
	}
	sent := store.OutboxPage{AlertID: 2, PageID: "p1", Person: "alice", Method: "sms", Due: now, Queued: now}
	lost := store.OutboxPage{AlertID: 3, PageID: "p1", Person: "alice", Method: "sms", Due: now, Queued: now}

	r := l.planSweep(false)
	l.sweeping = r
	// While the read is out: alert 2's page goes and is recorded, and the
	// watch moves alert 7's timer.
	l.inflight[sent.Key()] = handOf(sent)
	l.sendFinished(sendDone{pages: []store.OutboxPage{sent}})
	l.touched[7] = true
	l.timers.set(7, now.Add(time.Hour))
	// What the read found: both pages, and the timers as they were.
	r.keysRead, r.keys = true, []string{sent.Key(), lost.Key()}
	r.byKey = r.keys
	r.pages = []store.OutboxPage{sent, lost}
	r.due = map[int64]time.Time{7: now.Add(time.Minute), 8: now.Add(2 * time.Minute)}

	if err := l.swept(r); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.inflight[sent.Key()]; ok {
		t.Errorf("the page sent while the read was out was offered again")
	}
	if _, ok := l.inflight[lost.Key()]; !ok {
		t.Errorf("the page no worker had was not offered")
	}
	if it := l.timers.index[7]; it == nil || !it.due.Equal(now.Add(time.Hour)) {
		t.Errorf("alert 7's timer: %+v, want the watch's due %s", it, now.Add(time.Hour))
	}
	if it := l.timers.index[8]; it == nil || !it.due.Equal(now.Add(2*time.Minute)) {
		t.Errorf("alert 8's timer: %+v, want the read's due", it)
	}
	if l.sweeping != nil || len(l.doneSince) != 0 || len(l.touched) != 0 {
		t.Errorf("after the sweep: sweeping %v, %d done, %d touched; want all cleared", l.sweeping, len(l.doneSince), len(l.touched))
	}
}

// A scan's keys go back out for the pages not in hand and not waiting out
// a backoff; the rest are not read again.
func TestScanReadsOnlyPagesNotInHand(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC))
	l := testLeadership(t, clk)
	now := clk.Now()
	l.inflight["0000000001/p1"] = inHand{due: now}
	l.retry["0000000002/p1"] = retryState{at: now.Add(time.Second), since: now}
	r := l.planSweep(false)
	if !r.scan {
		t.Fatalf("a small outbox's sweep is a scan: %+v", r)
	}
	l.sweeping = r
	var second []string
	l.fetcher = func(r *sweepRead) { second = r.byKey }
	r.keysRead, r.keys = true, []string{"0000000001/p1", "0000000002/p1", "0000000003/p1"}
	if err := l.swept(r); err != nil {
		t.Fatal(err)
	}
	if l.sweeping != r {
		t.Fatal("no second read went out")
	}
	if got := <-l.sweptc; got != r || len(second) != 1 || second[0] != "0000000003/p1" {
		t.Fatalf("second read asked for %v; want only 0000000003/p1", second)
	}
	if err := l.swept(r); err != nil || l.sweeping != nil {
		t.Fatalf("after the second read: err %v, sweeping %v", err, l.sweeping != nil)
	}
}
