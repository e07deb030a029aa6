//go:build linux

package faults

import (
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/pagerd/pagerd/notifier/twilio"
	"github.com/pagerd/pagerd/notifier/twilio/twiliotest"
)

// twilioFaults programs the fake Twilio: answering after latency (the real
// API takes a few hundred milliseconds, and a send in flight when a leader
// dies is the case that matters), holding every request until the hang
// ends (then accepting it, as Twilio does with a request whose answer was
// lost), or failing with a status.
type twilioFaults struct {
	latency time.Duration

	mu     sync.Mutex
	hold   chan struct{} // non-nil while hanging
	status int           // non-zero while failing
	blind  bool          // the list API fails too: nobody can ask what was sent
}

// respondList answers the list API: 500 while blind.
func (tf *twilioFaults) respondList(twiliotest.Query) twiliotest.Response {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if tf.blind {
		return twiliotest.Response{Status: http.StatusInternalServerError}
	}
	return twiliotest.Response{}
}

// blindHang hangs creates and fails lists.
func (tf *twilioFaults) blindHang() {
	tf.hang()
	tf.mu.Lock()
	tf.blind = true
	tf.mu.Unlock()
}

func (tf *twilioFaults) respond(twiliotest.Request, int) twiliotest.Response {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	switch {
	case tf.hold != nil:
		return twiliotest.Response{Hold: tf.hold}
	case tf.status != 0:
		return twiliotest.Response{Status: tf.status}
	case tf.latency > 0:
		done := make(chan struct{})
		time.AfterFunc(tf.latency, func() { close(done) })
		return twiliotest.Response{Hold: done}
	}
	return twiliotest.Response{}
}

func (tf *twilioFaults) hang() {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if tf.hold == nil {
		tf.hold = make(chan struct{})
	}
}

func (tf *twilioFaults) fail(status int) {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	tf.status = status
}

// heal ends any fault; held requests go on and are accepted.
func (tf *twilioFaults) heal() {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if tf.hold != nil {
		close(tf.hold)
		tf.hold = nil
	}
	tf.status = 0
	tf.blind = false
}

// delivery is one message or call the fake Twilio accepted: what a phone
// received.
type delivery struct {
	Alerts []int64 // the alerts it covers (several for a bundle)
	Person string
	Kind   string    // sms or voice
	SID    string    // the message or call SID
	At     time.Time // when the request arrived
}

// deliveries turns the fake's record into what people received. The alert
// ids come from the status callback URL pagerd gives with every message
// and call (alert=, and alerts= for a bundle): the suite's privileged view.
// Twilio's list API shows no callback URL, so the engine must match on
// something else.
func deliveries(reqs []twiliotest.Request, people map[string]string) []delivery {
	var out []delivery
	for _, r := range reqs {
		if r.SID == "" {
			continue // refused, failed, or never answered: nothing went out
		}
		d := delivery{Person: people[r.To], Kind: r.Kind, SID: r.SID, At: r.Time}
		if d.Person == "" {
			d.Person = "unknown " + r.To
		}
		// Read as pagerd reads its own callbacks: one parser for both.
		if u, err := url.Parse(r.StatusCallback); err == nil {
			if cb, err := twilio.ParseCallback(u.Query()); err == nil {
				d.Alerts = cb.Alerts
				if len(d.Alerts) == 0 {
					d.Alerts = []int64{cb.AlertID}
				}
			}
		}
		out = append(out, d)
	}
	return out
}
