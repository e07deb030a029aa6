package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/pagerd/pagerd/notifier"
)

// imapServer is go-imap's in-memory server on a loopback port.
func imapServer(t *testing.T) string {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("pagerd", "secret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) // ends with Close below
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// storeOwned are goroutines the store starts for itself in Open and ends
// in Close.
var storeOwned = []string{"github.com/pagerd/pagerd/store.(*Store).batchLoop"}

// ownGoroutines lists the goroutines carrying the pprof label key=value
// (every goroutine started under it, and theirs in turn) that run pagerd
// code, leaving out the one asking. The store's own goroutines are left
// out too, since Close is what ends them: etcd's (the embedded server, the
// client) run no pagerd code, and storeOwned lists pagerd's.
func ownGoroutines(t *testing.T, key, value string) []string {
	t.Helper()
	var b bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&b, 1); err != nil {
		t.Fatal(err)
	}
	label := fmt.Sprintf("%q:%q", key, value)
	var out []string
	for _, block := range strings.Split(b.String(), "\n\n") {
		if !strings.Contains(block, "# labels: {") || !strings.Contains(block, label) {
			continue
		}
		if strings.Contains(block, "runtime/pprof.(*Profile).WriteTo") {
			continue // the goroutine taking this profile
		}
		if strings.Contains(block, "github.com/pagerd/pagerd/") && !slices.ContainsFunc(storeOwned, func(f string) bool { return strings.Contains(block, f) }) {
			out = append(out, block)
		}
	}
	return out
}

// TestNothingOutlivesTheStore runs the daemon in-process as the leader,
// with every part running (engine, HTTP, rota reloader, keyspace watcher,
// mail watcher), stops it, and checks as the store is about to close that
// no goroutine Run started is still running pagerd code.
func TestNothingOutlivesTheStore(t *testing.T) {
	t.Parallel()
	logger, logs := newLog()
	password := writeTemp(t, "secret")
	c := Defaults()
	c.RotaDir = writeRotaDir(t)
	c.DataDir = t.TempDir()
	c.Listen = "127.0.0.1:0"
	c.Node = "solo"
	c.IMAP = IMAPConfig{Addr: imapServer(t), TLS: "plain", AllowPlain: true, Username: "pagerd", PasswordFile: password}

	const key = "pagerd-test"
	ready := make(chan string, 1)
	var atClose []string
	closing := 0
	hooks := &Hooks{
		Notifier: notifier.Log{Logger: logger},
		Ready:    func(addr string) { ready <- addr },
		storeClosing: func() {
			closing++
			atClose = ownGoroutines(t, key, t.Name())
		},
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go pprof.Do(ctx, pprof.Labels(key, t.Name()), func(ctx context.Context) {
		done <- Run(ctx, c, logger, hooks)
	})
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Run ended before it served: %v", err)
	}
	waitFor(t, "leading, and watching the mailbox", func() bool {
		return len(logs.find("leading")) == 1 && len(logs.find("watching mailboxes")) == 1
	})
	resp, err := http.Post("http://"+addr+"/api/v1/alerts", "application/json", strings.NewReader(`{"team":"core","summary":"disk full"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST alert: %d", resp.StatusCode)
	}
	waitFor(t, "the page", func() bool { return len(logs.find("PAGE")) > 0 })

	// The check below can see Run's goroutines: while it runs, they are
	// there, the engine's and the mail watcher's among them.
	running := strings.Join(ownGoroutines(t, key, t.Name()), "\n")
	for _, want := range []string{"scheduler.(*Engine).Run", "imapwatch.(*Watcher).Run", "app.(*rotaSource).watch", "app.watchKeyspace", "net/http.(*Server).Serve"} {
		if !strings.Contains(running, want) {
			t.Errorf("no goroutine in %s while running:\n%s", want, running)
		}
	}

	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if closing != 1 {
		t.Fatalf("the store closed %d times", closing)
	}
	if len(atClose) > 0 {
		t.Errorf("%d goroutine(s) started by Run still running as the store closed:\n%s", len(atClose), strings.Join(atClose, "\n\n"))
	}
	// And in the order the parts depend on each other.
	var order []string
	for _, l := range logs.lines() {
		switch msg := l["msg"]; msg {
		case "shutting down: no new requests; finishing those in flight", "no longer leading", "stopped watching mailboxes: not the leader", "etcd closed":
			order = append(order, msg.(string))
		}
	}
	want := []string{"shutting down: no new requests; finishing those in flight", "no longer leading", "stopped watching mailboxes: not the leader", "etcd closed"}
	if !slices.Equal(order, want) {
		t.Errorf("shutdown order:\n%q\nwant\n%q", order, want)
	}
	for _, l := range logs.lines() {
		if l["level"] == "ERROR" {
			t.Errorf("error logged on a clean run: %v", l)
		}
	}
}

// TestHTTPDrains: stopping the HTTP server lets a request in flight finish
// and answer, refuses new connections, and returns only after the handler
// has returned.
func TestHTTPDrains(t *testing.T) {
	t.Parallel()
	logger, _ := newLog()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	entered, release, handlerDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	comps := newComponents(context.Background(), logger)
	serveHTTP(comps, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(handlerDone)
		close(entered)
		<-release
		io.WriteString(w, "finished")
	}), logger)

	type answer struct {
		body string
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- answer{string(b), err}
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() {
		err := comps.Stop()
		select {
		case <-handlerDone:
		default:
			err = fmt.Errorf("Stop returned while a handler was still running")
		}
		stopped <- err
	}()
	// The drain has begun once the listener is closed.
	waitFor(t, "new connections refused", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned with a request in flight: %v", err)
	default:
	}
	close(release)
	if a := <-answered; a.err != nil || a.body != "finished" {
		t.Errorf("the request in flight: %q %v", a.body, a.err)
	}
	if err := <-stopped; err != nil {
		t.Error(err)
	}
}
