package store

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Finding 12 of issue 14: a node given one dead etcd endpoint among good
// ones starts (the cluster works without it) and says so at WARN, naming
// the endpoint.
func TestOneDeadEndpointWarnedAtStart(t *testing.T) {
	t.Parallel()
	good := openTest(t)
	// A port nothing listens on: taken, then released.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	logs := &syncBuf{}
	st, err := Open(context.Background(), Config{Endpoints: []string{good.Endpoint(), dead},
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatalf("Open with one dead endpoint among good ones: %v", err)
	}
	defer st.Close()
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "endpoint="+dead) {
		t.Errorf("no WARN naming %s at start:\n%s", dead, out)
	}
	if strings.Contains(out, "endpoint="+good.Endpoint()) {
		t.Errorf("the good endpoint was warned about:\n%s", out)
	}
}
