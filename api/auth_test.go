package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/store"
)

// Tokens of the test operators: each 16 characters or more.
const (
	readerToken    = "reader-token-0123456789"
	responderToken = "responder-token-0123456789"
	adminToken     = "admin-token-0123456789"
)

func testOperators() []Operator {
	return []Operator{
		NewOperator("rita", RoleReadOnly, readerToken),
		NewOperator("rob", RoleResponder, responderToken),
		NewOperator("ada", RoleAdmin, adminToken),
	}
}

// call makes one request with token (none if "") and returns the status
// and the body.
func call(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Each door of the operator API asks for a role: read-only reads,
// responders act on alerts, admins take snapshots and correct the ledger.
// No token, or a wrong one, is 401; a token whose role is too weak, 403.
func TestOperatorRoles(t *testing.T) {
	t.Parallel()
	_, _, hs := newServerWith(t, func(s *Server) {
		s.Operators = testOperators()
		s.CalendarSecret = []byte("calendar-secret")
	})
	code, body := call(t, "POST", hs.URL+"/api/v1/alerts", responderToken, `{"team":"payments","summary":"checkout failing"}`)
	if code != 202 {
		t.Fatalf("a responder raising an alert by team: %d %s", code, body)
	}
	correction := `{"team":"payments","role":"primary","person":"bob","from":"2026-11-28 12:00","to":"2026-11-29 00:00","reason":"swapped"}`
	for _, tc := range []struct {
		method, path, body string
		want               map[string]int // token -> status
	}{
		{"GET", "/api/v1/alerts", "", map[string]int{"": 401, "wrong-token-0123456789": 401, readerToken: 200, responderToken: 200, adminToken: 200}},
		{"GET", "/api/v1/oncall", "", map[string]int{"": 401, readerToken: 200}},
		{"GET", "/api/v1/reports/oncall?from=2026-11-01&to=2026-11-02", "", map[string]int{"": 401, readerToken: 200}},
		{"POST", "/api/v1/alerts/1/ack", "", map[string]int{"": 401, readerToken: 403, responderToken: 200}},
		{"POST", "/api/v1/alerts", `{"team":"payments","summary":"named by a reader"}`, map[string]int{"": 401, readerToken: 403}},
		{"GET", "/api/v1/admin/snapshot", "", map[string]int{"": 401, readerToken: 403, responderToken: 403, adminToken: 200}},
		{"GET", "/api/v1/calendar-urls", "", map[string]int{"": 401, responderToken: 403, adminToken: 200}},
		{"POST", "/api/v1/ledger/corrections", correction, map[string]int{"": 401, readerToken: 403, responderToken: 403, adminToken: 201}},
	} {
		for token, want := range tc.want {
			if code, body := call(t, tc.method, hs.URL+tc.path, token, tc.body); code != want {
				t.Errorf("%s %s with token %q: %d, want %d: %s", tc.method, tc.path, token, code, want, body)
			}
		}
	}
}

// The actor on the timeline and in the ledger is the operator the token
// names, never what the body says.
func TestActorIsTheAuthenticatedOperator(t *testing.T) {
	t.Parallel()
	_, st, hs := newServerWith(t, func(s *Server) { s.Operators = testOperators() })
	ctx := context.Background()
	code, body := call(t, "POST", hs.URL+"/api/v1/alerts", responderToken, `{"team":"payments","summary":"checkout failing"}`)
	if code != 202 {
		t.Fatalf("%d %s", code, body)
	}
	var res struct{ Alerts []alerts.Result }
	json.Unmarshal([]byte(body), &res)
	id := res.Alerts[0].AlertID
	if code, body := call(t, "POST", hs.URL+"/api/v1/alerts/"+itoa(id)+"/ack", responderToken, `{"by":"mallory"}`); code != 200 {
		t.Fatalf("ack: %d %s", code, body)
	}
	a, err := st.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Esc.AckedBy != "rob" {
		t.Errorf("acked by %q, want rob (the token's operator)", a.Esc.AckedBy)
	}
	for _, e := range a.Timeline {
		if strings.Contains(e.By+e.Text, "mallory") {
			t.Errorf("the body's by reached the timeline: %+v", e)
		}
	}
	code, body = call(t, "POST", hs.URL+"/api/v1/ledger/corrections", adminToken,
		`{"team":"payments","role":"primary","person":"bob","from":"2026-11-28 12:00","to":"2026-11-29 00:00","reason":"swapped","by":"mallory"}`)
	if code != 201 {
		t.Fatalf("correction: %d %s", code, body)
	}
	var got Correction
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.By != "ada" {
		t.Errorf("correction recorded as by %q, want ada", got.By)
	}
	_, fixes, err := st.Ledger(context.Background(), time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(fixes) != 1 || fixes[0].Correction == nil || fixes[0].Correction.By != "ada" {
		t.Errorf("the ledger holds %+v, want one correction by ada", fixes)
	}
}

// The single --api-token-file token is an admin named api-token; with no
// token at all (loopback only) the actor is anonymous, whatever the body
// says.
func TestSharedTokenAndNoToken(t *testing.T) {
	t.Parallel()
	_, st, hs := newServerWith(t, func(s *Server) { s.APIToken = "shared" })
	if code, _ := call(t, "GET", hs.URL+"/api/v1/alerts", "", ""); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, body := call(t, "GET", hs.URL+"/api/v1/admin/snapshot", "shared", ""); code != 200 {
		t.Errorf("the shared token taking a snapshot: %d %s", code, body)
	}
	checkAckedBy(t, hs.URL, "shared", st, SharedTokenName)
	_, st2, open := newServer(t)
	checkAckedBy(t, open.URL, "", st2, Anonymous)
}

func checkAckedBy(t *testing.T, base, token string, st *store.Store, want string) {
	t.Helper()
	code, body := call(t, "POST", base+"/api/v1/alerts", token, `{"team":"payments","summary":"x"}`)
	if code != 202 {
		t.Fatalf("%d %s", code, body)
	}
	var res struct{ Alerts []alerts.Result }
	json.Unmarshal([]byte(body), &res)
	id := res.Alerts[0].AlertID
	if code, body := call(t, "POST", base+"/api/v1/alerts/"+itoa(id)+"/ack", token, `{"by":"mallory"}`); code != 200 {
		t.Fatalf("ack: %d %s", code, body)
	}
	a, err := st.Get(context.Background(), id)
	if err != nil || a.Esc.AckedBy != want {
		t.Errorf("acked by %q (%v), want %q", a.Esc.AckedBy, err, want)
	}
}

func TestParseOperators(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte(responderToken))
	good := "- {name: rita, role: read-only, token: " + readerToken + "}\n" +
		"- {name: rob, role: responder, token_sha256: " + hex.EncodeToString(sum[:]) + "}\n" +
		"- name: ada\n  role: admin\n  token: " + adminToken + "\n"
	ops, err := ParseOperators([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	a := auth{ops: ops}
	for token, want := range map[string]string{readerToken: "rita", responderToken: "rob", adminToken: "ada"} {
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		if op, ok := a.who(r); !ok || op.Name != want {
			t.Errorf("token of %s: %+v %v", want, op, ok)
		}
	}
	const secret = "a-secret-token-not-to-be-echoed"
	for _, tc := range []struct{ file, want string }{
		{"", "names no operator"},
		{"[]", "names no operator"},
		{"- {name: Rita, role: admin, token: " + secret + "}", `name "Rita"`},
		{"- {name: rita, role: boss, token: " + secret + "}", `role "boss"`},
		{"- {name: rita, role: admin}", "exactly one of token or token_sha256"},
		{"- {name: rita, role: admin, token: " + secret + ", token_sha256: " + hex.EncodeToString(sum[:]) + "}", "exactly one"},
		{"- {name: rita, role: admin, token: short}", "shorter than 16"},
		{"- {name: rita, role: admin, token_sha256: abc}", "not 64 hex digits"},
		{"- {name: rita, role: admin, token: " + secret + "}\n- {name: rita, role: admin, token: other-" + secret + "}", "name is taken"},
		{"- {name: api-token, role: admin, token: " + secret + "}", "name is taken"},
		{"- {name: rita, role: admin, token: " + secret + "}\n- {name: rob, role: admin, token: " + secret + "}", "same token as rita"},
		{"- {name: rita, role: admin, password: " + secret + "}", "password"},
	} {
		_, err := ParseOperators([]byte(tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error saying %q", tc.file, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%q: the error quotes the token: %v", tc.file, err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A ledger correction names someone of the team over the window, and a
// window of at most 31 days, unless forced (and then it says so).
func TestCorrectionsAreChecked(t *testing.T) {
	t.Parallel()
	_, _, hs := newServerWith(t, func(s *Server) { s.Operators = testOperators() })
	correct := func(person, from, to string, force bool) (int, store.Held, string) {
		t.Helper()
		body, _ := json.Marshal(CorrectionRequest{Team: "payments", Role: "primary", Person: person, From: from, To: to, Reason: "covered", Force: force})
		code, out := call(t, "POST", hs.URL+"/api/v1/ledger/corrections", adminToken, string(body))
		var h store.Held
		json.Unmarshal([]byte(out), &h)
		return code, h, out
	}
	for _, tc := range []struct {
		person, from, to string
		force            bool
		want             int
		says             string
	}{
		{"bob", "2026-11-28 12:00", "2026-11-29 00:00", false, 201, ""},
		{"grace", "2026-11-27 12:00", "2026-11-27 13:00", false, 400, "grace is not in team payments's rotations"}, // platform's
		{"nobody", "2026-11-26 12:00", "2026-11-26 13:00", false, 400, `no person \"nobody\"`},
		{"erin", "2026-11-20 12:00", "2026-11-21 00:00", false, 201, ""},                             // shadowing then
		{"erin", "2026-11-03 12:00", "2026-11-04 00:00", false, 400, "erin is not in team payments"}, // before she joined
		{"erin", "2026-12-20 12:00", "2026-12-21 00:00", false, 201, ""},                             // a member since 14 Dec
		{"alice", "2026-11-02 09:00", "2026-12-03 09:00", false, 201, ""},                            // 31 days exactly
		{"alice", "2027-01-04 09:00", "2036-01-04 09:00", false, 400, "at most 31 days"},
		{"alice", "2027-01-04 09:00", "2027-03-04 09:00", true, 201, `"forced": true`},
		{"grace", "2026-11-27 12:00", "2026-11-27 13:00", true, 201, `"forced": true`},
	} {
		code, _, out := correct(tc.person, tc.from, tc.to, tc.force)
		if code != tc.want || !strings.Contains(out, tc.says) {
			t.Errorf("%s %s..%s force=%v: %d %s; want %d saying %q", tc.person, tc.from, tc.to, tc.force, code, out, tc.want, tc.says)
		}
	}
}
