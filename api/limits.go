package api

import (
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// intakeLimits is a token bucket per sender (an integration key, or an
// operator naming teams): rate alerts a second, burst at once. A request
// takes a token per alert, all or none, so a refused request stores
// nothing and an accepted one is never cut short.
type intakeLimits struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	senders map[string]*rate.Limiter // only senders that authenticated: bounded by the keys and operators configured
}

func newIntakeLimits(perSecond float64, burst int) *intakeLimits {
	if perSecond <= 0 {
		return nil // no limit
	}
	return &intakeLimits{rate: rate.Limit(perSecond), burst: max(burst, 1), senders: map[string]*rate.Limiter{}}
}

// rateLimitedError is a request refused because a sender's bucket is
// empty: 429, with Retry-After.
type rateLimitedError struct {
	after time.Duration
	msg   string
}

func (e *rateLimitedError) Error() string { return e.msg }

// RetryAfter is the Retry-After header's value: whole seconds, at least 1.
func (e *rateLimitedError) RetryAfter() string {
	return fmt.Sprint(max(1, int(math.Ceil(e.after.Seconds()))))
}

// take takes n[sender] tokens from each sender's bucket at now, or none
// at all: a *rateLimitedError says when the request would fit. A request
// of more alerts than the burst takes the whole burst, so a batch the
// format allows can always get through a full bucket.
func (l *intakeLimits) take(now time.Time, n map[string]int) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var taken []*rate.Reservation
	for sender, k := range n {
		lim, ok := l.senders[sender]
		if !ok {
			lim = rate.NewLimiter(l.rate, l.burst)
			l.senders[sender] = lim
		}
		r := lim.ReserveN(now, min(k, l.burst))
		if d := r.DelayFrom(now); !r.OK() || d > 0 {
			r.CancelAt(now)
			for _, t := range taken {
				t.CancelAt(now)
			}
			return &rateLimitedError{after: d, msg: fmt.Sprintf(
				"too many alerts: this key may send %g a second, %d at once; nothing of this request was stored: retry after %s",
				float64(l.rate), l.burst, d.Round(time.Millisecond))}
		}
		taken = append(taken, r)
	}
	return nil
}
