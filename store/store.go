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
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
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

	Logger *slog.Logger
}

// Store is a connection to etcd and, in embedded mode, the etcd itself.
type Store struct {
	cli  *clientv3.Client
	etcd *embed.Etcd
	p    string
	log  *slog.Logger

	idMu         sync.Mutex
	idNext, idTo int64 // the block of alert ids this process holds: [idNext, idTo)
}

// Open connects to etcd, starting the embedded one when cfg has no endpoints.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = "/pagerd/"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Store{p: cfg.Prefix, log: cfg.Logger}
	endpoints := cfg.Endpoints
	if len(endpoints) == 0 {
		e, err := startEmbedded(ctx, cfg)
		if err != nil {
			return nil, err
		}
		s.etcd = e
		endpoints = []string{e.Clients[0].Addr().String()}
	}
	ccfg := clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 5 * time.Second,
		Username:    cfg.Username,
		Password:    cfg.Password,
		Context:     context.WithoutCancel(ctx),
		Logger:      zapNop(),
		// Keepalives notice a dead connection in seconds, not minutes.
		DialKeepAliveTime:    5 * time.Second,
		DialKeepAliveTimeout: 3 * time.Second,
	}
	if cfg.CAFile != "" || cfg.CertFile != "" {
		tlsInfo := transport.TLSInfo{TrustedCAFile: cfg.CAFile, CertFile: cfg.CertFile, KeyFile: cfg.KeyFile}
		tc, err := tlsInfo.ClientConfig()
		if err != nil {
			s.closeEmbedded()
			return nil, fmt.Errorf("etcd TLS: %w", err)
		}
		tc.MinVersion = tls.VersionTLS12
		ccfg.TLS = tc
	}
	cli, err := clientv3.New(ccfg)
	if err != nil {
		s.closeEmbedded()
		return nil, fmt.Errorf("connect to etcd %v: %w", endpoints, err)
	}
	s.cli = cli
	// Fail at start, not at the first alert, when etcd is unreachable.
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Get(pctx, s.p+"ids"); err != nil {
		s.Close()
		return nil, fmt.Errorf("etcd %v not answering: %w", endpoints, err)
	}
	return s, nil
}

// startEmbedded starts a single-node etcd on free loopback ports.
func startEmbedded(ctx context.Context, cfg Config) (*embed.Etcd, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("embedded etcd needs a data directory")
	}
	dir := filepath.Join(cfg.DataDir, "etcd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	var lastErr error
	// A free port can be taken between finding it and binding it; try again.
	for attempt := 0; attempt < 5; attempt++ {
		clientURL, err := freeURL()
		if err != nil {
			return nil, err
		}
		peerURL, err := freeURL()
		if err != nil {
			return nil, err
		}
		ec := embed.NewConfig()
		ec.Name = "pagerd"
		ec.Dir = dir
		ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
		ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
		ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
		ec.LogLevel = "error"
		ec.LogOutputs = []string{"stderr"}
		ec.AutoCompactionMode = "periodic"
		ec.AutoCompactionRetention = "1h"
		ec.QuotaBackendBytes = cfg.QuotaBytes
		if ec.QuotaBackendBytes == 0 {
			ec.QuotaBackendBytes = 2 << 30
		}
		e, err := embed.StartEtcd(ec)
		if err != nil {
			lastErr = err
			continue
		}
		select {
		case <-e.Server.ReadyNotify():
			return e, nil
		case err := <-e.Err():
			e.Close()
			lastErr = err
		case <-time.After(60 * time.Second):
			e.Close()
			return nil, errors.New("embedded etcd took more than 60s to start")
		case <-ctx.Done():
			e.Close()
			return nil, ctx.Err()
		}
	}
	return nil, fmt.Errorf("start embedded etcd in %s: %w", dir, lastErr)
}

func freeURL() (url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return url.URL{}, fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	return url.URL{Scheme: "http", Host: addr}, nil
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
	if s.cli != nil {
		err = s.cli.Close()
	}
	s.closeEmbedded()
	return err
}

func (s *Store) closeEmbedded() {
	if s.etcd != nil {
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
