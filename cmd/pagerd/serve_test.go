package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeRefusesABrokenRotaWithNothingToFallBackOn(t *testing.T) {
	var out, errb strings.Builder
	code := run([]string{"serve", "--config", "../../rotafile/testdata/broken", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0"}, &out, &errb, timeNow)
	if code != 1 || !strings.Contains(errb.String(), "no valid rota") || !strings.Contains(errb.String(), `member \"carl\" is not a person`) {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
}

func TestServeConfigErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--sms-interval", "30"},                        // no unit
		{"serve", "--daemon-config", "/nonexistent/pagerd.yaml"}, // no such file
		{"serve", "extra"},                                       // the rota directory goes after --config
	} {
		var out, errb strings.Builder
		if code := run(args, &out, &errb, timeNow); code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", args, code, errb.String())
		}
	}
	var out, errb strings.Builder
	if code := run([]string{"serve", "-h"}, &out, &errb, timeNow); code != 2 ||
		!strings.Contains(errb.String(), "--sms-interval D") || !strings.Contains(errb.String(), "(default 30s)") ||
		!strings.Contains(errb.String(), "--daemon-config") {
		t.Errorf("serve -h: exit %d\n%s", code, errb.String())
	}
}

// pagerd serve on an address other machines reach, without a token, exits
// non-zero before opening anything, with the reason on one line; so does
// an empty token file.
func TestServeRefusesToRunOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := filepath.Join(dir, "api-token")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "0.0.0.0:18080"}, "--listen 0.0.0.0:18080 is reachable from other machines and no API token is set"},
		{[]string{"--listen", ":18080"}, "no API token is set"},
		{[]string{"--listen", "127.0.0.1:0", "--api-token-file", empty}, "is empty"},
	} {
		var out, errb strings.Builder
		args := append([]string{"serve", "--config", "../../configs/example", "--data-dir", filepath.Join(dir, "data")}, tc.args...)
		code := run(args, &out, &errb, timeNow)
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		if code == 0 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%q: exit %d, want non-zero saying %q:\n%s", tc.args, code, tc.want, errb.String())
		}
		if code == 2 && len(lines) != 1 {
			t.Errorf("%q: the reason is %d lines:\n%s", tc.args, len(lines), errb.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Errorf("a refused serve created its data directory (%v)", err)
	}
}
