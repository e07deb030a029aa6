package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
)

// A paused or wedged etcd member (SIGSTOP, a stalled disk, a VM frozen
// by its host) accepts connections and answers nothing. gRPC notices only
// when a keepalive ping goes unanswered, 5 s + 2 s at the fastest that etcd
// accepts, and until then it hands every third request to that member,
// where it waits out its deadline. So each configured member is asked for
// its status twice a second over a connection of its own, and the client's
// endpoints are kept to the members that answer and have a leader. A
// member that answers again goes back at once. When none answers, all are
// kept: etcd itself then decides.

// probeEvery and probeTimeout bound how long requests keep going to a
// member that stopped answering: at most about 1.5 s.
const (
	probeEvery   = 500 * time.Millisecond
	probeTimeout = time.Second
)

// memberState is what the last probe of one endpoint found.
type memberState struct {
	ok     bool
	reason string // why not, for the log and readiness
}

// members probes the configured endpoints and steers the client away
// from those that don't answer.
type members struct {
	s     *Store
	all   []string
	conns []*grpc.ClientConn

	mu    sync.Mutex
	state map[string]memberState
}

// watchMembers starts probing when there is more than one endpoint to
// choose from. It runs until the store closes.
func (s *Store) watchMembers(endpoints []string) error {
	if len(endpoints) < 2 {
		return nil
	}
	m := &members{s: s, all: endpoints, state: map[string]memberState{}}
	for _, ep := range endpoints {
		conn, err := s.cli.Dial(ep)
		if err != nil {
			for _, c := range m.conns {
				_ = c.Close() // nothing was sent on them; only this error matters
			}
			return fmt.Errorf("etcd member %s: %w", ep, err)
		}
		m.conns = append(m.conns, conn)
		m.state[ep] = memberState{ok: true}
	}
	s.members = m
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		m.run(s.bgCtx)
	}()
	return nil
}

func (m *members) run(ctx context.Context) {
	defer func() {
		for i, c := range m.conns {
			if err := c.Close(); err != nil {
				m.s.log.Debug("closing an etcd probe connection", "endpoint", m.all[i], "err", err)
			}
		}
	}()
	t := time.NewTicker(probeEvery)
	defer t.Stop()
	using := slices.Clone(m.all)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		found := m.probe(ctx)
		if ctx.Err() != nil {
			return
		}
		var good []string
		for _, ep := range m.all {
			if found[ep].ok {
				good = append(good, ep)
			}
		}
		if len(good) == 0 {
			good = m.all // nobody answers: let etcd and gRPC sort it out
		}
		m.mu.Lock()
		for _, ep := range m.all {
			was, now := m.state[ep], found[ep]
			switch {
			case was.ok && !now.ok:
				m.s.log.Warn("etcd member not answering; requests go to the others until it does", "endpoint", ep, "reason", now.reason)
			case !was.ok && now.ok:
				m.s.log.Info("etcd member answering again", "endpoint", ep)
			}
			m.state[ep] = now
		}
		m.mu.Unlock()
		if !slices.Equal(good, using) {
			m.s.cli.SetEndpoints(good...)
			using = good
		}
	}
}

// probe asks every member for its status at once.
func (m *members) probe(ctx context.Context) map[string]memberState {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	out := make([]memberState, len(m.all))
	var wg sync.WaitGroup
	for i, conn := range m.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := pb.NewMaintenanceClient(conn).Status(ctx, &pb.StatusRequest{})
			switch {
			case err != nil:
				out[i] = memberState{reason: err.Error()}
			case resp.Leader == 0:
				out[i] = memberState{reason: "has no leader"}
			default:
				out[i] = memberState{ok: true}
			}
		}()
	}
	wg.Wait()
	found := make(map[string]memberState, len(m.all))
	for i, ep := range m.all {
		found[ep] = out[i]
	}
	return found
}

// MemberHealth is one configured etcd member as the last probe found it.
type MemberHealth struct {
	Endpoint string `json:"endpoint"`
	OK       bool   `json:"ok"`
	Reason   string `json:"reason,omitempty"`
}

// Members reports each configured etcd member's last probe; nil for the
// embedded etcd or a single endpoint, which are not probed.
func (s *Store) Members() []MemberHealth {
	m := s.members
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]MemberHealth, 0, len(m.all))
	for _, ep := range m.all {
		st := m.state[ep]
		out = append(out, MemberHealth{Endpoint: ep, OK: st.ok, Reason: st.reason})
	}
	return out
}
