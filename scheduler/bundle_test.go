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

func ids(m *outgoing) []int64 {
	if m == nil {
		return nil
	}
	var out []int64
	for _, p := range m.pages {
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
	if send := b.add(page(4, "bob", "sms")); len(ids(send)) != 1 {
		t.Fatalf("bob's page held by alice's interval")
	}
	if send := b.add(page(5, "alice", "voice")); len(ids(send)) != 1 {
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
	if len(due) != 1 || len(due[0].pages) != 2 || due[0].pages[0].AlertID != 2 || due[0].pages[1].AlertID != 3 {
		t.Fatalf("flush = %v, want one message [2 3] in arrival order", due)
	}
	if due[0].held != 20*time.Second {
		t.Errorf("held %v, want 20s: page 2 waited from 10s to 30s", due[0].held)
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
	if send := b.add(page(2, "alice", "sms")); len(ids(send)) != 1 || send.held != 0 {
		t.Fatalf("page 30s after the last was held")
	}
}

func TestBundlerZeroIntervalNeverHolds(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC))
	b := newBundler(clk, map[escalation.Method]time.Duration{"sms": 0})
	for i := int64(1); i <= 5; i++ {
		if send := b.add(page(i, "alice", "sms")); len(ids(send)) != 1 {
			t.Fatalf("page %d with no interval was held", i)
		}
	}
}

func grouped(alert int64, person string, group string, size int) store.OutboxPage {
	pg := page(alert, person, "sms")
	pg.Group, pg.GroupSize = group, size
	return pg
}

// Pages decided together wait for each other and go as one message, even
// to a person messaged nobody before (whose first page would go at once).
func TestBundlerSendsAGroupAsOneMessage(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC))
	b := newBundler(clk, map[escalation.Method]time.Duration{"sms": 30 * time.Second})
	if send := b.add(grouped(1, "alice", "batch-1", 3)); send != nil {
		t.Fatalf("the group's first page went alone: %v", ids(send))
	}
	if send := b.add(grouped(1, "erin", "batch-1", 2)); send != nil {
		t.Fatalf("erin's first went alone")
	}
	b.add(grouped(2, "alice", "batch-1", 3))
	if b.held != 3 {
		t.Fatalf("held %d, want 3", b.held)
	}
	if send := ids(b.add(grouped(3, "alice", "batch-1", 3))); len(send) != 3 || send[0] != 1 || send[2] != 3 {
		t.Fatalf("complete group: send %v, want [1 2 3] at once", send)
	}
	if send := ids(b.add(grouped(2, "erin", "batch-1", 2))); len(send) != 2 {
		t.Fatalf("erin's group: %v", send)
	}
	if b.held != 0 {
		t.Fatalf("held %d after both groups went", b.held)
	}
	// A group that arrives within the interval waits in the mailbox, whole.
	b.add(grouped(4, "alice", "fallback-x", 2))
	if send := b.add(grouped(5, "alice", "fallback-x", 2)); send != nil {
		t.Fatalf("a group within alice's interval went at once: %v", ids(send))
	}
	clk.Advance(30 * time.Second)
	if due := b.flushDue(clk.Now()); len(due) != 1 || len(due[0].pages) != 2 {
		t.Fatalf("flush %+v", due)
	}
}

// A group that never fills (an alert answered meanwhile) goes after
// groupWait with the pages it has.
func TestBundlerGroupShortOfPagesGoesAfterAWait(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC))
	b := newBundler(clk, map[escalation.Method]time.Duration{"sms": 30 * time.Second})
	b.add(grouped(1, "alice", "g", 3))
	clk.Advance(groupWait - time.Second)
	b.add(grouped(2, "alice", "g", 3)) // the wait starts again
	if at, ok := b.next(); !ok || !at.Equal(clk.Now().Add(groupWait)) {
		t.Fatalf("next %v %v, want the group's deadline", at, ok)
	}
	if due := b.flushDue(clk.Now().Add(groupWait - time.Second)); len(due) != 0 {
		t.Fatalf("flushed early: %+v", due)
	}
	clk.Advance(groupWait)
	due := b.flushDue(clk.Now())
	if len(due) != 1 || len(due[0].pages) != 2 || b.held != 0 {
		t.Fatalf("flush %+v, held %d", due, b.held)
	}
}

// Only mailboxes with pages waiting are looked at for the next flush, and
// a person not messaged for an hour is forgotten; one messaged recently is
// kept, so their interval still holds.
func TestBundlerForgetsIdleMailboxes(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC))
	b := newBundler(clk, map[escalation.Method]time.Duration{"sms": 30 * time.Second})
	b.add(page(1, "alice", "sms"))
	clk.Advance(50 * time.Minute)
	b.add(page(2, "bob", "sms"))
	b.add(page(3, "bob", "sms")) // held
	if len(b.pending) != 1 {
		t.Fatalf("pending = %d mailboxes, want bob's alone", len(b.pending))
	}
	clk.Advance(11 * time.Minute)
	b.flushDue(clk.Now()) // bob's goes; alice's is an hour idle
	if _, ok := b.boxes["alice|sms"]; ok {
		t.Error("alice's mailbox kept after an hour without a message")
	}
	if _, ok := b.boxes["bob|sms"]; !ok || len(b.pending) != 0 {
		t.Fatalf("bob's mailbox: kept %v, pending %d; want kept, none pending", ok, len(b.pending))
	}
	clk.Advance(10 * time.Second)
	if send := b.add(page(4, "bob", "sms")); send != nil {
		t.Error("bob's page 10s after his bundle went at once: his interval was forgotten")
	}
}
