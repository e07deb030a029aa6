package scheduler

import (
	"testing"
	"time"

	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/store"
)

func page(alert int64, person string, method escalation.Method) store.OutboxPage {
	return store.OutboxPage{AlertID: alert, PageID: "p1", Person: person, Method: method}
}

func ids(pages []store.OutboxPage) []int64 {
	var out []int64
	for _, p := range pages {
		out = append(out, p.AlertID)
	}
	return out
}

func TestBundlerHoldsWithinIntervalAndFlushesTogether(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC))
	start := clk.Now()
	b := newBundler(clk, map[escalation.Method]time.Duration{"sms": 30 * time.Second, "voice": time.Minute})

	if got := ids(b.add(page(1, "alice", "sms"))); len(got) != 1 || got[0] != 1 {
		t.Fatalf("first page: send %v, want [1] at once", got)
	}
	if _, ok := b.next(); ok {
		t.Fatal("nothing is held, yet a flush is due")
	}
	clk.Advance(10 * time.Second)
	if send := b.add(page(2, "alice", "sms")); send != nil {
		t.Fatalf("second page 10s later went at once: %v", ids(send))
	}
	if at, ok := b.next(); !ok || !at.Equal(start.Add(30*time.Second)) {
		t.Fatalf("next flush at %v (%v), want 30s after the first text", at, ok)
	}
	clk.Advance(5 * time.Second)
	if send := b.add(page(3, "alice", "sms")); send != nil {
		t.Fatalf("third page went at once: %v", ids(send))
	}
	// Other people and other methods are not held back by alice's texts.
	if send := b.add(page(4, "bob", "sms")); len(send) != 1 {
		t.Fatalf("bob's page held by alice's interval")
	}
	if send := b.add(page(5, "alice", "voice")); len(send) != 1 {
		t.Fatalf("alice's call held by her texts' interval")
	}
	if b.held != 2 {
		t.Fatalf("held = %d, want 2", b.held)
	}
	if due := b.flushDue(clk.Now()); len(due) != 0 {
		t.Fatalf("flushed before the interval was up: %v", due)
	}
	clk.Advance(15 * time.Second)
	due := b.flushDue(clk.Now())
	if len(due) != 1 || len(due[0]) != 2 || due[0][0].AlertID != 2 || due[0][1].AlertID != 3 {
		t.Fatalf("flush = %v, want one message [2 3] in arrival order", due)
	}
	if b.held != 0 {
		t.Fatalf("held after flush = %d", b.held)
	}
	// The flush was a message: the next page within 30s of it waits again.
	clk.Advance(29 * time.Second)
	if send := b.add(page(6, "alice", "sms")); send != nil {
		t.Fatalf("page 29s after the bundle went at once")
	}
	if at, _ := b.next(); !at.Equal(clk.Now().Add(time.Second)) {
		t.Fatalf("next flush at %v, want in 1s", at)
	}
}

func TestBundlerSendsAtOnceAfterTheInterval(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC))
	b := newBundler(clk, map[escalation.Method]time.Duration{"sms": 30 * time.Second})
	b.add(page(1, "alice", "sms"))
	clk.Advance(30 * time.Second)
	if send := b.add(page(2, "alice", "sms")); len(send) != 1 {
		t.Fatalf("page 30s after the last was held")
	}
}

func TestBundlerZeroIntervalNeverHolds(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC))
	b := newBundler(clk, map[escalation.Method]time.Duration{"sms": 0})
	for i := int64(1); i <= 5; i++ {
		if send := b.add(page(i, "alice", "sms")); len(send) != 1 {
			t.Fatalf("page %d with no interval was held", i)
		}
	}
}
