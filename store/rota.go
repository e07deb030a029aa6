package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pagerd/pagerd/rotafile"
)

// RotaRecord is the rota the whole cluster pages from: the files as they
// were checked, with a revision that only goes up.
type RotaRecord struct {
	Rev         int64           `json:"rev"`
	Digest      string          `json:"digest"`
	Files       []rotafile.File `json:"files"`
	PublishedAt time.Time       `json:"published_at"`
	PublishedBy string          `json:"published_by"`
}

// Digest is a content hash of rota files, to tell an edit from a re-read.
func Digest(files []rotafile.File) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%d:%s\n%d:", len(f.Name), f.Name, len(f.Data))
		h.Write(f.Data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Store) rotaKey() string { return s.p + "rota" }

// Rota reads the published rotafile. ok is false when none was published.
func (s *Store) Rota(ctx context.Context) (rec RotaRecord, ok bool, err error) {
	resp, err := s.cli.Get(ctx, s.rotaKey())
	if err != nil {
		return rec, false, fmt.Errorf("read rota: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return rec, false, nil
	}
	if err := json.Unmarshal(resp.Kvs[0].Value, &rec); err != nil {
		return rec, false, fmt.Errorf("decode rota: %w", err)
	}
	return rec, true, nil
}

// PublishRota makes files the cluster's rota, with the next revision,
// unless the same files are published already. The caller has checked them.
func (s *Store) PublishRota(ctx context.Context, files []rotafile.File, by string, now time.Time) (RotaRecord, bool, error) {
	digest := Digest(files)
	for {
		resp, err := s.cli.Get(ctx, s.rotaKey())
		if err != nil {
			return RotaRecord{}, false, fmt.Errorf("read rota: %w", err)
		}
		var cur RotaRecord
		var modRev int64
		if len(resp.Kvs) == 1 {
			modRev = resp.Kvs[0].ModRevision
			if err := json.Unmarshal(resp.Kvs[0].Value, &cur); err != nil {
				return RotaRecord{}, false, fmt.Errorf("decode rota: %w", err)
			}
			if cur.Digest == digest {
				return cur, false, nil
			}
		}
		next := RotaRecord{Rev: cur.Rev + 1, Digest: digest, Files: files, PublishedAt: now.UTC(), PublishedBy: by}
		val, err := json.Marshal(next)
		if err != nil {
			return RotaRecord{}, false, fmt.Errorf("encode rota: %w", err)
		}
		tx, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(s.rotaKey()), "=", modRev)).
			Then(clientv3.OpPut(s.rotaKey(), string(val))).
			Commit()
		if errors.Is(err, rpctypes.ErrRequestTooLarge) {
			return RotaRecord{}, false, fmt.Errorf("publish rota: it is %d KiB as stored, more than etcd takes in one request "+
				"(the embedded etcd: %d MiB; an external cluster: each member's --max-request-bytes, 1.5 MiB unless set): "+
				"raise that limit, or keep only rota files in the directory: %w", len(val)>>10, embeddedMaxRequestBytes>>20, err)
		}
		if err != nil {
			return RotaRecord{}, false, fmt.Errorf("publish rota: %w", err)
		}
		if tx.Succeeded {
			return next, true, nil
		}
	}
}

// WatchRota reports the published rota now and each one published later.
// The channel closes when ctx ends; a failed watch is restarted from a fresh
// read, so a consumer may see a revision twice and should skip repeats.
func (s *Store) WatchRota(ctx context.Context) <-chan RotaRecord {
	out := make(chan RotaRecord, 4)
	emit := func(rec RotaRecord) bool {
		select {
		case out <- rec:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		defer close(out)
		for ctx.Err() == nil {
			resp, err := s.cli.Get(ctx, s.rotaKey())
			if err == nil {
				var rec RotaRecord
				if len(resp.Kvs) == 1 && json.Unmarshal(resp.Kvs[0].Value, &rec) == nil && !emit(rec) {
					return
				}
				for wr := range s.cli.Watch(ctx, s.rotaKey(), clientv3.WithRev(resp.Header.Revision+1)) {
					if wr.Err() != nil {
						s.log.Warn("rota watch failed; restarting", "err", wr.Err())
						break
					}
					for _, ev := range wr.Events {
						var rec RotaRecord
						if ev.Type == clientv3.EventTypePut && json.Unmarshal(ev.Kv.Value, &rec) == nil && !emit(rec) {
							return
						}
					}
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	return out
}
