//go:build linux

package faults

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/pagerd/pagerd/notifier/twilio/twiliotest"
)

var (
	suiteFlag  = flag.String("faults", "", "run the fault-injection suite: short (every fault once, short holds, about 3 minutes) or long")
	roundsFlag = flag.Int("rounds", 0, "fault rounds to run, taking the faults in turn (0: each fault once)")
	onlyFlag   = flag.String("only", "", "comma-separated fault names to run (default: all)")
	rateFlag   = flag.Int("rate", 0, "alerts per second (default: the mode's)")
	logDirFlag = flag.String("logdir", "", "keep the processes' logs in this directory (default: a temporary one, removed)")
	reportFlag = flag.String("report", "", "also write the results table, as Markdown, to this file")
	latFlag    = flag.Duration("twilio-latency", 200*time.Millisecond, "how long the fake Twilio takes to answer")
	smsFlag    = flag.Duration("sms-interval", time.Second, "pagerd's --sms-interval and --voice-interval (0: every page its own message)")
	// Resume times depend on the machine as much as on pagerd: CI, on a
	// shared 2-core machine, reports them; a run made to measure them
	// asserts them.
	timingFlag = flag.String("timing", "assert", "resume targets: assert (a miss fails the run) or report (printed in the table only)")
)

// mode is how long things last: short fits CI, long is the issue's
// figures.
type mode struct {
	name      string
	rate      int           // alerts per second
	pre, post time.Duration // load before the fault, and after it is healed
	drain     time.Duration // how long past its last due page a round waits for pages
	hold      map[string]time.Duration
}

var modes = map[string]mode{
	// Short holds still outlast what they test: the 2 s election lease (a
	// pause), etcd's 1 s election timeout, and Twilio's 10 s request
	// timeout (a hang).
	"short": {name: "short", rate: 20, pre: time.Second, post: time.Second, drain: 8 * time.Second,
		hold: map[string]time.Duration{
			"kill": 3 * time.Second, "stop": 5 * time.Second, "quorum": 8 * time.Second,
			"restart": time.Second, "hang": 11 * time.Second, "fail": 5 * time.Second,
		}},
	"long": {name: "long", rate: 40, pre: 3 * time.Second, post: 5 * time.Second, drain: 20 * time.Second,
		hold: map[string]time.Duration{
			"kill": 5 * time.Second, "stop": 10 * time.Second, "quorum": 20 * time.Second,
			"restart": 2 * time.Second, "hang": 30 * time.Second, "fail": 20 * time.Second,
		}},
}

// Resume targets (DESIGN.md, issue 11).
const (
	pagerdResume = 3 * time.Second
	etcdResume   = 5 * time.Second
)

// fault is one kind of round.
type fault struct {
	name string
	what string
	hold string // key into mode.hold
	// target is the resume time asserted, 0 for none; fromStart: measured
	// from the fault's start (the cluster must heal on its own), else from
	// its end (nothing can page until then).
	target    time.Duration
	fromStart bool
	// blind: Twilio cannot be asked what was sent, so one duplicate of a
	// page is allowed (never two).
	blind bool
	// inject starts the fault and returns what ends it.
	inject func(ctx context.Context, c *cluster) (heal func(context.Context) error, err error)
}

func killPagerdLeader(ctx context.Context, c *cluster) (func(context.Context) error, error) {
	n, err := c.pagerdLeader(ctx)
	if err != nil {
		return nil, err
	}
	if err := n.kill(); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { return c.startPagerd(ctx, n) }, nil
}

func stopPagerdLeader(ctx context.Context, c *cluster) (func(context.Context) error, error) {
	n, err := c.pagerdLeader(ctx)
	if err != nil {
		return nil, err
	}
	if err := n.signal(syscall.SIGSTOP); err != nil {
		return nil, err
	}
	return func(context.Context) error { return n.signal(syscall.SIGCONT) }, nil
}

// etcdTarget picks the member a fault hits.
func etcdTarget(leader bool) func(ctx context.Context, c *cluster) (*etcdMember, error) {
	return func(ctx context.Context, c *cluster) (*etcdMember, error) {
		l, fs, err := c.etcdRoles(ctx)
		if err != nil {
			return nil, err
		}
		if leader {
			return l, nil
		}
		return fs[0], nil
	}
}

func killEtcd(pick func(context.Context, *cluster) (*etcdMember, error)) func(context.Context, *cluster) (func(context.Context) error, error) {
	return func(ctx context.Context, c *cluster) (func(context.Context) error, error) {
		m, err := pick(ctx, c)
		if err != nil {
			return nil, err
		}
		if err := m.kill(); err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return c.startEtcd(ctx, m) }, nil
	}
}

func stopEtcd(pick func(context.Context, *cluster) (*etcdMember, error)) func(context.Context, *cluster) (func(context.Context) error, error) {
	return func(ctx context.Context, c *cluster) (func(context.Context) error, error) {
		m, err := pick(ctx, c)
		if err != nil {
			return nil, err
		}
		if err := m.signal(syscall.SIGSTOP); err != nil {
			return nil, err
		}
		return func(context.Context) error { return m.signal(syscall.SIGCONT) }, nil
	}
}

var faultList = []fault{
	{name: "pagerd-leader-kill", what: "kill -9 the pagerd leader; restart it after the hold", hold: "kill",
		target: pagerdResume, fromStart: true, inject: killPagerdLeader},
	{name: "pagerd-leader-stop", what: "SIGSTOP the pagerd leader for the hold, then SIGCONT", hold: "stop",
		target: pagerdResume, fromStart: true, inject: stopPagerdLeader},
	{name: "etcd-leader-kill", what: "kill -9 the etcd leader; restart it after the hold", hold: "kill",
		target: etcdResume, fromStart: true, inject: killEtcd(etcdTarget(true))},
	{name: "etcd-leader-stop", what: "SIGSTOP the etcd leader for the hold, then SIGCONT", hold: "stop",
		target: etcdResume, fromStart: true, inject: stopEtcd(etcdTarget(true))},
	{name: "etcd-follower-kill", what: "kill -9 an etcd follower; restart it after the hold", hold: "kill",
		target: etcdResume, fromStart: true, inject: killEtcd(etcdTarget(false))},
	{name: "etcd-follower-stop", what: "SIGSTOP an etcd follower for the hold, then SIGCONT", hold: "stop",
		target: etcdResume, fromStart: true, inject: stopEtcd(etcdTarget(false))},
	{name: "etcd-quorum-loss", what: "kill -9 the etcd leader and a follower (no quorum); restart both after the hold", hold: "quorum",
		inject: func(ctx context.Context, c *cluster) (func(context.Context) error, error) {
			l, fs, err := c.etcdRoles(ctx)
			if err != nil {
				return nil, err
			}
			ms := []*etcdMember{l, fs[0]}
			for _, m := range ms {
				if err := m.kill(); err != nil {
					return nil, err
				}
			}
			return func(ctx context.Context) error { return c.startEtcd(ctx, ms...) }, nil
		}},
	{name: "full-restart", what: "kill -9 every pagerd and etcd process; start etcd, then pagerd", hold: "restart",
		inject: func(ctx context.Context, c *cluster) (func(context.Context) error, error) {
			var errs []error
			for _, n := range c.pagerd {
				errs = append(errs, n.kill())
			}
			for _, m := range c.etcd {
				errs = append(errs, m.kill())
			}
			if err := errors.Join(errs...); err != nil {
				return nil, err
			}
			return func(ctx context.Context) error {
				if err := c.startEtcd(ctx, c.etcd...); err != nil {
					return err
				}
				return c.startPagerd(ctx, c.pagerd...)
			}, nil
		}},
	{name: "twilio-hang", what: "Twilio holds every request until the hold ends, then accepts them all", hold: "hang",
		inject: func(_ context.Context, c *cluster) (func(context.Context) error, error) {
			c.twilio.hang()
			return func(context.Context) error { c.twilio.heal(); return nil }, nil
		}},
	{name: "twilio-hang-blind", what: "as twilio-hang, and the list API answers 500: one duplicate a page is allowed", hold: "hang",
		blind: true,
		inject: func(_ context.Context, c *cluster) (func(context.Context) error, error) {
			c.twilio.blindHang()
			return func(context.Context) error { c.twilio.heal(); return nil }, nil
		}},
	{name: "twilio-500", what: "Twilio answers 500 to every request for the hold", hold: "fail",
		inject: func(_ context.Context, c *cluster) (func(context.Context) error, error) {
			c.twilio.fail(http.StatusInternalServerError)
			return func(context.Context) error { c.twilio.heal(); return nil }, nil
		}},
	{name: "twilio-429", what: "Twilio answers 429 to every request for the hold", hold: "fail",
		inject: func(_ context.Context, c *cluster) (func(context.Context) error, error) {
			c.twilio.fail(http.StatusTooManyRequests)
			return func(context.Context) error { c.twilio.heal(); return nil }, nil
		}},
}

// roundReport is one row of the results.
type roundReport struct {
	Round      int
	Fault      fault
	Hold       time.Duration
	Load       loadStats
	Alerts     []accepted
	Start, End time.Time // the fault
	Err        string    // the round could not run as planned
	LostAlerts int       // 202, then not found by the API
	Unreadable int       // no node could say
	Stuck      int       // pages of the round's alerts still in the outbox at its end
	Unsent     int       // pages due and not delivered at the round's end
	Pages      pageCheck // at the end of the whole run
	Duration   time.Duration
}

func (r *roundReport) ref() time.Time {
	if r.Fault.fromStart {
		return r.Start
	}
	return r.End
}

// violations lists what the round got wrong against the suite's promises.
func (r *roundReport) violations() []string {
	var v []string
	add := func(n int, format string) {
		if n > 0 {
			v = append(v, fmt.Sprintf(format, n))
		}
	}
	if r.Err != "" {
		v = append(v, "round did not run as planned: "+r.Err)
	}
	add(r.LostAlerts, "%d accepted alert(s) lost")
	add(r.Unreadable, "%d accepted alert(s) could not be read from any node")
	add(r.Pages.Missing, "%d page(s) never sent")
	add(r.Stuck, "%d page(s) stuck in the outbox at the round's end")
	if r.Fault.blind {
		add(r.Pages.OverTwice, "%d page(s) sent three times or more with Twilio's list API down")
	} else {
		add(r.Pages.Duplicates, "%d duplicate page(s)")
	}
	add(r.Pages.Wrong, "%d page(s) to the wrong person")
	add(r.Pages.Unattributed, "%d message(s) naming no alert")
	add(r.Load.Lies503, "%d 503 answer(s) said nothing was accepted, but the alert was stored")
	add(r.Load.OtherErrors, "%d unexpected answer(s) to alerts")
	switch {
	case r.Fault.target == 0:
	case !r.Pages.Resumed:
		v = append(v, "pages never resumed")
	case r.Pages.Resume > r.Fault.target && *timingFlag != "report":
		v = append(v, fmt.Sprintf("pages resumed %s after the fault (target %s)", r.Pages.Resume.Round(100*time.Millisecond), r.Fault.target))
	}
	return v
}

// suite runs the rounds against one cluster.
type suite struct {
	t      *testing.T
	ctx    context.Context
	c      *cluster
	m      mode
	driver *loadDriver
	client *http.Client
}

func TestFaults(t *testing.T) {
	if *suiteFlag == "" {
		t.Skip("the fault-injection suite runs with -faults=short or -faults=long (docs/reliability.md)")
	}
	m, ok := modes[*suiteFlag]
	if !ok {
		t.Fatalf("-faults=%q: want short or long", *suiteFlag)
	}
	if *rateFlag > 0 {
		m.rate = *rateFlag
	}
	plan, err := planRounds(*onlyFlag, *roundsFlag)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	began := time.Now()
	t.Logf("machine: %d cores, load average %s, %s", runtime.NumCPU(), loadAvg(), began.UTC().Format(time.RFC3339))

	dir := t.TempDir()
	logDir := *logDirFlag
	if logDir == "" {
		logDir = filepath.Join(dir, "logs")
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	pagerdBin, etcdBin, err := buildBinaries(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built pagerd and etcdmember in %s; logs in %s", time.Since(began).Round(time.Second), logDir)

	fake := twiliotest.New(t)
	tf := &twilioFaults{latency: *latFlag}
	fake.Respond(tf.respond)
	fake.RespondList(tf.respondList)
	c, err := newCluster(dir, logDir, pagerdBin, etcdBin, fake, tf, *smsFlag)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if err := c.startEtcd(ctx, c.etcd...); err != nil {
		t.Fatal(err)
	}
	if err := c.startPagerdFirst(ctx); err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, n := range c.pagerd {
		addrs = append(addrs, n.addr)
	}
	s := &suite{t: t, ctx: ctx, c: c, m: m, driver: newLoadDriver(addrs, m.rate), client: &http.Client{Timeout: 5 * time.Second}}
	t.Logf("cluster up in %s: 3 etcd members, 3 pagerd nodes; %s mode, %d alerts/s, sms/voice interval %s, Twilio latency %s, %d round(s)",
		time.Since(began).Round(time.Second), m.name, m.rate, *smsFlag, *latFlag, len(plan))

	var reports []*roundReport
	for i, f := range plan {
		r := s.round(i+1, f)
		reports = append(reports, r)
		t.Logf("round %d %s (%s): %d accepted (%d given up by the sender), %d lost, %d unreadable; at its end %d page(s) unsent, %d of them in the outbox%s",
			r.Round, f.name, r.Duration.Round(time.Second), len(r.Alerts), r.Load.GaveUp, r.LostAlerts, r.Unreadable,
			r.Unsent, r.Stuck, strings.TrimSuffix("; "+r.Err, "; "))
	}

	// The whole run's verdict: every round's alerts against everything
	// the fake Twilio received, so a duplicate sent rounds later counts.
	left := s.finalDrain(reports)
	if err := dumpRequests(filepath.Join(logDir, "twilio-requests.jsonl"), fake.Requests()); err != nil {
		t.Error(err)
	}
	dels := deliveries(fake.Requests(), c.people)
	for _, r := range reports {
		r.Pages = checkPages(r.Alerts, dels, rotaSteps, r.ref())
	}
	table := resultsTable(reports, m, began, left, *smsFlag, *latFlag) +
		fmt.Sprintf("List requests the fake Twilio answered (reconciliation): %d\n", len(fake.Queries()))
	t.Log("\n" + table)
	if *reportFlag != "" {
		if err := os.WriteFile(*reportFlag, []byte(table), 0o644); err != nil {
			t.Error(err)
		}
	}
	if left > 0 {
		t.Errorf("%d page(s) still in the outbox at the end of the run", left)
	}
	for _, r := range reports {
		for _, v := range r.violations() {
			t.Errorf("round %d %s: %s", r.Round, r.Fault.name, v)
		}
		for _, e := range r.Pages.Examples {
			t.Logf("round %d %s: e.g. %s", r.Round, r.Fault.name, e)
		}
		if r.Pages.Resumed {
			t.Logf("round %d %s: fault %s-%s; longest wait: %s", r.Round, r.Fault.name,
				r.Start.Format("15:04:05.000"), r.End.Format("15:04:05.000"), r.Pages.Worst)
		}
	}
}

func planRounds(only string, rounds int) ([]fault, error) {
	faults := faultList
	if only != "" {
		faults = nil
		for _, name := range strings.Split(only, ",") {
			i := slices.IndexFunc(faultList, func(f fault) bool { return f.name == strings.TrimSpace(name) })
			if i < 0 {
				var names []string
				for _, f := range faultList {
					names = append(names, f.name)
				}
				return nil, fmt.Errorf("-only: no fault %q (have %s)", name, strings.Join(names, ", "))
			}
			faults = append(faults, faultList[i])
		}
	}
	if rounds <= 0 {
		rounds = len(faults)
	}
	plan := make([]fault, rounds)
	for i := range plan {
		plan[i] = faults[i%len(faults)]
	}
	return plan, nil
}

// round runs one fault under load and checks what it can at its end.
func (s *suite) round(n int, f fault) *roundReport {
	began := time.Now()
	r := &roundReport{Round: n, Fault: f, Hold: s.m.hold[f.hold]}
	defer func() { r.Duration = time.Since(began) }()
	// Start from a whole cluster: everything running and ready.
	if err := s.c.startPagerd(s.ctx, s.notRunningPagerd()...); err != nil {
		r.Err = "cluster not ready before the fault: " + err.Error()
	} else if err := s.c.ready(s.ctx, s.c.pagerd...); err != nil {
		r.Err = "cluster not ready before the fault: " + err.Error()
	}

	lctx, stopLoad := context.WithCancel(s.ctx)
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		s.driver.run(lctx, fmt.Sprintf("r%02d-%s", n, f.name))
	}()
	sleep(s.ctx, s.m.pre)
	r.Start = time.Now()
	heal, err := f.inject(s.ctx, s.c)
	if err != nil {
		r.Err = "inject: " + err.Error()
		heal = func(context.Context) error { return nil }
	}
	var frozen []string // pagerd nodes paused by the fault
	for _, n := range s.c.pagerd {
		if n.isPaused() {
			frozen = append(frozen, n.addr)
		}
	}
	sleep(s.ctx, r.Hold)
	r.End = time.Now()
	if err := heal(s.ctx); err != nil {
		r.Err = strings.TrimPrefix(r.Err+"; ", "; ") + "heal: " + err.Error()
	}
	sleep(s.ctx, s.m.post)
	stopLoad()
	<-loadDone
	s.driver.wait()
	r.Alerts, r.Load = s.driver.take()
	for i, a := range r.Alerts {
		for _, addr := range frozen {
			if slices.Contains(a.Tried, addr) {
				r.Alerts[i].NotBefore = r.End
			}
		}
	}

	// Wait for every page the round's alerts are due, or until the drain
	// time past the last one; what is missing then is stuck.
	var last time.Time
	for _, a := range r.Alerts {
		last = maxTime(last, a.At)
	}
	deadline := last.Add(rotaSteps[len(rotaSteps)-1].After + s.m.drain)
	ids := map[int64]bool{}
	for _, a := range r.Alerts {
		ids[a.ID] = true
	}
	var pc pageCheck
	var inOutbox int
	for {
		pc = checkPages(r.Alerts, deliveries(s.c.fake.Requests(), s.c.people), rotaSteps, r.ref())
		box, err := s.c.outbox(s.ctx)
		inOutbox = 0
		for id, pages := range box {
			if ids[id] {
				inOutbox += len(pages)
			}
		}
		if err == nil && pc.Missing == 0 && inOutbox == 0 && s.c.fake.Held() == 0 {
			break
		}
		if time.Now().After(deadline) {
			r.Stuck, r.Unsent = inOutbox, pc.Missing
			if err != nil {
				r.Err = strings.TrimPrefix(r.Err+"; ", "; ") + "outbox unreadable at the round's end: " + err.Error()
			}
			break
		}
		sleep(s.ctx, 250*time.Millisecond)
	}
	// What the engine says about a few of the problems, for whoever
	// investigates them.
	for _, id := range pc.MissingIDs {
		s.t.Logf("round %d %s: alert %d is missing a page; its timeline ends: %s", n, f.name, id, s.timeline(id, 8))
	}
	for _, id := range pc.DupIDs {
		s.t.Logf("round %d %s: alert %d was paged twice; its timeline ends: %s", n, f.name, id, s.timeline(id, 8))
	}
	r.LostAlerts, r.Unreadable = s.checkStored(r.Alerts)
	return r
}

func (s *suite) notRunningPagerd() []*pagerdNode {
	var out []*pagerdNode
	for _, n := range s.c.pagerd {
		if !n.running() {
			out = append(out, n)
		}
	}
	return out
}

// checkStored asks the API for every accepted alert, on any node that
// answers, noting when it was created; then it resolves it, so that
// nothing of it is due in later rounds (a call an hour on) and etcd holds
// what a real cluster would.
func (s *suite) checkStored(alerts []accepted) (lost, unreadable int) {
	var mu sync.Mutex
	unresolved := 0
	s.each(alerts, func(i int, a accepted) {
		defer func() {
			if !s.resolve(i, a) {
				mu.Lock()
				unresolved++
				mu.Unlock()
			}
		}()
		var last error
		for try := 0; try < 2*len(s.c.pagerd); try++ {
			addr := s.c.pagerd[(i+try)%len(s.c.pagerd)].addr
			resp, err := s.client.Get(fmt.Sprintf("http://%s/api/v1/alerts/%d", addr, a.ID))
			if err != nil {
				last = err
				continue
			}
			var got struct {
				DedupKey  string    `json:"dedup_key"`
				CreatedAt time.Time `json:"created_at"`
			}
			err = json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusNotFound:
				mu.Lock()
				lost++
				mu.Unlock()
				s.t.Logf("accepted alert %d (%s, 202 from %s) is not there", a.ID, a.Key, a.Node)
				return
			case resp.StatusCode != http.StatusOK || err != nil:
				last = fmt.Errorf("status %d, %v", resp.StatusCode, err)
				continue
			case got.DedupKey != a.Key:
				mu.Lock()
				lost++
				mu.Unlock()
				s.t.Logf("accepted alert %d (%s) holds dedup key %q", a.ID, a.Key, got.DedupKey)
				return
			}
			alerts[i].Created = got.CreatedAt
			return
		}
		mu.Lock()
		unreadable++
		mu.Unlock()
		s.t.Logf("alert %d (%s): no node answered: %v", a.ID, a.Key, last)
	})
	if unresolved > 0 {
		s.t.Logf("%d alert(s) could not be resolved after their round", unresolved)
	}
	return lost, unreadable
}

// timeline is the last entries of an alert's timeline, from any node.
func (s *suite) timeline(id int64, last int) string {
	for _, n := range s.c.pagerd {
		resp, err := s.client.Get(fmt.Sprintf("http://%s/api/v1/alerts/%d", n.addr, id))
		if err != nil {
			continue
		}
		var a struct {
			Timeline []struct {
				At         time.Time
				Kind, Text string
			} `json:"timeline"`
		}
		err = json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			continue
		}
		var out []string
		for _, e := range a.Timeline[max(0, len(a.Timeline)-last):] {
			out = append(out, fmt.Sprintf("%s %s: %s", e.At.Format("15:04:05.000"), e.Kind, e.Text))
		}
		return strings.Join(out, " | ")
	}
	return "(no node answered)"
}

// resolve closes an alert, trying each node in turn.
func (s *suite) resolve(i int, a accepted) bool {
	for try := 0; try < 2*len(s.c.pagerd); try++ {
		addr := s.c.pagerd[(i+try)%len(s.c.pagerd)].addr
		resp, err := s.client.Post(fmt.Sprintf("http://%s/api/v1/alerts/%d/resolve", addr, a.ID), "application/json", strings.NewReader(`{"by":"fault-suite"}`))
		if err != nil {
			continue
		}
		resp.Body.Close()
		// 409: already resolved, by an earlier try whose answer was lost.
		if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusConflict {
			return true
		}
	}
	return false
}

// each runs fn over alerts on 16 workers.
func (s *suite) each(alerts []accepted, fn func(int, accepted)) {
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				fn(i, alerts[i])
			}
		}()
	}
	for i := range alerts {
		work <- i
	}
	close(work)
	wg.Wait()
}

// finalDrain waits a little for the outbox to empty and returns how many
// pages are left in it.
func (s *suite) finalDrain(reports []*roundReport) int {
	left := -1
	err := waitUntil(s.ctx, s.m.drain, "an empty outbox", func() error {
		box, err := s.c.outbox(s.ctx)
		if err != nil {
			return err
		}
		left = 0
		for _, pages := range box {
			left += len(pages)
		}
		if left > 0 || s.c.fake.Held() > 0 {
			return fmt.Errorf("%d page(s) in the outbox", left)
		}
		return nil
	})
	if err != nil {
		s.t.Logf("end of run: %v", err)
	}
	return max(left, 0)
}

func resultsTable(reports []*roundReport, m mode, began time.Time, left int, interval, latency time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s run, %d alerts/s, sms/voice interval %s, Twilio latency %s; %d cores, load average %s at the end; %s, took %s\n\n",
		m.name, m.rate, interval, latency, runtime.NumCPU(), loadAvg(), began.UTC().Format("2006-01-02 15:04 MST"), time.Since(began).Round(time.Second))
	tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	row := func(cells ...any) {
		for _, c := range cells {
			fmt.Fprintf(tw, "| %v\t", c)
		}
		fmt.Fprintln(tw, "|")
	}
	row("round", "fault", "hold", "accepted", "lost", "stuck", "never sent", "duplicates", "resume (target)", "max 1st page", "max step late", "calls", "slowest 202", "503s (lied)", "timeouts")
	row("---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---", "---")
	var tot roundReport
	for _, r := range reports {
		resume := "none"
		if r.Pages.Resumed {
			resume = r.Pages.Resume.Round(100 * time.Millisecond).String()
		}
		if r.Fault.target > 0 {
			resume += " (" + r.Fault.target.String() + ")"
		} else {
			resume += " (after end)"
		}
		var slowest time.Duration
		for _, a := range r.Alerts {
			slowest = max(slowest, a.At.Sub(a.First))
		}
		row(r.Round, r.Fault.name, r.Hold, len(r.Alerts), r.LostAlerts+r.Unreadable, r.Stuck, r.Pages.Missing,
			r.Pages.Duplicates+r.Pages.Wrong, resume, r.Pages.MaxFirst.Round(100*time.Millisecond),
			r.Pages.MaxLate.Round(100*time.Millisecond), r.Pages.Calls, slowest.Round(100*time.Millisecond),
			fmt.Sprintf("%d (%d)", r.Load.Answers503, r.Load.Lies503), r.Load.Timeouts)
		tot.Alerts = append(tot.Alerts, r.Alerts...)
		tot.LostAlerts += r.LostAlerts + r.Unreadable
		tot.Stuck += r.Stuck
		tot.Pages.Missing += r.Pages.Missing
		tot.Pages.Duplicates += r.Pages.Duplicates + r.Pages.Wrong
		tot.Pages.Calls += r.Pages.Calls
		tot.Load.Answers503 += r.Load.Answers503
		tot.Load.Lies503 += r.Load.Lies503
		tot.Load.Timeouts += r.Load.Timeouts
	}
	row("all", "", "", len(tot.Alerts), tot.LostAlerts, tot.Stuck, tot.Pages.Missing, tot.Pages.Duplicates, "", "", "", tot.Pages.Calls, "",
		fmt.Sprintf("%d (%d)", tot.Load.Answers503, tot.Load.Lies503), tot.Load.Timeouts)
	tw.Flush()
	fmt.Fprintf(&b, "\nPages left in the outbox at the end: %d\n", left)
	return b.String()
}

// dumpRequests writes what the fake Twilio received, one JSON object a
// line, beside the processes' logs.
func dumpRequests(path string, reqs []twiliotest.Request) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, r := range reqs {
		r.Form = nil
		if err := enc.Encode(r); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return f.Close()
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// sleep is the scenario's schedule (load before a fault, a fault's
// hold), not a wait for something to happen.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
