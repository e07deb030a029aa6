//go:build linux

package faults

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/pagerd/pagerd/notifier/twilio/twiliotest"
)

// proc is one child process that the suite starts, kills, pauses and
// restarts. Each run logs to its own file.
type proc struct {
	name   string
	bin    string
	args   []string
	logDir string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the current run has exited
	runs   int
	paused bool
}

func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !isClosed(p.exited) {
		return fmt.Errorf("%s: already running", p.name)
	}
	p.runs++
	logPath := filepath.Join(p.logDir, fmt.Sprintf("%s-%d.log", p.name, p.runs))
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	// The suite's children die with it, even when it is killed itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	exited := make(chan struct{})
	go func() {
		// The exit status of a killed process is expected; the log says
		// what happened to one that died on its own.
		_ = cmd.Wait()
		f.Close()
		close(exited)
	}()
	p.cmd, p.exited, p.paused = cmd, exited, false
	return nil
}

// logTail is the last n lines of the current run's log, so a failure
// says why a process died without anyone fetching the file (CI keeps
// nothing of the temp dir).
func (p *proc) logTail(n int) string {
	p.mu.Lock()
	path := filepath.Join(p.logDir, fmt.Sprintf("%s-%d.log", p.name, p.runs))
	p.mu.Unlock()
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return path + ":\n" + strings.Join(lines, "\n")
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// running reports whether the process is alive (paused counts).
func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !isClosed(p.exited)
}

// isPaused reports whether the process was sent SIGSTOP and no SIGCONT.
func (p *proc) isPaused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

// kill is kill -9, waiting until the process is gone.
func (p *proc) kill() error {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.paused = false
	p.mu.Unlock()
	if cmd == nil || isClosed(exited) {
		return nil
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s still running 30s after SIGKILL", p.name)
	}
}

// signal sends SIGSTOP or SIGCONT.
func (p *proc) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || isClosed(p.exited) {
		return fmt.Errorf("%s: not running", p.name)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("%s to %s: %w", sig, p.name, err)
	}
	p.paused = sig == syscall.SIGSTOP
	return nil
}

// cleanup kills a process left running (resuming a paused one first is
// not needed: SIGKILL ends a stopped process too).
func (p *proc) cleanup() { _ = p.kill() }

// freeAddrs is n distinct free loopback addresses. All n are held until
// the last is chosen, so no two are the same port; each is free when
// chosen, and the process binding it later may race another taker, which
// its log (in the failure) shows.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// etcdMember is one etcd server process of the cluster.
type etcdMember struct {
	*proc
	client string // http://127.0.0.1:port
}

// pagerdNode is one pagerd serve process.
type pagerdNode struct {
	*proc
	addr string // host:port of its HTTP API
}

// cluster is 3 etcd members, 3 pagerd nodes on them, and the fake Twilio
// they page through.
type cluster struct {
	dir    string
	etcd   []*etcdMember
	pagerd []*pagerdNode
	cli    *clientv3.Client // the suite's own view of etcd
	fake   *twiliotest.Fake
	twilio *twilioFaults
	people map[string]string // E.164 number -> person id
}

// Phone numbers of the test rota (testdata/rota/people.yaml).
var rotaPeople = map[string]string{"+447700900101": "ann", "+447700900102": "ben"}

// buildBinaries builds pagerd and the etcd member into dir.
func buildBinaries(ctx context.Context, dir string) (pagerd, etcd string, err error) {
	pagerd, etcd = filepath.Join(dir, "pagerd"), filepath.Join(dir, "etcdmember")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, b := range []struct{ out, pkg string }{
		{pagerd, "github.com/pagerd/pagerd/cmd/pagerd"},
		{etcd, "github.com/pagerd/pagerd/faults/etcdmember"},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, "go", "build", "-o", b.out, b.pkg)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
			}
		}()
	}
	wg.Wait()
	return pagerd, etcd, errors.Join(errs...)
}

// newCluster lays out 3 etcd members and 3 pagerd nodes in dir (nothing
// started yet).
func newCluster(dir, logDir, pagerdBin, etcdBin string, fake *twiliotest.Fake, tf *twilioFaults, interval time.Duration) (*cluster, error) {
	c := &cluster{dir: dir, fake: fake, twilio: tf, people: rotaPeople}
	type urls struct{ client, peer string }
	var us []urls
	var initial []string
	// 2 addresses for each etcd member, 1 for each pagerd node.
	addrs, err := freeAddrs(9)
	if err != nil {
		return nil, err
	}
	for i := 0; i < 3; i++ {
		ca, pa := addrs[2*i], addrs[2*i+1]
		us = append(us, urls{"http://" + ca, "http://" + pa})
		initial = append(initial, fmt.Sprintf("m%d=http://%s", i, pa))
	}
	var endpoints []string
	for i, u := range us {
		name := fmt.Sprintf("m%d", i)
		c.etcd = append(c.etcd, &etcdMember{client: u.client, proc: &proc{
			name: "etcd-" + name, bin: etcdBin, logDir: logDir,
			args: []string{
				"--name", name,
				"--data-dir", filepath.Join(dir, "etcd-"+name),
				"--listen-client-urls", u.client, "--advertise-client-urls", u.client,
				"--listen-peer-urls", u.peer, "--initial-advertise-peer-urls", u.peer,
				"--initial-cluster", strings.Join(initial, ","),
				"--initial-cluster-state", "new",
				"--initial-cluster-token", "pagerd-faults",
				"--log-level", "info",
			},
		}})
		endpoints = append(endpoints, u.client)
	}

	// Twilio settings, pointing at the fake in this process.
	ca := filepath.Join(dir, "twilio-ca.pem")
	token := filepath.Join(dir, "twilio-token")
	if err := os.WriteFile(ca, fake.CertificatePEM(), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(token, []byte(twiliotest.AuthToken+"\n"), 0o600); err != nil {
		return nil, err
	}
	rota, err := filepath.Abs("testdata/rota")
	if err != nil {
		return nil, err
	}
	for i := 0; i < 3; i++ {
		addr := addrs[6+i]
		name := fmt.Sprintf("pagerd%d", i)
		cfg := filepath.Join(dir, name+".yaml")
		yaml := fmt.Sprintf("twilio:\n  account_sid: %s\n  auth_token_file: %s\n  sms_from: \"+15005550006\"\n  api_url: %s\n  ca_file: %s\n",
			twiliotest.AccountSID, token, fake.URL(), ca)
		if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
			return nil, err
		}
		c.pagerd = append(c.pagerd, &pagerdNode{addr: addr, proc: &proc{
			name: name, bin: pagerdBin, logDir: logDir,
			args: []string{
				"serve", "--config", rota, "--daemon-config", cfg,
				"--listen", addr, "--public-url", "http://" + addr, "--node", name,
				"--data-dir", filepath.Join(dir, name),
				"--etcd-endpoints", strings.Join(endpoints, ","),
				// Bundling stays in play (the real send path) without
				// making every round wait the default 30 s.
				"--sms-interval", interval.String(), "--voice-interval", interval.String(),
				// A long round holds more than the default 1,000 open
				// alerts a team may have before new ones fold into one
				// storm alert: every alert stays its own here, so each can
				// be checked. (The cap and the folding are tested in
				// alerts and api.)
				"--max-open-alerts-per-team", "0",
			},
		}})
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints: endpoints, DialTimeout: 2 * time.Second,
		DialKeepAliveTime: 2 * time.Second, DialKeepAliveTimeout: 2 * time.Second,
		Logger: zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	c.cli = cli
	return c, nil
}

func (c *cluster) close() {
	for _, n := range c.pagerd {
		n.cleanup()
	}
	for _, m := range c.etcd {
		m.cleanup()
	}
	c.cli.Close()
}

// startEtcd starts the given members and waits until each knows a leader.
func (c *cluster) startEtcd(ctx context.Context, ms ...*etcdMember) error {
	for _, m := range ms {
		if err := m.start(); err != nil {
			return err
		}
	}
	return waitUntil(ctx, 60*time.Second, "etcd members healthy", func() error {
		for _, m := range ms {
			sctx, cancel := context.WithTimeout(ctx, time.Second)
			st, err := c.cli.Status(sctx, m.client)
			cancel()
			if err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if st.Leader == 0 {
				return fmt.Errorf("%s: no leader", m.name)
			}
		}
		return nil
	})
}

// startPagerd starts the given nodes and waits for each to answer /readyz.
func (c *cluster) startPagerd(ctx context.Context, ns ...*pagerdNode) error {
	for _, n := range ns {
		if err := n.start(); err != nil {
			return err
		}
	}
	return c.ready(ctx, ns...)
}

// startPagerdFirst is startPagerd for the cluster's first start, before
// anything holds the nodes' addresses: a node whose port was taken
// between the suite choosing it and the node binding it (another
// process's outgoing connection can land on it) is given another, once.
// The race is the suite's, not pagerd's, which said so and exited.
func (c *cluster) startPagerdFirst(ctx context.Context) error {
	err := c.startPagerd(ctx, c.pagerd...)
	if err == nil {
		return nil
	}
	moved := false
	for _, n := range c.pagerd {
		if n.running() || !strings.Contains(n.logTail(20), "address already in use") {
			continue
		}
		addrs, aerr := freeAddrs(1)
		if aerr != nil {
			return errors.Join(err, aerr)
		}
		n.rebind(addrs[0])
		if serr := n.start(); serr != nil {
			return serr
		}
		moved = true
	}
	if !moved {
		return err
	}
	return c.ready(ctx, c.pagerd...)
}

// rebind moves a stopped node to another listen address.
func (n *pagerdNode) rebind(addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := 0; i+1 < len(n.args); i++ {
		switch n.args[i] {
		case "--listen":
			n.args[i+1] = addr
		case "--public-url":
			n.args[i+1] = "http://" + addr
		}
	}
	n.addr = addr
}

// ready waits for the given nodes to answer /readyz.
func (c *cluster) ready(ctx context.Context, ns ...*pagerdNode) error {
	client := &http.Client{Timeout: 2 * time.Second}
	return waitUntil(ctx, 60*time.Second, "pagerd nodes ready", func() error {
		for _, n := range ns {
			if !n.running() {
				return final{fmt.Errorf("%s exited; the end of its log:\n%s", n.name, n.logTail(40))}
			}
			resp, err := client.Get("http://" + n.addr + "/readyz")
			if err != nil {
				return fmt.Errorf("%s: %w", n.name, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: readyz %d", n.name, resp.StatusCode)
			}
		}
		return nil
	})
}

// etcdRoles returns the etcd leader and the followers, from each member's
// own status (maintenance Status API).
func (c *cluster) etcdRoles(ctx context.Context) (leader *etcdMember, followers []*etcdMember, err error) {
	for _, m := range c.etcd {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		st, err := c.cli.Status(sctx, m.client)
		cancel()
		if err != nil {
			return nil, nil, fmt.Errorf("status of %s: %w", m.name, err)
		}
		if st.Header.MemberId == st.Leader {
			leader = m
		} else {
			followers = append(followers, m)
		}
	}
	if leader == nil {
		return nil, nil, errors.New("no etcd member says it leads")
	}
	return leader, followers, nil
}

// pagerdLeader is the node whose name the election key holds.
func (c *cluster) pagerdLeader(ctx context.Context) (*pagerdNode, error) {
	var leader *pagerdNode
	err := waitUntil(ctx, 30*time.Second, "a pagerd leader", func() error {
		gctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		resp, err := c.cli.Get(gctx, "/pagerd/leader/", clientv3.WithFirstCreate()...)
		if err != nil {
			return err
		}
		if len(resp.Kvs) == 0 {
			return errors.New("no leader key")
		}
		name := string(resp.Kvs[0].Value)
		for _, n := range c.pagerd {
			if n.name == name {
				leader = n
				return nil
			}
		}
		return fmt.Errorf("leader %q is not one of ours", name)
	})
	return leader, err
}

// outbox reads the pages waiting to be sent, straight from etcd: alert id
// -> page ids.
func (c *cluster) outbox(ctx context.Context) (map[int64][]string, error) {
	gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := c.cli.Get(gctx, "/pagerd/outbox/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	out := map[int64][]string{}
	for _, kv := range resp.Kvs {
		var id int64
		var page string
		rest := strings.TrimPrefix(string(kv.Key), "/pagerd/outbox/")
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return nil, fmt.Errorf("outbox key %q: want outbox/<alert>/<page>", kv.Key)
		}
		if _, err := fmt.Sscan(rest[:i], &id); err != nil {
			return nil, fmt.Errorf("outbox key %q: %w", kv.Key, err)
		}
		page = rest[i+1:]
		out[id] = append(out[id], page)
	}
	return out, nil
}

// waitUntil polls cond until it returns nil, or fails with its last error
// after limit.
// final is an error waitUntil does not wait out: a process that exited
// will not become ready.
type final struct{ error }

func waitUntil(ctx context.Context, limit time.Duration, what string, cond func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if errors.As(err, new(final)) {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting %v for %s: %w", limit, what, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
