package app

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/store"
)

// inProcessAPI is the API on a real embedded etcd with the example rota.
func inProcessAPI(t *testing.T) (*store.Store, *api.Server) {
	t.Helper()
	env := testenv.New(t, "../configs/example", nil)
	return env.Store, env.API
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
