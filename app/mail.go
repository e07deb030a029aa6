package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/pagerd/pagerd/ingest/imapwatch"
	"github.com/pagerd/pagerd/ingest/mail"
	"github.com/pagerd/pagerd/store"
)

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
func newMailWatcher(c IMAPConfig, st *store.Store, intake *mail.Intake, log *slog.Logger) (*imapwatch.Watcher, error) {
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

// leaderOnly runs a task while this node leads, and stops it when it
// doesn't: one node watches the mailboxes, and a new leader picks up where
// the old one stopped (processed mail is in etcd).
type leaderOnly struct {
	run func(ctx context.Context) error
	log *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc // nil while the task isn't running
	done   chan struct{}      // closed when the running task has returned
	closed bool               // shut down: never run again
}

// Leader starts the task when leading begins and stops it, waiting for it
// to return, when leading ends.
func (l *leaderOnly) Leader(leading bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case leading && l.cancel == nil && !l.closed:
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

// close stops the task for good (shutdown), waiting for it to return.
func (l *leaderOnly) close() {
	l.Leader(false)
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}
