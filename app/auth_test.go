package app

import (
	"context"
	"strings"
	"testing"
)

// --insecure-no-auth is a choice pagerd reminds of at every start, at
// WARN.
func TestInsecureNoAuthWarnsAtEveryStart(t *testing.T) {
	t.Parallel()
	c := Defaults()
	c.RotaDir = writeRotaDir(t)
	c.DataDir = t.TempDir()
	c.Listen = "127.0.0.1:0"
	c.Node = "open"
	c.InsecureNoAuth = true
	logger, logs := newLog()
	for start := 1; start <= 2; start++ {
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- Run(ctx, c, logger, &Hooks{Ready: func(string) { stop() }}) }()
		if err := <-done; err != nil {
			t.Fatalf("start %d: %v", start, err)
		}
		stop()
		var warned int
		for _, l := range logs.lines() {
			if msg, _ := l["msg"].(string); l["level"] == "WARN" && strings.HasPrefix(msg, "--insecure-no-auth") {
				warned++
			}
		}
		if warned != start {
			t.Errorf("after %d starts, %d warnings about --insecure-no-auth", start, warned)
		}
	}
}
