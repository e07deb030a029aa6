package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/escalation"
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
	m, err := st.Maintain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.Compacted == 0 || !m.Defragged || m.After >= m.Before {
		t.Fatalf("maintenance: %+v; want a compaction and a defragmentation that shrank the backend", m)
	}
	t.Logf("backend %d -> %d bytes", m.Before, m.After)
}

// TestSummaryBytes measures what a year of history costs in etcd's
// backend, for docs/deploy.md: bytes per retired alert (summary, time
// index and expiry key), after compaction and defragmentation.
func TestSummaryBytes(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	base, err := st.Maintain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	const n = 2000
	for i := 0; i < n; i++ {
		a := resolvedAlert(t, st, t0.Add(time.Duration(i)*time.Minute), "")
		if _, err := st.Retire(ctx, a.ID, t0.Add(48*time.Hour), Keep{History: 365 * 24 * time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	// Maintain defragments only past a quarter free; force the measure.
	if err := st.defragment(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := st.cli.Status(ctx, "embedded")
	if err != nil {
		t.Fatal(err)
	}
	per := (after.DbSize - base.After) / n
	t.Logf("%d summaries: backend %d -> %d bytes, %d bytes per retired alert", n, base.After, after.DbSize, per)
	// docs/deploy.md's arithmetic assumes at most 1 KiB a summary.
	if per > 1024 {
		t.Errorf("%d bytes per summary, over the 1 KiB docs/deploy.md assumes", per)
	}
}
