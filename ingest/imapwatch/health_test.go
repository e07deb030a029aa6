package imapwatch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/ingest/mail"
)

// lockedBuf is a log a test reads while the watcher writes it.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) records(msg string) []map[string]any {
	l.mu.Lock()
	data := bytes.Clone(l.b.Bytes())
	l.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(data, []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil && strings.HasPrefix(m["msg"].(string), msg) {
			out = append(out, m)
		}
	}
	return out
}

// Finding 5 and 4: a wrong password shows in Status (the mailbox and the
// reason) as soon as the first login fails, and the password is read again
// before each login, so fixing the file recovers without a restart.
func TestWrongPasswordInStatusThenRecovers(t *testing.T) {
	s := newTestServer(t, serverOpts{})
	s.appendMail("INBOX", "after-fix@x", "[PROBLEM] db1")
	in := newIntake(nil)
	cfg := testConfig(s)
	var mu sync.Mutex
	password := "wrong"
	cfg.Password = ""
	cfg.PasswordFunc = func() (string, error) {
		mu.Lock()
		defer mu.Unlock()
		return password, nil
	}
	statuses := make(chan MailboxStatus, 100)
	cfg.OnStatus = func(st MailboxStatus) {
		select {
		case statuses <- st:
		default:
		}
	}
	w := newTestWatcher(t, cfg, in, newFakeSeen())
	clk := fakeClock(w)
	run(t, w)

	// The first failed login: before any reconnect wait has passed.
	select {
	case st := <-statuses:
		if st.Mailbox != "INBOX" || st.Connected || !strings.Contains(st.Err, "login") || !strings.Contains(st.Err, testUser) {
			t.Fatalf("status after a refused login = %+v; want INBOX, not connected, the login named", st)
		}
	case <-time.After(waitLimit):
		t.Fatal("no status after a refused login")
	}
	if got := w.Status(); len(got) != 1 || got[0].Connected || !strings.Contains(got[0].Err, "login") {
		t.Fatalf("Status() = %+v", got)
	}
	if _, c := in.counts("after-fix@x"); c != 0 {
		t.Fatal("delivered without logging in")
	}

	mu.Lock()
	password = testPass // the operator fixes the password file
	mu.Unlock()
	waitArmed(t, clk) // the reconnect wait
	clk.Advance(w.maxBackoff * 2)
	in.waitCall(t, "after-fix@x")
	eventually(t, "connected status", func() bool {
		st := w.Status()[0]
		return st.Connected && st.Err == "" && !st.LastSync.IsZero()
	})
}

// Finding 6: a move_to folder that doesn't exist is created when the
// session starts, so processed mail is moved rather than left with an
// error per mail.
// Two mailboxes' sessions start at once: both find the folder missing,
// one creates it, and the other's failed CREATE is no failure.
func TestMoveToCreated(t *testing.T) {
	s := newTestServer(t, serverOpts{}, "Nagios")
	s.appendMail("INBOX", "move@x", "[PROBLEM] move")
	s.appendMail("Nagios", "nagios@x", "[PROBLEM] nagios")
	in := newIntake(nil)
	cfg := testConfig(s)
	cfg.Mailboxes = []string{"INBOX", "Nagios"}
	cfg.MoveTo = "Processed/pagerd"
	w := newTestWatcher(t, cfg, in, newFakeSeen())
	run(t, w)
	eventually(t, "the folder created", func() bool { return s.exists(cfg.MoveTo) })
	eventually(t, "moved into the created folder", func() bool {
		f := s.flags("Processed/pagerd")
		return slices.Equal(f["move@x"], marked) && slices.Equal(f["nagios@x"], marked)
	})
	if f := s.flags("INBOX"); len(f) != 0 {
		t.Errorf("INBOX after the move = %v, want empty", f)
	}
}

// Finding 2: a mail no route matched is logged at INFO with its sender and
// subject and counted; a flood of them is a few lines, not one each.
func TestUnmatchedLoggedAndCounted(t *testing.T) {
	s := newTestServer(t, serverOpts{})
	const n = 15
	for i := range n {
		s.appendMail("INBOX", "chatter"+string(rune('a'+i))+"@x", "localhost/Current Load is WARNING")
	}
	in := newIntake(func(context.Context, mail.Message, int) (bool, error) { return false, nil })
	cfg := testConfig(s)
	logs := &lockedBuf{}
	cfg.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var mu sync.Mutex
	counted := 0
	cfg.OnUnmatched = func(mailbox string, m mail.Message) {
		mu.Lock()
		defer mu.Unlock()
		if mailbox == "INBOX" && m.Subject == "localhost/Current Load is WARNING" {
			counted++
		}
	}
	w, err := New(cfg, in.deliver, newFakeSeen())
	if err != nil {
		t.Fatal(err)
	}
	clk := fakeClock(w) // the log's rate limit reads it: no refill during the test
	run(t, w)
	waitArmed(t, clk)
	mu.Lock()
	got := counted
	mu.Unlock()
	if got != n {
		t.Errorf("counted %d unmatched mails, want %d", got, n)
	}
	recs := logs.records("no route matched")
	if len(recs) != 10 {
		t.Fatalf("%d log lines for %d unmatched mails, want 10 (the burst; then one a second)", len(recs), n)
	}
	r := recs[0]
	if r["level"] != "INFO" || r["from"] != "alerts@monitor.example.com" || r["subject"] != "localhost/Current Load is WARNING" || r["mailbox"] != "INBOX" {
		t.Errorf("log line = %v", r)
	}
	// After a second, the next line says how many were left out.
	clk.Advance(time.Second)
	s.appendMail("INBOX", "later@x", "still nobody's")
	w.Rejudge() // wakes the watcher without waiting for IDLE's notice
	eventually(t, "the next line", func() bool { return len(logs.records("no route matched")) == 11 })
	last := logs.records("no route matched")[10]
	if last["not_logged_since_last"] != float64(n-10) {
		t.Errorf("the line after the flood = %v; want not_logged_since_last %d", last, n-10)
	}
}

// Finding 3: after a rota reload (Rejudge), mail that arrived unmatched in
// the last hour is offered again, and now the fixed route takes it.
func TestRejudgeAfterReload(t *testing.T) {
	s := newTestServer(t, serverOpts{})
	s.appendMail("INBOX", "missed@x", "localhost/Current Load is WARNING")
	var mu sync.Mutex
	fixed := false
	in := newIntake(func(context.Context, mail.Message, int) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return fixed, nil
	})
	cfg := testConfig(s)
	w := newTestWatcher(t, cfg, in, newFakeSeen())
	// The real clock here: INTERNALDATE is the server's, and the mail
	// must count as recent.
	run(t, w)
	in.waitCall(t, "missed@x")
	mu.Lock()
	fixed = true
	mu.Unlock()
	w.Rejudge()
	in.waitCall(t, "missed@x")
	eventually(t, "marked", func() bool { return slices.Equal(s.flags("INBOX")["missed@x"], marked) })
	if a, c := in.counts("missed@x"); a != 1 || c != 2 {
		t.Errorf("missed@x: %d alerts, %d calls; want 1 alert on the second call", a, c)
	}
}

// Finding 4: implicit TLS against a plaintext port says what to change.
func TestImplicitTLSAgainstPlainPortHints(t *testing.T) {
	s := newTestServer(t, serverOpts{})
	cfg := testConfig(s)
	cfg.TLS, cfg.AllowPlain = TLSImplicit, false
	in := newIntake(nil)
	w := newTestWatcher(t, cfg, in, newFakeSeen())
	ended := make(chan error, 100)
	w.sessionEnded = func(err error) {
		select {
		case ended <- err:
		default:
		}
	}
	run(t, w)
	select {
	case err := <-ended:
		if err == nil || !strings.Contains(err.Error(), "imap.tls: starttls") {
			t.Errorf("session ended with %v; want a hint naming imap.tls: starttls", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("the session never ended")
	}
	if h := PortHint("mail.example.com:143", TLSImplicit); !strings.Contains(h, "imap.tls: starttls") {
		t.Errorf("PortHint(143, implicit) = %q", h)
	}
	if h := PortHint("mail.example.com:993", TLSStartTLS); !strings.Contains(h, "imap.tls: implicit") {
		t.Errorf("PortHint(993, starttls) = %q", h)
	}
	if h := PortHint("mail.example.com:993", TLSImplicit); h != "" {
		t.Errorf("PortHint(993, implicit) = %q, want none", h)
	}
}

// exists reports whether the server has the mailbox.
func (s *testServer) exists(name string) bool {
	s.t.Helper()
	c := s.client()
	defer c.Logout()
	list, err := c.List("", name, nil).Collect()
	if err != nil {
		s.t.Fatalf("list: %v", err)
	}
	return len(list) > 0
}

// backlogsUntil runs a watcher on s until the mail last is delivered and
// returns, for each mail delivered, the Message-IDs of the backlog it saw.
func backlogsUntil(t *testing.T, s *testServer, last string) map[string][]string {
	t.Helper()
	var mu sync.Mutex
	behind := map[string][]string{}
	in := newIntake(func(ctx context.Context, m mail.Message, _ int) (bool, error) {
		var ids []string
		for _, l := range mail.Backlog(ctx) {
			ids = append(ids, l.MessageID)
		}
		mu.Lock()
		behind[m.MessageID] = ids
		mu.Unlock()
		return true, nil
	})
	w := newTestWatcher(t, testConfig(s), in, newFakeSeen())
	run(t, w)
	in.waitCall(t, last)
	mu.Lock()
	defer mu.Unlock()
	return maps.Clone(behind)
}

// Finding 9: each delivery knows the mail waiting behind it in the same
// pass (mail.Backlog), in order, so a problem whose recovery waits too can
// page nobody.
func TestDeliveryKnowsTheBacklog(t *testing.T) {
	s := newTestServer(t, serverOpts{})
	s.appendMail("INBOX", "p@x", "[PROBLEM] db1")
	s.appendMail("INBOX", "r@x", "[RECOVERY] db1")
	s.appendMail("INBOX", "q@x", "[PROBLEM] db2")
	behind := backlogsUntil(t, s, "q@x")
	want := map[string][]string{"p@x": {"r@x", "q@x"}, "r@x": {"q@x"}, "q@x": nil}
	for id, w := range want {
		if !slices.Equal(behind[id], w) {
			t.Errorf("behind %s: %v, want %v", id, behind[id], w)
		}
	}
}

// The backlog a delivery sees slides with it: a problem and its recovery
// that fall either side of a multiple of lookahead still meet.
func TestBacklogSlidesAcrossALongBacklog(t *testing.T) {
	s := newTestServer(t, serverOpts{})
	for i := range lookahead - 1 {
		s.appendMail("INBOX", fmt.Sprintf("f%d@x", i), fmt.Sprintf("[PROBLEM] web%d", i))
	}
	s.appendMail("INBOX", "p@x", "[PROBLEM] db1") // the lookahead-th mail
	s.appendMail("INBOX", "r@x", "[RECOVERY] db1")
	behind := backlogsUntil(t, s, "r@x")
	if got := behind["p@x"]; !slices.Equal(got, []string{"r@x"}) {
		t.Errorf("behind p@x: %v, want [r@x]", got)
	}
	if got := behind["f0@x"]; len(got) != lookahead {
		t.Errorf("the first mail saw %d behind it, want %d", len(got), lookahead)
	}
}
