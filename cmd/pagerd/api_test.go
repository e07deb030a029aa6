package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/ingest"
	"github.com/pagerd/pagerd/rota"
	"github.com/pagerd/pagerd/scheduler"
	"github.com/pagerd/pagerd/store"
)

// inProcessAPI is the API on a real embedded etcd with the example rota,
// for tests that need no child process.
func inProcessAPI(t *testing.T) (*store.Store, *ingest.Server) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r, _, err := rota.LoadDir("../../configs/example")
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	holder := &scheduler.Holder{}
	holder.Set(scheduler.NewRota(r, 1, quiet))
	return st, &ingest.Server{Store: st, Rota: holder, Clock: clock.Real{}, Log: quiet}
}
