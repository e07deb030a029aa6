package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pagerd/pagerd/ingest/imapwatch"
	"github.com/pagerd/pagerd/ingest/mail"
	"github.com/pagerd/pagerd/store"
)

// imapConfig is the watched mailbox. The password comes from a file
// (systemd credentials) or PAGERD_IMAP_PASSWORD, never from rota files.
type imapConfig struct {
	Addr         string        `yaml:"addr"`
	TLS          string        `yaml:"tls"` // implicit (default), starttls; plain only with allow_plain
	AllowPlain   bool          `yaml:"allow_plain"`
	Username     string        `yaml:"username"`
	PasswordFile string        `yaml:"password_file"`
	Mailboxes    []string      `yaml:"mailboxes"`
	Keyword      string        `yaml:"keyword"`
	MoveTo       string        `yaml:"move_to"`
	PollEvery    time.Duration `yaml:"poll_every"`
}

// seenStore keeps processed mail in etcd, so any node that leads later
// knows.
type seenStore struct{ st *store.Store }

func (s seenStore) Seen(ctx context.Context, keys ...string) (bool, error) {
	return s.st.MailSeen(ctx, keys...)
}

func (s seenStore) Remember(ctx context.Context, keys ...string) error {
	return s.st.MailRemember(ctx, keys...)
}

// newMailWatcher builds the watcher, or nil when no mailbox is configured.
func newMailWatcher(c imapConfig, st *store.Store, intake *mail.Intake, log *slog.Logger) (*imapwatch.Watcher, error) {
	if c.Addr == "" {
		return nil, nil
	}
	password, err := secretFrom(c.PasswordFile, "PAGERD_IMAP_PASSWORD")
	if err != nil {
		return nil, err
	}
	mode := imapwatch.TLSMode(c.TLS)
	if mode == "" {
		mode = imapwatch.TLSImplicit
	}
	deliver := func(ctx context.Context, m mail.Message) (bool, error) {
		handled, err := intake.Deliver(ctx, m)
		if handled {
			// Remembered at once: the watcher remembers too, but a crash
			// between the two would offer the mail again (and then it would
			// only count on the open alert, by its dedup key).
			if rerr := st.MailRemember(ctx, imapwatch.DeliveryKeys(ctx)...); rerr != nil {
				log.Warn("processed mail not remembered yet", "message_id", m.MessageID, "err", rerr)
			}
		}
		return handled, err
	}
	w, err := imapwatch.New(imapwatch.Config{
		Addr: c.Addr, TLS: mode, AllowPlain: c.AllowPlain, Username: c.Username, Password: password,
		Mailboxes: c.Mailboxes, Keyword: c.Keyword, MoveTo: c.MoveTo, PollEvery: c.PollEvery, Log: log,
	}, deliver, seenStore{st})
	if err != nil {
		return nil, fmt.Errorf("imap: %w", err)
	}
	return w, nil
}

// leaderOnly runs f while this node leads, and stops it when it doesn't:
// one node watches the mailboxes, and a new leader picks up where the old
// one stopped (processed mail is in etcd).
type leaderOnly struct {
	mu     sync.Mutex
	run    func(ctx context.Context) error
	cancel context.CancelFunc
	done   chan struct{}
	log    *slog.Logger
}

func (l *leaderOnly) Leader(leading bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case leading && l.cancel == nil:
		ctx, cancel := context.WithCancel(context.Background())
		l.cancel, l.done = cancel, make(chan struct{})
		go func(done chan struct{}) {
			defer close(done)
			if err := l.run(ctx); err != nil {
				l.log.Error("mail watcher stopped", "err", err)
			}
		}(l.done)
		l.log.Info("watching mailboxes")
	case !leading && l.cancel != nil:
		l.cancel()
		<-l.done
		l.cancel = nil
		l.log.Info("stopped watching mailboxes: not the leader")
	}
}

// stop ends the watcher for good (shutdown).
func (l *leaderOnly) stop() { l.Leader(false) }
