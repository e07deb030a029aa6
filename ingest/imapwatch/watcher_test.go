package imapwatch

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/ingest/mail"
)

const (
	testUser = "alerts"
	testPass = "s3cret"
)

// waitLimit bounds every wait for something that must happen. It only
// decides how long a broken test takes to fail, so it is generous: CI runs
// every package's tests at once on two cores.
const waitLimit = 30 * time.Second

// testServer is go-imap's real server with the in-memory backend, on a
// loopback TCP port.
type testServer struct {
	t     *testing.T
	user  *imapmemserver.User
	addr  string
	srv   *imapserver.Server
	tls   *tls.Config   // server side, nil for plain
	impl  bool          // implicit TLS listener
	idles chan struct{} // a token each time a session starts IDLE
}

// session is the memory server's session for the one test user, telling
// the test when it starts IDLE: the moment mail appended is news the
// watcher can only learn of by IDLE.
type session struct {
	*imapmemserver.UserSession // nil until Login
	user                       *imapmemserver.User
	idles                      chan<- struct{}
}

func (s *session) Login(username, password string) error {
	if err := s.user.Login(username, password); err != nil {
		return err
	}
	s.UserSession = imapmemserver.NewUserSession(s.user)
	return nil
}

func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	select {
	case s.idles <- struct{}{}:
	default: // nobody is counting IDLEs this far
	}
	// go-imap's memory server waits for the next change before sending
	// anything in IDLE, so mail that arrived since the last command would
	// not be announced until more mail came. Servers (Dovecot among them)
	// send what is pending when IDLE starts; so does this one.
	if err := s.UserSession.Poll(w, true); err != nil {
		return err
	}
	return s.UserSession.Idle(w, stop)
}

// waitIdle waits until a session of s has started IDLE.
func (s *testServer) waitIdle() {
	s.t.Helper()
	select {
	case <-s.idles:
	case <-time.After(waitLimit):
		s.t.Fatal("the watcher never started IDLE")
	}
}

type serverOpts struct {
	tls      *tls.Config
	implicit bool
}

func newTestServer(t *testing.T, o serverOpts, mailboxes ...string) *testServer {
	t.Helper()
	user := imapmemserver.NewUser(testUser, testPass)
	for _, mb := range append([]string{"INBOX"}, mailboxes...) {
		if err := user.Create(mb, nil); err != nil {
			t.Fatalf("creating %s: %v", mb, err)
		}
	}
	s := &testServer{t: t, user: user, tls: o.tls, impl: o.implicit, idles: make(chan struct{}, 100)}
	s.start("127.0.0.1:0")
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// start serves on addr; the mailbox data lives in s.user and survives a
// restart.
func (s *testServer) start(addr string) {
	s.t.Helper()
	s.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &session{user: s.user, idles: s.idles}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		TLSConfig:    s.tls,
		InsecureAuth: s.tls == nil,
		Logger:       log.New(io.Discard, "", 0),
	})
	var ln net.Listener
	var err error
	// The port may linger briefly after a restart's Close.
	for i := 0; i < 50; i++ {
		if s.impl {
			ln, err = tls.Listen("tcp", addr, s.tls)
		} else {
			ln, err = net.Listen("tcp", addr)
		}
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("listen %s: %v", addr, err)
	}
	s.addr = ln.Addr().String()
	go s.srv.Serve(ln)
}

// restart drops every connection and listens again on the same port.
func (s *testServer) restart() {
	s.t.Helper()
	s.srv.Close()
	s.start(s.addr)
}

// client is a separate, real IMAP client for setting up and inspecting the
// mailbox, the way a mail server delivering mail or a person would.
func (s *testServer) client() *imapclient.Client {
	s.t.Helper()
	var c *imapclient.Client
	var err error
	switch {
	case s.tls == nil:
		c, err = imapclient.DialInsecure(s.addr, nil)
	case s.impl:
		c, err = imapclient.DialTLS(s.addr, &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	default:
		c, err = imapclient.DialStartTLS(s.addr, &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	}
	if err != nil {
		s.t.Fatalf("dial: %v", err)
	}
	s.t.Cleanup(func() { c.Close() })
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		s.t.Fatalf("login: %v", err)
	}
	return c
}

func rawMail(msgID, subject string) []byte {
	return []byte(strings.ReplaceAll(fmt.Sprintf(`From: Monitor <alerts@monitor.example.com>
To: oncall@example.com
Subject: %s
Message-ID: <%s>
Date: Mon, 02 Nov 2026 09:00:00 +0000
Content-Type: text/plain; charset=utf-8

Host db1 is DOWN.
`, subject, msgID), "\n", "\r\n"))
}

func (s *testServer) appendMail(mailbox, msgID, subject string, flags ...imap.Flag) {
	s.t.Helper()
	c := s.client()
	defer c.Logout()
	b := rawMail(msgID, subject)
	cmd := c.Append(mailbox, int64(len(b)), &imap.AppendOptions{Flags: flags})
	if _, err := cmd.Write(b); err != nil {
		s.t.Fatalf("append write: %v", err)
	}
	if err := cmd.Close(); err != nil {
		s.t.Fatalf("append close: %v", err)
	}
	if _, err := cmd.Wait(); err != nil {
		s.t.Fatalf("append: %v", err)
	}
}

// flags returns each mail's flags by Message-ID, lower-cased and sorted
// (the memory server keeps flags lower-case), read with EXAMINE so that
// looking changes nothing.
func (s *testServer) flags(mailbox string) map[string][]string {
	s.t.Helper()
	c := s.client()
	defer c.Logout()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		s.t.Fatalf("examine %s: %v", mailbox, err)
	}
	out := map[string][]string{}
	if sel.NumMessages == 0 {
		return out
	}
	seq := imap.SeqSet{}
	seq.AddRange(1, sel.NumMessages)
	msgs, err := c.Fetch(seq, &imap.FetchOptions{Flags: true, Envelope: true}).Collect()
	if err != nil {
		s.t.Fatalf("fetch flags: %v", err)
	}
	for _, m := range msgs {
		var fl []string
		for _, f := range m.Flags {
			fl = append(fl, strings.ToLower(string(f)))
		}
		slices.Sort(fl)
		out[m.Envelope.MessageID] = fl
	}
	return out
}

// fakeSeen is an in-memory Seen.
type fakeSeen struct {
	mu   sync.Mutex
	keys map[string]bool
}

func newFakeSeen() *fakeSeen { return &fakeSeen{keys: map[string]bool{}} }

func (f *fakeSeen) Seen(_ context.Context, keys ...string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys {
		if f.keys[k] {
			return true, nil
		}
	}
	return false, nil
}

func (f *fakeSeen) Remember(_ context.Context, keys ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys {
		f.keys[k] = true
	}
	return nil
}

// intake is a fake alert intake: alerts are durable once in the map.
type intake struct {
	mu     sync.Mutex
	alerts map[string]int // by Message-ID
	calls  map[string]int // Deliver calls by Message-ID
	at     chan string    // Message-ID of each call
	decide func(ctx context.Context, m mail.Message, call int) (bool, error)
}

func newIntake(decide func(ctx context.Context, m mail.Message, call int) (bool, error)) *intake {
	return &intake{alerts: map[string]int{}, calls: map[string]int{}, at: make(chan string, 100), decide: decide}
}

func (in *intake) deliver(ctx context.Context, m mail.Message) (bool, error) {
	in.mu.Lock()
	in.calls[m.MessageID]++
	call := in.calls[m.MessageID]
	in.mu.Unlock()
	handled, err := true, error(nil)
	if in.decide != nil {
		handled, err = in.decide(ctx, m, call)
	}
	if handled && err == nil {
		in.record(m.MessageID)
	}
	in.at <- m.MessageID
	return handled, err
}

func (in *intake) record(id string) {
	in.mu.Lock()
	in.alerts[id]++
	in.mu.Unlock()
}

func (in *intake) counts(id string) (alerts, calls int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.alerts[id], in.calls[id]
}

// waitCall waits for Deliver to be called for id.
func (in *intake) waitCall(t *testing.T, id string) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case got := <-in.at:
			if got == id {
				return
			}
		case <-deadline:
			t.Fatalf("Deliver never called for %s", id)
		}
	}
}

func testConfig(s *testServer) Config {
	return Config{
		Addr:       s.addr,
		TLS:        TLSPlain,
		AllowPlain: true,
		Username:   testUser,
		Password:   testPass,
		PollEvery:  100 * time.Millisecond,
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func newTestWatcher(t *testing.T, cfg Config, in *intake, seen Seen) *Watcher {
	t.Helper()
	if testing.Verbose() {
		cfg.Log = slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	w, err := New(cfg, in.deliver, seen)
	if err != nil {
		t.Fatal(err)
	}
	w.minBackoff, w.maxBackoff = 50*time.Millisecond, 200*time.Millisecond
	return w
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// run starts w; the returned stop cancels it and waits for Run to return.
func run(t *testing.T, w *Watcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	return runCtx(t, w, ctx, cancel)
}

func runCtx(t *testing.T, w *Watcher, ctx context.Context, cancel context.CancelFunc) (stop func()) {
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(waitLimit):
				t.Error("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fakeClock makes w wait on a clock the test moves.
func fakeClock(w *Watcher) *clock.Fake {
	clk := clock.NewFake(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	w.clock = clk
	return clk
}

// waitArmed waits until the watcher of a single mailbox has finished a pass
// and waits on clk for its next one (poll, IDLE rescan or reconnect).
func waitArmed(t *testing.T, clk *clock.Fake) {
	t.Helper()
	eventually(t, "the watcher waiting for its next pass", func() bool { return clk.Pending() == 1 })
}

var marked = []string{"$pagerd", `\seen`}

func TestHandledUnmatchedAndRetry(t *testing.T) {
	s := newTestServer(t, serverOpts{})
	s.appendMail("INBOX", "ok@x", "[PROBLEM] db1")
	s.appendMail("INBOX", "chatter@x", "lunch?", imap.FlagFlagged)
	s.appendMail("INBOX", "flaky@x", "[PROBLEM] db2")

	in := newIntake(func(_ context.Context, m mail.Message, call int) (bool, error) {
		switch {
		case !strings.HasPrefix(m.Subject, "[PROBLEM]"):
			return false, nil
		case m.MessageID == "flaky@x" && call == 1:
			return false, errors.New("store unavailable")
		}
		return true, nil
	})
	cfg := testConfig(s)
	w := newTestWatcher(t, cfg, in, newFakeSeen())
	clk := fakeClock(w)
	stop := run(t, w)

	// The first pass: ok@x delivered, chatter@x declined, flaky@x failed.
	waitArmed(t, clk)
	if a, c := in.counts("flaky@x"); a != 0 || c != 1 {
		t.Fatalf("flaky@x after the first pass: %d alerts, %d calls; want 0, 1", a, c)
	}
	// A failed delivery is retried after PollEvery, though IDLE is on.
	clk.Advance(cfg.PollEvery)
	waitArmed(t, clk)
	if a, _ := in.counts("flaky@x"); a != 1 {
		t.Fatalf("flaky@x not delivered on the retry pass")
	}
	f := s.flags("INBOX")
	if !slices.Equal(f["ok@x"], marked) || !slices.Equal(f["flaky@x"], marked) {
		t.Fatalf("flags after two passes: %v", f)
	}
	// Two more passes (IDLE rescans): nothing may change or be delivered
	// twice.
	for range 2 {
		clk.Advance(idleRescan)
		waitArmed(t, clk)
	}
	stop()

	f = s.flags("INBOX")
	if got := f["chatter@x"]; !slices.Equal(got, []string{`\flagged`}) {
		t.Errorf("unmatched mail flags = %v, want exactly [\\flagged] (untouched)", got)
	}
	if a, c := in.counts("ok@x"); a != 1 || c != 1 {
		t.Errorf("ok@x: %d alerts, %d calls; want 1, 1", a, c)
	}
	if a, c := in.counts("flaky@x"); a != 1 || c != 2 {
		t.Errorf("flaky@x: %d alerts, %d calls; want 1 alert after 2 calls (error, then retry)", a, c)
	}
	if _, c := in.counts("chatter@x"); c != 1 {
		t.Errorf("unmatched mail offered %d times; want once per watcher", c)
	}
	if len(f) != 3 {
		t.Errorf("mailbox holds %d mails, want 3 (nothing deleted)", len(f))
	}
}

// TestIdlePickup: mail appended while the watcher idles is delivered
// though no timer ever fires: IDLE alone found it.
func TestIdlePickup(t *testing.T) {
	s := newTestServer(t, serverOpts{})
	s.appendMail("INBOX", "first@x", "[PROBLEM] first")
	in := newIntake(nil)
	w := newTestWatcher(t, testConfig(s), in, newFakeSeen())
	fakeClock(w) // never moved: no poll, no rescan
	run(t, w)
	in.waitCall(t, "first@x")
	s.waitIdle() // after the first pass, so first@x is marked
	if f := s.flags("INBOX")["first@x"]; !slices.Equal(f, marked) {
		t.Fatalf("first@x flags when idling = %v", f)
	}

	s.appendMail("INBOX", "second@x", "[PROBLEM] second")
	in.waitCall(t, "second@x")
	eventually(t, "second marked", func() bool { return slices.Equal(s.flags("INBOX")["second@x"], marked) })
}

func TestPollingWithoutIdle(t *testing.T) {
	s := newTestServer(t, serverOpts{})
	in := newIntake(nil)
	cfg := testConfig(s)
	w := newTestWatcher(t, cfg, in, newFakeSeen())
	w.noIdle = true
	clk := fakeClock(w)
	run(t, w)
	waitArmed(t, clk) // the first pass found nothing
	s.appendMail("INBOX", "polled@x", "[PROBLEM] polled")
	clk.Advance(cfg.PollEvery - time.Nanosecond)
	if clk.Pending() != 1 {
		t.Fatalf("polled before PollEvery (%v) had passed", cfg.PollEvery)
	}
	clk.Advance(time.Nanosecond)
	in.waitCall(t, "polled@x")
	eventually(t, "marked", func() bool { return slices.Equal(s.flags("INBOX")["polled@x"], marked) })
}

// TestCrashBeforeMark kills the watcher after the alert is durable and
// recorded but before the mail is flagged; the restarted watcher must mark
// it without raising it again.
func TestCrashBeforeMark(t *testing.T) {
	s := newTestServer(t, serverOpts{})
	s.appendMail("INBOX", "crash@x", "[PROBLEM] crash")
	in := newIntake(nil)
	seen := newFakeSeen()

	w1 := newTestWatcher(t, testConfig(s), in, seen)
	ctx, cancel := context.WithCancel(t.Context())
	crashed := make(chan struct{})
	w1.beforeMark = func() error {
		cancel()
		close(crashed)
		return errors.New("simulated crash")
	}
	stop := runCtx(t, w1, ctx, cancel)
	<-crashed
	stop()

	if a, _ := in.counts("crash@x"); a != 1 {
		t.Fatalf("alerts after crash = %d, want 1", a)
	}
	if f := s.flags("INBOX")["crash@x"]; len(f) != 0 {
		t.Fatalf("mail flagged before the crash point: %v", f)
	}

	w2 := newTestWatcher(t, testConfig(s), in, seen)
	run(t, w2)
	eventually(t, "marked after restart", func() bool { return slices.Equal(s.flags("INBOX")["crash@x"], marked) })
	if a, c := in.counts("crash@x"); a != 1 || c != 1 {
		t.Errorf("after restart: %d alerts, %d Deliver calls; want exactly 1, 1", a, c)
	}
}

// TestCrashInsideDeliver kills the watcher right after Deliver made the
// alert durable, before Deliver even returned. Deliver writes
// DeliveryKeys in the same "transaction" as the alert, so the restarted
// watcher knows the mail was delivered.
func TestCrashInsideDeliver(t *testing.T) {
	s := newTestServer(t, serverOpts{})
	s.appendMail("INBOX", "crash2@x", "[PROBLEM] crash")
	seen := newFakeSeen()
	ctx, cancel := context.WithCancel(t.Context())
	var in *intake
	in = newIntake(func(dctx context.Context, m mail.Message, call int) (bool, error) {
		if call > 1 {
			return true, nil
		}
		keys := DeliveryKeys(dctx)
		if !slices.Contains(keys, "msgid:crash2@x") || !slices.Contains(keys, "INBOX/1/1") {
			t.Errorf("DeliveryKeys = %v", keys)
		}
		in.record(m.MessageID)
		seen.Remember(dctx, keys...)
		cancel()
		return false, errors.New("process killed")
	})
	w1 := newTestWatcher(t, testConfig(s), in, seen)
	stop := runCtx(t, w1, ctx, cancel)
	in.waitCall(t, "crash2@x")
	stop()
	if f := s.flags("INBOX")["crash2@x"]; len(f) != 0 {
		t.Fatalf("mail flagged before restart: %v", f)
	}

	w2 := newTestWatcher(t, testConfig(s), in, seen)
	run(t, w2)
	eventually(t, "marked after restart", func() bool { return slices.Equal(s.flags("INBOX")["crash2@x"], marked) })
	if a, c := in.counts("crash2@x"); a != 1 || c != 1 {
		t.Errorf("after restart: %d alerts, %d Deliver calls; want exactly 1, 1", a, c)
	}
}

func TestReconnect(t *testing.T) {
	s := newTestServer(t, serverOpts{})
	s.appendMail("INBOX", "before@x", "[PROBLEM] before")
	in := newIntake(nil)
	cfg := testConfig(s)
	cfg.PollEvery = time.Hour
	w := newTestWatcher(t, cfg, in, newFakeSeen())
	run(t, w)
	in.waitCall(t, "before@x")
	eventually(t, "first marked", func() bool { return slices.Equal(s.flags("INBOX")["before@x"], marked) })

	s.restart() // drops the watcher's connection; same port, same mail
	s.appendMail("INBOX", "after@x", "[PROBLEM] after")
	in.waitCall(t, "after@x")
	eventually(t, "second marked", func() bool { return slices.Equal(s.flags("INBOX")["after@x"], marked) })
	if a, c := in.counts("before@x"); a != 1 || c != 1 {
		t.Errorf("before@x after reconnect: %d alerts, %d calls; want 1, 1", a, c)
	}
}

func TestMoveTo(t *testing.T) {
	s := newTestServer(t, serverOpts{}, "Processed")
	s.appendMail("INBOX", "move@x", "[PROBLEM] move")
	s.appendMail("INBOX", "stay@x", "hello")
	in := newIntake(func(_ context.Context, m mail.Message, _ int) (bool, error) {
		return strings.HasPrefix(m.Subject, "[PROBLEM]"), nil
	})
	cfg := testConfig(s)
	cfg.MoveTo = "Processed"
	w := newTestWatcher(t, cfg, in, newFakeSeen())
	run(t, w)
	eventually(t, "moved", func() bool { return slices.Equal(s.flags("Processed")["move@x"], marked) })
	if f := s.flags("INBOX"); len(f) != 1 {
		t.Errorf("INBOX after move = %v, want only the untouched stay@x", f)
	}
	if f, ok := s.flags("INBOX")["stay@x"]; !ok || len(f) != 0 {
		t.Errorf("unmatched mail: present=%v flags=%v; want present, no flags", ok, f)
	}
}

func TestSeveralMailboxes(t *testing.T) {
	s := newTestServer(t, serverOpts{}, "Nagios", "Zabbix")
	s.appendMail("Nagios", "n@x", "[PROBLEM] n")
	s.appendMail("Zabbix", "z@x", "[PROBLEM] z")
	// The same mail in two watched mailboxes raises one alert.
	s.appendMail("Zabbix", "n@x", "[PROBLEM] n")
	in := newIntake(nil)
	cfg := testConfig(s)
	cfg.Mailboxes = []string{"Nagios", "Zabbix"}
	w := newTestWatcher(t, cfg, in, newFakeSeen())
	run(t, w)
	eventually(t, "all marked", func() bool {
		n, z := s.flags("Nagios"), s.flags("Zabbix")
		return slices.Equal(n["n@x"], marked) && slices.Equal(z["z@x"], marked) && slices.Equal(z["n@x"], marked)
	})
	if a, _ := in.counts("n@x"); a != 1 {
		t.Errorf("n@x raised %d alerts, want 1", a)
	}
	if a, _ := in.counts("z@x"); a != 1 {
		t.Errorf("z@x raised %d alerts, want 1", a)
	}
}

func TestNewRejectsPlainUnlessAllowed(t *testing.T) {
	in := newIntake(nil)
	cfg := Config{Addr: "127.0.0.1:143", TLS: TLSPlain, Username: "u"}
	if _, err := New(cfg, in.deliver, newFakeSeen()); err == nil {
		t.Error("New accepted plain mode without AllowPlain")
	}
	cfg.TLS = "ssl"
	if _, err := New(cfg, in.deliver, newFakeSeen()); err == nil {
		t.Error("New accepted an unknown TLS mode")
	}
	cfg.TLS, cfg.Keyword = TLSImplicit, `\Deleted`
	if _, err := New(cfg, in.deliver, newFakeSeen()); err == nil {
		t.Error("New accepted a system flag as keyword")
	}
}

// selfSigned returns a server config for 127.0.0.1 and a client config
// that trusts it (and only it).
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "imap.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return server, &tls.Config{RootCAs: pool}
}

func TestTLS(t *testing.T) {
	for _, tc := range []struct {
		mode     TLSMode
		implicit bool
	}{
		{TLSImplicit, true},
		{TLSStartTLS, false},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			srvTLS, cliTLS := selfSigned(t)
			// InsecureAuth is off: the server only accepts a login over TLS.
			s := newTestServer(t, serverOpts{tls: srvTLS, implicit: tc.implicit})
			s.appendMail("INBOX", "tls@x", "[PROBLEM] tls")
			in := newIntake(nil)
			cfg := testConfig(s)
			cfg.TLS, cfg.AllowPlain, cfg.TLSConfig = tc.mode, false, cliTLS
			w := newTestWatcher(t, cfg, in, newFakeSeen())
			run(t, w)
			in.waitCall(t, "tls@x")
			eventually(t, "marked", func() bool { return slices.Equal(s.flags("INBOX")["tls@x"], marked) })
		})
	}
}

// TestTLSUntrustedCert checks that the watcher refuses a server whose
// certificate it can't verify: the session ends on the certificate, before
// any login, and no mail is read.
func TestTLSUntrustedCert(t *testing.T) {
	srvTLS, _ := selfSigned(t)
	s := newTestServer(t, serverOpts{tls: srvTLS, implicit: true})
	s.appendMail("INBOX", "nope@x", "[PROBLEM] nope")
	in := newIntake(nil)
	cfg := testConfig(s)
	cfg.TLS, cfg.AllowPlain = TLSImplicit, false
	w := newTestWatcher(t, cfg, in, newFakeSeen())
	ended := make(chan error, 100)
	w.sessionEnded = func(err error) {
		select {
		case ended <- err:
		default: // the test reads only the first
		}
	}
	stop := run(t, w)
	select {
	case err := <-ended:
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("session ended with %v, want an unknown-authority certificate error", err)
		}
	case id := <-in.at:
		t.Fatalf("delivered %s through an unverified TLS connection", id)
	case <-time.After(waitLimit):
		t.Fatal("the session never ended on the untrusted certificate")
	}
	stop()
	if _, c := in.counts("nope@x"); c != 0 {
		t.Errorf("delivered through an unverified TLS connection")
	}
}
