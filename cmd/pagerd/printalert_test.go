package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/timefmt"
)

// A timeline line names who acted once: "resolved by email", not
// "resolved by email (email)"; a line that doesn't name them gets them
// in brackets.
func TestTimelineNamesTheActorOnce(t *testing.T) {
	at := timefmt.Of(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	var out bytes.Buffer
	printAlert(&out, api.Alert{ID: 7, Timeline: []api.Entry{
		{At: at, Kind: "resolved", By: "email", Text: "resolved by email"},
		{At: at, Kind: "note", By: "rita", Text: "looking at it"},
	}})
	got := out.String()
	if strings.Contains(got, "resolved by email (email)") || !strings.Contains(got, "resolved by email") {
		t.Errorf("the resolve line repeats or drops its actor:\n%s", got)
	}
	if !strings.Contains(got, "looking at it (rita)") {
		t.Errorf("a line that doesn't name its actor lost them:\n%s", got)
	}
}
