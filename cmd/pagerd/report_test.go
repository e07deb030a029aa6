package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apipkg "github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/store"
)

// TestReportAndCorrectionFromTheCLI writes ledger entries to a real
// (embedded) etcd, serves the API, and reads the pay report with the CLI
// in each format, then corrects the ledger with it.
func TestReportAndCorrectionFromTheCLI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, api := inProcessAPI(t)
	// alice held payments' primary all of Saturday 28 Nov 2026 (London,
	// GMT): 24h of weekend standby at 4.00 = 96.00.
	sat := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	held := []store.Held{{Team: "payments", Role: "primary", Person: "alice", Start: sat, End: sat.Add(24 * time.Hour), Source: "rotation", RotaRev: 1, RecordedAt: sat}}
	if err := st.RecordHeld(ctx, nil, "payments", held, store.LedgerCursor{Upto: sat.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// carol is an admin: corrections are hers to make, and she is named
	// on them by her token, not by a flag.
	const token = "carol-token-0123456789"
	api.Operators = []apipkg.Operator{apipkg.NewOperator("carol", apipkg.RoleAdmin, token)}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()

	report := func(format string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run([]string{"report", "--server", srv.URL, "--token-file", tokenFile, "--from", "2026-11-28", "--to", "2026-11-29", "--team", "payments", "--format", format}, &out, &errb, timeNow); code != 0 {
			t.Fatalf("report --format %s: exit %d: %s", format, code, errb.String())
		}
		return out.String()
	}
	if csv := report("csv"); csv != "person,team,kind,class,minutes,amount,currency\nalice,payments,standby,weekend,1440,96.00,GBP\n" {
		t.Errorf("csv:\n%s", csv)
	}
	if table := report("table"); !strings.Contains(table, "24:00") || !strings.Contains(table, "96.00 GBP") || !strings.Contains(table, "total alice: 96.00 GBP") {
		t.Errorf("table:\n%s", table)
	}
	if js := report("json"); !strings.Contains(js, `"amount_minor": 9600`) {
		t.Errorf("json:\n%s", js)
	}

	// bob really covered the afternoon.
	var out, errb bytes.Buffer
	if code := run([]string{"ledger", "correct", "--server", srv.URL, "--token-file", tokenFile, "--team", "payments", "--role", "primary", "--person", "bob",
		"--from", "2026-11-28 12:00", "--to", "2026-11-29 00:00", "--reason", "swapped the afternoon"}, &out, &errb, timeNow); code != 0 {
		t.Fatalf("ledger correct: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "by carol") {
		t.Errorf("ledger correct: %s", out.String())
	}
	if csv := report("csv"); !strings.Contains(csv, "alice,payments,standby,weekend,720,48.00,GBP") || !strings.Contains(csv, "bob,payments,standby,weekend,720,48.00,GBP") {
		t.Errorf("after the correction:\n%s", csv)
	}
	// A correction says who and why, or it isn't taken.
	if code := run([]string{"ledger", "correct", "--server", srv.URL, "--token-file", tokenFile, "--team", "payments", "--role", "primary", "--person", "bob",
		"--from", "2026-11-28 01:00", "--to", "2026-11-28 02:00"}, &out, &errb, timeNow); code != 1 || !strings.Contains(errb.String(), "reason") {
		t.Errorf("a correction without a reason: exit %d: %s", code, errb.String())
	}
	// Without the token: refused.
	if code := run([]string{"ledger", "correct", "--server", srv.URL, "--team", "payments", "--role", "primary", "--person", "bob",
		"--from", "2026-11-28 01:00", "--to", "2026-11-28 02:00", "--reason", "x"}, &out, &errb, timeNow); code != 1 || !strings.Contains(errb.String(), "API token") {
		t.Errorf("a correction without a token: exit %d: %s", code, errb.String())
	}
	if code := run([]string{"report", "--server", srv.URL, "--token-file", tokenFile, "--from", "2026-11-28"}, &out, &errb, timeNow); code != 2 {
		t.Errorf("report without --to: exit %d", code)
	}
}
