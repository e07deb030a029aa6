package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pagerd/pagerd/escalation"
)

// Alert is one alert as stored: what came in, where its escalation is, and
// everything that happened to it.
type Alert struct {
	ID         int64            `json:"id"`
	Team       string           `json:"team"`
	Summary    string           `json:"summary"`
	Details    string           `json:"details,omitempty"`
	DedupKey   string           `json:"dedup_key"`
	Severity   string           `json:"severity,omitempty"`
	Source     string           `json:"source"`
	Origin     string           `json:"origin,omitempty"`
	Route      string           `json:"route,omitempty"` // the email route that raised it
	Links      []string         `json:"links,omitempty"`
	CreatedAt  time.Time        `json:"created_at"`
	UpdatedAt  time.Time        `json:"updated_at"`
	Count      int              `json:"count"` // times received, dedup included
	LastSeenAt time.Time        `json:"last_seen_at"`
	RotaRev    int64            `json:"rota_rev"` // the rota revision that chose whom to page, last time
	Esc        escalation.State `json:"escalation"`
	Timeline   []Entry          `json:"timeline"`
	// Pages is each person's first page at each step of each pass, as
	// queued: who was interrupted when, for the health report. (The
	// timeline says it in words; this says it as data.)
	Pages []PageMark `json:"pages,omitempty"`
	// Drill marks a dry run: paged through the real path, never paid.
	Drill bool `json:"drill,omitempty"`
	// Policy, when set, is the escalation policy this alert follows instead
	// of its team's: a drill that doesn't escalate, another team pulled in
	// to help, the incident commander.
	Policy *escalation.Policy `json:"policy,omitempty"`
	// Parent is the alert this one was opened to help with (0: none).
	Parent int64 `json:"parent,omitempty"`
	// Helpers are the alerts opened to bring other teams' on-call (or the
	// incident commander) to this one.
	Helpers []Helper `json:"helpers,omitempty"`
	// Major: declared a major incident; the incident commander is paged.
	Major bool `json:"major,omitempty"`
}

// Helper is another team's on-call brought to an alert, by an alert of
// their own that they acknowledge as their part.
type Helper struct {
	AlertID int64     `json:"alert_id"`
	Team    string    `json:"team"`
	Kind    string    `json:"kind"` // help, commander
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// PageMark is one person's first page at one step of one pass.
type PageMark struct {
	Person string    `json:"person"`
	Role   string    `json:"role,omitempty"`
	Shadow bool      `json:"shadow,omitempty"`
	Pass   int       `json:"pass"`
	Step   int       `json:"step"`
	At     time.Time `json:"at"`
}

// MarkPage records a page unless the person already has one at that step
// of that pass (a later contact method is the same interruption).
func (a *Alert) MarkPage(m PageMark) {
	for _, p := range a.Pages {
		if p.Person == m.Person && p.Pass == m.Pass && p.Step == m.Step && p.Shadow == m.Shadow {
			return
		}
	}
	a.Pages = append(a.Pages, m)
}

// Status is the alert's state: triggered, acknowledged or resolved.
func (a *Alert) Status() escalation.Status { return a.Esc.Status }

// Entry is one line of an alert's timeline.
type Entry struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"` // received, page, sent, failed, ack, resolve, escalate, note, ...
	Text string    `json:"text"`
	By   string    `json:"by,omitempty"`
}

// Note appends a timeline entry.
func (a *Alert) Note(at time.Time, kind, by, format string, args ...any) {
	a.Timeline = append(a.Timeline, Entry{At: at, Kind: kind, By: by, Text: fmt.Sprintf(format, args...)})
}

// ErrNotFound is returned for an alert that doesn't exist.
var ErrNotFound = errors.New("no such alert")

// ErrNoChange from an update function leaves the alert as it was.
var ErrNoChange = errors.New("no change")

func (s *Store) alertKey(id int64) string { return s.p + "alerts/" + idKey(id) }
func (s *Store) timerKey(id int64) string { return s.p + "timers/" + idKey(id) }

func (s *Store) dedupKey(team, key string) string {
	sum := sha256.Sum256([]byte(key))
	return s.p + "dedup/" + team + "/" + hex.EncodeToString(sum[:16])
}

// OpenByDedup finds the open alert of team with dedup key, if any. It is a
// local (serializable) read: a hint that saves an id and a write for
// repeats. Create's transaction is what guarantees one open alert per key.
func (s *Store) OpenByDedup(ctx context.Context, team, dedup string) (int64, bool, error) {
	resp, err := s.cli.Get(ctx, s.dedupKey(team, dedup), clientv3.WithSerializable())
	if err != nil {
		return 0, false, fmt.Errorf("look up dedup key: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return 0, false, nil
	}
	id, err := parseID(string(resp.Kvs[0].Value))
	return id, err == nil, err
}

// Create stores a new alert, its dedup entry, its timer and its first pages
// in one transaction, unless an open alert of the team already has the dedup
// key: then it stores nothing and returns that alert's id and true. An
// alert created resolved (its problem ended before pagerd read it) takes
// no dedup entry: it is not open, so the key stays free.
func (s *Store) Create(ctx context.Context, a *Alert, pages []OutboxPage) (existing int64, dup bool, err error) {
	val, err := json.Marshal(a)
	if err != nil {
		return 0, false, fmt.Errorf("encode alert %d: %w", a.ID, err)
	}
	dk := s.dedupKey(a.Team, a.DedupKey)
	ops := []clientv3.Op{clientv3.OpPut(s.alertKey(a.ID), string(val))}
	if a.Status() != escalation.StatusResolved {
		ops = append(ops, clientv3.OpPut(dk, strconv.FormatInt(a.ID, 10)))
	}
	ops = append(ops, s.timerOps(a)...)
	pops, err := s.pageOps(pages)
	if err != nil {
		return 0, false, err
	}
	ops = append(ops, pops...)
	cmps := []clientv3.Cmp{
		clientv3.Compare(clientv3.CreateRevision(dk), "=", 0),
		clientv3.Compare(clientv3.CreateRevision(s.alertKey(a.ID)), "=", 0),
	}
	// Usually the alert is new and goes in a shared transaction; if any
	// compare in that batch fails, this one is tried alone to learn why.
	switch err := s.batched(ctx, &write{cmps: cmps, ops: ops, key: dk}); {
	case err == nil:
		return a.ID, false, nil
	case !errors.Is(err, errAlone):
		return 0, false, fmt.Errorf("store alert %d: %w", a.ID, err)
	}
	tx, err := s.cli.Txn(ctx).
		If(cmps...).
		Then(ops...).
		Else(clientv3.OpGet(dk)).
		Commit()
	if err != nil {
		return 0, false, fmt.Errorf("store alert %d: %w", a.ID, err)
	}
	if tx.Succeeded {
		return a.ID, false, nil
	}
	kvs := tx.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return 0, false, fmt.Errorf("store alert %d: id already in use", a.ID)
	}
	id, err := parseID(string(kvs[0].Value))
	return id, true, err
}

// Get reads one alert with its whole timeline: the entries kept in the
// record and those recorded beside it (RecordEvent), in time order.
func (s *Store) Get(ctx context.Context, id int64) (*Alert, error) {
	resp, err := s.cli.Txn(ctx).Then(
		clientv3.OpGet(s.alertKey(id)),
		clientv3.OpGet(s.eventsPrefix(id), clientv3.WithPrefix()),
	).Commit()
	if err != nil {
		return nil, fmt.Errorf("read alert %d: %w", id, err)
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return nil, fmt.Errorf("alert %d: %w", id, ErrNotFound)
	}
	a := &Alert{}
	if err := json.Unmarshal(kvs[0].Value, a); err != nil {
		return nil, fmt.Errorf("decode alert %d: %w", id, err)
	}
	for _, kv := range resp.Responses[1].GetResponseRange().Kvs {
		var e Entry
		if err := json.Unmarshal(kv.Value, &e); err != nil {
			s.log.Error("undecodable timeline entry", "key", string(kv.Key), "err", err)
			continue
		}
		a.Timeline = append(a.Timeline, e)
	}
	sort.SliceStable(a.Timeline, func(i, j int) bool { return a.Timeline[i].At.Before(a.Timeline[j].At) })
	return a, nil
}

// Progress is where an alert's escalation stands: all that decides
// whether a page decided earlier (held in a mailbox, or left by an
// earlier leader) is still wanted.
type Progress struct {
	Status escalation.Status
	Pass   int
}

// Progresses reads where several alerts' escalations stand, in as few
// requests as etcd's transaction limit allows: a storm's bundle of
// thousands of held pages is checked in a few reads, not one per page. It
// decodes only what Progress needs: decoding whole records was a fifth of
// the CPU while a storm's mailboxes flushed. An alert that doesn't exist
// is absent from the map.
func (s *Store) Progresses(ctx context.Context, ids []int64) (map[int64]Progress, error) {
	out := make(map[int64]Progress, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), s.maxOps)
		ops := make([]clientv3.Op, n)
		for i, id := range ids[:n] {
			ops[i] = clientv3.OpGet(s.alertKey(id))
		}
		resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, fmt.Errorf("read alerts %d..: %w", ids[0], err)
		}
		for i, r := range resp.Responses {
			kvs := r.GetResponseRange().Kvs
			if len(kvs) == 0 {
				continue
			}
			var a struct {
				Esc struct {
					Status escalation.Status `json:"status"`
					Pass   int               `json:"pass"`
				} `json:"escalation"`
			}
			if err := json.Unmarshal(kvs[0].Value, &a); err != nil {
				return nil, fmt.Errorf("decode alert %d: %w", ids[i], err)
			}
			out[ids[i]] = Progress{Status: a.Esc.Status, Pass: a.Esc.Pass}
		}
		ids = ids[n:]
	}
	return out, nil
}

func (s *Store) eventsPrefix(id int64) string { return s.p + "events/" + idKey(id) + "/" }

// RecordEvent appends a timeline entry beside the alert record and removes
// finished outbox pages, in one write that reads nothing: the outcome of a
// send is a fact that needs no compare-and-swap on the alert. key must be
// unique within the alert (a page id and what happened to it).
func (s *Store) RecordEvent(ctx context.Context, id int64, key string, e Entry, done ...OutboxPage) error {
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode timeline entry: %w", err)
	}
	ops := []clientv3.Op{clientv3.OpPut(s.eventsPrefix(id)+key, string(v))}
	for _, d := range done {
		ops = append(ops, clientv3.OpDelete(d.key(s.p)))
	}
	if err := s.batched(ctx, &write{ops: ops}); err != nil {
		return fmt.Errorf("record %s on alert %d: %w", key, id, err)
	}
	return nil
}

func (s *Store) get(ctx context.Context, id int64) (*Alert, int64, error) {
	resp, err := s.cli.Get(ctx, s.alertKey(id), s.readOpts()...)
	if err != nil {
		return nil, 0, fmt.Errorf("read alert %d: %w", id, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, 0, fmt.Errorf("alert %d: %w", id, ErrNotFound)
	}
	a := &Alert{}
	if err := json.Unmarshal(resp.Kvs[0].Value, a); err != nil {
		return nil, 0, fmt.Errorf("decode alert %d: %w", id, err)
	}
	return a, resp.Kvs[0].ModRevision, nil
}

// Change is what an update function wants written besides the alert.
type Change struct {
	Pages  []OutboxPage // pages to enqueue
	Done   []OutboxPage // outbox pages to remove (sent, or given up)
	Worked []Worked     // engaged time for the ledger
}

// Update reads the alert, lets fn change it, and writes it back with its
// timer, new pages and removed pages in one transaction, retrying if the
// alert changed meanwhile. With a fence the write happens only while that
// leadership holds (ErrFenced otherwise). fn returning ErrNoChange writes
// nothing; any other error is returned as is.
func (s *Store) Update(ctx context.Context, id int64, fence *Fence, fn func(a *Alert) (Change, error)) (*Alert, error) {
	for attempt := 0; ; attempt++ {
		a, rev, err := s.get(ctx, id)
		if err != nil {
			return nil, err
		}
		wasOpen := a.Status() != escalation.StatusResolved
		prevTimer := a.Esc.Timer
		ch, err := fn(a)
		if errors.Is(err, ErrNoChange) {
			return a, nil
		}
		if err != nil {
			return a, err
		}
		val, err := json.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("encode alert %d: %w", id, err)
		}
		ops := []clientv3.Op{clientv3.OpPut(s.alertKey(id), string(val))}
		if !a.Esc.Timer.Equal(prevTimer) {
			ops = append(ops, s.timerOps(a)...)
		}
		pops, err := s.pageOps(ch.Pages)
		if err != nil {
			return nil, err
		}
		ops = append(ops, pops...)
		for _, d := range ch.Done {
			ops = append(ops, clientv3.OpDelete(d.key(s.p)))
		}
		wops, err := s.workedOps(ch.Worked)
		if err != nil {
			return nil, err
		}
		ops = append(ops, wops...)
		if wasOpen && a.Status() == escalation.StatusResolved {
			// The dedup key is free again: the next alert with it is new.
			ops = append(ops, clientv3.OpDelete(s.dedupKey(a.Team, a.DedupKey)))
		}
		cmps := append([]clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(s.alertKey(id)), "=", rev)}, fence.cmps()...)
		// Usually the compares hold and the update shares a transaction
		// with others (the engine updates many alerts at once when their
		// timers fall due together); if any compare in the batch fails,
		// this one is tried alone to learn whether it was its own.
		ok, err := s.batchedOrAlone(ctx, cmps, ops)
		if err != nil {
			return nil, fmt.Errorf("update alert %d: %w", id, err)
		}
		if ok {
			return a, nil
		}
		if fence != nil {
			if ok, err := s.holds(ctx, fence); err != nil {
				return nil, err
			} else if !ok {
				return nil, ErrFenced
			}
		}
		if attempt >= 50 {
			return nil, fmt.Errorf("update alert %d: still conflicting after %d attempts", id, attempt)
		}
		// Someone else wrote the alert; back off a little and retry.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(rand.IntN(1+attempt)) * time.Millisecond):
		}
	}
}

// List returns alerts, newest first, that pass keep (nil keeps all), at
// most limit of them (0: no limit).
func (s *Store) List(ctx context.Context, keep func(*Alert) bool, limit int) ([]*Alert, error) {
	return s.ListBefore(ctx, 0, keep, limit)
}

// ListBefore is List of the alerts with ids below before (0: all): the
// next page after an alert a caller has already shown.
func (s *Store) ListBefore(ctx context.Context, before int64, keep func(*Alert) bool, limit int) ([]*Alert, error) {
	opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend)}
	if before > 0 {
		// Ids are zero-padded in keys, so key order is id order.
		opts = []clientv3.OpOption{clientv3.WithRange(s.alertKey(before)), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend)}
	}
	resp, err := s.cli.Get(ctx, s.p+"alerts/", opts...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	var out []*Alert
	for _, kv := range resp.Kvs {
		a := &Alert{}
		if err := json.Unmarshal(kv.Value, a); err != nil {
			s.log.Error("undecodable alert record", "key", string(kv.Key), "err", err)
			continue
		}
		if keep == nil || keep(a) {
			out = append(out, a)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
	}
	return out, nil
}

// FirstPage is a person's first page of an alert: when it interrupted them.
type FirstPage struct {
	Person string    `json:"person"`
	At     time.Time `json:"at"`
	Shadow bool      `json:"shadow,omitempty"` // only ever paged as a shadow who may not ack
}

// Interruptions is each person's first page of a, in the order they were
// first paged, and whether a went past its policy's first step (by timeout,
// by someone asking, or by running out). The health report counts these;
// the summary of a retired alert keeps them so that it still counts.
func (a *Alert) Interruptions() (pages []FirstPage, escalated bool) {
	e := a.Esc
	escalated = e.Step > 0 || e.Pass > 0 || e.Exhausted
	first := map[string]int{}
	for _, m := range a.Pages {
		if m.Step > 0 || m.Pass > 0 {
			escalated = true
		}
		if i, ok := first[m.Person]; ok {
			p := &pages[i]
			if m.At.Before(p.At) {
				p.At = m.At
			}
			p.Shadow = p.Shadow && m.Shadow // someone who may ack, if ever paged so
			continue
		}
		first[m.Person] = len(pages)
		pages = append(pages, FirstPage{Person: m.Person, At: m.At, Shadow: m.Shadow})
	}
	if len(a.Pages) == 0 {
		// An alert from before pages were marked: everyone it paged, at
		// its creation (the best the record knows).
		for _, r := range e.Paged {
			if _, ok := first[r.Person]; !ok {
				first[r.Person] = len(pages)
				pages = append(pages, FirstPage{Person: r.Person, At: a.CreatedAt, Shadow: r.Shadow && !r.Reverse})
			}
		}
	}
	return pages, escalated
}
