package store

import (
	"context"
	"net"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// pausableProxy forwards TCP to target and, while paused, forwards
// nothing in either direction while keeping every connection open: what
// a SIGSTOPped etcd member looks like from outside.
type pausableProxy struct {
	l    net.Listener
	gate sync.RWMutex // held for writing while paused
}

func newPausableProxy(t *testing.T, target string) *pausableProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pausableProxy{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go p.pipe(s, c)
			go p.pipe(c, s)
		}
	}()
	t.Cleanup(func() { l.Close() })
	return p
}

func (p *pausableProxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.gate.RLock() // waits while paused
			_, werr := dst.Write(buf[:n])
			p.gate.RUnlock()
			if werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF or a closed connection: the other side closes too
		}
	}
}

func (p *pausableProxy) pause()      { p.gate.Lock() }
func (p *pausableProxy) resume()     { p.gate.Unlock() }
func (p *pausableProxy) url() string { return "http://" + p.l.Addr().String() }

// startTCPEtcd starts a one-member etcd listening on loopback TCP, as an
// external etcd would.
func startTCPEtcd(t *testing.T) string {
	t.Helper()
	clientURL, err := freeURL()
	if err != nil {
		t.Fatal(err)
	}
	peerURL, err := freeURL()
	if err != nil {
		t.Fatal(err)
	}
	ec := embed.NewConfig()
	ec.Dir = filepath.Join(t.TempDir(), "etcd")
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	e, err := embed.StartEtcd(ec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	<-e.Server.ReadyNotify()
	return clientURL.String()
}

// waitMember waits until the probe reports endpoint as ok (or not).
func waitMember(t *testing.T, st *Store, endpoint string, ok bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range st.Members() {
			if m.Endpoint == endpoint && m.OK == ok {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("member %s never reported ok=%v: %+v", endpoint, ok, st.Members())
}

// A member that stops answering (paused, not dead: its connections stay
// open) is taken out of the client's endpoints, so requests stop going to
// it and waiting out their deadlines; it goes back once it answers again.
// Without the probe, gRPC would keep handing it every other request until
// its keepalive gave up (7 s).
func TestPausedMemberIsAvoided(t *testing.T) {
	t.Parallel()
	direct := startTCPEtcd(t)
	proxy := newPausableProxy(t, direct[len("http://"):])
	st, err := Open(context.Background(), Config{Endpoints: []string{direct, proxy.url()}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitMember(t, st, proxy.url(), true)

	proxy.pause()
	paused := true
	defer func() {
		if paused {
			proxy.resume()
		}
	}()
	waitMember(t, st, proxy.url(), false)
	for i := range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := st.cli.Get(ctx, "/pagerd/ids")
		cancel()
		if err != nil {
			t.Fatalf("request %d after the paused member was found out: %v", i, err)
		}
	}

	proxy.resume()
	paused = false
	waitMember(t, st, proxy.url(), true)
	if eps := st.cli.Endpoints(); len(eps) != 2 {
		t.Fatalf("endpoints after the member answered again = %v, want both", eps)
	}
}

func TestBatchTimeoutIsTheLastCallersDeadline(t *testing.T) {
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	w := func(d time.Duration) *write {
		if d == 0 {
			return &write{}
		}
		return &write{deadline: now.Add(d)}
	}
	for _, tc := range []struct {
		name  string
		batch []*write
		want  time.Duration
	}{
		{"one caller", []*write{w(2 * time.Second)}, 2 * time.Second},
		{"the latest of several", []*write{w(time.Second), w(3 * time.Second), w(2 * time.Second)}, 3 * time.Second},
		{"a caller without deadline", []*write{w(time.Second), w(0)}, requestTimeout},
		{"never past requestTimeout", []*write{w(time.Hour)}, requestTimeout},
		{"all gave up", []*write{w(-time.Second)}, -time.Second},
	} {
		if got := batchTimeout(tc.batch, now); got != tc.want {
			t.Errorf("%s: batchTimeout = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A timer watch on a stream of its own answers a progress request, on the
// embedded etcd (the in-process client) as on an external one: the leader
// takes silence for a stuck watch.
func TestTimerWatchAnswersProgress(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(t *testing.T) *Store{
		"embedded": openTest,
		"external": func(t *testing.T) *Store {
			st, err := Open(context.Background(), Config{Endpoints: []string{startTCPEtcd(t)}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			ctx, cancel := context.WithCancel(st.OwnWatchStream(context.Background()))
			defer cancel()
			events := st.WatchTimers(ctx, 0)
			// The watch is being made: ask until it answers.
			deadline := time.Now().Add(30 * time.Second)
			for {
				if err := st.RequestTimerProgress(ctx); err != nil {
					t.Fatal(err)
				}
				select {
				case ev := <-events:
					if !ev.Progress {
						t.Fatalf("got %+v, want a progress answer", ev)
					}
					return
				case <-time.After(200 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatal("no progress answer in 30 s")
				}
			}
		})
	}
}
