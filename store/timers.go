package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/metadata"
)

func (s *Store) timerOps(a *Alert) []clientv3.Op {
	if a.Esc.Timer.IsZero() {
		return []clientv3.Op{clientv3.OpDelete(s.timerKey(a.ID))}
	}
	return []clientv3.Op{clientv3.OpPut(s.timerKey(a.ID), a.Esc.Timer.UTC().Format(time.RFC3339Nano))}
}

// Timers returns every armed alert timer and the revision they were read at.
func (s *Store) Timers(ctx context.Context) (map[int64]time.Time, int64, error) {
	resp, err := s.cli.Get(ctx, s.p+"timers/", clientv3.WithPrefix())
	if err != nil {
		return nil, 0, fmt.Errorf("read timers: %w", err)
	}
	out := make(map[int64]time.Time, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		id, due, err := s.decodeTimer(kv.Key, kv.Value)
		if err != nil {
			s.log.Error("bad timer record", "key", string(kv.Key), "err", err)
			continue
		}
		out[id] = due
	}
	return out, resp.Header.Revision, nil
}

func (s *Store) decodeTimer(k, v []byte) (int64, time.Time, error) {
	id, err := parseID(strings.TrimPrefix(string(k), s.p+"timers/"))
	if err != nil {
		return 0, time.Time{}, err
	}
	if v == nil {
		return id, time.Time{}, nil
	}
	due, err := time.Parse(time.RFC3339Nano, string(v))
	return id, due, err
}

// TimerEvent is a timer armed (Due set) or disarmed (Due zero).
type TimerEvent struct {
	ID  int64
	Due time.Time
	// Progress marks an answer to RequestTimerProgress, not a change:
	// the watch is live and current.
	Progress bool
}

// WatchTimers reports timer changes after rev. The channel closes when the
// watch fails (the caller reloads) or ctx ends.
func (s *Store) WatchTimers(ctx context.Context, rev int64) <-chan TimerEvent {
	out := make(chan TimerEvent, 256)
	go func() {
		defer close(out)
		wc := s.cli.Watch(clientv3.WithRequireLeader(ctx), s.p+"timers/", clientv3.WithPrefix(), clientv3.WithRev(rev+1))
		for wr := range wc {
			if err := wr.Err(); err != nil {
				s.log.Warn("timer watch failed", "err", err)
				return
			}
			if wr.IsProgressNotify() {
				select {
				case out <- TimerEvent{Progress: true}:
				case <-ctx.Done():
					return
				}
				continue
			}
			for _, ev := range wr.Events {
				var v []byte
				if ev.Type == clientv3.EventTypePut {
					v = ev.Kv.Value
				}
				id, due, err := s.decodeTimer(ev.Kv.Key, v)
				if err != nil {
					// The sweep reads the timers again and reports it there.
					s.log.Warn("undecodable timer in watch", "key", string(ev.Kv.Key), "err", err)
					continue
				}
				select {
				case out <- TimerEvent{ID: id, Due: due}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// OwnWatchStream gives ctx metadata of its own, so a watch made with it
// goes on a gRPC stream of its own: watches that share metadata share a
// stream, and a stream stuck on an etcd member that stopped answering
// would hold a new watch too.
func (s *Store) OwnWatchStream(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "pagerd-watch", strconv.FormatInt(s.watchSeq.Add(1), 10))
}

// RequestTimerProgress asks etcd to answer on the timer watch made with
// ctx (a Progress event): a watch that doesn't answer is stuck. The
// answer comes on the watch's channel, not here.
func (s *Store) RequestTimerProgress(ctx context.Context) error {
	if err := s.cli.RequestProgress(clientv3.WithRequireLeader(ctx)); err != nil {
		return fmt.Errorf("ask the timer watch for progress: %w", err)
	}
	return nil
}
