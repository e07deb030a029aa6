package instant

import (
	"testing"
	"time"
)

func TestEarlierLaterClamp(t *testing.T) {
	a := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
	b := a.Add(time.Hour)
	if Earlier(a, b) != a || Earlier(b, a) != a || Later(a, b) != b || Later(b, a) != b {
		t.Fatal("Earlier/Later pick the wrong instant")
	}
	// Equal instants in different zones: the first argument wins, so a
	// caller's zone is kept.
	lon, _ := time.LoadLocation("Europe/London")
	if got := Earlier(a.In(lon), a); got.Location() != lon {
		t.Errorf("Earlier of equal instants gave %v, want the first", got.Location())
	}
	if Clamp(a.Add(-time.Hour), a, b) != a || Clamp(b.Add(time.Hour), a, b) != b || Clamp(a.Add(time.Minute), a, b) != a.Add(time.Minute) {
		t.Error("Clamp")
	}
}
