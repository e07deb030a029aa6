package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
)

// inProcessAPI is the API on a real embedded etcd with the example rota,
// for tests that need no child process.
func inProcessAPI(t *testing.T) (*store.Store, *api.Server) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r, _, err := rotafile.LoadDir("../../configs/example")
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	holder := &inforce.Current{}
	holder.Set(inforce.New(r, 1, quiet))
	svc := &alerts.Service{Store: st, Rota: holder, Clock: clock.Real{}, Log: quiet}
	return st, &api.Server{Store: st, Alerts: svc, Rota: holder, Clock: clock.Real{}, Log: quiet}
}
