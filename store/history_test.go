package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/escalation"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// resolvedAlert stores a resolved alert with a timeline.
func resolvedAlert(t *testing.T, st *Store, created time.Time, details string) *Alert {
	t.Helper()
	id, err := st.NextID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a := &Alert{ID: id, Team: "payments", Summary: fmt.Sprintf("disk full %d", id), Details: details, DedupKey: fmt.Sprintf("k%d", id),
		Source: "api", CreatedAt: created, UpdatedAt: created, LastSeenAt: created, Count: 1,
		Esc: escalation.State{Status: escalation.StatusResolved, AckedAt: created.Add(time.Minute), AckedBy: "alice",
			ResolvedAt: created.Add(time.Hour), ResolvedBy: "bob", Urgency: escalation.High}}
	a.Note(created, "received", "", "from api")
	a.Note(created, "sent", "", "sms to alice")
	a.Note(created.Add(time.Second), "sent", "", "voice to alice")
	a.Note(created.Add(time.Hour), "resolve", "bob", "resolved")
	if _, _, err := st.Create(context.Background(), a, nil); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRetireLeavesSummaryAndArchiveUntilTheyExpire(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	old := resolvedAlert(t, st, t0, "")
	newer := resolvedAlert(t, st, t0.Add(48*time.Hour), "")
	if err := st.RecordEvent(ctx, old.ID, "p1/sent", Entry{At: t0.Add(2 * time.Second), Kind: "sent", Text: "sms to bob"}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(30 * 24 * time.Hour)
	keep := Keep{Archive: 90 * 24 * time.Hour, History: 365 * 24 * time.Hour}
	for _, a := range []*Alert{old, newer} {
		if _, err := st.Retire(ctx, a.ID, now, keep); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Get(ctx, old.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("retired alert still live: %v", err)
	}
	sum, err := st.History(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Team != "payments" || sum.AckedBy != "alice" || sum.ResolvedBy != "bob" || sum.Pages != 3 || !sum.CreatedAt.Equal(t0) ||
		!sum.ArchiveUntil.Equal(now.Add(keep.Archive)) || !sum.Until.Equal(now.Add(keep.History)) {
		t.Errorf("summary: %+v", sum)
	}
	full, err := st.Archived(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Timeline) != 5 || full.Timeline[4].Kind != "resolve" {
		t.Errorf("archived timeline: %+v", full.Timeline)
	}
	// By range of creation times, newest first; [from, to).
	got, err := st.HistoryRange(ctx, t0, t0.Add(72*time.Hour), nil, 0)
	if err != nil || len(got) != 2 || got[0].ID != newer.ID || got[1].ID != old.ID {
		t.Fatalf("range: %v %+v", err, got)
	}
	if got, _ := st.HistoryRange(ctx, t0.Add(time.Second), t0.Add(72*time.Hour), nil, 0); len(got) != 1 || got[0].ID != newer.ID {
		t.Errorf("range from after the first: %+v", got)
	}
	if got, _ := st.HistoryBefore(ctx, newer.ID, nil, 0); len(got) != 1 || got[0].ID != old.ID {
		t.Errorf("before %d: %+v", newer.ID, got)
	}

	// The archive expires first, then the summary; nothing else goes.
	if n, err := st.Expire(ctx, now.Add(keep.Archive-time.Second), 100); err != nil || n != 0 {
		t.Fatalf("expired early: %d %v", n, err)
	}
	if n, err := st.Expire(ctx, now.Add(keep.Archive), 100); err != nil || n != 2 {
		t.Fatalf("archive expiry: %d %v", n, err)
	}
	if _, err := st.Archived(ctx, old.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("archive kept past its time: %v", err)
	}
	if _, err := st.History(ctx, old.ID); err != nil {
		t.Errorf("summary gone with the archive: %v", err)
	}
	if n, err := st.Expire(ctx, now.Add(keep.History), 100); err != nil || n != 2 {
		t.Fatalf("history expiry: %d %v", n, err)
	}
	if _, err := st.History(ctx, old.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("summary kept past its time: %v", err)
	}
	if got, _ := st.HistoryRange(ctx, t0, t0.Add(72*time.Hour), nil, 0); len(got) != 0 {
		t.Errorf("time index left behind: %+v", got)
	}
}

// TestMaintainShrinksTheKeyspaceAfterRetirement: retiring alerts and then
// Maintain (compaction and defragmentation) gives the space back; before,
// the backend only grew.
func TestMaintainShrinksTheKeyspaceAfterRetirement(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	details := strings.Repeat("a stack trace line that compresses well\n", 100)
	var ids []int64
	for i := 0; i < 300; i++ {
		ids = append(ids, resolvedAlert(t, st, t0.Add(time.Duration(i)*time.Second), details).ID)
	}
	for _, id := range ids {
		if _, err := st.Retire(ctx, id, t0.Add(time.Hour), Keep{History: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := st.Maintain(ctx, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if m.Compacted == 0 || !m.Defragged || m.After >= m.Before {
		t.Fatalf("maintenance: %+v; want a compaction and a defragmentation that shrank the backend", m)
	}
	t.Logf("backend %d -> %d bytes", m.Before, m.After)
}

// TestHistoryBytes measures what history costs in etcd's backend, for
// docs/deploy.md: bytes per alert while it is live (resolved, not yet
// retired), for its summary alone (with its time index and expiry key),
// and for its summary and archive, after compaction and defragmentation. The alerts are typical ones: a 120-character summary
// a timeline of 12 entries (received, pages, sends, deliveries, an
// escalation, the ack and the resolve) and two people paged.
func TestHistoryBytes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		keep  *Keep // nil: not retired (a live resolved alert)
		limit int64
	}{
		{"live", nil, 8192},
		{"summary", &Keep{History: 365 * 24 * time.Hour}, 1280},
		{"summary+archive", &Keep{Archive: 90 * 24 * time.Hour, History: 365 * 24 * time.Hour}, 2560},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := openTest(t)
			ctx := context.Background()
			if _, err := st.Maintain(ctx, 0, true); err != nil {
				t.Fatal(err)
			}
			if err := st.defragment(ctx); err != nil {
				t.Fatal(err)
			}
			base, err := st.cli.Status(ctx, "embedded")
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
			const n = 1000
			for i := 0; i < n; i++ {
				at := t0.Add(time.Duration(i) * time.Minute)
				a := typicalAlert(t, st, at)
				if c.keep == nil {
					continue
				}
				if _, err := st.Retire(ctx, a.ID, at.Add(48*time.Hour), *c.keep); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := st.Maintain(ctx, 0, true); err != nil {
				t.Fatal(err)
			}
			// Maintain defragments only past a quarter free; measure tight.
			if err := st.defragment(ctx); err != nil {
				t.Fatal(err)
			}
			after, err := st.cli.Status(ctx, "embedded")
			if err != nil {
				t.Fatal(err)
			}
			per := (after.DbSize - base.DbSize) / n
			t.Logf("%s: %d alerts: backend %d -> %d bytes, %d bytes per alert", c.name, n, base.DbSize, after.DbSize, per)
			if per > c.limit {
				t.Errorf("%s: %d bytes per alert, over the %d docs/deploy.md assumes", c.name, per, c.limit)
			}
		})
	}
}

// typicalAlert stores a resolved alert the size of a typical one.
func typicalAlert(t *testing.T, st *Store, created time.Time) *Alert {
	t.Helper()
	a := resolvedAlert(t, st, created, "")
	ctx := context.Background()
	a.Summary = fmt.Sprintf("[FIRING:1] HighErrorRate checkout-api production eu-west-1: 5xx ratio 7.%d%% over 5m (threshold 5%%) #%d", a.ID%10, a.ID)
	for i, e := range []Entry{
		{Kind: "page", Text: "primary alice by sms (step 1)"}, {Kind: "delivered", Text: "sms to alice delivered (SM0123456789abcdef0123456789abcdef)"},
		{Kind: "escalate", Text: "no ack within 5m0s: step 2"}, {Kind: "page", Text: "secondary bob by sms (step 2)"},
		{Kind: "sent", Text: "sms to bob via twilio (SMfedcba9876543210fedcba9876543210)"}, {Kind: "delivered", Text: "sms to bob delivered"},
		{Kind: "ack", Text: "acknowledged by sms reply", By: "bob"},
	} {
		e.At = created.Add(time.Duration(i+2) * time.Minute)
		if err := st.RecordEvent(ctx, a.ID, fmt.Sprintf("e%d", i), e); err != nil {
			t.Fatal(err)
		}
	}
	// Its pages as the engine marks them: the summary keeps each person's
	// first, for the health report.
	if _, err := st.Update(ctx, a.ID, nil, func(b *Alert) (Change, error) {
		b.Summary = a.Summary
		b.MarkPage(PageMark{Person: "alice", Role: "primary", At: created.Add(2 * time.Minute)})
		b.MarkPage(PageMark{Person: "bob", Role: "secondary", Step: 1, At: created.Add(5 * time.Minute)})
		return Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestRetireKeepsALateTimelineEntry: a send result recorded beside the
// alert while it is being retired is not lost: that retirement fails and
// the next one archives it.
func TestRetireKeepsALateTimelineEntry(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	a := resolvedAlert(t, st, t0, "")
	// Between Retire's reads and its write: the compare must notice an
	// entry newer than the revision it read at. Simulate by recording the
	// entry, then retiring with a read revision taken before it.
	resp, err := st.cli.Get(ctx, st.alertKey(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RecordEvent(ctx, a.ID, "late/delivered", Entry{At: t0.Add(time.Minute), Kind: "delivered", Text: "late"}); err != nil {
		t.Fatal(err)
	}
	tx, err := st.cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(st.eventsPrefix(a.ID)), "<", resp.Header.Revision+1).WithPrefix()).Commit()
	if err != nil || tx.Succeeded {
		t.Fatalf("the compare Retire makes does not see a newer entry: %v %v", err, tx.Succeeded)
	}
	if _, err := st.Retire(ctx, a.ID, t0.Add(time.Hour), Keep{Archive: time.Hour}); err != nil {
		t.Fatal(err)
	}
	full, err := st.Archived(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if full.Timeline[len(full.Timeline)-1].Text != "resolved" || !slices.ContainsFunc(full.Timeline, func(e Entry) bool { return e.Text == "late" }) {
		t.Errorf("archived timeline lacks the late entry: %+v", full.Timeline)
	}
}

func TestNanoKeyOrdersEveryInstant(t *testing.T) {
	t.Parallel()
	instants := []time.Time{{}, time.Unix(0, 0), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := 1; i < len(instants); i++ {
		if a, b := nanoKey(instants[i-1]), nanoKey(instants[i]); a > b || len(a) != 19 {
			t.Errorf("nanoKey(%v) = %s, after nanoKey(%v) = %s", instants[i-1], a, instants[i], b)
		}
	}
}
