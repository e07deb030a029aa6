package alerts

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Reasons an intake refuses alerts: each a label of
// pagerd_intake_rejected_total, with the source.
const (
	RejectBadRequest      = "bad_request"     // the payload is not what the format says (400)
	RejectUnauthorized    = "unauthorized"    // no or an unknown integration key or token (401)
	RejectForbidden       = "forbidden"       // a token whose role may not raise alerts (403)
	RejectTooLarge        = "too_large"       // the body is over the size limit (413)
	RejectTooMany         = "too_many"        // more alerts in one request than the cap (413)
	RejectRateLimited     = "rate_limited"    // the key's token bucket is empty (429)
	RejectUnauthenticated = "unauthenticated" // a mail whose route requires DKIM, SPF or DMARC, without it
)

// RejectReasons and Sources are every label value, so the metric starts
// at zero for each and a rate works before the first rejection.
var (
	RejectReasons = []string{RejectBadRequest, RejectUnauthorized, RejectForbidden, RejectTooLarge, RejectTooMany, RejectRateLimited, RejectUnauthenticated}
	Sources       = []string{SourceAPI, SourceAlertmanager, SourcePagerDuty, SourceEmail}
	// Outcomes are what Received hears an event came to.
	Outcomes = []string{"created", "deduplicated", "folded", "ignored", "acknowledged", "resolved"}
)

// rejectLog keeps the WARN log of rejections to a trickle: a flood of
// refused requests is one line a second (after a burst), each saying how
// many were left out since the last.
type rejectLog struct {
	mu         sync.Mutex
	lim        *rate.Limiter
	suppressed int
}

// allow reports whether a line may be logged at now, and how many were
// suppressed before it.
func (l *rejectLog) allow(now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lim == nil {
		l.lim = rate.NewLimiter(1, 10)
	}
	if !l.lim.AllowN(now, 1) {
		l.suppressed++
		return false, 0
	}
	n := l.suppressed
	l.suppressed = 0
	return true, n
}

// Reject records an intake refused for reason: counted (Rejected), and
// logged at WARN with why (what the sender was told) and attrs (the ids it
// concerns), at most about once a second however many arrive.
func (s *Service) Reject(source, reason, why string, attrs ...any) {
	if s.Rejected != nil {
		s.Rejected(source, reason)
	}
	ok, suppressed := s.rejectLog.allow(s.now())
	if !ok {
		return
	}
	attrs = append([]any{"source", source, "reason", reason, "why", why}, attrs...)
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	s.log().Warn("intake rejected", attrs...)
}
