// Package imapwatch watches IMAP mailboxes for alert mail. Each new mail is
// parsed with ingest/mail and handed to a Deliver callback; once the alert
// it raised is durable, the mail is marked processed on the server (flags,
// optionally a move) and its keys recorded in a Seen store, so a restart, a
// reconnect or a new leader never raises the same mail twice. Mail no route
// matches is left exactly as it was, and nothing is ever deleted or
// expunged.
//
// Each mailbox gets its own connection and goroutine: IMAP allows one
// selected mailbox per connection, and IDLE only reports on that one, so a
// connection per mailbox is what lets every mailbox be pushed to us at once
// rather than round-robined with polling.
package imapwatch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/ingest/mail"
)

// TLSMode says how the connection to the IMAP server is secured.
type TLSMode string

const (
	// TLSImplicit is IMAPS: TLS from the first byte (usually port 993).
	TLSImplicit TLSMode = "implicit"
	// TLSStartTLS upgrades a plain connection (usually port 143) with
	// STARTTLS before the credentials are sent.
	TLSStartTLS TLSMode = "starttls"
	// TLSPlain sends the password in clear. It is refused unless
	// Config.AllowPlain is set: it exists for tests on loopback.
	TLSPlain TLSMode = "plain"
)

// Defaults for Config fields left zero.
const (
	DefaultKeyword   = "$pagerd"
	DefaultPollEvery = 30 * time.Second
)

// Reconnect backoff bounds (issue 5: 1s..60s, plus jitter).
const (
	minBackoff = time.Second
	maxBackoff = 60 * time.Second
)

// idleRescan is how often a mailbox in IDLE is searched again even without
// news from the server: it doubles as a keepalive that finds a silently dead
// connection (the client has no read deadline while idling) and picks up
// mail whose notification was lost.
const idleRescan = 5 * time.Minute

// afterDeliverTimeout bounds the Remember and mark that follow a durable
// delivery; they run even after ctx ends, because giving up there is what
// would make the mail be raised again.
const afterDeliverTimeout = 10 * time.Second

// Config configures a Watcher.
type Config struct {
	Addr       string      // host:port
	TLS        TLSMode     // implicit, starttls, or plain (only with AllowPlain)
	AllowPlain bool        // permit TLSPlain; for tests on loopback only
	TLSConfig  *tls.Config // optional (e.g. a test CA); ServerName defaults to Addr's host
	Username   string
	Password   string
	// PasswordFunc, if set, is asked for the password before every login
	// instead of Password: a password file re-read each time picks up a
	// rotated password at the next reconnect (SIGHUP or not) and after a
	// refused login, without a restart.
	PasswordFunc func() (string, error)
	Mailboxes    []string      // default ["INBOX"]
	Keyword      string        // default "$pagerd"; processed mail gets \Seen and this keyword
	MoveTo       string        // if set, processed mail is also moved here (after flagging)
	PollEvery    time.Duration // poll interval when IDLE isn't offered, and retry interval after a failed delivery; default 30s
	MaxBody      int           // passed to mail.Parse; <= 0 means mail.DefaultMaxBody
	Log          *slog.Logger  // default slog.Default()
	// RejudgeWithin: after Rejudge (a rota reload), mail no route matched
	// that arrived this recently is offered to Deliver again. Default 1h.
	RejudgeWithin time.Duration
	// OnStatus, if set, hears each change of a mailbox's status (for the
	// metrics); it runs on the mailbox's goroutine and must not block.
	OnStatus func(MailboxStatus)
	// OnUnmatched, if set, hears each mail no route matched (for the
	// metrics), once per watcher and mailbox, or again after Rejudge.
	OnUnmatched func(mailbox string, m mail.Message)
}

// DefaultRejudgeWithin is Config.RejudgeWithin's default.
const DefaultRejudgeWithin = time.Hour

// Deliver is called for each new mail, parsed. It returns handled=false for
// a mail no route matched (the mail is left untouched), handled=true once
// the resulting alert is durable; an error means "not durable, try again
// later" and the mail is not marked. It is called concurrently for
// different mailboxes.
//
// DeliveryKeys(ctx) gives the keys the watcher will Remember after a
// successful delivery; a Deliver that writes them in the same transaction as
// the alert closes the window in which a crash after the alert is durable
// but before Remember would raise the mail a second time.
type Deliver func(ctx context.Context, m mail.Message) (handled bool, err error)

// Seen remembers processed mails across restarts and leaders. Keys are
// "mailbox/UIDVALIDITY/UID" and "msgid:<Message-ID>".
type Seen interface {
	// Seen reports whether any of keys was already processed.
	Seen(ctx context.Context, keys ...string) (bool, error)
	// Remember records keys as processed.
	Remember(ctx context.Context, keys ...string) error
}

type keysCtxKey struct{}

// DeliveryKeys returns the Seen keys of the mail being delivered, when ctx
// is the one passed to Deliver; nil otherwise.
func DeliveryKeys(ctx context.Context) []string {
	keys, _ := ctx.Value(keysCtxKey{}).([]string)
	return keys
}

// Watcher watches the configured mailboxes. Create it with New, start it
// with Run.
type Watcher struct {
	cfg     Config
	deliver Deliver
	seen    Seen
	log     *slog.Logger

	// Test knobs, set by tests in this package before Run.
	clock                  clock.Clock // paces polls, IDLE rescans and reconnects; the wall clock unless a test sets a fake
	minBackoff, maxBackoff time.Duration
	noIdle                 bool            // behave as if the server lacked IDLE
	beforeMark             func() error    // between Remember and mark; an error ends the session (a simulated crash)
	sessionEnded           func(err error) // hears why each session ended, before the reconnect wait

	mu       sync.Mutex
	status   map[string]MailboxStatus // by mailbox
	rejudge  map[string]chan struct{} // by mailbox: a token asks for unmatched mail to be judged again
	unmLimit *rate.Limiter            // the INFO log of unmatched mail
	unmCut   int                      // unmatched mails not logged since the last line
}

// MailboxStatus is one watched mailbox's health, for /readyz and metrics.
type MailboxStatus struct {
	Mailbox   string
	Connected bool      // logged in, mailbox selected, session running
	LastSync  time.Time // end of the last complete pass (zero: none yet)
	// Err is why the last session ended or failed to start (a refused
	// login, an unreachable server), "" while connected.
	Err   string
	Since time.Time // when Connected or Err last changed
}

// New checks cfg and returns a Watcher. It does no I/O.
func New(cfg Config, deliver Deliver, seen Seen) (*Watcher, error) {
	if deliver == nil || seen == nil {
		return nil, errors.New("imapwatch: deliver and seen are required")
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("imapwatch: address %q: %w", cfg.Addr, err)
	}
	switch cfg.TLS {
	case TLSImplicit, TLSStartTLS:
	case TLSPlain:
		if !cfg.AllowPlain {
			return nil, errors.New("imapwatch: TLS mode plain would send the password in clear; it must be allowed explicitly (imap.allow_plain: true in pagerd's daemon config; for tests only)")
		}
	default:
		return nil, fmt.Errorf("imapwatch: unknown TLS mode %q (want implicit, starttls or plain)", cfg.TLS)
	}
	if cfg.Username == "" {
		return nil, errors.New("imapwatch: username is required")
	}
	if len(cfg.Mailboxes) == 0 {
		cfg.Mailboxes = []string{"INBOX"}
	}
	seenBox := make(map[string]bool, len(cfg.Mailboxes))
	for _, mb := range cfg.Mailboxes {
		if mb == "" {
			return nil, errors.New("imapwatch: empty mailbox name")
		}
		if seenBox[mb] {
			return nil, fmt.Errorf("imapwatch: mailbox %q listed twice", mb)
		}
		seenBox[mb] = true
	}
	if cfg.Keyword == "" {
		cfg.Keyword = DefaultKeyword
	}
	// A keyword is an IMAP atom; anything else would break the STORE and
	// SEARCH commands or, with a backslash, name a system flag.
	if strings.ContainsAny(cfg.Keyword, "(){ %*\"\\]") || strings.ContainsFunc(cfg.Keyword, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return nil, fmt.Errorf("imapwatch: keyword %q is not a valid IMAP keyword", cfg.Keyword)
	}
	if cfg.MoveTo != "" && seenBox[cfg.MoveTo] {
		return nil, fmt.Errorf("imapwatch: move-to mailbox %q is also watched", cfg.MoveTo)
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = DefaultPollEvery
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.RejudgeWithin <= 0 {
		cfg.RejudgeWithin = DefaultRejudgeWithin
	}
	// Copy the slice so the caller can't change it under a running watcher.
	cfg.Mailboxes = append([]string(nil), cfg.Mailboxes...)
	w := &Watcher{
		cfg:        cfg,
		deliver:    deliver,
		seen:       seen,
		log:        cfg.Log.With("component", "imapwatch", "addr", cfg.Addr),
		clock:      clock.Real{},
		minBackoff: minBackoff,
		maxBackoff: maxBackoff,
		status:     make(map[string]MailboxStatus, len(cfg.Mailboxes)),
		rejudge:    make(map[string]chan struct{}, len(cfg.Mailboxes)),
		// A line a second after a burst of ten: a monitor that floods the
		// mailbox with mail nobody routes costs the log little.
		unmLimit: rate.NewLimiter(1, 10),
	}
	for _, mb := range cfg.Mailboxes {
		w.status[mb] = MailboxStatus{Mailbox: mb, Err: "not connected yet"}
		w.rejudge[mb] = make(chan struct{}, 1)
	}
	return w, nil
}

// Status returns each mailbox's status, in the configured order.
func (w *Watcher) Status() []MailboxStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]MailboxStatus, 0, len(w.cfg.Mailboxes))
	for _, mb := range w.cfg.Mailboxes {
		out = append(out, w.status[mb])
	}
	return out
}

// setStatus records a mailbox's connection state and tells OnStatus.
func (w *Watcher) setStatus(mailbox string, update func(*MailboxStatus)) {
	w.mu.Lock()
	st := w.status[mailbox]
	before := st
	update(&st)
	if st.Connected != before.Connected || st.Err != before.Err {
		st.Since = w.clock.Now()
	}
	w.status[mailbox] = st
	w.mu.Unlock()
	if w.cfg.OnStatus != nil {
		w.cfg.OnStatus(st)
	}
}

// Rejudge asks every mailbox to offer Deliver again the mail no route
// matched that arrived within Config.RejudgeWithin: after a rota reload, a
// route that was fixed should see the mail that it missed.
func (w *Watcher) Rejudge() {
	for _, ch := range w.rejudge {
		select {
		case ch <- struct{}{}:
		default: // one is pending already
		}
	}
}

// unmatchedLog logs a mail no route matched at INFO, at most about once a
// second after a burst, saying how many were left out since the last.
func (w *Watcher) unmatchedLog(log *slog.Logger, m mail.Message) {
	w.mu.Lock()
	ok := w.unmLimit.AllowN(w.clock.Now(), 1)
	cut := w.unmCut
	if ok {
		w.unmCut = 0
	} else {
		w.unmCut++
	}
	w.mu.Unlock()
	if !ok {
		return
	}
	attrs := []any{"from", m.From, "subject", m.Subject, "to", m.To}
	if cut > 0 {
		attrs = append(attrs, "not_logged_since_last", cut)
	}
	log.Info("no route matched this mail; left untouched (pagerd route-test DIR MAIL.eml shows why)", attrs...)
}

// Run watches every mailbox until ctx ends, then returns nil. Connection,
// login and server errors are logged and retried with exponential backoff
// (1s doubling to 60s, with jitter); they never end Run, since a mail
// server restart or a rotated password must not stop paging for good.
func (w *Watcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, mb := range w.cfg.Mailboxes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.watchMailbox(ctx, mb)
		}()
	}
	wg.Wait()
	return nil
}

// mailboxState is what one mailbox's goroutine keeps across reconnects.
type mailboxState struct {
	name        string
	uidValidity uint32
	// unmatched holds UIDs Deliver declined: they keep no flag on the
	// server (they must stay untouched), so without this every pass would
	// parse and offer them again. Pruned to what the last search returned.
	unmatched map[uint32]time.Time // UID -> the mail's arrival (INTERNALDATE)
	rejudge   chan struct{}
}

func (w *Watcher) watchMailbox(ctx context.Context, name string) {
	st := &mailboxState{name: name, unmatched: make(map[uint32]time.Time), rejudge: w.rejudge[name]}
	log := w.log.With("mailbox", name)
	backoff := w.minBackoff
	for {
		selected, err := w.session(ctx, st, log)
		if ctx.Err() != nil {
			w.setStatus(name, func(s *MailboxStatus) { s.Connected, s.Err = false, "stopped" })
			return
		}
		reason := "session ended"
		if err != nil {
			reason = err.Error()
		}
		w.setStatus(name, func(s *MailboxStatus) { s.Connected, s.Err = false, reason })
		if selected {
			// The server was reachable and let us in: the next failure
			// is a new incident, not a continuation of this one.
			backoff = w.minBackoff
		}
		if w.sessionEnded != nil {
			w.sessionEnded(err)
		}
		wait := jitter(backoff)
		log.Warn("imap session ended; reconnecting", "err", err, "in", wait.String())
		if !w.sleep(ctx, wait) {
			return
		}
		backoff = min(backoff*2, w.maxBackoff)
	}
}

// jitter spreads d over [d/2, d*3/2) so that several watchers (one per
// mailbox, one per node) don't hammer a recovering server in step.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d)
}

// sleep waits for d or until ctx ends; it reports whether d elapsed.
func (w *Watcher) sleep(ctx context.Context, d time.Duration) bool {
	t := w.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	}
}
