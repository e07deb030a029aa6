package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pagerd/pagerd/escalation"
)

// History: what stays of an alert once retention retires it. Two records
// replace the full one, both in etcd so that every node finds them and a
// snapshot carries them:
//
//   - a summary (history/ID), small and kept for HistoryRetention (a
//     year by default): who, when, how many pages;
//   - the full record with its timeline, gzipped (archive/ID), kept for
//     ArchiveRetention (longer than the alert's own retention).
//
// With a Bucket configured, the full record goes to the bucket instead of
// archive/ID, before the transaction that retires the alert: a failed
// upload fails that retirement, and the next sweep tries again, so the
// record is never in neither place. The summary names the object.
//
// Each carries an expiry index key (expire/KIND/UNIXNANO/ID) so that the
// sweep that removes expired records reads only those, never the whole
// history; and each summary a time index key (historyat/UNIXNANO/ID) so
// that a range of times is a range of keys.

// Summary is an alert's record after its full record is retired.
type Summary struct {
	ID         int64              `json:"id"`
	Team       string             `json:"team"`
	Summary    string             `json:"summary"`
	Severity   string             `json:"severity,omitempty"`
	Source     string             `json:"source,omitempty"`
	Urgency    escalation.Urgency `json:"urgency,omitempty"`
	CreatedAt  time.Time          `json:"created_at"`
	AckedAt    time.Time          `json:"acked_at,omitzero"`
	AckedBy    string             `json:"acked_by,omitempty"`
	ResolvedAt time.Time          `json:"resolved_at,omitzero"`
	ResolvedBy string             `json:"resolved_by,omitempty"`
	Pages      int                `json:"pages"`           // messages and calls sent
	Count      int                `json:"count,omitempty"` // times received
	// What the health report and the pay report's time off in lieu read of
	// an alert, so that a retired alert counts in them as it did live.
	Drill      bool        `json:"drill,omitempty"`
	Escalated  bool        `json:"escalated,omitempty"`   // went past its policy's first step
	FirstPages []FirstPage `json:"first_pages,omitempty"` // each person once, at their first page
	RetiredAt  time.Time   `json:"retired_at"`
	// ArchiveUntil is when the full record leaves the archive (zero: no
	// archive was kept).
	ArchiveUntil time.Time `json:"archive_until,omitzero"`
	// ArchiveObject is the bucket object holding the full record ("": the
	// archive is in etcd).
	ArchiveObject string `json:"archive_object,omitempty"`
	// Until is when this summary itself expires (zero: never).
	Until time.Time `json:"until,omitzero"`
}

// summaryMax bounds the summary text kept: the summary record stays a
// year, so it stays small.
const summaryMax = 160

// SummaryOf is what a's summary says.
func SummaryOf(a *Alert) Summary {
	s := Summary{ID: a.ID, Team: a.Team, Summary: a.Summary, Severity: a.Severity, Source: a.Source,
		Urgency: a.Esc.Urgency, CreatedAt: a.CreatedAt, AckedAt: a.Esc.AckedAt, AckedBy: a.Esc.AckedBy,
		ResolvedAt: a.Esc.ResolvedAt, ResolvedBy: a.Esc.ResolvedBy, Count: a.Count, Drill: a.Drill}
	s.FirstPages, s.Escalated = a.Interruptions()
	if len(s.Summary) > summaryMax {
		cut := summaryMax
		for cut > 0 && !utf8Start(s.Summary[cut]) {
			cut--
		}
		s.Summary = s.Summary[:cut] + "…"
	}
	for _, e := range a.Timeline {
		if e.Kind == "sent" {
			s.Pages++
		}
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// Bucket keeps retired alerts' full records outside etcd: an
// S3-compatible bucket (package bucket).
type Bucket interface {
	// Put writes data as the object called name and returns its key;
	// writing a name again replaces the object.
	Put(ctx context.Context, name string, data []byte) (key string, err error)
	// Get reads the object key; an error wrapping fs.ErrNotExist when
	// there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete removes the object key; one already gone is no error.
	Delete(ctx context.Context, key string) error
	// String says where the objects are, for people.
	String() string
}

// objectName is where in a bucket a's full record goes: by the month it
// was created, so that an operator can browse, copy or lifecycle a
// month at a time.
func objectName(a *Alert) string {
	return fmt.Sprintf("%s/%d.json.gz", a.CreatedAt.UTC().Format("2006/01"), a.ID)
}

// Keep says how long the records of a retired alert stay.
type Keep struct {
	Archive time.Duration // the full record, compressed; 0: none kept
	History time.Duration // the summary; 0: forever
}

func (s *Store) historyKey(id int64) string { return s.p + "history/" + idKey(id) }
func (s *Store) archiveKey(id int64) string { return s.p + "archive/" + idKey(id) }
func (s *Store) historyAtKey(at time.Time, id int64) string {
	return s.p + "historyat/" + nanoKey(at) + "/" + idKey(id)
}
func (s *Store) expireKey(kind string, at time.Time, id int64) string {
	return s.p + "expire/" + kind + "/" + nanoKey(at) + "/" + idKey(id)
}

// nanoKey is an instant as a key part that sorts in time order. Instants
// before 1970 (a zero time: no bound) are 0; UnixNano is undefined outside
// 1678-2262, so later ones are the largest key.
func nanoKey(t time.Time) string {
	switch {
	case !t.After(time.Unix(0, 0)):
		return fmt.Sprintf("%019d", 0)
	case t.After(time.Unix(0, math.MaxInt64)):
		return fmt.Sprintf("%019d", int64(math.MaxInt64))
	}
	return fmt.Sprintf("%019d", t.UnixNano())
}

// Retire replaces a resolved alert with its summary and its compressed
// archive, in one transaction: there is no moment at which it is in
// neither form.
func (s *Store) Retire(ctx context.Context, id int64, now time.Time, keep Keep) (Summary, error) {
	resp, err := s.cli.Get(ctx, s.alertKey(id))
	if err != nil {
		return Summary{}, fmt.Errorf("read alert %d: %w", id, err)
	}
	if len(resp.Kvs) == 0 {
		return Summary{}, fmt.Errorf("alert %d: %w", id, ErrNotFound)
	}
	rev := resp.Kvs[0].ModRevision
	a, err := s.Get(ctx, id)
	if err != nil {
		return Summary{}, err
	}
	if a.Status() != escalation.StatusResolved {
		return Summary{}, fmt.Errorf("alert %d is %s, not resolved", id, a.Status())
	}
	sum := SummaryOf(a)
	sum.RetiredAt = now
	ops := []clientv3.Op{
		clientv3.OpDelete(s.alertKey(id)),
		clientv3.OpDelete(s.eventsPrefix(id), clientv3.WithPrefix()),
		clientv3.OpDelete(s.timerKey(id)),
	}
	if keep.Archive > 0 {
		sum.ArchiveUntil = now.Add(keep.Archive)
		packed, err := pack(a)
		if err != nil {
			return Summary{}, fmt.Errorf("archive alert %d: %w", id, err)
		}
		if s.bucket != nil {
			// Uploaded before the alert leaves etcd; if the transaction
			// below fails, the next sweep writes the same object again.
			key, err := s.bucket.Put(ctx, objectName(a), packed)
			if err != nil {
				return Summary{}, fmt.Errorf("archive alert %d to %s: %w; it stays live until the next sweep", id, s.bucket, err)
			}
			sum.ArchiveObject = key
			// The expiry key names the object, for Expire to delete.
			ops = append(ops, clientv3.OpPut(s.expireKey("archive", sum.ArchiveUntil, id), key))
		} else {
			ops = append(ops, clientv3.OpPut(s.archiveKey(id), string(packed)),
				clientv3.OpPut(s.expireKey("archive", sum.ArchiveUntil, id), ""))
		}
	}
	if keep.History > 0 {
		sum.Until = now.Add(keep.History)
		ops = append(ops, clientv3.OpPut(s.expireKey("history", sum.Until, id), nanoKey(sum.CreatedAt)))
	}
	v, err := json.Marshal(sum)
	if err != nil {
		return Summary{}, fmt.Errorf("encode summary of alert %d: %w", id, err)
	}
	ops = append(ops, clientv3.OpPut(s.historyKey(id), string(v)), clientv3.OpPut(s.historyAtKey(sum.CreatedAt, id), ""))
	// The alert and its timeline must be as they were read: a late send
	// result recorded meanwhile would otherwise be lost from the archive.
	tx, err := s.cli.Txn(ctx).If(
		clientv3.Compare(clientv3.ModRevision(s.alertKey(id)), "=", rev),
		clientv3.Compare(clientv3.ModRevision(s.eventsPrefix(id)), "<", resp.Header.Revision+1).WithPrefix(),
	).Then(ops...).Commit()
	if err != nil {
		return Summary{}, fmt.Errorf("retire alert %d: %w", id, err)
	}
	if !tx.Succeeded {
		return Summary{}, fmt.Errorf("retire alert %d: it changed while being retired; the next sweep retires it", id)
	}
	return sum, nil
}

// pack is an alert as gzipped JSON.
func pack(a *Alert) ([]byte, error) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(zw).Encode(a); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func unpack(data []byte) (*Alert, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	a := &Alert{}
	if err := json.NewDecoder(io.LimitReader(zr, 64<<20)).Decode(a); err != nil {
		return nil, err
	}
	return a, nil
}

// History is the summary of a retired alert.
func (s *Store) History(ctx context.Context, id int64) (Summary, error) {
	resp, err := s.cli.Get(ctx, s.historyKey(id))
	if err != nil {
		return Summary{}, fmt.Errorf("read history of alert %d: %w", id, err)
	}
	if len(resp.Kvs) == 0 {
		return Summary{}, fmt.Errorf("alert %d: %w", id, ErrNotFound)
	}
	var sum Summary
	if err := json.Unmarshal(resp.Kvs[0].Value, &sum); err != nil {
		return Summary{}, fmt.Errorf("decode history of alert %d: %w", id, err)
	}
	return sum, nil
}

// Archived is the full record of a retired alert, from the archive: in
// etcd, or in the bucket its summary names.
func (s *Store) Archived(ctx context.Context, id int64) (*Alert, error) {
	a, err := s.archivedInEtcd(ctx, id)
	if !errors.Is(err, ErrNotFound) {
		return a, err
	}
	sum, herr := s.History(ctx, id)
	switch {
	case errors.Is(herr, ErrNotFound) || herr == nil && sum.ArchiveObject == "":
		return nil, err
	case herr != nil:
		return nil, herr
	}
	return s.ArchivedOf(ctx, &sum)
}

// ArchivedOf is the full record of the retired alert sum summarises, from
// where sum says it is archived.
func (s *Store) ArchivedOf(ctx context.Context, sum *Summary) (*Alert, error) {
	if sum.ArchiveObject == "" {
		if sum.ArchiveUntil.IsZero() {
			return nil, fmt.Errorf("alert %d in the archive (none was kept): %w", sum.ID, ErrNotFound)
		}
		return s.archivedInEtcd(ctx, sum.ID)
	}
	if s.bucket == nil {
		return nil, fmt.Errorf("alert %d is archived in a bucket as %s, and this node has no archive bucket configured", sum.ID, sum.ArchiveObject)
	}
	data, err := s.bucket.Get(ctx, sum.ArchiveObject)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("alert %d in the archive (%s): %w", sum.ID, err, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read archive of alert %d: %w", sum.ID, err)
	}
	a, err := unpack(data)
	if err != nil {
		return nil, fmt.Errorf("decode archive of alert %d from %s: %w", sum.ID, sum.ArchiveObject, err)
	}
	return a, nil
}

func (s *Store) archivedInEtcd(ctx context.Context, id int64) (*Alert, error) {
	resp, err := s.cli.Get(ctx, s.archiveKey(id))
	if err != nil {
		return nil, fmt.Errorf("read archive of alert %d: %w", id, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("alert %d in the archive: %w", id, ErrNotFound)
	}
	a, err := unpack(resp.Kvs[0].Value)
	if err != nil {
		return nil, fmt.Errorf("decode archive of alert %d: %w", id, err)
	}
	return a, nil
}

// HistoryRange is the summaries of alerts created in [from, to) that pass
// keep (nil keeps all), newest first, at most limit (0: no limit). It
// reads the time index, a page at a time, and only the summaries it names.
func (s *Store) HistoryRange(ctx context.Context, from, to time.Time, keep func(*Summary) bool, limit int) ([]Summary, error) {
	const page = 500
	start, end := s.p+"historyat/"+nanoKey(from), s.p+"historyat/"+nanoKey(to)
	var out []Summary
	for {
		resp, err := s.cli.Get(ctx, start, clientv3.WithRange(end), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend),
			clientv3.WithLimit(page), clientv3.WithKeysOnly())
		if err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		var ops []clientv3.Op
		for _, kv := range resp.Kvs {
			k := string(kv.Key)
			id, err := parseID(k[strings.LastIndexByte(k, '/')+1:])
			if err != nil {
				s.log.Error("bad history index key", "key", k, "err", err)
				continue
			}
			ops = append(ops, clientv3.OpGet(s.historyKey(id)))
		}
		for len(ops) > 0 {
			n := min(len(ops), 100) // under etcd's default --max-txn-ops
			tx, err := s.cli.Txn(ctx).Then(ops[:n]...).Commit()
			if err != nil {
				return nil, fmt.Errorf("read history: %w", err)
			}
			ops = ops[n:]
			for _, r := range tx.Responses {
				for _, kv := range r.GetResponseRange().Kvs {
					var sum Summary
					if err := json.Unmarshal(kv.Value, &sum); err != nil {
						s.log.Error("undecodable history record", "key", string(kv.Key), "err", err)
						continue
					}
					if keep == nil || keep(&sum) {
						out = append(out, sum)
						if limit > 0 && len(out) >= limit {
							return out, nil
						}
					}
				}
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return out, nil
		}
		// The next page ends where this one did (the range end is open).
		end = string(resp.Kvs[len(resp.Kvs)-1].Key)
	}
}

// HistoryBefore is the summaries with ids below before (0: all), highest
// id first, at most limit: the retired alerts in a list of alerts.
func (s *Store) HistoryBefore(ctx context.Context, before int64, keep func(*Summary) bool, limit int) ([]Summary, error) {
	opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend)}
	if before > 0 {
		opts = []clientv3.OpOption{clientv3.WithRange(s.historyKey(before)), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend)}
	}
	const page = 500
	opts = append(opts, clientv3.WithLimit(page))
	key := s.p + "history/"
	var out []Summary
	for {
		resp, err := s.cli.Get(ctx, key, opts...)
		if err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		for _, kv := range resp.Kvs {
			var sum Summary
			if err := json.Unmarshal(kv.Value, &sum); err != nil {
				s.log.Error("undecodable history record", "key", string(kv.Key), "err", err)
				continue
			}
			if keep == nil || keep(&sum) {
				out = append(out, sum)
				if limit > 0 && len(out) >= limit {
					return out, nil
				}
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return out, nil
		}
		last := string(resp.Kvs[len(resp.Kvs)-1].Key)
		opts = []clientv3.OpOption{clientv3.WithRange(last), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(page)}
		key = s.p + "history/"
	}
}

// Expire removes archived records and summaries whose time is up, at most
// limit of each, and returns how many it removed.
func (s *Store) Expire(ctx context.Context, now time.Time, limit int) (int, error) {
	n := 0
	for _, kind := range []string{"archive", "history"} {
		start := s.p + "expire/" + kind + "/"
		// Up to and including now: a key goes on with "/ID", and "/" sorts
		// before "0".
		resp, err := s.cli.Get(ctx, start, clientv3.WithRange(start+nanoKey(now)+"0"), clientv3.WithLimit(int64(limit)))
		if err != nil {
			return n, fmt.Errorf("read expired %s: %w", kind, err)
		}
		for _, kv := range resp.Kvs {
			k := string(kv.Key)
			id, err := parseID(k[strings.LastIndexByte(k, '/')+1:])
			if err != nil {
				s.log.Error("bad expiry key", "key", k, "err", err)
				continue
			}
			ops := []clientv3.Op{clientv3.OpDelete(k)}
			if kind == "archive" {
				ops = append(ops, clientv3.OpDelete(s.archiveKey(id)))
				if obj := string(kv.Value); obj != "" {
					// In a bucket: the object goes first, so that a failure
					// leaves the key for the next sweep to try again.
					if s.bucket == nil {
						// Removing the key anyway is safe: the object is not
						// lost, only left to the bucket's own lifecycle.
						s.log.Warn("an expired archive is in a bucket, and no archive bucket is configured: the object stays",
							"alert", id, "object", obj)
					} else if err := s.bucket.Delete(ctx, obj); err != nil {
						return n, fmt.Errorf("expire archive of alert %d: %w", id, err)
					}
				}
			} else {
				ops = append(ops, clientv3.OpDelete(s.historyKey(id)))
				if created, err := strconv.ParseInt(string(kv.Value), 10, 64); err == nil {
					ops = append(ops, clientv3.OpDelete(s.historyAtKey(time.Unix(0, created), id)))
				}
			}
			if _, err := s.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
				return n, fmt.Errorf("expire %s of alert %d: %w", kind, id, err)
			}
			n++
		}
	}
	return n, nil
}
