package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TOILFix is a correction of a person's time off in lieu in a team: Minutes
// added (or, negative, taken away), counted in the pay report whose window
// holds At. Like every ledger entry it is written once and never changed.
type TOILFix struct {
	Team       string      `json:"team"`
	Person     string      `json:"person"`
	At         time.Time   `json:"at"`
	Minutes    int64       `json:"minutes"`
	RotaRev    int64       `json:"rota_rev"`
	RecordedAt time.Time   `json:"recorded_at"`
	Correction *Correction `json:"correction"`
}

func (s *Store) toilKey(f TOILFix) string {
	return fmt.Sprintf("%sledger/toil/%s/%020d/%s", s.p, f.Team, f.At.UnixNano(), f.Person)
}

// CorrectTOIL records a TOIL correction; a second one for the same team,
// person and instant is refused (make it at another instant).
func (s *Store) CorrectTOIL(ctx context.Context, f TOILFix) error {
	if f.Correction == nil {
		return fmt.Errorf("a correction needs who and why")
	}
	v, err := json.Marshal(f)
	if err != nil {
		return err
	}
	k := s.toilKey(f)
	tx, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).Then(clientv3.OpPut(k, string(v))).Commit()
	if err != nil {
		return fmt.Errorf("record TOIL correction: %w", err)
	}
	if !tx.Succeeded {
		return fmt.Errorf("a TOIL correction for %s in %s at %s already exists", f.Person, f.Team, f.At)
	}
	return nil
}

// TOILFixes reads the TOIL corrections at instants in [from, to).
func (s *Store) TOILFixes(ctx context.Context, from, to time.Time) ([]TOILFix, error) {
	resp, err := s.cli.Get(ctx, s.p+"ledger/toil/", clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("read TOIL corrections: %w", err)
	}
	var out []TOILFix
	for _, kv := range resp.Kvs {
		var f TOILFix
		if err := json.Unmarshal(kv.Value, &f); err != nil {
			s.log.Error("undecodable TOIL correction", "key", string(kv.Key), "err", err)
			continue
		}
		if !f.At.Before(from) && f.At.Before(to) {
			out = append(out, f)
		}
	}
	return out, nil
}
