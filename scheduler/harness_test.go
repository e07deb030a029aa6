package scheduler_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/scheduler"
	"github.com/pagerd/pagerd/store"

	_ "time/tzdata"
)

// sharedDir holds the one embedded etcd the package's tests share; each
// test uses its own key prefix, so they run in parallel without meeting.
var (
	sharedStore *store.Store
	prefixSeq   atomic.Int64
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "pagerd-scheduler-test")
	if err != nil {
		panic(err)
	}
	st, err := store.Open(context.Background(), store.Config{DataDir: dir, Logger: quietLog()})
	if err != nil {
		panic(err)
	}
	sharedStore = st
	code := m.Run()
	st.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func quietLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// recorder is a notifier that records every page and can be told to fail.
type recorder struct {
	mu    sync.Mutex
	pages []notifier.Page
	fail  func(p notifier.Page, attempt int) error
	tries map[string]int
	// finds counts lookups (Find); findErr, if set, makes them fail.
	finds   int
	findErr error
}

// Find looks the page up among those delivered, as Twilio's list API
// would: by number and method, and for an SMS by its text.
func (r *recorder) Find(ctx context.Context, p notifier.Page, since time.Time) (notifier.Receipt, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finds++
	if r.findErr != nil {
		return notifier.Receipt{}, false, r.findErr
	}
	for _, q := range r.pages {
		if q.To == p.To && q.Method == p.Method && (p.Method != "sms" || notifier.Text(q) == notifier.Text(p)) {
			return notifier.Receipt{Provider: "recorder", ID: fmt.Sprintf("%d/%s", q.AlertID, q.PageID)}, true, nil
		}
	}
	return notifier.Receipt{}, false, nil
}

// delivered records p as if the provider had it, without a Send call.
func (r *recorder) delivered(p notifier.Page) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pages = append(r.pages, p)
}

func (r *recorder) Name() string { return "recorder" }

func (r *recorder) Send(ctx context.Context, p notifier.Page) (notifier.Receipt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tries == nil {
		r.tries = map[string]int{}
	}
	key := fmt.Sprintf("%d/%s", p.AlertID, p.PageID)
	r.tries[key]++
	if r.fail != nil {
		if err := r.fail(p, r.tries[key]); err != nil {
			return notifier.Receipt{}, err
		}
	}
	r.pages = append(r.pages, p)
	return notifier.Receipt{Provider: "recorder", ID: key}, nil
}

func (r *recorder) sent() []notifier.Page {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notifier.Page(nil), r.pages...)
}

// who lists the delivered pages as "person/method", with "(shadow)".
func (r *recorder) who(alert int64) []string {
	var out []string
	for _, p := range r.sent() {
		if p.AlertID != alert {
			continue
		}
		s := p.Person + "/" + p.Method
		if p.Shadow {
			s += "(shadow)"
		}
		out = append(out, s)
	}
	return out
}

type harness struct {
	t      *testing.T
	st     *store.Store
	clk    *clock.Fake
	holder *inforce.Current
	rec    *recorder
	srv    *httptest.Server
	eng    *scheduler.Engine
	key    string
	api    *api.Server
	svc    *alerts.Service

	observer  scheduler.Observer // for the engine, when set
	retention time.Duration      // for the engine, when set
	archive   *scheduler.Archive
	keep      store.Keep
	notice    time.Duration
	onLeader  func(leading bool)
	// afterIntent runs between a send's intent and its request, when set.
	afterIntent func()
}

// start is Tuesday 24 Nov 2026 12:00 UTC: alice primary, bob secondary,
// erin shadowing primary (scheduler/testdata/rota).
var start = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func newHarness(t *testing.T) *harness {
	t.Helper()
	prefix := fmt.Sprintf("/test-%s-%d/", strings.ReplaceAll(t.Name(), "/", "-"), prefixSeq.Add(1))
	st, err := store.Open(context.Background(), store.Config{
		Endpoints: []string{sharedStore.Endpoint()}, Prefix: prefix, Logger: quietLog(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{t: t, st: st, clk: clock.NewFake(start), holder: &inforce.Current{}, rec: &recorder{}, key: "k-" + prefix}
	h.loadRota(nil)
	h.svc = &alerts.Service{Store: st, Rota: h.holder, Clock: h.clk, Log: quietLog()}
	h.api = &api.Server{Store: st, Alerts: h.svc, Rota: h.holder, Clock: h.clk, Log: quietLog(), Operators: testOperators()}
	h.srv = httptest.NewServer(h.api.Handler())
	t.Cleanup(h.srv.Close)
	return h
}

// actors are the people the tests act as through the API. Each is an
// operator of the same name, so their token makes an ack theirs (a
// shadow's, a responder's, worked time in the ledger); lead is an admin.
var actors = []string{"alice", "bob", "carol", "dave", "erin", "frank", "ann", "ben"}

func testOperators() []api.Operator {
	ops := []api.Operator{api.NewOperator("lead", api.RoleAdmin, operatorToken("lead"))}
	for _, name := range actors {
		ops = append(ops, api.NewOperator(name, api.RoleResponder, operatorToken(name)))
	}
	return ops
}

func operatorToken(name string) string { return "test-token-of-" + name }

// asLead is the header pair of the admin's token, for h.post.
func asLead() []string { return []string{"Authorization", "Bearer " + operatorToken("lead")} }

// loadRota loads scheduler/testdata/rota, edited by edit, as the next
// revision.
func (h *harness) loadRota(edit func(name, data string) string) {
	h.t.Helper()
	keyFile := filepath.Join(h.t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(h.key+"\n"), 0o600); err != nil {
		h.t.Fatal(err)
	}
	files, err := rotafile.ReadDir("testdata/rota")
	if err != nil {
		h.t.Fatal(err)
	}
	for i := range files {
		data := strings.ReplaceAll(string(files[i].Data), "KEYFILE", keyFile)
		if edit != nil {
			data = edit(filepath.Base(files[i].Name), data)
		}
		files[i].Data = []byte(data)
	}
	r, diags := rotafile.Load(files)
	if err := diags.Err(); err != nil {
		h.t.Fatal(err)
	}
	rev := int64(1)
	if cur := h.holder.Get(); cur != nil {
		rev = cur.Rev + 1
	}
	h.holder.Set(inforce.New(r, rev, quietLog()))
}

// runEngine starts an engine; stop it with the returned function.
func (h *harness) runEngine() (stop func()) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.eng = &scheduler.Engine{Store: h.st, Alerts: h.svc, Rota: h.holder, Notifier: h.rec, Clock: h.clk, Log: quietLog(), Node: h.t.Name(), Backoff: time.Second,
		Retention: h.retention, Keep: h.keep, Archive: h.archive, HandoffNotice: h.notice, Observer: h.observer, OnLeader: h.onLeader}
	if h.afterIntent != nil {
		scheduler.SetAfterIntent(h.eng, h.afterIntent)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.eng.Run(ctx)
	}()
	h.eventually("engine leads", func() bool { return h.eng.IsLeader() })
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	h.t.Cleanup(stop)
	return stop
}

// eventually waits for asynchronous work (watches, sends) to show, polling.
// It never waits for a timer: those run on the fake clock.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	// Generous: CI runs every package's tests at once on two cores.
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// pagesTo waits until alert has exactly want pages delivered, and checks
// they stay that many while the engine settles.
func (h *harness) pagesTo(alert int64, want ...string) {
	h.t.Helper()
	h.eventually(fmt.Sprintf("pages of alert %d = %v", alert, want), func() bool { return len(h.rec.who(alert)) >= len(want) })
	h.settle()
	// Pages decided together are sent concurrently, in any order.
	got := h.rec.who(alert)
	sg, sw := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if strings.Join(sg, " ") != strings.Join(sw, " ") {
		h.t.Fatalf("alert %d pages = %v, want %v\n%s", alert, got, want, h.timeline(alert))
	}
}

// settle waits until the engine has caught up with the clock: no timer
// is due, and every page decided is sent and recorded, or waiting in a
// mailbox for its person's interval.
func (h *harness) settle() {
	h.t.Helper()
	h.eventually("engine caught up", func() bool {
		ctx := context.Background()
		timers, _, err := h.st.Timers(ctx)
		if err != nil {
			return false
		}
		for _, due := range timers {
			if !due.After(h.clk.Now()) {
				return false
			}
		}
		// Pages waiting out a person's interval stay in the outbox.
		pages, _, err := h.st.Outbox(ctx)
		held := 0
		if h.eng != nil {
			if !h.eng.Idle() {
				return false // something due is still being handed out
			}
			held = h.eng.Held()
		}
		return err == nil && len(pages) == held
	})
}

func (h *harness) timeline(id int64) string {
	a, err := h.st.Get(context.Background(), id)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range a.Timeline {
		fmt.Fprintf(&b, "  %s %-10s %s %s\n", e.At.Format("15:04:05"), e.Kind, e.Text, e.By)
	}
	return b.String()
}

func (h *harness) alert(id int64) *store.Alert {
	h.t.Helper()
	a, err := h.st.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// advance moves the fake clock once the engine has armed the alert's timer.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.settle()
	h.clk.Advance(d)
}
