package main

import (
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
