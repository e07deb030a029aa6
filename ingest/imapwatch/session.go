package imapwatch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/pagerd/pagerd/ingest/mail"
)

// dialTimeout bounds the TCP connect and TLS handshake; IMAP commands are
// bounded by imapclient's own 30s response timeout.
const dialTimeout = 30 * time.Second

// conn is one logged-in connection with its mailbox selected.
type conn struct {
	c         *imapclient.Client
	notify    chan struct{} // a token when the server reports EXISTS
	keywordOK bool          // the mailbox accepts our keyword (else \Seen alone marks mail)
	canMove   bool
	log       *slog.Logger
}

// session connects, selects st's mailbox and processes mail until the
// connection fails or ctx ends. selected reports whether it got as far as
// selecting the mailbox, which resets the reconnect backoff.
func (w *Watcher) session(ctx context.Context, st *mailboxState, log *slog.Logger) (selected bool, err error) {
	notify := make(chan struct{}, 1)
	opts := &imapclient.Options{
		TLSConfig: w.tlsConfig(),
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			// Runs on the client's reader goroutine: it must not block.
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case notify <- struct{}{}:
					default:
					}
				}
			},
		},
	}

	c, stop, err := w.dial(ctx, opts)
	if err != nil {
		return false, err
	}
	defer stop()
	defer c.Close()

	password := w.cfg.Password
	if w.cfg.PasswordFunc != nil {
		// Asked each time: a rotated password file is read at the next
		// login, so a refused login recovers once the file is right.
		if password, err = w.cfg.PasswordFunc(); err != nil {
			return false, fmt.Errorf("reading the password: %w", err)
		}
	}
	if err := c.Login(w.cfg.Username, password).Wait(); err != nil {
		if w.cfg.PasswordFunc != nil {
			return false, fmt.Errorf("login as %q refused (the password is read again before the next try): %w", w.cfg.Username, err)
		}
		return false, fmt.Errorf("login as %q refused: %w", w.cfg.Username, err)
	}
	if w.cfg.MoveTo != "" {
		if err := ensureMailbox(c, w.cfg.MoveTo, log); err != nil {
			return false, err
		}
	}
	sel, err := c.Select(st.name, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("select %q: %w", st.name, err)
	}
	if sel.UIDValidity != st.uidValidity {
		// UIDs from another UIDVALIDITY name other mails.
		st.uidValidity = sel.UIDValidity
		clear(st.unmatched)
	}
	w.setStatus(st.name, func(s *MailboxStatus) { s.Connected, s.Err = true, "" })

	caps := c.Caps()
	cn := &conn{
		c:         c,
		notify:    notify,
		keywordOK: keywordAllowed(sel.PermanentFlags, w.cfg.Keyword),
		canMove:   caps.Has(imap.CapMove),
		log:       log,
	}
	canIdle := !w.noIdle && caps.Has(imap.CapIdle)
	if !cn.keywordOK {
		log.Warn("mailbox does not accept keywords; marking processed mail \\Seen only and watching UNSEEN mail", "keyword", w.cfg.Keyword)
	}
	if w.cfg.MoveTo != "" && !cn.canMove {
		// imapclient's fallback for MOVE is COPY + \Deleted + EXPUNGE,
		// and we never expunge: processed mail stays, flagged.
		log.Warn("server lacks MOVE; processed mail is flagged but not moved", "move_to", w.cfg.MoveTo)
	}
	log.Info("watching mailbox", "uidvalidity", sel.UIDValidity, "messages", sel.NumMessages, "idle", canIdle)

	for {
		retry, err := w.scan(ctx, cn, st)
		if err != nil {
			return true, err
		}
		w.setStatus(st.name, func(s *MailboxStatus) { s.LastSync = w.clock.Now() })
		// With IDLE the server tells us about new mail, so the timer only
		// retries failed deliveries or checks the connection; without it,
		// the timer is how we find new mail.
		wait := w.cfg.PollEvery
		if canIdle && !retry {
			wait = idleRescan
		}
		if canIdle {
			err = w.idleUntil(ctx, cn, st, wait)
		} else {
			err = w.waitUntil(ctx, cn, st, wait)
		}
		if err != nil {
			return true, err
		}
	}
}

// dial connects and secures the connection as configured. stop must be
// called when the session ends; until then, ctx ending closes the
// connection, which unblocks any command in flight (imapclient's commands
// take no context).
func (w *Watcher) dial(ctx context.Context, opts *imapclient.Options) (c *imapclient.Client, stop func() bool, err error) {
	d := net.Dialer{Timeout: dialTimeout}
	raw, err := d.DialContext(ctx, "tcp", w.cfg.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to %s: %w", w.cfg.Addr, err)
	}
	stop = context.AfterFunc(ctx, func() { raw.Close() })
	fail := func(err error) (*imapclient.Client, func() bool, error) {
		stop()
		raw.Close()
		return nil, nil, err
	}

	switch w.cfg.TLS {
	case TLSImplicit:
		tc := tls.Client(raw, opts.TLSConfig)
		hctx, cancel := context.WithTimeout(ctx, dialTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			return fail(fmt.Errorf("TLS handshake with %s: %w%s", w.cfg.Addr, err, tlsHint(w.cfg.Addr, err)))
		}
		c = imapclient.New(tc, opts)
	case TLSStartTLS:
		// NewStartTLS refuses PREAUTH before TLS and closes raw on error.
		c, err = imapclient.NewStartTLS(raw, opts)
		if err != nil {
			return fail(fmt.Errorf("STARTTLS with %s: %w", w.cfg.Addr, err))
		}
	default: // TLSPlain, allowed explicitly (checked in New)
		c = imapclient.New(raw, opts)
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return fail(fmt.Errorf("greeting from %s: %w", w.cfg.Addr, err))
	}
	return c, stop, nil
}

// tlsHint explains the usual cause of a TLS handshake that met a
// plaintext server: implicit TLS against a STARTTLS (or plain) port.
func tlsHint(addr string, err error) string {
	var rh tls.RecordHeaderError
	if !errors.As(err, &rh) {
		return ""
	}
	_, port, _ := net.SplitHostPort(addr)
	return fmt.Sprintf(" (the server at port %s answered in plain text: it expects STARTTLS, as port 143 usually does; set imap.tls: starttls, or imap.addr to its implicit-TLS port, usually 993)", port)
}

// PortHint returns a warning when the TLS mode and the port disagree by
// convention (implicit TLS on 143, STARTTLS on 993), else "". A server may
// use any port, so it is a hint, not an error.
func PortHint(addr string, mode TLSMode) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	switch {
	case mode == TLSImplicit && port == "143":
		return "imap.tls is implicit (the default) but imap.addr names port 143, which usually speaks STARTTLS: set imap.tls: starttls, or use port 993"
	case mode == TLSStartTLS && port == "993":
		return "imap.tls is starttls but imap.addr names port 993, which usually speaks implicit TLS: set imap.tls: implicit, or use port 143"
	}
	return ""
}

// ensureMailbox checks that the mailbox processed mail moves to exists,
// and creates it if not: otherwise every move fails (TRYCREATE) and
// processed mail piles up in place.
func ensureMailbox(c *imapclient.Client, name string, log *slog.Logger) error {
	exists := func() (bool, error) {
		list, err := c.List("", name, nil).Collect()
		if err != nil {
			return false, fmt.Errorf("looking for the move_to folder %q: %w", name, err)
		}
		for _, mb := range list {
			if mb.Mailbox == name || (strings.EqualFold(name, "INBOX") && strings.EqualFold(mb.Mailbox, "INBOX")) {
				return true, nil
			}
		}
		return false, nil
	}
	if ok, err := exists(); ok || err != nil {
		return err
	}
	if err := c.Create(name, nil).Wait(); err != nil {
		// Another mailbox's session (each has its own) may have just
		// created it: that is success too.
		if ok, lerr := exists(); ok && lerr == nil {
			return nil
		}
		return fmt.Errorf("the move_to folder %q does not exist and creating it failed (create it, or fix imap.move_to): %w", name, err)
	}
	log.Info("created the move_to folder", "move_to", name)
	return nil
}

func (w *Watcher) tlsConfig() *tls.Config {
	var cfg *tls.Config
	if w.cfg.TLSConfig != nil {
		cfg = w.cfg.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		host, _, _ := net.SplitHostPort(w.cfg.Addr) // checked in New
		cfg.ServerName = host
	}
	if cfg.NextProtos == nil {
		cfg.NextProtos = []string{"imap"}
	}
	return cfg
}

// keywordAllowed reports whether STORE may set kw: the server lists it or
// \* among PERMANENTFLAGS, or sent none (RFC 3501 then allows all flags).
func keywordAllowed(perm []imap.Flag, kw string) bool {
	if len(perm) == 0 {
		return true
	}
	return slices.ContainsFunc(perm, func(f imap.Flag) bool {
		return f == imap.FlagWildcard || strings.EqualFold(string(f), kw)
	})
}

// idleUntil idles until the server reports new mail, wait elapses, ctx
// ends or the connection drops.
func (w *Watcher) idleUntil(ctx context.Context, cn *conn, st *mailboxState, wait time.Duration) error {
	idle, err := cn.c.Idle()
	if err != nil {
		return fmt.Errorf("starting IDLE: %w", err)
	}
	t := w.clock.NewTimer(wait)
	defer t.Stop()
	select {
	case <-cn.notify:
		// Put the token back: scan drains it, and this keeps the
		// "news pending" state in one place.
		select {
		case cn.notify <- struct{}{}:
		default:
		}
	case <-st.rejudge:
		putBack(st.rejudge)
	case <-t.C():
	case <-ctx.Done():
	case <-cn.c.Closed():
	}
	if err := idle.Close(); err != nil {
		return fmt.Errorf("stopping IDLE: %w", err)
	}
	if err := idle.Wait(); err != nil {
		return fmt.Errorf("IDLE: %w", err)
	}
	return ctx.Err()
}

// waitUntil is the polling counterpart of idleUntil.
func (w *Watcher) waitUntil(ctx context.Context, cn *conn, st *mailboxState, wait time.Duration) error {
	t := w.clock.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-st.rejudge:
		putBack(st.rejudge)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-cn.c.Closed():
		return errors.New("connection closed by server")
	}
}

// putBack returns a token taken only to wake up: scan takes it for real.
func putBack(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// scan processes every mail not yet marked. retry reports a mail whose
// delivery failed, to be tried again soon; err is a connection failure.
func (w *Watcher) scan(ctx context.Context, cn *conn, st *mailboxState) (retry bool, err error) {
	// Any EXISTS up to now is covered by the search below; one arriving
	// during it leaves a token that triggers another scan.
	select {
	case <-cn.notify:
	default:
	}
	select {
	case <-st.rejudge:
		// A rota reload: recent mail no route matched gets another look.
		since := w.clock.Now().Add(-w.cfg.RejudgeWithin)
		n := 0
		for u, arrived := range st.unmatched {
			if !arrived.Before(since) {
				delete(st.unmatched, u)
				n++
			}
		}
		if n > 0 {
			cn.log.Info("judging unmatched mail again after a rota change", "mails", n, "arrived_within", w.cfg.RejudgeWithin.String())
		}
	default:
	}
	criteria := &imap.SearchCriteria{NotFlag: []imap.Flag{imap.Flag(w.cfg.Keyword)}}
	if !cn.keywordOK {
		criteria = &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}
	}
	data, err := cn.c.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("searching %q: %w", st.name, err)
	}
	uids := data.AllUIDs()

	// Forget unmatched UIDs no longer in the mailbox's unprocessed set, so
	// the map stays as small as the mailbox.
	present := make(map[uint32]bool, len(uids))
	for _, u := range uids {
		present[uint32(u)] = true
	}
	for u := range st.unmatched {
		if !present[u] {
			delete(st.unmatched, u)
		}
	}

	var todo []imap.UID
	for _, uid := range uids {
		if _, ok := st.unmatched[uint32(uid)]; !ok {
			todo = append(todo, uid)
		}
	}
	// Mail is read ahead of delivery, so each delivery knows the
	// lookahead mails waiting behind it: a problem whose recovery is in
	// the backlog pages nobody. The window slides, so a pair meets
	// wherever it falls in a long backlog.
	var window []fetched
	next := 0 // the next of todo to read
	for next < len(todo) || len(window) > 0 {
		for len(window) <= lookahead && next < len(todo) {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			f, r, err := w.fetch(cn, st, todo[next])
			if err != nil {
				return false, err
			}
			next++
			retry = retry || r
			if f != nil {
				window = append(window, *f)
			}
		}
		if len(window) == 0 {
			continue // nothing to deliver in what was read; read on
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		later := make([]mail.Message, 0, len(window)-1)
		for _, g := range window[1:] {
			later = append(later, g.m)
		}
		r, err := w.process(mail.WithBacklog(ctx, later), cn, st, window[0])
		if err != nil {
			return false, err
		}
		retry = retry || r
		window[0] = fetched{} // its body goes with it
		window = window[1:]
	}
	return retry, nil
}

// lookahead is how many mails each delivery sees behind it: enough for a
// backlog's problem and recovery to meet, few enough (each parsed body is
// at most MaxBody) to bound memory.
const lookahead = 50

// fetched is a mail read and parsed, not yet judged.
type fetched struct {
	uid imap.UID
	m   mail.Message
}

// fetch reads and parses one mail. f is nil for a mail gone meanwhile, or
// one that isn't an email (left untouched, like unmatched mail); retry
// reports a server NO worth another pass; err a connection failure.
func (w *Watcher) fetch(cn *conn, st *mailboxState, uid imap.UID) (f *fetched, retry bool, err error) {
	log := cn.log.With("uid", uint32(uid))
	raw, arrived, found, err := fetchBody(cn.c, uid, rawLimit(w.cfg.MaxBody))
	if err != nil {
		retry, err := statusErr(fmt.Errorf("fetching UID %d: %w", uid, err), log)
		return nil, retry, err
	}
	if !found {
		return nil, false, nil // moved or expunged by someone else meanwhile
	}
	m, err := mail.Parse(raw, w.cfg.MaxBody)
	if err != nil {
		// Not ours to judge further: left untouched, like unmatched mail.
		log.Warn("not a readable email; leaving it untouched", "err", err)
		st.unmatched[uint32(uid)] = arrived
		return nil, false, nil
	}
	m.Arrived = arrived
	return &fetched{uid: uid, m: m}, false, nil
}

// rawLimit bounds how much of one mail is read: Parse needs at most
// 16*maxBody of decoded text plus headers, and base64 adds a third. A huge
// attachment is read past and dropped rather than held in memory.
func rawLimit(maxBody int) int64 {
	if maxBody <= 0 {
		maxBody = mail.DefaultMaxBody
	}
	return 32*int64(maxBody) + 1<<20
}

// process judges one mail read by fetch. retry reports a failure worth
// retrying on the next pass (delivery, store or a server NO); err is a
// connection failure.
func (w *Watcher) process(ctx context.Context, cn *conn, st *mailboxState, f fetched) (retry bool, err error) {
	uid, m, arrived := f.uid, f.m, f.m.Arrived
	log := cn.log.With("uid", uint32(uid))
	log = log.With("message_id", m.MessageID)
	keys := []string{fmt.Sprintf("%s/%d/%d", st.name, st.uidValidity, uid)}
	if m.MessageID != "" {
		keys = append(keys, "msgid:"+m.MessageID)
	}

	done, err := w.seen.Seen(ctx, keys...)
	if err != nil {
		log.Error("checking processed mail; will retry", "err", err)
		return true, nil
	}
	if done {
		// Delivered before a crash, a reconnect or on another node (or
		// the same Message-ID in another mailbox): only the mark is missing.
		log.Info("mail already delivered; marking it processed")
		return w.mark(cn, uid, log)
	}

	handled, err := w.deliver(context.WithValue(ctx, keysCtxKey{}, keys), m)
	if err != nil {
		log.Warn("delivery failed; mail left unmarked for retry", "err", err)
		return true, nil
	}
	if !handled {
		w.unmatchedLog(log, m)
		if w.cfg.OnUnmatched != nil {
			w.cfg.OnUnmatched(st.name, m)
		}
		st.unmatched[uint32(uid)] = arrived
		return false, nil
	}

	// The alert is durable. From here a shutdown must not stop us
	// recording that, or the next run would raise the mail again.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), afterDeliverTimeout)
	defer cancel()
	if err := w.seen.Remember(actx, keys...); err != nil {
		// Still mark it: the flag alone keeps it from being searched
		// again, and retrying delivery would raise a second alert.
		log.Error("alert delivered but not recorded as processed; marking anyway", "err", err)
	}
	if w.beforeMark != nil {
		if err := w.beforeMark(); err != nil {
			return false, err
		}
	}
	log.Info("mail delivered")
	return w.mark(cn, uid, log)
}

// fetchBody reads the whole raw mail with BODY.PEEK[], which leaves \Seen
// alone: reading must not mark unmatched mail, and the mail's arrival on
// the server (INTERNALDATE), which says how old an alert from it is.
func fetchBody(c *imapclient.Client, uid imap.UID, limit int64) (raw []byte, arrived time.Time, found bool, err error) {
	cmd := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{
		UID:          true,
		InternalDate: true,
		BodySection:  []*imap.FetchItemBodySection{{Peek: true}},
	})
	var readErr error
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataInternalDate:
				arrived = it.Time
			case imapclient.FetchItemDataBodySection:
				if it.Literal == nil || found {
					continue
				}
				// The rest of a cut literal is discarded by imapclient.
				raw, readErr = io.ReadAll(io.LimitReader(it.Literal, limit))
				found = true
			}
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, time.Time{}, false, err
	}
	if readErr != nil {
		return nil, time.Time{}, false, fmt.Errorf("reading body: %w", readErr)
	}
	return raw, arrived, found, nil
}

// mark flags the mail processed and, if configured, moves it. It never
// expunges: a MOVE is atomic on the server, and without MOVE the mail
// stays where it is.
func (w *Watcher) mark(cn *conn, uid imap.UID, log *slog.Logger) (retry bool, err error) {
	flags := []imap.Flag{imap.FlagSeen}
	if cn.keywordOK {
		flags = append(flags, imap.Flag(w.cfg.Keyword))
	}
	set := imap.UIDSetNum(uid)
	if err := cn.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}, nil).Close(); err != nil {
		return statusErr(fmt.Errorf("flagging UID %d: %w", uid, err), log)
	}
	if w.cfg.MoveTo != "" && cn.canMove {
		if _, err := cn.c.Move(set, w.cfg.MoveTo).Wait(); err != nil {
			// Already flagged, so it won't be processed again; a retry
			// would not move it either (it is no longer searched).
			var ie *imap.Error
			if errors.As(err, &ie) {
				log.Error("moving processed mail failed; it stays flagged in place", "move_to", w.cfg.MoveTo, "err", err)
				return false, nil
			}
			return false, fmt.Errorf("moving UID %d to %q: %w", uid, w.cfg.MoveTo, err)
		}
	}
	return false, nil
}

// statusErr keeps the session for a server's NO/BAD answer about one mail
// (retried on the next pass) and ends it for anything else, which means
// the connection is unusable.
func statusErr(err error, log *slog.Logger) (retry bool, _ error) {
	var ie *imap.Error
	if errors.As(err, &ie) {
		log.Warn("server refused a command; will retry", "err", err)
		return true, nil
	}
	return false, err
}
