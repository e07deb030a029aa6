package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/pagerd/pagerd/notifier"
)

// TestEveryIntakeLeavesATrace runs the daemon in process against a real
// IMAP server (go-imap's, over TCP) and checks what an operator sees
// (issue 14): a wrong IMAP password named on /readyz?verbose and in
// pagerd_imap_connected from the first failed login; after the password
// file is fixed, no restart: mail is read and the alert it raises counted
// under source="email" with its team; mail no route matches counted; 58
// webhook posts refused with 401 are 58 counts and a few WARN lines.
func TestEveryIntakeLeavesATrace(t *testing.T) {
	t.Parallel()
	logger, logs := newLog()
	// The IMAP server, and a client delivering mail to it.
	user := imapmemserver.NewUser("pagerd", "secret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem := imapmemserver.New()
	mem.AddUser(user)
	is := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true, Logger: log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go is.Serve(ln) // ends with Close below
	t.Cleanup(func() { is.Close() })
	deliverMail := func(raw string) {
		t.Helper()
		c, err := imapclient.DialInsecure(ln.Addr().String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Login("pagerd", "secret").Wait(); err != nil {
			t.Fatal(err)
		}
		raw = strings.ReplaceAll(raw, "\n", "\r\n")
		cmd := c.Append("INBOX", int64(len(raw)), nil)
		cmd.Write([]byte(raw))
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}

	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	writeFile(t, keyFile, "core-key\n")
	rotaDir := t.TempDir()
	writeFile(t, filepath.Join(rotaDir, "people.yaml"), testPeople)
	writeFile(t, filepath.Join(rotaDir, "core.yaml"), testTeam("ann, ben, cat, dan")+fmt.Sprintf(`routes:
  - name: nagios
    email: {from: '^nagios@', subject: '^\*\* PROBLEM Service Alert: (?P<key>.+) is \w+ \*\*$'}
  - http: {key_file: %s}
`, keyFile))
	passwordFile := filepath.Join(dir, "imap-password")
	writeFile(t, passwordFile, "wrong\n")

	c := Defaults()
	c.RotaDir = rotaDir
	c.DataDir = t.TempDir()
	c.Listen = "127.0.0.1:0"
	c.Node = "solo"
	c.IMAP = IMAPConfig{Addr: ln.Addr().String(), TLS: "plain", AllowPlain: true, Username: "pagerd", PasswordFile: passwordFile}
	ready := make(chan string, 1)
	hooks := &Hooks{Notifier: notifier.Log{Logger: logger}, Ready: func(addr string) { ready <- addr }}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, c, logger, hooks) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("Run ended before it served: %v", err)
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	metric := func(series string) bool {
		_, body := get("/metrics")
		return strings.Contains(body, "\n"+series+"\n")
	}

	// A wrong password: the mailbox and the reason on /readyz?verbose as
	// soon as the first login fails, and the node stays ready.
	var verbose string
	waitFor(t, "/readyz?verbose naming the refused login", func() bool {
		_, verbose = get("/readyz?verbose")
		return strings.Contains(verbose, `[-] mailbox INBOX: failing: login as "pagerd" refused`)
	})
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz with a failing mailbox: %d %s; want 200 (HTTP intake still works)", code, body)
	}
	for _, want := range []string{"[+] etcd: ok", "[+] rota: ok", "[+] leader: ok"} {
		if !strings.Contains(verbose, want) {
			t.Errorf("/readyz?verbose lacks %q:\n%s", want, verbose)
		}
	}
	if !metric(`pagerd_imap_connected{mailbox="INBOX"} 0`) {
		t.Error(`no pagerd_imap_connected{mailbox="INBOX"} 0 while the login fails`)
	}

	// The password file is fixed: the next retry reads it.
	writeFile(t, passwordFile, "secret\n")
	deliverMail(`From: nagios@monitor.example.com
To: oncall@example.com
Subject: ** PROBLEM Service Alert: localhost/Current Load is WARNING **
Message-ID: <load@monitor>

load average: 9.1
`)
	deliverMail(`From: someone@example.com
To: oncall@example.com
Subject: lunch?
Message-ID: <lunch@example>

hungry
`)
	waitFor(t, "the mail's alert counted by source and team", func() bool {
		return metric(`pagerd_alerts_received_total{outcome="created",source="email",team="core"} 1`)
	})
	waitFor(t, "the unmatched mail counted", func() bool { return metric(`pagerd_mail_unmatched_total{mailbox="INBOX"} 1`) })
	if !metric(`pagerd_imap_connected{mailbox="INBOX"} 1`) {
		t.Error(`pagerd_imap_connected{mailbox="INBOX"} is not 1 after mail was read`)
	}
	if !strings.Contains(func() string { _, b := get("/metrics"); return b }(), `pagerd_imap_last_sync_timestamp_seconds{mailbox="INBOX"} 1.`) {
		t.Error("no last sync time after mail was read")
	}
	if _, v := get("/readyz?verbose"); !strings.Contains(v, "[+] mailbox INBOX: ok") {
		t.Errorf("/readyz?verbose after the fix:\n%s", v)
	}
	unmatched := logs.find("no route matched this mail; left untouched (pagerd route-test DIR MAIL.eml shows why)")
	if len(unmatched) != 1 || unmatched[0]["level"] != "INFO" || unmatched[0]["from"] != "someone@example.com" || unmatched[0]["subject"] != "lunch?" {
		t.Errorf("unmatched mail's log: %v", unmatched)
	}

	// Finding 3: a rota change that adds a route for the mail judges the
	// unmatched mail again (it arrived within the hour), and it raises.
	writeFile(t, filepath.Join(rotaDir, "core.yaml"), testTeam("ann, ben, cat, dan")+fmt.Sprintf(`routes:
  - name: nagios
    email: {from: '^nagios@', subject: '^\*\* PROBLEM Service Alert: (?P<key>.+) is \w+ \*\*$'}
  - name: lunch
    email: {subject: '^lunch\?$'}
  - http: {key_file: %s}
`, keyFile))
	waitFor(t, "the unmatched mail raised after the rota change", func() bool {
		return metric(`pagerd_alerts_received_total{outcome="created",source="email",team="core"} 2`)
	})

	// 58 Alertmanager posts with a wrong key: 58 counts, a few lines.
	const refused = 58
	payload, err := os.ReadFile("../ingest/testdata/alertmanager_firing.json")
	if err != nil {
		t.Fatal(err)
	}
	for range refused {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/integrations/alertmanager", bytes.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer not-the-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a post without a key: %d, want 401", resp.StatusCode)
		}
	}
	if !metric(fmt.Sprintf(`pagerd_intake_rejected_total{reason="unauthorized",source="alertmanager"} %d`, refused)) {
		_, body := get("/metrics")
		t.Errorf("%d refused posts not counted:\n%s", refused, grepLines(body, "intake_rejected"))
	}
	lines := logs.find("intake rejected")
	if len(lines) == 0 || len(lines) >= refused {
		t.Errorf("%d WARN lines for %d refused posts; want at least one, and fewer than one each", len(lines), refused)
	}
	if len(lines) > 0 && (lines[0]["level"] != "WARN" || lines[0]["source"] != "alertmanager" || lines[0]["reason"] != "unauthorized") {
		t.Errorf("the refusal's log line: %v", lines[0])
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
