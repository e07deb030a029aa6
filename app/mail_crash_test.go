package app

import (
	"context"
	"io"
	"log"
	"net"
	"os"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/pagerd/pagerd/ingest/imapwatch"
	"github.com/pagerd/pagerd/ingest/mail"
	"github.com/pagerd/pagerd/metrics"
)

// TestMailWatcherKilledBetweenDeliveryAndMark: the alert is in etcd but the
// mail isn't flagged when the watcher dies; the next watcher (a restart, or
// a new leader) finds it processed in etcd, flags it, and raises nothing.
func TestMailWatcherKilledBetweenDeliveryAndMark(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, srv := inProcessAPI(t)
	quiet := srv.Log
	srv.Handler()

	mem := imapmemserver.New()
	user := imapmemserver.NewUser("pagerd", "secret")
	user.Create("INBOX", nil)
	mem.AddUser(user)
	// serve starts the IMAP server on addr; the mail lives in mem, so it
	// survives the server being stopped and started again.
	var is *imapserver.Server
	serve := func(addr string) net.Listener {
		is = imapserver.New(&imapserver.Options{
			NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
				return mem.NewSession(), nil, nil
			},
			Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
			InsecureAuth: true, Logger: log.New(io.Discard, "", 0),
		})
		var ln net.Listener
		var err error
		for i := 0; i < 100; i++ { // the port may linger a moment after Close
			if ln, err = net.Listen("tcp", addr); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		go is.Serve(ln)
		return ln
	}
	ln := serve("127.0.0.1:0")
	defer func() { is.Close() }()
	c, err := imapclient.DialInsecure(ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Login("pagerd", "secret").Wait()
	raw, _ := os.ReadFile("../ingest/mail/testdata/nagios_problem.eml")
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	cmd.Write(raw)
	cmd.Close()
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}

	cfg := IMAPConfig{Addr: ln.Addr().String(), TLS: "plain", AllowPlain: true, Username: "pagerd", PasswordFile: writeTemp(t, "secret"), PollEvery: time.Hour}
	// The first watcher "dies" right after delivering: its Deliver stores
	// the alert (and remembers the mail, as Run's does), then the IMAP
	// connection goes away, so the mail can't be flagged.
	wctx, kill := context.WithCancel(ctx)
	delivered := 0
	deliver := func(dctx context.Context, m mail.Message) (bool, error) {
		handled, err := (&mail.Intake{Alerts: srv.Alerts, Rota: srv.Rota, Log: quiet}).Deliver(dctx, m)
		if handled {
			st.MailRemember(dctx, imapwatch.DeliveryKeys(dctx)...)
			delivered++
			is.Close()
			kill()
		}
		return handled, err
	}
	crashy, err := imapwatch.New(imapwatch.Config{Addr: cfg.Addr, TLS: imapwatch.TLSPlain, AllowPlain: true, Username: "pagerd", Password: "secret",
		PollEvery: time.Hour, Log: quiet}, deliver, seenStore{st})
	if err != nil {
		t.Fatal(err)
	}
	crashy.Run(wctx)
	if delivered != 1 {
		t.Fatalf("delivered %d times", delivered)
	}
	alerts, _ := st.List(ctx, nil, 0)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts after the crash", len(alerts))
	}
	c.Close()
	serve(ln.Addr().String())
	c, err = imapclient.DialInsecure(ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Login("pagerd", "secret").Wait()
	if flagged(t, c) {
		t.Fatal("the mail was flagged although the watcher died first")
	}
	// The restart: the real watcher, as Run builds it.
	w2, err := newMailWatcher(cfg, st, &mail.Intake{Alerts: srv.Alerts, Rota: srv.Rota, Log: quiet}, metrics.New(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w2.Run(rctx) }()
	waitFor(t, "the mail flagged by the restarted watcher", func() bool { return flagged(t, c) })
	stop()
	<-done
	alerts, _ = st.List(ctx, nil, 0)
	if len(alerts) != 1 || alerts[0].Count != 1 {
		t.Fatalf("after restart: %d alerts, count %d", len(alerts), alerts[0].Count)
	}
}

// flagged reports whether the one mail in INBOX is marked \Seen.
func flagged(t *testing.T, c *imapclient.Client) bool {
	t.Helper()
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil || sel.NumMessages != 1 {
		return false
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Flags: true}).Collect()
	if err != nil || len(msgs) != 1 {
		return false
	}
	for _, f := range msgs[0].Flags {
		if f == imap.FlagSeen {
			return true
		}
	}
	return false
}

func writeTemp(t *testing.T, s string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "secret")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(s)
	f.Close()
	return f.Name()
}
