package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// The ledger is what payroll is paid from: who actually held each role,
// and who worked which page. Entries are written once and never changed;
// later rota edits don't touch them, and a correction is a new entry.

// Held is one closed stretch of someone holding, or shadowing, a role.
type Held struct {
	Team   string    `json:"team"`
	Role   string    `json:"role"`
	Person string    `json:"person"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Source string    `json:"source"` // rotation, override, shadow
	Shadow bool      `json:"shadow,omitempty"`
	// RotaRev is the rota revision it was read from.
	RotaRev int64 `json:"rota_rev"`
	// Reconstructed: pagerd wasn't running for (part of) it, so it comes
	// from the rota, not from what pagerd saw.
	Reconstructed bool      `json:"reconstructed,omitempty"`
	RecordedAt    time.Time `json:"recorded_at"`
	// Correction, set on a correction entry: it replaces whatever the
	// ledger says about Team/Role over [Start, End).
	Correction *Correction `json:"correction,omitempty"`
}

// Correction says who corrected the ledger and why.
type Correction struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
	// Forced: made despite the checks (a person outside the team, a
	// window over a month), on the operator's word.
	Forced bool `json:"forced,omitempty"`
}

// Worked is the time a person spent on one alert: from the first of their
// ack or resolve (Start) to the alert's resolution (End), so Start equals
// End for someone who resolved without acking. Paged and ResolvedBy
// complete the story.
type Worked struct {
	AlertID    int64     `json:"alert_id"`
	Team       string    `json:"team"`
	Person     string    `json:"person"`
	Paged      time.Time `json:"paged"` // when the alert first paged
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	ResolvedBy string    `json:"resolved_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

func (s *Store) heldKey(h Held) string {
	kind := "seg"
	if h.Correction != nil {
		kind = "fix"
	}
	return fmt.Sprintf("%sledger/%s/%s/%020d/%s/%s/%s", s.p, kind, h.Team, h.Start.UnixNano(), h.Role, h.Source, h.Person)
}

func (s *Store) cursorKey(team string) string { return s.p + "ledger/cursor/" + team }

// LedgerCursor is the instant up to which team's on-call is recorded, and
// when the recording leader was last known alive.
type LedgerCursor struct {
	Upto  time.Time `json:"upto"`
	Alive time.Time `json:"alive"`
	// Gaps are stretches after Upto when no leader was recording: entries
	// that overlap them are reconstructed from the rota.
	Gaps []Gap `json:"gaps,omitempty"`
}

// Gap is a stretch of time nobody recorded.
type Gap struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Cursor reads team's ledger cursor; ok is false before the first entry.
func (s *Store) Cursor(ctx context.Context, team string) (LedgerCursor, bool, error) {
	var c LedgerCursor
	resp, err := s.cli.Get(ctx, s.cursorKey(team))
	if err != nil {
		return c, false, fmt.Errorf("read ledger cursor of %s: %w", team, err)
	}
	if len(resp.Kvs) == 0 {
		return c, false, nil
	}
	return c, json.Unmarshal(resp.Kvs[0].Value, &c) == nil, nil
}

// RecordHeld writes closed stretches and moves team's cursor, in one
// transaction fenced by leadership. An entry already there is left as it
// was: entries are immutable.
func (s *Store) RecordHeld(ctx context.Context, fence *Fence, team string, held []Held, cur LedgerCursor) error {
	var ops []clientv3.Op
	var cmps []clientv3.Cmp
	for _, h := range held {
		v, err := json.Marshal(h)
		if err != nil {
			return fmt.Errorf("encode ledger entry: %w", err)
		}
		k := s.heldKey(h)
		// Put only if absent: a Txn per entry would be slow, so absent
		// keys are checked first and present ones skipped.
		ops = append(ops, clientv3.OpTxn([]clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(k), "=", 0)},
			[]clientv3.Op{clientv3.OpPut(k, string(v))}, nil))
	}
	cv, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	ops = append(ops, clientv3.OpPut(s.cursorKey(team), string(cv)))
	cmps = append(cmps, fence.cmps()...)
	// Chunks keep each transaction inside etcd's operation limit; the
	// cursor moves in the last one, so a failure part way re-records.
	for len(ops) > 0 {
		n := min(len(ops), s.maxOps-1)
		tx, err := s.cli.Txn(ctx).If(cmps...).Then(ops[:n]...).Commit()
		if err != nil {
			return fmt.Errorf("record ledger of %s: %w", team, err)
		}
		if !tx.Succeeded {
			return ErrFenced
		}
		ops = ops[n:]
	}
	return nil
}

// Correct adds a correction entry.
func (s *Store) Correct(ctx context.Context, h Held) error {
	if h.Correction == nil {
		return fmt.Errorf("a correction needs who and why")
	}
	v, err := json.Marshal(h)
	if err != nil {
		return err
	}
	k := s.heldKey(h)
	tx, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).Then(clientv3.OpPut(k, string(v))).Commit()
	if err != nil {
		return fmt.Errorf("record correction: %w", err)
	}
	if !tx.Succeeded {
		return fmt.Errorf("a correction for %s %s from %s already exists", h.Team, h.Role, h.Start)
	}
	return nil
}

// Ledger reads every on-call entry and correction overlapping [from, to).
func (s *Store) Ledger(ctx context.Context, from, to time.Time) (held, fixes []Held, err error) {
	for _, kind := range []string{"seg", "fix"} {
		resp, err := s.cli.Get(ctx, s.p+"ledger/"+kind+"/", clientv3.WithPrefix())
		if err != nil {
			return nil, nil, fmt.Errorf("read ledger: %w", err)
		}
		for _, kv := range resp.Kvs {
			var h Held
			if err := json.Unmarshal(kv.Value, &h); err != nil {
				s.log.Error("undecodable ledger entry", "key", string(kv.Key), "err", err)
				continue
			}
			if h.End.After(from) && h.Start.Before(to) {
				if kind == "seg" {
					held = append(held, h)
				} else {
					fixes = append(fixes, h)
				}
			}
		}
	}
	return held, fixes, nil
}

func (s *Store) workedKey(w Worked) string {
	return s.p + "ledger/worked/" + idKey(w.AlertID) + "/" + w.Person
}

// workedOps writes engaged time with the alert's own update.
func (s *Store) workedOps(ws []Worked) ([]clientv3.Op, error) {
	var ops []clientv3.Op
	for _, w := range ws {
		v, err := json.Marshal(w)
		if err != nil {
			return nil, err
		}
		ops = append(ops, clientv3.OpPut(s.workedKey(w), string(v)))
	}
	return ops, nil
}

// Worked reads engaged time overlapping [from, to).
func (s *Store) Worked(ctx context.Context, from, to time.Time) ([]Worked, error) {
	resp, err := s.cli.Get(ctx, s.p+"ledger/worked/", clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	var out []Worked
	for _, kv := range resp.Kvs {
		var w Worked
		if err := json.Unmarshal(kv.Value, &w); err != nil {
			s.log.Error("undecodable ledger record", "key", string(kv.Key), "err", err)
			continue
		}
		// Overlapping [from, to); an engagement with no length counts at
		// its instant.
		if !w.Start.Before(from) && w.Start.Before(to) || w.Start.Before(from) && w.End.After(from) {
			out = append(out, w)
		}
	}
	return out, nil
}

func (s *Store) mailKey(k string) string {
	sum := sha256.Sum256([]byte(k))
	return s.p + "mail/" + hex.EncodeToString(sum[:16])
}

// MailSeen reports whether any of keys (a mailbox UID, a Message-ID) was
// processed already, by this node or another, before or after a restart.
func (s *Store) MailSeen(ctx context.Context, keys ...string) (bool, error) {
	ops := make([]clientv3.Op, len(keys))
	for i, k := range keys {
		ops[i] = clientv3.OpGet(s.mailKey(k), clientv3.WithCountOnly())
	}
	resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return false, fmt.Errorf("check processed mail: %w", err)
	}
	for _, r := range resp.Responses {
		if r.GetResponseRange().Count > 0 {
			return true, nil
		}
	}
	return false, nil
}

// MailRemember records keys as processed.
func (s *Store) MailRemember(ctx context.Context, keys ...string) error {
	now := time.Now().UTC().Format(time.RFC3339)
	ops := make([]clientv3.Op, len(keys))
	for i, k := range keys {
		ops[i] = clientv3.OpPut(s.mailKey(k), now)
	}
	if err := s.batched(ctx, &write{ops: ops}); err != nil {
		return fmt.Errorf("remember processed mail: %w", err)
	}
	return nil
}
