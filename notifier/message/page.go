package message

import (
	"strconv"
	"time"
)

// Page is the SMS of one page about alerts, oldest first: the newest
// speaks for the bundle and carries late (>0: the page went out late, as
// when no leader was elected for a while). It is Compose with that rule.
func Page(alerts []Alert, late time.Duration) string {
	if len(alerts) > 0 {
		alerts = append([]Alert(nil), alerts...)
		alerts[len(alerts)-1].Late = late
	}
	return Compose(alerts)
}

// Call is what a voice page about a says before its menu; bundled is how
// many alerts the call is about (a included), and more than one says so
// first:
//
//	You have 3 alerts. The latest: pagerd alert 4 4 for team search. Index is stale.
func Call(a Alert, bundled int) string {
	s := Announce(a)
	if bundled > 1 {
		s = "You have " + strconv.Itoa(bundled) + " alerts. The latest: " + s
	}
	return s
}
