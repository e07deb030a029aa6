package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
)

// inProcessAPI is the API on a real embedded etcd with the example rota.
func inProcessAPI(t *testing.T) (*store.Store, *api.Server) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r, _, err := rotafile.LoadDir("../configs/example")
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	holder := &inforce.Current{}
	holder.Set(inforce.New(r, 1, quiet))
	svc := &alerts.Service{Store: st, Rota: holder, Clock: clock.Real{}, Log: quiet}
	return st, &api.Server{Store: st, Alerts: svc, Rota: holder, Clock: clock.Real{}, Log: quiet}
}

// waitFor polls cond until it holds, failing the test after 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logBuffer is a JSON log a test can read while the code under test
// writes to it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func newLog() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// lines returns every record logged so far.
func (b *logBuffer) lines() []map[string]any {
	b.mu.Lock()
	data := bytes.Clone(b.buf.Bytes())
	b.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(data, []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// find returns the records with message msg.
func (b *logBuffer) find(msg string) []map[string]any {
	var out []map[string]any
	for _, l := range b.lines() {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}
