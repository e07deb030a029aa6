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
	b := newBundler(clk, map[escalation.Method]time.Duration{"sms": 30 * time.Second, "voice": time.Minute})

	send, _, _, arm := b.add(page(1, "alice", "sms"))
	if got := ids(send); len(got) != 1 || got[0] != 1 || arm {
		t.Fatalf("first page: send %v arm %v, want [1] at once", got, arm)
	}
	clk.Advance(10 * time.Second)
	send, key, wait, arm := b.add(page(2, "alice", "sms"))
	if send != nil || !arm || wait != 20*time.Second {
		t.Fatalf("second page 10s later: send %v arm %v wait %s, want held, armed for 20s", ids(send), arm, wait)
	}
	clk.Advance(5 * time.Second)
	if send, _, _, arm := b.add(page(3, "alice", "sms")); send != nil || arm {
		t.Fatalf("third page: send %v arm %v, want held in the armed mailbox", ids(send), arm)
	}
	// Other people and other methods are not held back by alice's texts.
	if send, _, _, _ := b.add(page(4, "bob", "sms")); len(send) != 1 {
		t.Fatalf("bob's page held by alice's interval")
	}
	if send, _, _, _ := b.add(page(5, "alice", "voice")); len(send) != 1 {
		t.Fatalf("alice's call held by her texts' interval")
	}
	if b.held != 2 {
		t.Fatalf("held = %d, want 2", b.held)
	}
	clk.Advance(15 * time.Second)
	got := ids(b.flush(key))
	if len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Fatalf("flush = %v, want [2 3] in arrival order", got)
	}
	if b.held != 0 {
		t.Fatalf("held after flush = %d", b.held)
	}
	// The flush was a message: the next page within 30s of it waits again.
	clk.Advance(29 * time.Second)
	if send, _, wait, arm := b.add(page(6, "alice", "sms")); send != nil || !arm || wait != time.Second {
		t.Fatalf("page 29s after the bundle: send %v arm %v wait %s, want held 1s", ids(send), arm, wait)
	}
}

func TestBundlerSendsAtOnceAfterTheInterval(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC))
	b := newBundler(clk, map[escalation.Method]time.Duration{"sms": 30 * time.Second})
	b.add(page(1, "alice", "sms"))
	clk.Advance(30 * time.Second)
	if send, _, _, arm := b.add(page(2, "alice", "sms")); len(send) != 1 || arm {
		t.Fatalf("page 30s after the last: send %v arm %v, want at once", ids(send), arm)
	}
}

func TestBundlerZeroIntervalNeverHolds(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC))
	b := newBundler(clk, map[escalation.Method]time.Duration{"sms": 0})
	for i := int64(1); i <= 5; i++ {
		if send, _, _, arm := b.add(page(i, "alice", "sms")); len(send) != 1 || arm {
			t.Fatalf("page %d with no interval: send %v arm %v", i, ids(send), arm)
		}
	}
}
