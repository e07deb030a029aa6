//go:build linux

package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// accepted is an alert pagerd answered 202 for.
type accepted struct {
	Key   string
	ID    int64
	Node  string    // the node that answered 202
	First time.Time // when the sender first tried
	Sent  time.Time // when the request that got the 202 was sent
	At    time.Time // when the 202 arrived
	// Created is when pagerd stored it (its created_at, read back from
	// the API after the round; the same clock, the same machine): when the
	// first page falls due.
	Created time.Time
	// Tried lists the nodes the sender tried, in order. NotBefore: a node
	// it tried was paused, so the alert may have been stored only when that
	// node resumed; no page of it is due before then.
	Tried     []string
	NotBefore time.Time
	Outcome   string // created, or deduplicated when an earlier try had stored it
	Tries     int
	// What earlier tries of the same dedup key were answered with.
	After503, AfterTimeout bool
	// Lied503: a 503 said "nothing was accepted", and a retry found the
	// alert stored.
	Lied503 bool
}

// loadStats counts what senders saw.
type loadStats struct {
	Sent, Accepted, GaveUp  int
	Answers503, Timeouts    int
	ConnErrors, OtherErrors int
	Lies503                 int
}

// loadDriver sends alerts at a fixed rate, round-robin over the pagerd
// nodes, each with its own dedup key, retrying 503s, timeouts and refused
// connections with the same dedup key on the next node, as a real sender
// (Alertmanager, a script with retries) would.
type loadDriver struct {
	nodes    []string // host:port
	rate     int      // alerts per second
	retryFor time.Duration
	client   *http.Client

	mu       sync.Mutex
	accepted []accepted
	stats    loadStats
	wg       sync.WaitGroup
}

func newLoadDriver(nodes []string, rate int) *loadDriver {
	return &loadDriver{
		nodes: nodes, rate: rate, retryFor: 30 * time.Second,
		// A sender's timeout: long enough for a healthy pagerd, short
		// enough that a stalled one is retried elsewhere.
		client: &http.Client{Timeout: 5 * time.Second},
	}
}

// run sends alerts with keys prefix-1, prefix-2, ... until ctx ends. It
// is open loop: a slow answer does not slow the sending.
func (d *loadDriver) run(ctx context.Context, prefix string) {
	tick := time.NewTicker(time.Second / time.Duration(d.rate))
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		key := fmt.Sprintf("%s-%d", prefix, n)
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.send(key, n%len(d.nodes))
		}()
	}
}

// wait waits for every send, retries included, to finish.
func (d *loadDriver) wait() { d.wg.Wait() }

// take returns the alerts accepted so far and forgets them, with the
// counts, and resets the counts.
func (d *loadDriver) take() ([]accepted, loadStats) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, s := d.accepted, d.stats
	d.accepted, d.stats = nil, loadStats{}
	return a, s
}

func (d *loadDriver) count(f func(*loadStats)) {
	d.mu.Lock()
	f(&d.stats)
	d.mu.Unlock()
}

func (d *loadDriver) send(key string, node int) {
	d.count(func(s *loadStats) { s.Sent++ })
	body := fmt.Sprintf(`{"team":"core","summary":"fault load %s","dedup_key":%q}`, key, key)
	first := time.Now()
	a := accepted{Key: key, First: first}
	for try := 0; ; try++ {
		if try > 0 {
			if time.Since(first) > d.retryFor {
				d.count(func(s *loadStats) { s.GaveUp++ })
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		addr := d.nodes[(node+try)%len(d.nodes)]
		a.Tries = try + 1
		a.Tried = append(a.Tried, addr)
		sent := time.Now()
		status, res, errText, err := d.post(addr, body)
		switch {
		case status == http.StatusAccepted && err != nil:
			d.count(func(s *loadStats) { s.OtherErrors++ })
			return
		case err != nil && isTimeout(err):
			a.AfterTimeout = true
			d.count(func(s *loadStats) { s.Timeouts++ })
			continue
		case err != nil:
			d.count(func(s *loadStats) { s.ConnErrors++ })
			continue
		case status == http.StatusServiceUnavailable:
			if strings.Contains(errText, "nothing was accepted") {
				a.After503 = true
			}
			d.count(func(s *loadStats) { s.Answers503++ })
			continue
		case status != http.StatusAccepted:
			// Not a fault the suite causes: a bug in the request or the
			// API. Counted, and the test reports it.
			d.count(func(s *loadStats) { s.OtherErrors++ })
			return
		}
		a.ID, a.Outcome, a.Node, a.Sent, a.At = res.AlertID, res.Status, addr, sent, time.Now()
		// Keys are never reused, so "deduplicated" means an earlier try
		// stored the alert.
		a.Lied503 = a.After503 && a.Outcome == "deduplicated"
		d.mu.Lock()
		d.accepted = append(d.accepted, a)
		d.stats.Accepted++
		if a.Lied503 {
			d.stats.Lies503++
		}
		d.mu.Unlock()
		return
	}
}

type result struct {
	Status  string `json:"status"`
	AlertID int64  `json:"alert_id"`
}

// post sends one alert; errText is the body of an error answer.
func (d *loadDriver) post(addr, body string) (int, result, string, error) {
	resp, err := d.client.Post("http://"+addr+"/api/v1/alerts", "application/json", strings.NewReader(body))
	if err != nil {
		return 0, result{}, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, result{}, "", err
	}
	if resp.StatusCode != http.StatusAccepted {
		return resp.StatusCode, result{}, string(data), nil
	}
	var out struct{ Alerts []result }
	if err := json.Unmarshal(data, &out); err != nil || len(out.Alerts) != 1 {
		return resp.StatusCode, result{}, "", fmt.Errorf("202 with a body that isn't one alert: %q (%v)", data, err)
	}
	return resp.StatusCode, out.Alerts[0], "", nil
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
