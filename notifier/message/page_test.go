package message

import (
	"strings"
	"testing"
	"time"
)

func TestPageMarksTheNewestLate(t *testing.T) {
	alerts := []Alert{{ID: 42, Team: "payments", Summary: "Checkout errors"}, {ID: 43, Team: "payments", Summary: "DB lag"}}
	got := Page(alerts, 4*time.Minute)
	if want := Compose([]Alert{alerts[0], {ID: 43, Team: "payments", Summary: "DB lag", Late: 4 * time.Minute}}); got != want {
		t.Errorf("Page = %q, want %q", got, want)
	}
	if !strings.Contains(got, "4m late") {
		t.Errorf("Page doesn't say it is late: %q", got)
	}
	if alerts[1].Late != 0 {
		t.Error("Page changed its argument")
	}
	if got := Page(alerts[:1], 0); got != Compose(alerts[:1]) {
		t.Errorf("on time: %q", got)
	}
	if got := Page(nil, time.Minute); got != "" {
		t.Errorf("no alerts: %q", got)
	}
}

func TestCall(t *testing.T) {
	a := Alert{ID: 44, Team: "search", Summary: "Index is stale"}
	if got, want := Call(a, 0), Announce(a); got != want {
		t.Errorf("one alert: %q, want %q", got, want)
	}
	if got, want := Call(a, 1), Announce(a); got != want {
		t.Errorf("a bundle of one: %q, want %q", got, want)
	}
	if got, want := Call(a, 3), "You have 3 alerts. The latest: pagerd alert 4 4 for team search. Index is stale."; got != want {
		t.Errorf("three alerts: %q, want %q", got, want)
	}
}
