package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// The election is etcd's recipe (the same keys as its concurrency
// package: the oldest key under leader/ leads, each key on its node's
// lease), with every request made on its own, under a timeout. etcd's
// concurrency package keeps the lease alive on one long-lived stream and
// waits for the previous leader's key to go on one long-lived watch; both
// stay on whichever member they were opened on, so a paused member holds
// them until gRPC's keepalive gives up on it (7 s), and the cluster goes
// without a leader meanwhile. Here each keepalive and each check is a new
// request, which goes to a member that answers.

// errSessionLost says the election lease is gone, or could not be renewed
// for too long.
var errSessionLost = errors.New("election lease lost: not renewed in time")

// session is this node's election lease, renewed until it is closed or
// can't be renewed in time.
type session struct {
	cli  *clientv3.Client
	id   clientv3.LeaseID
	ttl  time.Duration
	done chan struct{} // closed when the lease may have expired
	stop context.CancelFunc
	kept chan struct{} // closed when the renewing goroutine has returned
}

// grant takes a new lease and starts renewing it.
func (e *Engine) grant(ctx context.Context) (*session, error) {
	ttl := time.Duration(e.TTL) * time.Second
	cli := e.Store.Client()
	sent := time.Now()
	gctx, cancel := context.WithTimeout(ctx, e.RequestTimeout)
	lease, err := cli.Grant(gctx, int64(e.TTL))
	cancel()
	if err != nil {
		return nil, fmt.Errorf("election lease: %w", err)
	}
	kctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &session{cli: cli, id: lease.ID, ttl: ttl, done: make(chan struct{}), stop: stop, kept: make(chan struct{})}
	go s.keep(kctx, sent.Add(time.Duration(lease.TTL)*time.Second))
	return s, nil
}

// keep renews the lease three times per TTL, each renewal a request of its
// own, until etcd says the lease is gone, or until a TTL past the time the
// last renewal was good for (measured from when it was sent) has passed.
//
// Why the grace: while etcd elects a new leader (1-2 s) no renewal gets
// through, but etcd's new leader extends every lease by its TTL, so the
// lease lives on. Giving it up by local reckoning alone made every node
// drop its key and start again at each etcd election, and a key given up
// that way blocks the others until etcd expires it. Acting on a lease that
// did expire is safe meanwhile: every write of a term is fenced on its
// key, and a page goes out only after such a write.
func (s *session) keep(ctx context.Context, expires time.Time) {
	defer close(s.kept)
	defer close(s.done)
	every := s.ttl / 3
	for {
		wait := time.NewTimer(every)
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-wait.C:
		}
		giveUp := expires.Add(s.ttl)
		if !time.Now().Before(giveUp) {
			return
		}
		sent := time.Now()
		deadline := sent.Add(every)
		if giveUp.Before(deadline) {
			deadline = giveUp
		}
		rctx, cancel := context.WithDeadline(ctx, deadline)
		resp, err := s.cli.KeepAliveOnce(rctx, s.id)
		cancel()
		switch {
		case errors.Is(err, rpctypes.ErrLeaseNotFound):
			return
		case err != nil:
			// Not renewed this time (a member that doesn't answer, an
			// election in etcd): the next try goes elsewhere.
			continue
		}
		expires = sent.Add(time.Duration(resp.TTL) * time.Second)
	}
}

// close stops renewing and revokes the lease, so the next leader need not
// wait out the TTL. If the revoke fails the lease expires on its own.
func (s *session) close(timeout time.Duration) error {
	s.stop()
	<-s.kept
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if _, err := s.cli.Revoke(ctx, s.id); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return fmt.Errorf("revoke election lease %x: %w", int64(s.id), err)
	}
	return nil
}

// campaignRecheck is how often a waiting node reads who leads, besides
// watching the leader's key: a watch on a member that stopped answering
// would never say the key went.
const campaignRecheck = 500 * time.Millisecond

// campaign puts this node's key under leader/ and returns once it is the
// oldest there: the key and its create revision, which fence the term's
// writes.
func (e *Engine) campaign(ctx context.Context, s *session) (key string, rev int64, err error) {
	cli := e.Store.Client()
	pfx := e.Store.Prefix() + "leader/"
	key = fmt.Sprintf("%s%x", pfx, int64(s.id))
	// Idempotent: a retry after an unknown outcome finds the key there.
	for rev == 0 {
		rctx, cancel := context.WithTimeout(ctx, e.RequestTimeout)
		resp, err := cli.Txn(rctx).
			If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
			Then(clientv3.OpPut(key, e.Node, clientv3.WithLease(s.id))).
			Else(clientv3.OpGet(key)).
			Commit()
		cancel()
		switch {
		case err == nil && resp.Succeeded:
			rev = resp.Header.Revision
		case err == nil && len(resp.Responses[0].GetResponseRange().Kvs) == 1:
			rev = resp.Responses[0].GetResponseRange().Kvs[0].CreateRevision
		case err == nil:
			return "", 0, errSessionLost // the key went with its lease
		default:
			if err := e.campaignWait(ctx, s, nil); err != nil {
				return "", 0, err
			}
		}
	}
	for {
		rctx, cancel := context.WithTimeout(ctx, e.RequestTimeout)
		resp, err := cli.Get(rctx, pfx, clientv3.WithFirstCreate()...)
		cancel()
		var watch clientv3.WatchChan
		// Bounded: Watch itself blocks while the stream it shares is
		// stuck on a member that stopped answering.
		wctx, stopWatch := context.WithTimeout(ctx, campaignRecheck)
		switch {
		case err != nil:
		case len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision > rev:
			stopWatch()
			return "", 0, errSessionLost
		case string(resp.Kvs[0].Key) == key:
			stopWatch()
			return key, rev, nil
		default:
			watch = cli.Watch(wctx, string(resp.Kvs[0].Key), clientv3.WithRev(resp.Header.Revision+1), clientv3.WithFilterPut())
		}
		err = e.campaignWait(ctx, s, watch)
		stopWatch()
		if err != nil {
			return "", 0, err
		}
	}
}

// campaignWait waits until the watched key may have gone, the recheck is
// due, or the campaign ends.
func (e *Engine) campaignWait(ctx context.Context, s *session, watch clientv3.WatchChan) error {
	t := time.NewTimer(campaignRecheck)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errSessionLost
	case <-t.C:
		return nil
	case wr, ok := <-watch: // a nil watch never fires
		if ok && wr.Err() == nil {
			return nil
		}
	}
	// The watch failed: wait for the recheck, not in a loop of requests.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errSessionLost
	case <-t.C:
		return nil
	}
}
