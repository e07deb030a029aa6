package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary stand in for the pagerd binary: the crash
// and failover tests start it as a child process with PAGERD_CHILD=1.
func TestMain(m *testing.M) {
	if os.Getenv("PAGERD_CHILD") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, timeNow))
	}
	os.Exit(m.Run())
}
