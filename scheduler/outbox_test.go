package scheduler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/store"
)

// putPage writes an outbox page straight into etcd so that the outbox
// watch never offers it: only the sweep can find it, as after a watch that
// broke. The watch offers only a key's creation (version 1), so the key is
// created with a record the watch can't read and then overwritten with the
// page. (Writing the page itself twice let the watch offer the first
// write, so a sweep that found nothing still passed.)
func (h *harness) putPage(pg store.OutboxPage) {
	h.t.Helper()
	v, err := json.Marshal(pg)
	if err != nil {
		h.t.Fatal(err)
	}
	key := h.st.Prefix() + "outbox/" + pg.Key()
	for _, val := range []string{"not yet a page", string(v)} {
		if _, err := h.st.Client().Put(context.Background(), key, val); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *harness) outboxLen() int {
	h.t.Helper()
	pages, _, err := h.st.Outbox(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return len(pages)
}

// A page that no watch reported is found by the leader's sweep and sent:
// nothing stays in the outbox until the next leadership term.
func TestSweepSendsPagesNoWatchReported(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.runEngine()
	id := h.trigger("disk full", "")
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	h.advance(2 * time.Minute) // alice's call is due; let it go
	h.settle()
	before := len(h.rec.sent())
	h.putPage(store.OutboxPage{AlertID: id, PageID: "p-lost", Person: "bob", Method: "sms", Due: h.clk.Now(), Queued: h.clk.Now(), Team: "ops", Summary: "disk full"})
	h.clk.Advance(2 * time.Second) // one sweep
	h.eventually("the lost page sent", func() bool { return len(h.rec.sent()) == before+1 })
	h.settle()
	if n := h.outboxLen(); n != 0 {
		t.Fatalf("outbox holds %d pages after the sweep\n%s", n, h.timeline(id))
	}
	if !strings.Contains(h.timeline(id), "sms to bob") {
		t.Errorf("timeline does not record the swept page:\n%s", h.timeline(id))
	}
}

// A page an earlier leader began sending (its intent is recorded) but never
// recorded is looked up at the provider: if it is there, it is recorded as
// sent and not sent again.
func TestIntentFromEarlierLeaderFoundIsNotSentAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.trigger("disk full", "") // decided, not sent: no engine runs yet
	pages, _, err := h.st.Outbox(context.Background())
	if err != nil || len(pages) != 2 {
		t.Fatalf("outbox %v, %v", pages, err)
	}
	for _, pg := range pages {
		// Begun long enough ago that a request then has reached the provider.
		pg.Intent = &store.Intent{Term: 1, Node: "dead-node", Attempt: 1, At: h.clk.Now().Add(-2 * time.Second), Message: pg.Key(),
			Text: "#" + "1 was sent by the dead leader"}
		if pg.Person == "alice" {
			// The dead leader's text reached Twilio before it died.
			pg.Intent.Text = "the text alice got"
			h.rec.delivered(notifier.Page{AlertID: id, PageID: pg.PageID, Person: "alice", Method: "sms", To: "+447700900001", Text: "the text alice got"})
		}
		h.putPage(pg)
	}
	h.runEngine()
	h.eventually("erin's page sent", func() bool { return len(h.rec.who(id)) == 2 })
	h.settle()
	if got := h.rec.who(id); strings.Count(strings.Join(got, " "), "alice/sms") != 1 {
		t.Fatalf("alice texted %v: the page the dead leader sent went again", got)
	}
	tl := h.timeline(id)
	if !strings.Contains(tl, "found at recorder after it went unrecorded, not sent again") || !strings.Contains(tl, "never reached recorder: sending it now") {
		t.Errorf("timeline does not say what the lookup found:\n%s", tl)
	}
	if n := h.outboxLen(); n != 0 {
		t.Errorf("outbox holds %d pages", n)
	}
}

// A leader whose lease expired while its request was on the wire: the new
// leader finds the intent a moment old, and the provider does not list the
// message until it has taken it. Looked up at once, it would find nothing
// and page alice twice; the new leader waits until the request has had
// time to arrive, then finds it.
func TestFreshIntentOfAnotherTermIsLookedUpOnceSettled(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.trigger("disk full", "")
	pages, _, err := h.st.Outbox(context.Background())
	if err != nil || len(pages) != 2 {
		t.Fatalf("outbox %v, %v", pages, err)
	}
	var alice notifier.Page
	for _, pg := range pages {
		if pg.Person == "alice" {
			pg.Intent = &store.Intent{Term: 1, Node: "cut-off-node", Attempt: 1, At: h.clk.Now(), Message: pg.Key(), Text: "the text alice got"}
			h.putPage(pg)
			alice = notifier.Page{AlertID: id, PageID: pg.PageID, Person: "alice", Method: "sms", To: "+447700900001", Text: "the text alice got"}
		}
	}
	h.runEngine()
	h.eventually("erin's page sent", func() bool { return strings.Contains(strings.Join(h.rec.who(id), " "), "erin/sms") })
	if got := strings.Join(h.rec.who(id), " "); strings.Contains(got, "alice/sms") {
		t.Fatalf("alice texted (%s) before her earlier request could arrive: looked up too soon", got)
	}
	h.rec.delivered(alice) // the cut-off leader's request arrives
	h.clk.Advance(2 * time.Second)
	h.eventually("alice's page looked up", func() bool {
		tl := h.timeline(id)
		return strings.Contains(tl, "found at recorder") || strings.Contains(tl, "never reached recorder")
	})
	h.settle()
	if tl := h.timeline(id); !strings.Contains(tl, "found at recorder after it went unrecorded, not sent again") {
		t.Errorf("alice's page was not found at the provider:\n%s", tl)
	}
	if got := h.rec.who(id); strings.Count(strings.Join(got, " "), "alice/sms") != 1 {
		t.Fatalf("alice texted %v: the page on its way went again", got)
	}
	if n := h.outboxLen(); n != 0 {
		t.Errorf("outbox holds %d pages", n)
	}
}

// A leader paused between a send's intent and its request: if its lease
// expired meanwhile, another leader may have looked the intent up and
// sent the page, so the request does not go; the next term looks it up
// (nothing there: it never left) and sends it once. If the lease held, no
// other leader was, and it goes at once.
func TestSendLongAfterItsIntentChecksLeadership(t *testing.T) {
	t.Parallel()
	for _, lost := range []bool{true, false} {
		t.Run(fmt.Sprintf("lease lost %v", lost), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			var paused atomic.Bool
			h.afterIntent = func() {
				if !paused.CompareAndSwap(false, true) {
					return
				}
				h.clk.Advance(5 * time.Second) // the pause
				if lost {
					// The lease expired meanwhile: the election key is gone.
					if _, err := h.st.Client().Delete(context.Background(), h.st.Prefix()+"leader/", clientv3.WithPrefix()); err != nil {
						t.Error(err)
					}
				}
			}
			h.runEngine()
			id := h.trigger("disk full", "")
			h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
			tl := h.timeline(id)
			if lost != strings.Contains(tl, "never reached recorder: sending it now") {
				t.Errorf("lease lost %v, and the timeline:\n%s", lost, tl)
			}
		})
	}
}

// When the provider can't be asked, the page goes again (a page is never
// dropped) and the timeline says why.
func TestIntentLookupFailingSendsAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.rec.findErr = errors.New("list API down")
	id := h.trigger("disk full", "")
	pages, _, _ := h.st.Outbox(context.Background())
	for _, pg := range pages {
		pg.Intent = &store.Intent{Term: 1, Node: "dead-node", Attempt: 1, At: h.clk.Now().Add(-2 * time.Second), Message: pg.Key(), Text: "x"}
		h.putPage(pg)
	}
	h.runEngine()
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	if tl := h.timeline(id); !strings.Contains(tl, "could not be asked (list API down): sending it again") {
		t.Errorf("timeline:\n%s", tl)
	}
}

// A send that times out may have reached the provider: it is looked up
// before any retry, and not sent twice when the provider has it.
func TestAmbiguousSendIsLookedUpNotRepeated(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.rec.fail = func(p notifier.Page, attempt int) error {
		if p.Person == "alice" && p.Method == "sms" && attempt == 1 {
			// Twilio took it, but the answer never came back.
			h.rec.pages = append(h.rec.pages, p) // the lock is held by Send
			return notifier.Ambiguous(context.DeadlineExceeded)
		}
		return nil
	}
	h.runEngine()
	id := h.trigger("disk full", "")
	// It is looked up after the backoff, so a request still on its way
	// has arrived by then.
	h.eventually("the retry armed", func() bool { return strings.Contains(h.timeline(id), "retrying in") })
	h.clk.Advance(2 * time.Second)
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	if tries := h.rec.tries; tries[keyOf(id, alicePage(h, id))] != 1 {
		t.Errorf("alice's text was tried %d times", tries[keyOf(id, alicePage(h, id))])
	}
	if tl := h.timeline(id); !strings.Contains(tl, "has it, so it is not sent again") {
		t.Errorf("timeline:\n%s", tl)
	}
}

// keyOf is how the recorder counts tries: "alert/page".
func keyOf(id int64, page string) string { return strconv.FormatInt(id, 10) + "/" + page }

// A page whose step ended before it could go (the alert moved on to the
// A page of an earlier step that could not go before the escalation moved
// on still goes, late: its person never had it and still holds the role.
// A page whose pass ended (the policy started over) is recorded as
// skipped, with the reason, not sent.
func TestPageOfAnEndedPassIsSkipped(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.trigger("disk full", "")
	a := h.alert(id)
	// The alert is on step 2 (bob) when a stray page of step 1 turns up.
	h.clk.Set(a.Esc.StepDeadline)
	h.runEngine()
	h.eventually("the secondary paged", func() bool { return strings.Contains(strings.Join(h.rec.who(id), " "), "bob/sms") })
	h.settle()
	h.putPage(store.OutboxPage{AlertID: id, PageID: "p-late", Person: "carol", Method: "sms", Due: a.CreatedAt, Queued: a.CreatedAt, Team: "ops", Summary: "disk full"})
	h.clk.Advance(time.Second) // one sweep
	h.eventually("the late page of step 1 sent", func() bool { return strings.Contains(strings.Join(h.rec.who(id), " "), "carol/sms") })
	// Past the last step's deadline the policy repeats: pass 2.
	for h.alert(id).Esc.Pass == 0 {
		h.advance(5 * time.Minute)
	}
	h.settle()
	h.putPage(store.OutboxPage{AlertID: id, PageID: "p-stale", Person: "dave", Method: "sms", Due: a.CreatedAt, Queued: a.CreatedAt, Team: "ops", Summary: "disk full"})
	h.clk.Advance(time.Second)
	h.eventually("the stale page recorded", func() bool {
		return strings.Contains(h.timeline(id), "sms to dave not sent: its pass (1) ended before it could go")
	})
	for _, who := range h.rec.who(id) {
		if strings.HasPrefix(who, "dave") {
			t.Fatalf("dave was paged for an ended pass: %v", h.rec.who(id))
		}
	}
}

// alicePage is the page id of alice's first text about alert id.
func alicePage(h *harness, id int64) string {
	for _, p := range h.rec.sent() {
		if p.AlertID == id && p.Person == "alice" && p.Method == "sms" {
			return p.PageID
		}
	}
	h.t.Fatalf("alice has no text about %d", id)
	return ""
}

// outboxWatch is an Observer that keeps the last outbox report.
type outboxWatch struct {
	mu      sync.Mutex
	pages   int
	oldest  time.Duration
	reports int
}

func (o *outboxWatch) Leader(bool)                                 {}
func (o *outboxWatch) PageSent(store.OutboxPage, time.Time, error) {}
func (o *outboxWatch) TimerFired(time.Duration)                    {}
func (o *outboxWatch) Outbox(pages int, oldest time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pages, o.oldest, o.reports = pages, oldest, o.reports+1
}

func (o *outboxWatch) last() (int, time.Duration, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pages, o.oldest, o.reports
}

// The sweep reports the backlog: how many pages wait and how overdue the
// oldest is, for pagerd_outbox_pages and pagerd_outbox_oldest_seconds.
func TestSweepReportsTheBacklog(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	obs := &outboxWatch{}
	h.observer = obs
	// Two pages decided while no engine ran, then 45s pass.
	id := h.trigger("disk full", "")
	h.clk.Advance(45 * time.Second)
	h.runEngine()
	h.eventually("first report", func() bool { _, _, n := obs.last(); return n >= 1 })
	if pages, oldest, _ := obs.last(); pages != 2 || oldest != 45*time.Second {
		t.Errorf("first sweep saw %d pages, oldest %s overdue; want 2, 45s", pages, oldest)
	}
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	h.clk.Advance(2 * time.Second)
	h.eventually("an empty outbox reported", func() bool { p, _, n := obs.last(); return n >= 2 && p == 0 })
}

// Pages a leaderless spell left in the outbox go, when a leader takes
// over, as one message per person and method: not the first alone and the
// rest an interval later.
func TestBacklogGoesAsOneMessagePerPerson(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var ids []int64
	for i := range 4 {
		ids = append(ids, h.trigger(fmt.Sprintf("backlog %d", i), ""))
	}
	h.runEngine()
	h.settle()
	var toAlice []notifier.Page
	for _, p := range h.rec.sent() {
		if p.Person == "alice" {
			toAlice = append(toAlice, p)
		}
	}
	if len(toAlice) != 1 || len(toAlice[0].Bundled) != len(ids) {
		t.Fatalf("alice got %d message(s), want one about all %d alerts: %+v", len(toAlice), len(ids), toAlice)
	}
	if n := h.outboxLen(); n != 0 {
		t.Fatalf("outbox holds %d pages", n)
	}
}

// With a storm's pages held in a mailbox the sweep reads the outbox's keys
// only every few seconds, not every sweep: a page no watch reported still
// goes, at the next reading of the keys, and every sweep between still
// counts the pages held.
func TestBigOutboxSweepStillFindsLostPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	obs := &outboxWatch{}
	h.observer = obs
	h.runEngine()
	id := h.trigger("disk full", "")
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	// 1,000 more pages for alice within her interval: held in her mailbox.
	const held = 1000
	now := h.clk.Now()
	for i := 0; i < held; i += 100 {
		var ops []clientv3.Op
		for j := i; j < i+100; j++ {
			pg := store.OutboxPage{AlertID: id, PageID: fmt.Sprintf("p-held-%d", j), Person: "alice", Method: "sms", Due: now, Queued: now, Team: "ops", Summary: "disk full"}
			v, err := json.Marshal(pg)
			if err != nil {
				t.Fatal(err)
			}
			ops = append(ops, clientv3.OpPut(h.st.Prefix()+"outbox/"+pg.Key(), string(v)))
		}
		if _, err := h.st.Client().Txn(context.Background()).Then(ops...).Commit(); err != nil {
			t.Fatal(err)
		}
	}
	h.eventually("the pages held", func() bool { return h.eng.Held() >= held })
	sweep := func() int {
		_, _, n := obs.last()
		h.clk.Advance(time.Second)
		h.eventually("a sweep", func() bool { _, _, m := obs.last(); return m > n })
		pages, _, _ := obs.last()
		return pages
	}
	if pages := sweep(); pages < held { // reads the keys: a big outbox
		t.Fatalf("sweep counted %d pages, want %d held", pages, held)
	}
	before := len(h.rec.sent())
	h.putPage(store.OutboxPage{AlertID: id, PageID: "p-lost", Person: "bob", Method: "sms", Due: h.clk.Now(), Queued: h.clk.Now(), Team: "ops", Summary: "disk full"})
	// keyScanEvery (5 s) and a sweep: the clock stops there, so no later
	// sweep can find the page.
	for range 6 {
		if pages := sweep(); pages < held {
			t.Fatalf("sweep counted %d pages, want the %d held", pages, held)
		}
	}
	h.eventually("the lost page sent", func() bool { return len(h.rec.sent()) > before })
	if got := h.rec.sent()[before]; got.Person != "bob" {
		t.Errorf("sent %+v, want bob's lost page", got)
	}
}
