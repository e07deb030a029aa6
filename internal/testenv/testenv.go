// Package testenv builds the real parts tests run against: an embedded
// etcd in the test's temporary directory, a rota directory loaded and in
// force, and the alerts service and HTTP API over them. It is for tests
// only; nothing in the daemon imports it.
package testenv

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
)

// Env is one test's pagerd, in process.
type Env struct {
	Store   *store.Store
	Rota    *rotafile.Rota
	Current *inforce.Current // Rota, in force at revision 1
	Alerts  *alerts.Service
	API     *api.Server
	Log     *slog.Logger // discards
}

// New opens an embedded etcd in t's temporary directory and puts the rota
// in dir in force, with clk as the clock (nil: the real one). Everything
// is closed when the test ends.
func New(t testing.TB, dir string, clk clock.Clock) *Env {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close the store: %v", err)
		}
	})
	r, _, err := rotafile.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if clk == nil {
		clk = clock.Real{}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cur := &inforce.Current{}
	cur.Set(inforce.New(r, 1, quiet))
	svc := &alerts.Service{Store: st, Rota: cur, Clock: clk, Log: quiet}
	return &Env{Store: st, Rota: r, Current: cur, Alerts: svc, Log: quiet,
		API: &api.Server{Store: st, Alerts: svc, Rota: cur, Clock: clk, Log: quiet}}
}

// Serve serves the API on a test HTTP server and returns its URL.
func (e *Env) Serve(t testing.TB) string {
	t.Helper()
	hs := httptest.NewServer(e.API.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}
