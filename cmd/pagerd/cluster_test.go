package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pagerd/pagerd/store"
)

// clusterRota is a rota whose on-call doesn't depend on today's date, with
// short real timeouts: these tests run real processes, which have no fake
// clock to advance.
const clusterPeople = `people:
  - {id: ann, name: Ann, timezone: UTC, contacts: {sms: "+447700900101"}}
  - {id: ben, name: Ben, timezone: UTC, contacts: {sms: "+447700900102"}}
  - {id: cat, name: Cat, timezone: UTC, contacts: {sms: "+447700900103"}}
  - {id: dan, name: Dan, timezone: UTC, contacts: {sms: "+447700900104"}}
  - {id: eve, name: Eve, timezone: UTC, contacts: {sms: "+447700900105"}}
`

func clusterTeam(timeout string) string {
	return fmt.Sprintf(`team: core
timezone: UTC
rotations:
  primary:
    members: [ann, ben, cat, dan]
    handoff: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    start: 2020-01-06T09:00
  secondary:
    follows: primary
escalation:
  steps:
    - {notify: [primary], ack_timeout: %[1]s}
    - {notify: [secondary], ack_timeout: %[1]s}
    - {notify: [secondary, person:eve], ack_timeout: %[1]s}
`, timeout)
}

func writeRota(t *testing.T, timeout string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{"people.yaml": clusterPeople, "core.yaml": clusterTeam(timeout)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// node is a pagerd serve child process.
type node struct {
	t    *testing.T
	name string
	addr string
	args []string
	cmd  *exec.Cmd
	log  *os.File
	logs []string // one file per run
	env  []string // extra environment
}

func newNode(t *testing.T, name string, args ...string) *node {
	return &node{t: t, name: name, addr: freePort(t), args: args}
}

func (n *node) start() {
	n.t.Helper()
	logPath := filepath.Join(n.t.TempDir(), fmt.Sprintf("%s-%d.log", n.name, len(n.logs)))
	f, err := os.Create(logPath)
	if err != nil {
		n.t.Fatal(err)
	}
	n.log, n.logs = f, append(n.logs, logPath)
	// A short interval keeps bundling in play without slow tests.
	args := append([]string{"serve", "--listen", n.addr, "--node", n.name, "--sms-interval", "1s"}, n.args...)
	n.cmd = exec.Command(os.Args[0], args...)
	n.cmd.Env = append(append(os.Environ(), "PAGERD_CHILD=1"), n.env...)
	n.cmd.Stdout, n.cmd.Stderr = f, f
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(n.kill)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + n.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			data, _ := os.ReadFile(logPath)
			n.t.Fatalf("%s not ready after 30s:\n%s", n.name, data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill is kill -9: no chance to tidy up.
func (n *node) kill() {
	if n.cmd != nil && n.cmd.Process != nil && n.cmd.ProcessState == nil {
		n.cmd.Process.Signal(syscall.SIGKILL)
		n.cmd.Wait()
		n.log.Close()
	}
}

// logLines returns every JSON log line of every run of the node.
func (n *node) logLines() []map[string]any {
	var out []map[string]any
	for _, p := range n.logs {
		data, _ := os.ReadFile(p)
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				out = append(out, m)
			}
		}
	}
	return out
}

// pages counts PAGE log lines by "alert/page".
func pages(nodes ...*node) map[string]int {
	out := map[string]int{}
	for _, n := range nodes {
		for _, l := range n.logLines() {
			if l["msg"] != "PAGE" {
				continue
			}
			// A bundled message covers several pages.
			covers, _ := l["covers"].([]any)
			for _, c := range covers {
				out[fmt.Sprint(c)]++
			}
		}
	}
	return out
}

type alertView struct {
	ID       int64  `json:"id"`
	DedupKey string `json:"dedup_key"`
	Status   string `json:"status"`
	Timeline []struct {
		Kind, Text string
	} `json:"timeline"`
	Escalation struct {
		Exhausted bool `json:"Exhausted"`
	} `json:"escalation"`
}

func getAlert(t *testing.T, addr string, id int64) (alertView, int) {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://%s/api/v1/alerts/%d", addr, id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a alertView
	json.NewDecoder(resp.Body).Decode(&a)
	return a, resp.StatusCode
}

func postAlert(client *http.Client, addr, dedup string) (int64, error) {
	body := fmt.Sprintf(`{"team":"core","summary":"load %s","dedup_key":%q}`, dedup, dedup)
	resp, err := client.Post("http://"+addr+"/api/v1/alerts", "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	var out struct {
		Alerts []struct {
			AlertID int64 `json:"alert_id"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Alerts) != 1 {
		return 0, fmt.Errorf("bad answer: %v", err)
	}
	return out.Alerts[0].AlertID, nil
}

func TestCrashUnderLoadLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	t.Parallel()
	dataDir := t.TempDir()
	n := newNode(t, "solo", "--config", writeRota(t, "10m"), "--data-dir", dataDir)
	n.start()

	// Load from 8 clients until the kill; keep every alert that got a 202.
	var (
		mu       sync.Mutex
		accepted = map[string]int64{}
		stop     atomic.Bool
		wg       sync.WaitGroup
		seq      atomic.Int64
	)
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				key := fmt.Sprintf("crash-%d", seq.Add(1))
				id, err := postAlert(client, n.addr, key)
				if err == nil {
					mu.Lock()
					accepted[key] = id
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once a few hundred alerts are in, mid-stream.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		got := len(accepted)
		mu.Unlock()
		if got >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	n.kill()
	stop.Store(true)
	wg.Wait()
	if len(accepted) < 100 {
		t.Fatalf("only %d alerts accepted before the kill", len(accepted))
	}

	n.start() // same data dir
	// Every 202 is there, under its own dedup key.
	for key, id := range accepted {
		a, code := getAlert(t, n.addr, id)
		if code != 200 || a.DedupKey != key {
			t.Fatalf("alert %d (%s) after restart: %d %+v", id, key, code, a)
		}
	}
	// Every accepted alert pages its primary: wait for the outbox to drain.
	want := 0
	waitFor(t, "every accepted alert paged", func() bool {
		p := pages(n)
		want = 0
		for _, id := range accepted {
			if p[fmt.Sprintf("%d/p1", id)] == 0 {
				return false
			}
			want++
		}
		return true
	})
	dups := 0
	for _, c := range pages(n) {
		if c > 1 {
			dups += c - 1
		}
	}
	// A page is sent once, except when the process dies between sending it
	// and recording that: then it is sent once more. At most every send in
	// flight at the kill (the engine's 64 workers) can be repeated.
	if dups > 64 {
		t.Fatalf("%d pages sent twice", dups)
	}
	t.Logf("accepted %d alerts before kill -9; all present after restart, all paged; %d page(s) repeated across the crash", len(accepted), dups)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestFailoverContinuesEveryEscalation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	t.Parallel()
	// One etcd for three pagerd nodes, as in a real cluster.
	etcd, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	endpoint := etcd.Endpoint()
	rotaDir := writeRota(t, "3s")
	var nodes []*node
	for i := 0; i < 3; i++ {
		n := newNode(t, fmt.Sprintf("node%d", i), "--config", rotaDir, "--etcd-endpoints", endpoint)
		n.start()
		nodes = append(nodes, n)
	}
	leader := func() *node {
		for _, n := range nodes {
			if n.cmd.ProcessState != nil {
				continue
			}
			lead := false
			for _, l := range n.logLines() {
				switch l["msg"] {
				case "leading":
					lead = true
				case "no longer leading":
					lead = false
				}
			}
			if lead {
				return n
			}
		}
		return nil
	}
	var first *node
	waitFor(t, "a leader", func() bool { first = leader(); return first != nil })
	// Alerts arrive at a follower; the leader pages them.
	var follower *node
	for _, n := range nodes {
		if n != first {
			follower = n
		}
	}
	client := &http.Client{Timeout: 5 * time.Second}
	var ids []int64
	for i := 0; i < 20; i++ {
		id, err := postAlert(client, follower.addr, fmt.Sprintf("failover-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// Kill mid-escalation, but not mid-send: a node that dies between
	// handing a page over and recording that may send it once more (the
	// documented exception), which is the crash test's business.
	waitFor(t, "first pages sent and recorded", func() bool {
		p := pages(nodes...)
		for _, id := range ids {
			if p[fmt.Sprintf("%d/p1", id)] == 0 {
				return false
			}
		}
		inFlight, _, err := etcd.Outbox(context.Background())
		return err == nil && len(inFlight) == 0
	})
	killed := time.Now()
	first.kill()
	var second *node
	waitFor(t, "a new leader", func() bool { second = leader(); return second != nil && second != first })
	resumed := time.Since(killed)

	// Step 1 (3s), step 2 (3s), step 3 (3s), then exhausted: each alert
	// pages ann, ben, then ben and eve: four pages, p1..p4, once each.
	waitFor(t, "every escalation exhausted", func() bool {
		for _, id := range ids {
			a, code := getAlert(t, second.addr, id)
			if code != 200 || !a.Escalation.Exhausted {
				return false
			}
		}
		return true
	})
	p := pages(nodes...)
	for _, id := range ids {
		for k := 1; k <= 4; k++ {
			if c := p[fmt.Sprintf("%d/p%d", id, k)]; c != 1 {
				a, _ := getAlert(t, second.addr, id)
				t.Fatalf("alert %d page p%d sent %d times\n%+v", id, k, c, a.Timeline)
			}
		}
		if c := p[fmt.Sprintf("%d/p5", id)]; c != 0 {
			t.Fatalf("alert %d: a fifth page", id)
		}
	}
	t.Logf("leader %s killed; %s leading %s later; every escalation continued, 80 pages each sent once", first.name, second.name, resumed.Round(time.Millisecond))
}

func (n *node) rotaRev(t *testing.T) float64 {
	t.Helper()
	resp, err := http.Get("http://" + n.addr + "/api/v1/oncall")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		RotaRev float64 `json:"rota_rev"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	return out.RotaRev
}

func (n *node) logged(msg string) int {
	c := 0
	for _, l := range n.logLines() {
		if l["msg"] == msg {
			c++
		}
	}
	return c
}

func TestRotaReloadKeepsTheGoodRotaOnErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	dir := writeRota(t, "10m")
	n := newNode(t, "reload", "--config", dir, "--data-dir", t.TempDir())
	n.start()
	if rev := n.rotaRev(t); rev != 1 {
		t.Fatalf("rota rev %v, want 1", rev)
	}
	// A broken edit: logged with its position, and the running rota stays.
	broken := strings.Replace(clusterTeam("10m"), "members: [ann, ben, cat, dan]", "members: [ann, ben, cat, dna]", 1)
	if err := os.WriteFile(filepath.Join(dir, "core.yaml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			for _, l := range n.logLines() {
				t.Log(l)
			}
		}
	}()
	waitFor(t, "the broken rota's error in the log", func() bool {
		for _, l := range n.logLines() {
			if strings.Contains(fmt.Sprint(l["msg"]), `member "dna" is not a person`) && l["hint"] == `did you mean "dan"?` && strings.HasSuffix(fmt.Sprint(l["pos"]), "core.yaml:5:30") {
				return true
			}
		}
		return false
	})
	if rev := n.rotaRev(t); rev != 1 {
		t.Fatalf("a broken rota replaced the running one: rev %v", rev)
	}
	// Alerts still page from the good rota.
	if _, err := postAlert(http.DefaultClient, n.addr, "during-broken"); err != nil {
		t.Fatal(err)
	}
	// A good edit, picked up by SIGHUP as well as by the file watch.
	fixed := strings.Replace(clusterTeam("10m"), "members: [ann, ben, cat, dan]", "members: [ben, ann, cat, dan]", 1)
	if err := os.WriteFile(filepath.Join(dir, "core.yaml"), []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	n.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "rota r2", func() bool { return n.rotaRev(t) == 2 })
	if n.logged("reloading rota") == 0 {
		t.Error("no reload logged")
	}
}

func TestSIGTERMShutsDownCleanlyAndKeepsEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	data := t.TempDir()
	n := newNode(t, "term", "--config", writeRota(t, "10m"), "--data-dir", data)
	n.start()
	id, err := postAlert(http.DefaultClient, n.addr, "before-term")
	if err != nil {
		t.Fatal(err)
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- n.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30s after SIGTERM")
	}
	n.log.Close()
	if n.logged("etcd closed") != 1 || n.logged("shutting down: no new requests; finishing those in flight") != 1 {
		t.Errorf("no clean shutdown in the log")
	}
	for _, l := range n.logLines() {
		if l["level"] == "error" || l["level"] == "ERROR" {
			t.Errorf("error logged on a clean shutdown: %v", l)
		}
	}
	n.cmd = nil
	n.start()
	if a, code := getAlert(t, n.addr, id); code != 200 || a.DedupKey != "before-term" {
		t.Fatalf("alert after restart: %d %+v", code, a)
	}
}
