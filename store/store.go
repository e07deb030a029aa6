// Package store keeps pagerd's state in etcd: alerts with their escalation
// state and timeline, dedup entries, durable timers, the outbox of pages to
// send, and the published rota. With no endpoints it starts an embedded
// single-node etcd in a data directory.
package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap"
)

// Config says which etcd to use.
type Config struct {
	// Endpoints of an existing etcd cluster. Empty: start an embedded
	// single-node etcd in DataDir.
	Endpoints []string
	DataDir   string

	// TLS and auth for an external cluster.
	CAFile, CertFile, KeyFile string
	Username, Password        string

	// Prefix of every key pagerd writes; several pagerd clusters can share
	// one etcd with different prefixes. Default "/pagerd/".
	Prefix string

	// QuotaBytes is the embedded etcd's backend quota. Default 2 GiB.
	QuotaBytes int64

	// Observe, if set, hears every etcd request pagerd makes through the
	// key-value API: its operation (get, put, delete, txn, compact), how
	// long it took and its error (metrics).
	Observe func(op string, took time.Duration, err error)

	// Bucket, if set, keeps retired alerts' full records instead of the
	// archive keys in etcd (history.go).
	Bucket Bucket

	Logger *slog.Logger
}

// Store is a connection to etcd and, in embedded mode, the etcd itself.
type Store struct {
	cli  *clientv3.Client
	etcd *embed.Etcd
	p    string
	log  *slog.Logger
	// bucket keeps archives outside etcd; nil: they are kept in etcd.
	bucket Bucket

	idMu         sync.Mutex
	idNext, idTo int64   // the block of alert ids in use: [idNext, idTo)
	idSpare      idRange // the next block, reserved ahead
	idSize       int64   // ids per block: idBlock, doubled under a storm (ids.go)
	idFetching   bool
	bg           sync.WaitGroup // background work (id reservations), joined by Close
	bgCtx        context.Context
	bgCancel     context.CancelFunc

	members   *members     // probes of the etcd members (members.go); nil when embedded
	watchSeq  atomic.Int64 // OwnWatchStream's counter
	writes    chan *write  // batched writes (batch.go)
	maxOps    int          // operations per transaction etcd accepts
	quit      chan struct{}
	batchDone chan struct{}
	closeOnce sync.Once
	closing   atomic.Bool // quiets the embedded etcd's shutdown noise
}

// requestTimeout bounds one etcd request made on no caller's behalf.
const requestTimeout = 15 * time.Second

// embeddedMaxTxnOps lets the embedded etcd take bigger batches than etcd's
// default of 128 operations per transaction.
const embeddedMaxTxnOps = 1024

// embeddedMaxRequestBytes is the biggest request the embedded etcd takes.
// etcd's default, 1.5 MiB, is too small for the published rota of a big
// organisation (every file in one record: a few thousand teams); a request
// this big is a rota, never an alert's write.
const embeddedMaxRequestBytes = 8 << 20

// The embedded etcd's raft log kept in memory (see startEmbedded).
const (
	embeddedSnapshotCount  = 200
	embeddedCatchUpEntries = 50
)

func (s *Store) startBatching(maxOps int) {
	s.writes, s.maxOps = make(chan *write, 1024), maxOps
	s.quit, s.batchDone = make(chan struct{}), make(chan struct{})
	go s.batchLoop()
}

// Open connects to etcd, starting the embedded one when cfg has no endpoints.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = "/pagerd/"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Store{p: cfg.Prefix, log: cfg.Logger, bucket: cfg.Bucket}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	endpoints := cfg.Endpoints
	if len(endpoints) == 0 {
		e, err := startEmbedded(ctx, cfg, etcdLogger(&s.closing))
		if err != nil {
			return nil, err
		}
		s.etcd = e
		// In-process client: the same etcd API without gRPC over TCP,
		// which is most of the cost of a small write.
		s.cli = v3client.New(e.Server)
		observe(s.cli, cfg.Observe)
		if err := s.ping(ctx, []string{"embedded"}); err != nil {
			return nil, err
		}
		s.startBatching(embeddedMaxTxnOps)
		return s, nil
	}
	ccfg := clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 5 * time.Second,
		// The client's own cap on a request (2 MiB by default) is raised
		// to the embedded etcd's limit, so a big rota meets the members'
		// --max-request-bytes and the error that names it.
		MaxCallSendMsgSize: embeddedMaxRequestBytes + 1<<20,
		Username:           cfg.Username,
		Password:           cfg.Password,
		Context:            context.WithoutCancel(ctx),
		Logger:             zapNop(),
		// Keepalives notice a dead or paused member in seconds, not
		// minutes: a ping every 5s (etcd refuses more frequent ones by
		// default) and 2s to answer it. The engine's own requests time out
		// sooner and go to another member on retry.
		DialKeepAliveTime:    5 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
		// A member that was down is dialled again within a second of
		// coming back, not after gRPC's default backoff (up to 2 min).
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: time.Second,
		})},
	}
	if cfg.CAFile != "" || cfg.CertFile != "" {
		tlsInfo := transport.TLSInfo{TrustedCAFile: cfg.CAFile, CertFile: cfg.CertFile, KeyFile: cfg.KeyFile}
		tc, err := tlsInfo.ClientConfig()
		if err != nil {
			s.closeEmbedded()
			return nil, fmt.Errorf("etcd TLS: %w", err)
		}
		tc.MinVersion = tls.VersionTLS12
		if err := checkCertificates(ctx, endpoints, tc); err != nil {
			return nil, err
		}
		ccfg.TLS = tc
	}
	cli, err := clientv3.New(ccfg)
	if err != nil {
		s.closeEmbedded()
		return nil, fmt.Errorf("connect to etcd %v: %w", endpoints, err)
	}
	s.cli = cli
	observe(s.cli, cfg.Observe)
	if err := s.ping(ctx, endpoints); err != nil {
		return nil, err
	}
	if err := s.watchMembers(endpoints); err != nil {
		s.Close()
		return nil, err
	}
	s.startBatching(128) // etcd's default --max-txn-ops
	return s, nil
}

// ping fails at start, not at the first alert, when etcd is unreachable,
// and warns of each configured member that does not answer: the cluster
// works without it, but with one fault less to spare.
func (s *Store) ping(ctx context.Context, endpoints []string) error {
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := s.cli.Get(pctx, s.p+"ids"); err != nil {
		s.Close()
		return fmt.Errorf("etcd %v not answering: %w", endpoints, err)
	}
	if s.etcd != nil {
		return nil
	}
	for _, ep := range endpoints {
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err := s.cli.Status(sctx, ep)
		cancel()
		if err != nil {
			s.log.Warn("an etcd endpoint does not answer; running on the others", "endpoint", ep, "err", err)
		}
	}
	return nil
}

// Endpoint is a URL other processes of the same user can reach this etcd
// at: the embedded one's unix socket, or the first configured endpoint.
func (s *Store) Endpoint() string {
	if s.etcd != nil {
		return "unix://" + s.etcd.Clients[0].Addr().String()
	}
	return s.cli.Endpoints()[0]
}

// socketName is the embedded etcd's client socket, inside its directory.
const socketName = "client.sock"

// maxSocketPath is how long a unix socket's path may be (sun_path).
const maxSocketPath = 107

// startEmbedded starts a single-node etcd that only this process reaches:
// pagerd talks to it in-process, and its one client listener is a unix
// socket inside the 0700 data directory (for snapshots, etcdctl by the
// same user, and tests). It opens no TCP port, client or peer: a single
// node has no peers, so its peer URL is advertised but never listened on.
func startEmbedded(ctx context.Context, cfg Config, lg *zap.Logger) (*embed.Etcd, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("embedded etcd needs a data directory")
	}
	dir := filepath.Join(cfg.DataDir, "etcd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	abs, err := filepath.Abs(filepath.Join(dir, socketName))
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if len(abs) > maxSocketPath {
		return nil, fmt.Errorf("data directory %s: the etcd socket's path would be %d bytes, over the %d a unix socket allows; use a shorter --data-dir", cfg.DataDir, len(abs), maxSocketPath)
	}
	// A socket left by a process that was killed would make the listen fail.
	if err := os.Remove(abs); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale etcd socket: %w", err)
	}
	clientURL := url.URL{Scheme: "unix", Path: abs}
	ec := embed.NewConfig()
	ec.Name = "pagerd"
	ec.Dir = dir
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	ec.ListenClientHttpUrls = nil
	ec.ListenPeerUrls = nil
	// Named in the cluster's membership only; nothing listens there.
	ec.AdvertisePeerUrls = []url.URL{{Scheme: "http", Host: "127.0.0.1:2380"}}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.ListenMetricsUrls = nil
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg)
	// History serves only pagerd's own watches, which resume within
	// seconds: five minutes of it is plenty, and compacting it sooner lets
	// bbolt reuse its pages (every alert leaves about 15 revisions, some
	// 10 KB, until compacted) instead of growing the file.
	ec.AutoCompactionMode = "periodic"
	ec.AutoCompactionRetention = "5m"
	ec.MaxTxnOps = embeddedMaxTxnOps
	ec.MaxRequestBytes = embeddedMaxRequestBytes
	// Memory: etcd keeps the raft log since its last snapshot in memory,
	// and pagerd's batched transactions make each entry large (hundreds
	// of operations under load), so its defaults (a snapshot every
	// 10,000 entries, 5,000 kept after it for followers catching up)
	// held tens of MB after a storm. A single member has no followers:
	// a snapshot every 200 entries, keeping 50, holds a few MB (at 1,000
	// entries, 100 kept, 18 MB stayed live 60 s after 10,000 alerts), and
	// a snapshot of pagerd's small membership store costs little.
	ec.SnapshotCount = embeddedSnapshotCount
	ec.SnapshotCatchUpEntries = embeddedCatchUpEntries
	ec.QuotaBackendBytes = cfg.QuotaBytes
	if ec.QuotaBackendBytes == 0 {
		ec.QuotaBackendBytes = 2 << 30
	}
	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd in %s: %w", dir, err)
	}
	if err := os.Chmod(abs, 0o600); err != nil {
		e.Close()
		return nil, fmt.Errorf("embedded etcd socket: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("start embedded etcd in %s: %w", dir, err)
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, errors.New("embedded etcd took more than 60s to start")
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
}

// Client is the etcd client, for leader election.
func (s *Store) Client() *clientv3.Client { return s.cli }

// Prefix is the key prefix.
func (s *Store) Prefix() string { return s.p }

// Embedded reports whether this store runs its own etcd.
func (s *Store) Embedded() bool { return s.etcd != nil }

// Close closes the client and stops the embedded etcd, if any.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.bgCancel()
		s.bg.Wait()
		if s.quit != nil {
			close(s.quit)
			<-s.batchDone
		}
		if s.cli != nil {
			// The in-process client reports its own cancellation on close.
			if cerr := s.cli.Close(); cerr != nil && !errors.Is(cerr, context.Canceled) {
				err = cerr
			}
		}
		s.closeEmbedded()
	})
	return err
}

func (s *Store) closeEmbedded() {
	if s.etcd != nil {
		s.closing.Store(true)
		s.etcd.Close()
		s.etcd = nil
	}
}

// Ping checks that etcd answers.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.cli.Get(ctx, s.p+"ids", clientv3.WithCountOnly())
	return err
}

func idKey(id int64) string { return fmt.Sprintf("%010d", id) }

func parseID(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// readOpts are the options of a read that must see every write already
// acknowledged. The embedded etcd is a single member, which applies a
// write before it answers it, so its local (serializable) read sees them
// all without a linearizable read's round through raft, which under load
// waits behind the writes in flight. A member of a cluster may lag: there
// the read is linearizable.
func (s *Store) readOpts() []clientv3.OpOption {
	if s.etcd != nil {
		return []clientv3.OpOption{clientv3.WithSerializable()}
	}
	return nil
}
