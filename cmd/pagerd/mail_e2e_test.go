package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// TestMailToPageEndToEnd runs the daemon watching a real IMAP server
// (go-imap's imapserver with imapmemserver, over TCP on loopback): a
// Nagios PROBLEM mail pages, its RECOVERY resolves the alert, mail no route
// matches is left untouched.
func TestMailToPageEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	user := imapmemserver.NewUser("pagerd", "secret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	idles := make(chan struct{}, 100)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &idleSession{user: user, idles: idles}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "imap-password"), []byte("secret\n"), 0o600)
	cfg := filepath.Join(dir, "pagerd.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`imap:
  addr: %s
  tls: plain
  allow_plain: true   # a test server on loopback
  username: pagerd
  password_file: %s
  poll_every: 1h      # only IDLE can find the mail in time
`, ln.Addr(), filepath.Join(dir, "imap-password"))), 0o600)
	n := newNode(t, "mail", "--config", "../../configs/example", "--data-dir", t.TempDir(), "--daemon-config", cfg)
	n.start()
	waitFor(t, "watching mailboxes", func() bool { return n.logged("watching mailboxes") == 1 })

	client, err := imapclient.DialInsecure(ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.Login("pagerd", "secret").Wait(); err != nil {
		t.Fatal(err)
	}
	appendMail := func(name string) time.Time {
		t.Helper()
		raw, err := os.ReadFile("../../ingest/mail/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		cmd := client.Append("INBOX", int64(len(raw)), nil)
		cmd.Write(raw)
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
		return time.Now()
	}
	// Append once the watcher idles: with poll_every 1h, only IDLE can
	// find the mail before waitFor gives up.
	select {
	case <-idles:
	case <-time.After(20 * time.Second):
		t.Fatal("the watcher never started IDLE")
	}
	appended := appendMail("nagios_problem.eml")
	var paged time.Time
	waitFor(t, "the problem mail's page", func() bool {
		for _, l := range n.logLines() {
			if l["msg"] == "PAGE" && strings.Contains(fmt.Sprint(l["text"]), "web-1/HTTP is CRITICAL") {
				paged, _ = time.Parse(time.RFC3339Nano, fmt.Sprint(l["time"]))
				return true
			}
		}
		return false
	})
	// A figure to read, not a pass mark: speed is for benchmarks.
	t.Logf("APPEND to page: %s", paged.Sub(appended).Round(time.Millisecond))
	appendMail("zabbix_problem.eml")
	appendMail("nagios_recovery.eml")
	resolved := func() bool {
		a, code := getAlert(t, n.addr, 1)
		return code == 200 && a.Status == "resolved"
	}
	for deadline := time.Now().Add(30 * time.Second); !resolved(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			var lines []string
			for _, l := range n.logLines() {
				lines = append(lines, fmt.Sprint(l))
			}
			t.Fatalf("timed out waiting for the recovery; the daemon's log:\n%s", strings.Join(lines, "\n"))
		}
	}
	// The two routed mails are marked processed; the unmatched one is as
	// it was. The flags are set after the alert is stored (never before),
	// so they may trail the resolve a moment: wait for them.
	if _, err := client.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	var wrong []string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		msgs, err := client.Fetch(imap.SeqSetNum(1, 2, 3), &imap.FetchOptions{Flags: true, Envelope: true}).Collect()
		if err != nil {
			t.Fatal(err)
		}
		wrong = wrong[:0]
		for _, m := range msgs {
			var flags []string
			for _, f := range m.Flags {
				flags = append(flags, strings.ToLower(string(f)))
			}
			processed := slices.Contains(flags, `\seen`) && slices.Contains(flags, "$pagerd")
			zabbix := strings.HasPrefix(m.Envelope.Subject, "Problem:")
			if processed == zabbix {
				wrong = append(wrong, fmt.Sprintf("%q has flags %v", m.Envelope.Subject, flags))
			}
		}
		if len(wrong) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, w := range wrong {
		t.Error(w)
	}
}

// idleSession is the memory server's session for one user, telling the
// test each time it starts IDLE.
type idleSession struct {
	*imapmemserver.UserSession // nil until Login
	user                       *imapmemserver.User
	idles                      chan<- struct{}
}

func (s *idleSession) Login(username, password string) error {
	if err := s.user.Login(username, password); err != nil {
		return err
	}
	s.UserSession = imapmemserver.NewUserSession(s.user)
	return nil
}

func (s *idleSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	select {
	case s.idles <- struct{}{}:
	default: // only the first IDLE matters to the test
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
