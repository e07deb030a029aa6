package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pagerd/pagerd/escalation"
)

// OutboxPage is a page waiting to be sent: written with the state change
// that decided it, removed once the send is recorded.
type OutboxPage struct {
	AlertID int64             `json:"alert_id"`
	PageID  string            `json:"page_id"`
	Person  string            `json:"person"`
	Method  escalation.Method `json:"method"`
	Role    string            `json:"role,omitempty"`
	Shadow  bool              `json:"shadow,omitempty"`
	Due     time.Time         `json:"due"`
	Late    time.Duration     `json:"late,omitempty"`
	Queued  time.Time         `json:"queued"`
	// Pass and Step are the escalation step that decided the page: once
	// the alert has moved past it, the page is no longer wanted.
	Pass int `json:"pass,omitempty"`
	Step int `json:"step,omitempty"`
	// What the page says, copied so sending needs no read of the alert.
	Team     string `json:"team"`
	Summary  string `json:"summary"`
	Severity string `json:"severity,omitempty"`
	// Group names pages decided together (the alerts of one request, or
	// the fallback of one undelivered message) that go to one person by
	// one method as one message; GroupSize is how many such pages the
	// group has for this person and method. The engine waits, briefly, for
	// all of them before sending.
	Group     string `json:"group,omitempty"`
	GroupSize int    `json:"group_size,omitempty"`
	// Intent is set just before the page is handed to the provider and
	// goes with the page when its outcome is recorded: a page found with
	// one may have been sent, so the provider is asked before it is sent
	// again.
	Intent *Intent `json:"intent,omitempty"`
}

// Intent records that a leader was about to send a page.
type Intent struct {
	Term    int64     `json:"term"` // the leadership (election key revision)
	Node    string    `json:"node"`
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	// Message names the message the page went in ("alert/page" of the
	// newest page of a bundle), so a new leader regroups a bundle.
	Message string `json:"message"`
	// Text is what an SMS said, to find it at the provider.
	Text string `json:"text,omitempty"`
}

// Key is the page's outbox key without the store's prefix ("alert/page"),
// unique across the cluster.
func (o OutboxPage) Key() string { return idKey(o.AlertID) + "/" + o.PageID }

// Key is the outbox key of the page.
func (o OutboxPage) key(p string) string {
	return p + "outbox/" + idKey(o.AlertID) + "/" + o.PageID
}

func (s *Store) pageOps(pages []OutboxPage) ([]clientv3.Op, error) {
	ops := make([]clientv3.Op, 0, len(pages))
	for _, pg := range pages {
		v, err := json.Marshal(pg)
		if err != nil {
			return nil, fmt.Errorf("encode page %s: %w", pg.PageID, err)
		}
		ops = append(ops, clientv3.OpPut(pg.key(s.p), string(v)))
	}
	return ops, nil
}

// pagesPerWrite bounds the pages of one message written in one
// transaction. etcd applies transactions one at a time, so a new alert's
// write queued behind a storm's bookkeeping waits for it to apply: small
// chunks keep that wait to a few milliseconds, where chunks of 500 pages
// put 100 ms and more on new alerts and their pages while a storm's
// mailboxes flushed.
const pagesPerWrite = 64

// MarkSending records the intent to send pages as one message, on the
// leader's fence, before they go to the provider. It returns the pages
// still in the outbox (with the intent set); one already recorded by
// someone is left out.
//
// A big bundle (a storm's) is written in chunks that fit etcd's limit of
// operations per transaction: each page's intent stands alone, so the
// chunks need not be one transaction.
func (s *Store) MarkSending(ctx context.Context, fence *Fence, pages []OutboxPage, in Intent) ([]OutboxPage, error) {
	// Each page takes a compare and a put (or a get), and the fence one
	// more of each.
	chunk := min(max((s.maxOps-2)/2, 1), pagesPerWrite)
	if len(pages) <= chunk {
		return s.markSending(ctx, fence, pages, in)
	}
	var live []OutboxPage
	for i := 0; i < len(pages); i += chunk {
		got, err := s.markSending(ctx, fence, pages[i:min(i+chunk, len(pages))], in)
		if err != nil {
			return nil, err
		}
		live = append(live, got...)
	}
	return live, nil
}

func (s *Store) markSending(ctx context.Context, fence *Fence, pages []OutboxPage, in Intent) ([]OutboxPage, error) {
	for attempt := 0; len(pages) > 0; attempt++ {
		cmps := fence.cmps()
		var puts, gets []clientv3.Op
		out := make([]OutboxPage, len(pages))
		for i, pg := range pages {
			k := pg.key(s.p)
			intent := in
			pg.Intent = &intent
			v, err := json.Marshal(pg)
			if err != nil {
				return nil, fmt.Errorf("encode page %s: %w", pg.PageID, err)
			}
			out[i] = pg
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k), ">", 0))
			puts = append(puts, clientv3.OpPut(k, string(v)))
			gets = append(gets, clientv3.OpGet(k, clientv3.WithKeysOnly()))
		}
		// One round trip when every page is still there, as it almost
		// always is; else learn which are gone and whether we still lead.
		if fence != nil {
			gets = append(gets, clientv3.OpGet(fence.Key, clientv3.WithKeysOnly()))
		}
		tx, err := s.cli.Txn(ctx).If(cmps...).Then(puts...).Else(gets...).Commit()
		if err != nil {
			return nil, fmt.Errorf("record intent to send %s: %w", in.Message, err)
		}
		if tx.Succeeded {
			return out, nil
		}
		if fence != nil {
			kvs := tx.Responses[len(pages)].GetResponseRange().Kvs
			if len(kvs) != 1 || kvs[0].CreateRevision != fence.Rev {
				return nil, ErrFenced
			}
		}
		var live []OutboxPage
		for i, pg := range pages {
			if len(tx.Responses[i].GetResponseRange().Kvs) > 0 {
				live = append(live, pg)
			}
		}
		if len(live) == len(pages) || attempt >= 3 {
			return nil, fmt.Errorf("record intent to send %s: the outbox keeps changing", in.Message)
		}
		pages = live // the others were recorded meanwhile: not to be sent
	}
	return nil, nil
}

// LastMessage is what the last message to a person covered: a bare "ack"
// reply (or a keypress) answers every alert of it.
type LastMessage struct {
	Alerts []int64 `json:"alerts"`
	Method string  `json:"method,omitempty"`
}

// Sent is one page of a message that went out, and its timeline entry.
type Sent struct {
	Page  OutboxPage
	Entry Entry
}

// RecordSent records a message that went out to one person: each page's
// entry on its alert's timeline, each page out of the outbox, and the
// alerts covers (the pages' alerts when empty) as the last message to the
// person, which a bare "ack" reply means.
//
// A message is recorded in as few transactions as etcd takes: a storm's
// bundle of thousands of pages is a few writes, not thousands (one per
// page starved intake while a storm's mailboxes flushed). Each page's
// record stands alone, so the chunks need not be one transaction: a page
// whose chunk failed stays in the outbox and is offered again, and every
// chunk writes the person's last message, so whichever commits sets it.
func (s *Store) RecordSent(ctx context.Context, sent []Sent, covers []int64) error {
	if len(sent) == 0 {
		return nil
	}
	person := sent[0].Page.Person
	for _, x := range sent {
		if x.Page.Person != person {
			return fmt.Errorf("record message to %s: page %s of alert %d is for %s", person, x.Page.PageID, x.Page.AlertID, x.Page.Person)
		}
	}
	if len(covers) == 0 {
		for _, x := range sent {
			covers = append(covers, x.Page.AlertID)
		}
	}
	last, err := json.Marshal(LastMessage{Alerts: covers, Method: string(sent[0].Page.Method)})
	if err != nil {
		return fmt.Errorf("encode last message: %w", err)
	}
	// Each page takes a put and a delete; the chunk one put more.
	chunk := min(max((s.maxOps-1)/2, 1), pagesPerWrite)
	for len(sent) > 0 {
		n := min(chunk, len(sent))
		ops := make([]clientv3.Op, 0, 2*n+1)
		for _, x := range sent[:n] {
			v, err := json.Marshal(x.Entry)
			if err != nil {
				return fmt.Errorf("encode timeline entry: %w", err)
			}
			ops = append(ops,
				clientv3.OpPut(s.eventsPrefix(x.Page.AlertID)+x.Page.PageID+"-sent", string(v)),
				clientv3.OpDelete(x.Page.key(s.p)))
		}
		ops = append(ops, clientv3.OpPut(s.p+"lastpage/"+person, string(last)))
		if err := s.batched(ctx, &write{ops: ops}); err != nil {
			if n == 1 {
				return fmt.Errorf("record page %s on alert %d: %w", sent[0].Page.PageID, sent[0].Page.AlertID, err)
			}
			return fmt.Errorf("record message to %s (%d pages, alerts %d to %d): %w", person, n, sent[0].Page.AlertID, sent[n-1].Page.AlertID, err)
		}
		sent = sent[n:]
	}
	return nil
}

// LastPaged is what the last message to person covered. A record written
// before messages were recorded whole holds one alert id.
func (s *Store) LastPaged(ctx context.Context, person string) (LastMessage, bool, error) {
	resp, err := s.cli.Get(ctx, s.p+"lastpage/"+person)
	if err != nil {
		return LastMessage{}, false, fmt.Errorf("read last page of %s: %w", person, err)
	}
	if len(resp.Kvs) == 0 {
		return LastMessage{}, false, nil
	}
	v := resp.Kvs[0].Value
	if id, err := strconv.ParseInt(string(v), 10, 64); err == nil {
		return LastMessage{Alerts: []int64{id}}, true, nil
	}
	var m LastMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return LastMessage{}, false, fmt.Errorf("decode last page of %s: %w", person, err)
	}
	return m, len(m.Alerts) > 0, nil
}

// Outbox returns every page waiting to be sent, oldest alert first, and
// the revision it was read at.
func (s *Store) Outbox(ctx context.Context) ([]OutboxPage, int64, error) {
	resp, err := s.cli.Get(ctx, s.p+"outbox/", clientv3.WithPrefix())
	if err != nil {
		return nil, 0, fmt.Errorf("read outbox: %w", err)
	}
	var out []OutboxPage
	for _, kv := range resp.Kvs {
		var pg OutboxPage
		if err := json.Unmarshal(kv.Value, &pg); err != nil {
			s.log.Error("bad outbox record", "key", string(kv.Key), "err", err)
			continue
		}
		out = append(out, pg)
	}
	return out, resp.Header.Revision, nil
}

// OutboxKeys returns the key (OutboxPage.Key) of every page waiting to
// be sent, oldest alert first, and the revision it was read at: a sweep
// of a leader that holds most pages in hand already reads only their keys,
// not every record again.
func (s *Store) OutboxKeys(ctx context.Context) ([]string, int64, error) {
	prefix := s.p + "outbox/"
	resp, err := s.cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, 0, fmt.Errorf("read outbox: %w", err)
	}
	out := make([]string, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		out = append(out, strings.TrimPrefix(string(kv.Key), prefix))
	}
	return out, resp.Header.Revision, nil
}

// OutboxPages reads the pages with the given keys (OutboxPage.Key); a
// key no longer in the outbox (the page was sent meanwhile) is left out.
func (s *Store) OutboxPages(ctx context.Context, keys []string) ([]OutboxPage, error) {
	var out []OutboxPage
	for len(keys) > 0 {
		n := min(len(keys), s.maxOps)
		ops := make([]clientv3.Op, n)
		for i, k := range keys[:n] {
			ops[i] = clientv3.OpGet(s.p + "outbox/" + k)
		}
		keys = keys[n:]
		resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, fmt.Errorf("read outbox pages: %w", err)
		}
		for _, r := range resp.Responses {
			for _, kv := range r.GetResponseRange().Kvs {
				var pg OutboxPage
				if err := json.Unmarshal(kv.Value, &pg); err != nil {
					s.log.Error("bad outbox record", "key", string(kv.Key), "err", err)
					continue
				}
				out = append(out, pg)
			}
		}
	}
	return out, nil
}

// WatchOutbox reports pages enqueued after rev. The channel closes when the
// watch fails or ctx ends.
func (s *Store) WatchOutbox(ctx context.Context, rev int64) <-chan OutboxPage {
	out := make(chan OutboxPage, 1024)
	go func() {
		defer close(out)
		wc := s.cli.Watch(clientv3.WithRequireLeader(ctx), s.p+"outbox/", clientv3.WithPrefix(), clientv3.WithRev(rev+1), clientv3.WithFilterDelete())
		for wr := range wc {
			if err := wr.Err(); err != nil {
				s.log.Warn("outbox watch failed", "err", err)
				return
			}
			for _, ev := range wr.Events {
				if ev.Kv.Version != 1 {
					continue // rewritten, not new
				}
				var pg OutboxPage
				if err := json.Unmarshal(ev.Kv.Value, &pg); err != nil {
					// The sweep reads it again and reports it there.
					s.log.Warn("undecodable outbox page in watch", "key", string(ev.Kv.Key), "err", err)
					continue
				}
				select {
				case out <- pg:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}
