package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/pagerd/pagerd/ingest/imapwatch"
	"github.com/pagerd/pagerd/ingest/mail"
	"github.com/pagerd/pagerd/metrics"
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

// check refuses IMAP settings that can't work, each message naming the
// daemon config's key to change (imap.allow_plain), since that is what
// the operator edits. It reads the password and CA files, so it runs
// before anything starts (Config.Validate) as well as in newMailWatcher.
func (c IMAPConfig) check() (imapwatch.TLSMode, error) {
	if c.Username == "" {
		return "", errors.New("imap.username is required when imap.addr is set")
	}
	mode := imapwatch.TLSMode(c.TLS)
	switch mode {
	case "":
		mode = imapwatch.TLSImplicit
	case imapwatch.TLSImplicit, imapwatch.TLSStartTLS:
	case imapwatch.TLSPlain:
		if !c.AllowPlain {
			return "", errors.New("imap.tls: plain sends the IMAP password in clear: add allow_plain: true to the imap block to permit it (for a test server on loopback), or use tls: implicit or starttls")
		}
	default:
		return "", fmt.Errorf("imap.tls: %q is not a TLS mode: write implicit (port 993, the default), starttls (port 143) or plain (with allow_plain: true)", c.TLS)
	}
	if c.PasswordFile != "" {
		if _, err := ReadSecret(c.PasswordFile); err != nil {
			return "", fmt.Errorf("imap.password_file: %w", err)
		}
	} else if os.Getenv("PAGERD_IMAP_PASSWORD") == "" {
		return "", errors.New("imap.password_file is not set and PAGERD_IMAP_PASSWORD is empty: pagerd would log in without a password; name the file holding the IMAP password in imap.password_file")
	}
	if _, err := imapTLS(c); err != nil {
		return "", err
	}
	return mode, nil
}

// newMailWatcher builds the watcher, or nil when no mailbox is configured.
func newMailWatcher(c IMAPConfig, st *store.Store, intake *mail.Intake, m *metrics.Metrics, log *slog.Logger) (*imapwatch.Watcher, error) {
	if c.Addr == "" {
		return nil, nil
	}
	mode, err := c.check()
	if err != nil {
		return nil, err
	}
	if hint := imapwatch.PortHint(c.Addr, mode); hint != "" {
		log.Warn(hint, "addr", c.Addr)
	}
	// The password file is read before every login, so a rotated
	// password is picked up at the next reconnect (and each retry after a
	// refused login reads it again) without a restart or SIGHUP.
	var passwordFunc func() (string, error)
	if c.PasswordFile != "" {
		passwordFunc = func() (string, error) { return ReadSecret(c.PasswordFile) }
	}
	password := os.Getenv("PAGERD_IMAP_PASSWORD")
	tlsConfig, err := imapTLS(c)
	if err != nil {
		return nil, err
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
	mailboxes := c.Mailboxes
	if len(mailboxes) == 0 {
		mailboxes = []string{"INBOX"}
	}
	for _, mb := range mailboxes {
		m.MailboxKnown(mb)
	}
	w, err := imapwatch.New(imapwatch.Config{
		Addr: c.Addr, TLS: mode, AllowPlain: c.AllowPlain, TLSConfig: tlsConfig,
		Username: c.Username, Password: password, PasswordFunc: passwordFunc,
		Mailboxes: mailboxes, Keyword: c.Keyword, MoveTo: c.MoveTo, PollEvery: c.PollEvery,
		RejudgeWithin: c.RejudgeWithin, Log: log,
		OnStatus: func(s imapwatch.MailboxStatus) {
			m.IMAPConnected(s.Mailbox, s.Connected)
			if !s.LastSync.IsZero() {
				m.IMAPSynced(s.Mailbox, s.LastSync)
			}
		},
		OnUnmatched: func(mailbox string, _ mail.Message) { m.MailUnmatched(mailbox) },
	}, deliver, seenStore{st})
	if err != nil {
		return nil, fmt.Errorf("imap: %w", err)
	}
	return w, nil
}

// imapTLS is the TLS configuration for the IMAP server: the CA in
// imap.ca_file instead of the system's, and imap.server_name.
func imapTLS(c IMAPConfig) (*tls.Config, error) {
	if c.CAFile == "" && c.ServerName == "" {
		return nil, nil
	}
	tc := &tls.Config{ServerName: c.ServerName}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("imap.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("imap.ca_file: %s holds no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
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
