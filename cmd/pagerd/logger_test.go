package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"
)

// Finding 11: durations are logged as text with their unit, not as
// nanoseconds; and the level is a setting.
func TestLoggerDurationsAndLevel(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, slog.LevelInfo)
	log.Debug("hidden")
	log.Warn("imap session ended; reconnecting", "in", 22312863223*time.Nanosecond)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("one JSON line expected (debug hidden at info): %v\n%s", err, buf.String())
	}
	if rec["in"] != "22.312863223s" {
		t.Errorf(`"in" = %#v, want "22.312863223s"`, rec["in"])
	}
	buf.Reset()
	newLogger(&buf, slog.LevelDebug).Debug("shown")
	if !bytes.Contains(buf.Bytes(), []byte(`"msg":"shown"`)) {
		t.Errorf("debug not logged at level debug: %s", buf.String())
	}
}
