package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/rotafile"
)

// oncallAPI serves GET /api/v1/oncall on the example rota.
func oncallAPI(t *testing.T) string {
	t.Helper()
	r, _, err := rotafile.LoadDir("../../configs/example")
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cur := &inforce.Current{}
	cur.Set(inforce.New(r, 1, quiet))
	s := &api.Server{Rota: cur, Clock: clock.NewFake(fixedNow()), Log: quiet}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

func decodeRows(t *testing.T, what, data string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := json.Unmarshal([]byte(data), &rows); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, data)
	}
	return rows
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Issue 18, findings 3 and 4: who --json, GET /api/v1/oncall and shifts
// --json write on-call rows in one shape (role, person, shadow, reverse,
// source, note, since, until), and a role nobody holds is a row with a
// null person, source and bounds in both who and the API.
func TestOnCallRowsAreOneShape(t *testing.T) {
	t.Parallel()
	base := oncallAPI(t)
	apiRows := func(team, at string) []map[string]any {
		resp, err := http.Get(base + "/api/v1/oncall?" + url.Values{"team": {team}, "at": {at}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			OnCall []map[string]any `json:"oncall"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET oncall: %d %v", resp.StatusCode, err)
		}
		return out.OnCall
	}
	want := []string{"note", "person", "reverse", "role", "shadow", "since", "source", "team", "until"}

	// data's reverse shadow and payments' override and shadow, at one instant.
	for _, team := range []string{"data", "payments"} {
		at := "2026-11-24T20:00:00Z"
		code, out, errs := runCLI("who", "../../configs/example", "--team", team, "--at", at, "--json")
		if code != 0 {
			t.Fatalf("who: %d %s", code, errs)
		}
		cli, srv := decodeRows(t, "who --json", out), apiRows(team, at)
		if !reflect.DeepEqual(cli, srv) {
			t.Errorf("%s: who --json and the API differ:\nwho: %v\napi: %v", team, cli, srv)
		}
		for _, r := range cli {
			if got := keysOf(r); !slices.Equal(got, want) {
				t.Errorf("row keys %v, want %v", got, want)
			}
			if r["role"] != "primary" && r["role"] != "secondary" {
				t.Errorf("role %q is not a plain role name", r["role"])
			}
		}
	}
	code, out, _ := runCLI("who", "../../configs/example", "--team", "data", "--at", "2026-11-24T20:00:00Z", "--json")
	if code != 0 {
		t.Fatal(code)
	}
	var reverse map[string]any
	for _, r := range decodeRows(t, "who", out) {
		if r["person"] == "olivia" {
			reverse = r
		}
	}
	if reverse == nil || reverse["shadow"] != true || reverse["reverse"] != true || reverse["source"] != "shadow" {
		t.Errorf("olivia's reverse shadow row: %v", reverse)
	}

	// Before platform's rotations start, nobody holds its roles.
	before := "2026-10-01T12:00:00Z"
	code, out, errs := runCLI("who", "../../configs/example", "--team", "platform", "--at", before, "--json")
	if code != 0 {
		t.Fatalf("who: %d %s", code, errs)
	}
	cli, srv := decodeRows(t, "who --json", out), apiRows("platform", before)
	if !reflect.DeepEqual(cli, srv) || len(cli) != 2 {
		t.Fatalf("nobody rows differ:\nwho: %v\napi: %v", cli, srv)
	}
	for _, r := range cli {
		if got := keysOf(r); !slices.Equal(got, want) {
			t.Errorf("nobody row keys %v, want %v", got, want)
		}
		if r["person"] != nil || r["source"] != nil || r["since"] != nil || r["until"] != nil {
			t.Errorf("nobody row %v: want null person, source, since and until", r)
		}
	}

	code, out, _ = runCLI("shifts", "../../configs/example", "--team", "payments", "--from", "2026-11-23", "--to", "2026-12-01", "--json")
	if code != 0 {
		t.Fatal(code)
	}
	shifts := decodeRows(t, "shifts --json", out)
	if len(shifts) == 0 {
		t.Fatal("no shifts")
	}
	for _, r := range shifts {
		if got := keysOf(r); !slices.Equal(got, want) {
			t.Errorf("shift keys %v, want %v", got, want)
		}
	}
	// The same override in shifts and who, in the same words.
	code, out, _ = runCLI("who", "../../configs/example", "--team", "payments", "--at", "2026-11-24T20:00:00Z", "--json")
	if code != 0 {
		t.Fatal(code)
	}
	if who := decodeRows(t, "who", out); !reflect.DeepEqual(who[0], shifts[2]) {
		t.Errorf("bob's override: who %v, shifts %v", who[0], shifts[2])
	}
}

// alertAPI is the API on a real embedded etcd and the example rota.
func alertAPI(t *testing.T) string {
	t.Helper()
	return testenv.New(t, "../../configs/example", nil).Serve(t)
}

// Issue 18, finding 7: pagerd alerts says when it shows fewer than match,
// takes --limit N and --all, and shows times with a date and a zone.
func TestAlertsCLIPagesAndShowsDatesAndZones(t *testing.T) {
	t.Parallel()
	base := alertAPI(t)
	for i := range 5 {
		resp, err := http.Post(base+"/api/v1/alerts", "application/json", strings.NewReader(fmt.Sprintf(`{"team":"payments","summary":"s%d","dedup_key":"k%d"}`, i, i)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	count := func(args ...string) (int, string, string) {
		t.Helper()
		code, out, errs := runCLI(append([]string{"alerts", "--server", base}, args...)...)
		if code != 0 {
			t.Fatalf("pagerd alerts %v: %d %s", args, code, errs)
		}
		return strings.Count(out, "payments"), out, errs
	}
	n, out, errs := count("--limit", "2")
	if n != 2 || !strings.Contains(errs, "showing the newest 2; more match") {
		t.Errorf("--limit 2: %d rows, stderr %q\n%s", n, errs, out)
	}
	// A date, a time and a zone abbreviation, in the reader's (local) zone.
	when := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z+-][A-Za-z0-9+-]*`)
	if !when.MatchString(out) {
		t.Errorf("no date, time and zone in:\n%s", out)
	}
	if n, _, errs := count("--all"); n != 5 || errs != "" {
		t.Errorf("--all: %d rows, stderr %q", n, errs)
	}
	if n, _, errs := count("--limit", "5"); n != 5 || errs != "" {
		t.Errorf("--limit 5 of 5: %d rows, stderr %q", n, errs)
	}
	code, out, errs := runCLI("alert", "--server", base, "1")
	if code != 0 {
		t.Fatalf("pagerd alert 1: %d %s", code, errs)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		if !when.MatchString(l) {
			t.Errorf("timeline line without date and zone: %q", l)
		}
	}
}
