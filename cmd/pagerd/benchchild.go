package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pagerd/pagerd/notifier/twilio/twiliotest"
	"github.com/pagerd/pagerd/store"
)

// benchChild is the pagerd serve the bench starts and loads.
type benchChild struct {
	cmd      *exec.Cmd
	dir      string
	keep     bool
	url      string
	exited   chan struct{}
	waitErr  error
	stopOnce sync.Once
}

func (c *benchChild) pid() int { return c.cmd.Process.Pid }

// startChild writes the bench's rota and daemon config into a directory,
// starts this binary's serve on them, and returns once it answers
// /readyz (a leader elected, the rota loaded).
func startChild(ctx context.Context, o benchOptions, fake *twiliotest.Fake, stderr io.Writer) (*benchChild, error) {
	dir := o.keep
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "pagerd-bench"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	c := &benchChild{dir: dir, keep: o.keep != "", exited: make(chan struct{})}
	fail := func(err error) (*benchChild, error) {
		c.stop(stderr)
		return nil, err
	}
	rotaDir := filepath.Join(dir, "rota")
	if err := writeBenchRota(rotaDir, o); err != nil {
		return fail(err)
	}
	ca := filepath.Join(dir, "fake-twilio-ca.pem")
	token := filepath.Join(dir, "twilio-token")
	cfg := filepath.Join(dir, "pagerd.yaml")
	if err := os.WriteFile(ca, fake.CertificatePEM(), 0o600); err != nil {
		return fail(err)
	}
	if err := os.WriteFile(token, []byte(twiliotest.AuthToken+"\n"), 0o600); err != nil {
		return fail(err)
	}
	// Defaults, but for the intake limits: they are per sender and per
	// team, and the bench is one sender into few teams.
	yaml := fmt.Sprintf(`public_url: http://127.0.0.1:9
intake_rate: 0
max_open_alerts_per_team: 0
twilio:
  account_sid: %s
  auth_token_file: %s
  sms_from: "+15005550006"
  api_url: %s
  ca_file: %s
`, twiliotest.AccountSID, token, fake.URL(), ca)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		return fail(err)
	}
	exe, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	args := []string{"serve", "--config", rotaDir, "--data-dir", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0", "--node", "bench", "--daemon-config", cfg}
	args = append(args, strings.Fields(o.serveArgs)...)
	c.cmd = exec.Command(exe, args...)
	c.cmd.SysProcAttr = childProcAttr()
	logFile, err := os.Create(filepath.Join(dir, "pagerd.log"))
	if err != nil {
		return fail(err)
	}
	pr, pw := io.Pipe()
	c.cmd.Stdout = logFile
	c.cmd.Stderr = pw
	if err := c.cmd.Start(); err != nil {
		logFile.Close()
		return fail(fmt.Errorf("start pagerd serve: %w", err))
	}
	listen := make(chan string, 1)
	var lastLine atomic.Value
	go func() {
		// Copies the log to its file, watching for the serving line.
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Bytes()
			if _, err := logFile.Write(append(line, '\n')); err != nil {
				fmt.Fprintf(stderr, "pagerd bench: the child's log: %v\n", err)
			}
			var e struct {
				Msg    string `json:"msg"`
				Level  string `json:"level"`
				Listen string `json:"listen"`
			}
			if json.Unmarshal(line, &e) == nil {
				if e.Level == "ERROR" {
					lastLine.Store(string(line))
				}
				if !sent && e.Msg == "pagerd serving" && e.Listen != "" {
					listen <- e.Listen
					sent = true
				}
			}
		}
		// The pipe is closed after the child exits; a read error then
		// has nothing left to lose.
		logFile.Close()
	}()
	go func() {
		c.waitErr = c.cmd.Wait()
		pw.Close()
		close(c.exited)
	}()
	var addr string
	select {
	case addr = <-listen:
	case <-c.exited:
		last, _ := lastLine.Load().(string)
		return fail(fmt.Errorf("pagerd serve exited at start (%v); its log is %s: %s", c.waitErr, filepath.Join(dir, "pagerd.log"), last))
	case <-time.After(2 * time.Minute):
		return fail(errors.New("pagerd serve did not start within 2 minutes"))
	}
	c.url = "http://" + addr
	hc := &http.Client{Timeout: 5 * time.Second}
	for start := time.Now(); ; {
		resp, err := hc.Get(c.url + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body) //nolint:errcheck // drained only so the connection is reused
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
		if time.Since(start) > time.Minute {
			return fail(fmt.Errorf("pagerd serve not ready after a minute: %v", err))
		}
		select {
		case <-c.exited:
			return fail(fmt.Errorf("pagerd serve exited: %v", c.waitErr))
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends the child with SIGTERM (a kill after 30 s) and removes its
// directory unless --keep named it. Calling it again does nothing.
func (c *benchChild) stop(stderr io.Writer) {
	c.stopOnce.Do(func() {
		if c.cmd != nil && c.cmd.Process != nil {
			if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
				fmt.Fprintf(stderr, "pagerd bench: stopping the child: %v\n", err)
			}
			select {
			case <-c.exited:
			case <-time.After(30 * time.Second):
				fmt.Fprintln(stderr, "pagerd bench: the child did not stop within 30 s; killing it")
				if err := c.cmd.Process.Kill(); err != nil {
					fmt.Fprintf(stderr, "pagerd bench: killing the child: %v\n", err)
				}
				<-c.exited
			}
		}
		if !c.keep {
			if err := os.RemoveAll(c.dir); err != nil {
				fmt.Fprintf(stderr, "pagerd bench: %v\n", err)
			}
		}
	})
}

// Probe and load people's numbers: a probe team's primary and secondary,
// and a load team's.
func probeNumber(k int, secondary bool) string {
	if secondary {
		return fmt.Sprintf("+1312555%04d", k)
	}
	return fmt.Sprintf("+1202555%04d", k)
}

func loadNumber(k int, secondary bool) string {
	if secondary {
		return fmt.Sprintf("+1617555%04d", k)
	}
	return fmt.Sprintf("+1415555%04d", k)
}

// writeBenchRota writes the bench's rota: each team has a one-person
// primary and a one-person secondary, a first step of --timeout and a
// second of an hour.
func writeBenchRota(dir string, o benchOptions) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var people strings.Builder
	people.WriteString("people:\n")
	team := func(name, primary, secondary string) error {
		const rule = `"FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"`
		y := fmt.Sprintf(`team: %s
timezone: UTC
rotations:
  primary:
    members: [%s]
    handoff: %s
    start: 2020-01-06T09:00
  secondary:
    members: [%s]
    handoff: %s
    start: 2020-01-06T09:00
escalation:
  steps:
    - {notify: [primary], ack_timeout: %s}
    - {notify: [secondary], ack_timeout: 1h}
`, name, primary, rule, secondary, rule, o.timeout)
		return os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(y), 0o644)
	}
	person := func(id, number string) {
		fmt.Fprintf(&people, "  - {id: %s, name: %s, timezone: UTC, contacts: {sms: %q}}\n", id, id, number)
	}
	for k := range o.loadTeams {
		person(fmt.Sprintf("lp%02d", k), loadNumber(k, false))
		person(fmt.Sprintf("ls%02d", k), loadNumber(k, true))
		if err := team(fmt.Sprintf("load%02d", k), fmt.Sprintf("lp%02d", k), fmt.Sprintf("ls%02d", k)); err != nil {
			return err
		}
	}
	for k := range o.probeTeams {
		person(fmt.Sprintf("pp%04d", k), probeNumber(k, false))
		person(fmt.Sprintf("ps%04d", k), probeNumber(k, true))
		if err := team(fmt.Sprintf("probe%04d", k), fmt.Sprintf("pp%04d", k), fmt.Sprintf("ps%04d", k)); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "people.yaml"), []byte(people.String()), 0o644)
}

// storeGoroutines write at once in the store-alone figure, as HTTP
// handlers would (go test ./store -bench Create uses as many).
const storeGoroutines = 32

// syncLatency appends n blocks of 4 KiB to a file in the temporary
// directory (where the child's etcd lives), each followed by fsync, as
// etcd's log does for every commit, and returns how long each took: the
// disk's part of the host's yardstick.
func syncLatency(n int) (out []time.Duration, err error) {
	f, err := os.CreateTemp("", "pagerd-bench-sync")
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", f.Name(), cerr)
		}
		if rerr := os.Remove(f.Name()); rerr != nil && err == nil {
			err = fmt.Errorf("remove %s: %w", f.Name(), rerr)
		}
	}()
	block := make([]byte, 4096)
	out = make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		if _, err := f.Write(block); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.Name(), err)
		}
		if err := f.Sync(); err != nil {
			return nil, fmt.Errorf("sync %s: %w", f.Name(), err)
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}

// storeAloneRate is durable alert creates per second on an embedded etcd
// of its own, with nothing else running: the ceiling the daemon's
// throughput is compared with.
func storeAloneRate(ctx context.Context, n int) (float64, error) {
	dir, err := os.MkdirTemp("", "pagerd-bench-store")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	for range storeGoroutines {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if err := createOne(ctx, st, i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// createOne writes what an accepted alert writes: the alert, its dedup
// entry, its timer and one outbox page, in one transaction.
func createOne(ctx context.Context, st *store.Store, i int64) error {
	id, err := st.NextID(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	a := &store.Alert{ID: id, Team: "core", Summary: "bench", DedupKey: fmt.Sprintf("k%d", i), CreatedAt: now}
	a.Esc.Timer = now.Add(time.Hour)
	a.Note(now, "received", "", "received from bench")
	_, _, err = st.Create(ctx, a, []store.OutboxPage{{AlertID: id, PageID: "p1", Person: "ann", Method: "sms", Due: now, Queued: now}})
	return err
}
