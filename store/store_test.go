package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/rotafile"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestNextIDUniqueAcrossProcesses(t *testing.T) {
	t.Parallel()
	a := openTest(t)
	// A second client with its own id blocks, as a second pagerd node.
	b, err := Open(context.Background(), Config{Endpoints: []string{a.Endpoint()}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for _, st := range []*Store{a, b} {
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 200; i++ {
					id, err := st.NextID(context.Background())
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if seen[id] || id <= 0 {
						t.Errorf("id %d handed out twice (or not positive)", id)
					}
					seen[id] = true
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if len(seen) != 3200 {
		t.Errorf("%d ids, want 3200", len(seen))
	}
}

func newAlert(st *Store, t *testing.T, team, dedup string) *Alert {
	t.Helper()
	id, err := st.NextID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	a := &Alert{ID: id, Team: team, Summary: "s", DedupKey: dedup, CreatedAt: now, Count: 1}
	a.Esc = escalation.State{Status: escalation.StatusTriggered, Timer: now.Add(5 * time.Minute)}
	return a
}

func TestCreateOneOpenAlertPerDedupKeyUnderRaces(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	// 40 goroutines race to create alerts for 5 keys: exactly one alert per
	// key is created, whatever batches they land in; the rest learn its id.
	var mu sync.Mutex
	created := map[string][]int64{}
	dups := map[string][]int64{}
	var wg sync.WaitGroup
	for g := 0; g < 40; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("k%d", g%5)
			a := newAlert(st, t, "core", key)
			id, dup, err := st.Create(ctx, a, []OutboxPage{{AlertID: a.ID, PageID: "p1", Person: "ann", Method: "sms"}})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if dup {
				dups[key] = append(dups[key], id)
			} else {
				created[key] = append(created[key], id)
			}
		}()
	}
	wg.Wait()
	for k := 0; k < 5; k++ {
		key := fmt.Sprintf("k%d", k)
		if len(created[key]) != 1 {
			t.Fatalf("key %s: created %v", key, created[key])
		}
		for _, id := range dups[key] {
			if id != created[key][0] {
				t.Errorf("key %s: duplicate pointed at %d, not %d", key, id, created[key][0])
			}
		}
	}
	all, err := st.List(ctx, nil, 0)
	if err != nil || len(all) != 5 {
		t.Fatalf("list: %d alerts, %v", len(all), err)
	}
	// Each created alert's page and timer are there too: one transaction.
	pages, _, _ := st.Outbox(ctx)
	timers, _, _ := st.Timers(ctx)
	if len(pages) != 5 || len(timers) != 5 {
		t.Errorf("pages %d, timers %d; want 5 and 5", len(pages), len(timers))
	}
}

func TestUpdateRetriesOnConflictAndFreesDedupOnResolve(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	a := newAlert(st, t, "core", "disk")
	if _, _, err := st.Create(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	// 20 concurrent increments: none lost.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := st.Update(ctx, a.ID, nil, func(a *Alert) (Change, error) { a.Count++; return Change{}, nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := st.Get(ctx, a.ID)
	if err != nil || got.Count != 21 {
		t.Fatalf("count = %d (%v), want 21", got.Count, err)
	}
	if id, ok, _ := st.OpenByDedup(ctx, "core", "disk"); !ok || id != a.ID {
		t.Fatalf("open by dedup = %d %v", id, ok)
	}
	if _, err := st.Update(ctx, a.ID, nil, func(a *Alert) (Change, error) {
		a.Esc.Status, a.Esc.Timer = escalation.StatusResolved, time.Time{}
		return Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.OpenByDedup(ctx, "core", "disk"); ok {
		t.Error("resolved alert still holds its dedup key")
	}
	if timers, _, _ := st.Timers(ctx); len(timers) != 0 {
		t.Errorf("resolved alert keeps a timer: %v", timers)
	}
	// ErrNoChange writes nothing; other errors come back as they are.
	boom := errors.New("boom")
	if _, err := st.Update(ctx, a.ID, nil, func(a *Alert) (Change, error) { return Change{}, boom }); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	if _, err := st.Update(ctx, 424242, nil, func(a *Alert) (Change, error) { return Change{}, nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing alert: %v", err)
	}
}

func TestFencedUpdateFailsOnceLeadershipIsGone(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	a := newAlert(st, t, "core", "x")
	st.Create(ctx, a, nil)
	lease, err := st.Client().Grant(ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	key := st.Prefix() + "leader/test"
	put, err := st.Client().Put(ctx, key, "me")
	if err != nil {
		t.Fatal(err)
	}
	_ = lease
	fence := &Fence{Key: key, Rev: put.Header.Revision}
	if _, err := st.Update(ctx, a.ID, fence, func(a *Alert) (Change, error) { a.Count = 7; return Change{}, nil }); err != nil {
		t.Fatalf("fenced update while leading: %v", err)
	}
	st.Client().Delete(ctx, key) // leadership lost
	if _, err := st.Update(ctx, a.ID, fence, func(a *Alert) (Change, error) { a.Count = 8; return Change{}, nil }); !errors.Is(err, ErrFenced) {
		t.Fatalf("fenced update after losing leadership: %v", err)
	}
	if got, _ := st.Get(ctx, a.ID); got.Count != 7 {
		t.Errorf("a deposed leader's write landed: count %d", got.Count)
	}
}

func TestRecordEventMergesIntoTimelineAndEmptiesOutbox(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	a := newAlert(st, t, "core", "y")
	t0 := a.CreatedAt
	a.Note(t0, "received", "", "in")
	a.Note(t0.Add(2*time.Second), "ack", "ann", "acked")
	pg := OutboxPage{AlertID: a.ID, PageID: "p1", Person: "ann", Method: "sms"}
	st.Create(ctx, a, []OutboxPage{pg})
	if err := st.RecordEvent(ctx, a.ID, "p1-sent", Entry{At: t0.Add(time.Second), Kind: "sent", Text: "sms to ann"}, pg); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range got.Timeline {
		kinds = append(kinds, e.Kind)
	}
	if fmt.Sprint(kinds) != "[received sent ack]" {
		t.Errorf("timeline kinds = %v, want received, sent, ack in time order", kinds)
	}
	if pages, _, _ := st.Outbox(ctx); len(pages) != 0 {
		t.Errorf("outbox still has %v", pages)
	}
}

func TestRotaPublishRevisions(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	watch, cancel := context.WithCancel(ctx)
	defer cancel()
	recs := st.WatchRota(watch)
	f1 := []rotafile.File{{Name: "a.yaml", Data: []byte("one")}}
	r1, changed, err := st.PublishRota(ctx, f1, "node1", now)
	if err != nil || !changed || r1.Rev != 1 {
		t.Fatalf("first publish: %+v %v %v", r1, changed, err)
	}
	if _, changed, _ := st.PublishRota(ctx, f1, "node2", now); changed {
		t.Error("the same files published again made a new revision")
	}
	r2, changed, _ := st.PublishRota(ctx, []rotafile.File{{Name: "a.yaml", Data: []byte("two")}}, "node1", now)
	if !changed || r2.Rev != 2 {
		t.Fatalf("second publish: %+v", r2)
	}
	var revs []int64
	for len(revs) < 2 {
		select {
		case r := <-recs:
			if len(revs) == 0 || r.Rev != revs[len(revs)-1] {
				revs = append(revs, r.Rev)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("watch saw %v", revs)
		}
	}
	if revs[len(revs)-1] != 2 {
		t.Errorf("watch ended at rev %v", revs)
	}
}

// A storm's bundle has more pages than etcd takes operations in one
// transaction: their send intents are written in chunks, every page marked.
func TestMarkSendingABundleBiggerThanATransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := s.maxOps // twice what one transaction could mark
	var pages []OutboxPage
	for i := 0; i < n; i++ {
		pages = append(pages, OutboxPage{AlertID: int64(i + 1), PageID: "p1", Person: "ann", Method: "sms"})
	}
	for i := 0; i < n; i += 100 {
		ops, err := s.pageOps(pages[i:min(i+100, n)])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
			t.Fatal(err)
		}
	}
	live, err := s.MarkSending(ctx, nil, pages, Intent{Term: 7, Node: "n", Attempt: 1, Message: pages[n-1].Key()})
	if err != nil {
		t.Fatalf("MarkSending %d pages: %v", n, err)
	}
	if len(live) != n {
		t.Fatalf("%d of %d pages marked", len(live), n)
	}
	out, _, err := s.Outbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, pg := range out {
		if pg.Intent == nil || pg.Intent.Term != 7 {
			t.Fatalf("page %s has no intent: %+v", pg.Key(), pg.Intent)
		}
	}
}

// Progresses reads many alerts' escalations at once, in chunks that fit etcd's
// transaction limit, leaving out ids that don't exist.
func TestProgressesReadsManyInChunks(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	var ids []int64
	for i := range 5 {
		a := newAlert(st, t, "core", fmt.Sprintf("k%d", i))
		if i == 3 {
			a.Esc.Status = escalation.StatusAcknowledged
		}
		a.Esc.Pass = i
		if _, _, err := st.Create(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	st.maxOps = 2 // three requests for six ids
	got, err := st.Progresses(ctx, append(ids, 999999))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("Progresses found %d alerts, want 5 (and not the missing one): %v", len(got), got)
	}
	for i, id := range ids {
		want := escalation.StatusTriggered
		if i == 3 {
			want = escalation.StatusAcknowledged
		}
		if a, ok := got[id]; !ok || a.Status != want || a.Pass != i {
			t.Errorf("alert %d = %+v, want status %s, pass %d", id, a, want, i)
		}
	}
}

// A message's record is a few transactions however many pages it covers:
// each page's timeline entry and its removal from the outbox, chunked to
// etcd's limit, and the person's last message in every chunk.
func TestRecordSentABundleInFewTransactions(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	var sent []Sent
	var ids []int64
	for i := range 7 {
		a := newAlert(st, t, "core", fmt.Sprintf("b%d", i))
		pg := OutboxPage{AlertID: a.ID, PageID: "p1", Person: "ann", Method: "sms"}
		if _, _, err := st.Create(ctx, a, []OutboxPage{pg}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
		sent = append(sent, Sent{Page: pg, Entry: Entry{At: a.CreatedAt.Add(time.Second), Kind: "sent", Text: fmt.Sprintf("sms to ann about %d", a.ID)}})
	}
	st.maxOps = 5 // two pages and the last message a transaction: four for seven pages
	before, err := st.cli.Get(ctx, "nothing")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RecordSent(ctx, sent, ids); err != nil {
		t.Fatal(err)
	}
	after, err := st.cli.Get(ctx, "nothing")
	if err != nil {
		t.Fatal(err)
	}
	if n := after.Header.Revision - before.Header.Revision; n != 4 {
		t.Errorf("recording 7 pages took %d transactions, want 4", n)
	}
	for _, id := range ids {
		a, err := st.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		last := a.Timeline[len(a.Timeline)-1]
		if last.Kind != "sent" || last.Text != fmt.Sprintf("sms to ann about %d", id) {
			t.Errorf("alert %d's timeline ends %+v, want its sent entry", id, last)
		}
	}
	if pages, _, err := st.Outbox(ctx); err != nil || len(pages) != 0 {
		t.Errorf("outbox after recording: %v %v", pages, err)
	}
	m, ok, err := st.LastPaged(ctx, "ann")
	if err != nil || !ok || fmt.Sprint(m.Alerts) != fmt.Sprint(ids) || m.Method != "sms" {
		t.Errorf("last message to ann = %+v %v %v, want alerts %v by sms", m, ok, err, ids)
	}
	// Pages for two people are two messages, not one.
	if err := st.RecordSent(ctx, []Sent{{Page: OutboxPage{AlertID: 1, PageID: "x", Person: "ann"}}, {Page: OutboxPage{AlertID: 2, PageID: "x", Person: "bob"}}}, nil); err == nil {
		t.Error("RecordSent took one message for two people")
	}
}

// A big organisation's rota (3 MiB of YAML) publishes on the embedded
// etcd; one beyond what etcd takes in a request fails with what to do,
// and the rota in force stays.
func TestRotaPublishSizes(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	big := []rotafile.File{{Name: "teams.yaml", Data: bytes.Repeat([]byte("# a team\n"), 3<<20/9)}}
	if _, changed, err := st.PublishRota(ctx, big, "node1", now); err != nil || !changed {
		t.Fatalf("a 3 MiB rota: changed %v, %v", changed, err)
	}
	huge := []rotafile.File{{Name: "teams.yaml", Data: bytes.Repeat([]byte("# a team\n"), 9<<20/9)}}
	_, _, err := st.PublishRota(ctx, huge, "node1", now)
	if err == nil || !strings.Contains(err.Error(), "--max-request-bytes") {
		t.Fatalf("a 9 MiB rota: %v; want the request limit named", err)
	}
	rec, ok, err := st.Rota(ctx)
	if err != nil || !ok || rec.Rev != 1 || len(rec.Files[0].Data) != len(big[0].Data) {
		t.Fatalf("the rota in force after a refused publish: rev %d, ok %v, %v; want the 3 MiB one", rec.Rev, ok, err)
	}
}
