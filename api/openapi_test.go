package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/metrics"
	"github.com/pagerd/pagerd/notifier/twilio"
	"github.com/pagerd/pagerd/notifier/twilio/twiliotest"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
)

const (
	testToken  = "operator-token"
	openapiKey = "payments-integration-key"
	twilioURL  = "https://pagerd.example.com"
)

// fullServer is the whole API as serve runs it: a real embedded etcd, the
// example rota (payments' integration key in a file), the API token,
// metrics, calendars and Twilio's webhooks.
func fullServer(t *testing.T, withRota bool) *httptest.Server {
	t.Helper()
	hs, _ := fullServerStore(t, withRota)
	return hs
}

// fullServerStore is fullServer with its store, for a test to change
// what the server sees (retire an alert).
func fullServerStore(t *testing.T, withRota bool) (*httptest.Server, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cur := &inforce.Current{}
	if withRota {
		files, err := rotafile.ReadDir("../configs/example")
		if err != nil {
			t.Fatal(err)
		}
		keyFile := filepath.Join(t.TempDir(), "payments.key")
		if err := os.WriteFile(keyFile, []byte(openapiKey), 0o600); err != nil {
			t.Fatal(err)
		}
		for i := range files {
			files[i].Data = bytes.ReplaceAll(files[i].Data, []byte("key_env: PAYMENTS_INTEGRATION_KEY"), []byte("key_file: "+keyFile))
		}
		r, diags := rotafile.Load(files)
		if err := diags.Err(); err != nil {
			t.Fatal(err)
		}
		cur.Set(inforce.New(r, 1, quiet))
	}
	fake := twiliotest.New(t)
	tw, err := twilio.New(twilio.Config{AccountSID: twiliotest.AccountSID, AuthToken: twiliotest.AuthToken,
		SMSFrom: "+15005550006", PublicURL: twilioURL, HTTPClient: fake.Client()})
	if err != nil {
		t.Fatal(err)
	}
	svc := &alerts.Service{Store: st, Rota: cur, Clock: clock.Real{}, Log: quiet}
	s := &Server{Store: st, Alerts: svc, Rota: cur, Clock: clock.Real{}, Log: quiet, APIToken: testToken,
		Ready: func(context.Context) []Check { return []Check{{Name: "etcd", OK: true, State: "ok", Required: true}} }, Metrics: metrics.New().Handler(),
		CalendarSecret: []byte("calendar secret"), Twilio: tw}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return hs, st
}

// apiCall is one request of the OpenAPI test.
type apiCall struct {
	op     string // the operationId it exercises
	method string
	path   string
	body   string
	header map[string]string
	want   int
	// bad: the request breaks the document on purpose (to get a 4xx), so
	// only the response is validated.
	bad bool
	// before, if set, runs first (to retire an alert).
	before func(t *testing.T)
}

func bearerH() map[string]string { return map[string]string{"Authorization": "Bearer " + testToken} }

func jsonH() map[string]string {
	return map[string]string{"Authorization": "Bearer " + testToken, "Content-Type": "application/json"}
}

// twilioH signs a webhook the way Twilio does.
func twilioH(pathAndQuery string, form url.Values) map[string]string {
	return map[string]string{"Content-Type": "application/x-www-form-urlencoded",
		twilio.SignatureHeader: twiliotest.Sign(twiliotest.AuthToken, twilioURL+pathAndQuery, form)}
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../ingest/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOpenAPIDocumentIsTrue validates real answers of a running server,
// for every operation in api/openapi.json, against the document, with
// libopenapi-validator (OpenAPI 3.1, JSON Schema 2020-12).
func TestOpenAPIDocumentIsTrue(t *testing.T) {
	t.Parallel()
	doc, err := libopenapi.NewDocument([]byte(OpenAPI))
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("the document: %s: %s", e.Message, e.Reason)
		}
		t.FailNow()
	}

	hs, st := fullServerStore(t, true)
	retire := func(t *testing.T) {
		// Alert 1 was resolved by the calls before: retired, it shows
		// as its summary, with where its timeline went.
		keep := store.Keep{Archive: 24 * time.Hour, History: 48 * time.Hour}
		if _, err := st.Retire(context.Background(), 1, time.Now(), keep); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	}
	sms := url.Values{"From": {"+447700900001"}, "To": {"+15005550006"}, "Body": {"2a"}}
	gather := url.Values{"To": {"+447700900001"}, "Digits": {"2"}}
	status := url.Values{"To": {"+447700900001"}, "MessageSid": {"SM0123"}, "MessageStatus": {"delivered"}}
	calToken := CalendarToken([]byte("calendar secret"), "team/payments")
	pd := strings.Replace(testdata(t, "pagerduty_trigger.json"), "R015NLPBR2J4ZQW9SKHMV1XEYXK6K3C7", openapiKey, 1)
	big := `{"team": "payments", "summary": "` + strings.Repeat("x", 1<<20) + `"}`
	calls := []apiCall{
		{op: "healthz", method: "GET", path: "/healthz", want: 200},
		{op: "readyz", method: "GET", path: "/readyz", want: 200},
		{op: "readyz", method: "GET", path: "/readyz?verbose", want: 200},
		{op: "metrics", method: "GET", path: "/metrics", want: 200},
		{op: "openapi", method: "GET", path: "/api/v1/openapi.json", want: 200},
		{op: "postAlerts", method: "POST", path: "/api/v1/alerts", body: `{"team": "payments", "summary": "Checkout error rate above 5%", "dedup_key": "checkout"}`, header: jsonH(), want: 202},
		{op: "postAlerts", method: "POST", path: "/api/v1/alerts", body: `[{"team": "payments", "summary": "a", "dedup_key": "a", "severity": "warning", "links": ["https://example.com/a"]}, {"team": "payments", "summary": "b", "details": {"x": 1}}]`, header: jsonH(), want: 202},
		{op: "postAlerts", method: "POST", path: "/api/v1/alerts", body: `{"team": "payments", "summary": "checkout", "dedup_key": "checkout"}`, header: jsonH(), want: 202},
		{op: "postAlerts", method: "POST", path: "/api/v1/alerts", body: `{"team": "payments", "sumary": "typo"}`, header: jsonH(), want: 400, bad: true},
		{op: "postAlerts", method: "POST", path: "/api/v1/alerts", body: `{"team": "payments", "summary": "no token"}`, header: map[string]string{"Content-Type": "application/json"}, want: 401, bad: true},
		{op: "postAlerts", method: "POST", path: "/api/v1/alerts", body: big, header: jsonH(), want: 413, bad: true},
		{op: "postAlertmanager", method: "POST", path: "/api/v1/integrations/alertmanager?key=" + openapiKey, body: testdata(t, "alertmanager_firing.json"), header: map[string]string{"Content-Type": "application/json"}, want: 202},
		{op: "postAlertmanager", method: "POST", path: "/api/v1/integrations/alertmanager?key=nope", body: testdata(t, "alertmanager_firing.json"), header: map[string]string{"Content-Type": "application/json"}, want: 401},
		{op: "postPagerDuty", method: "POST", path: "/api/v1/integrations/pagerduty", body: pd, header: map[string]string{"Content-Type": "application/json"}, want: 202},
		{op: "postPagerDuty", method: "POST", path: "/api/v1/integrations/pagerduty", body: `{"event_action": "trigger"}`, header: map[string]string{"Content-Type": "application/json"}, want: 400},
		{op: "listAlerts", method: "GET", path: "/api/v1/alerts?state=all", header: bearerH(), want: 200},
		{op: "listAlerts", method: "GET", path: "/api/v1/alerts?limit=1", header: bearerH(), want: 200},
		{op: "listAlerts", method: "GET", path: "/api/v1/alerts?state=bogus", header: bearerH(), want: 400, bad: true},
		{op: "listAlerts", method: "GET", path: "/api/v1/alerts", want: 401, bad: true},
		{op: "getAlert", method: "GET", path: "/api/v1/alerts/1", header: bearerH(), want: 200},
		{op: "getAlert", method: "GET", path: "/api/v1/alerts/1?format=markdown", header: bearerH(), want: 200},
		{op: "getAlert", method: "GET", path: "/api/v1/alerts/1?format=pdf", header: bearerH(), want: 400, bad: true},
		{op: "getAlert", method: "GET", path: "/api/v1/alerts/x1", header: bearerH(), want: 400, bad: true},
		{op: "postDrill", method: "POST", path: "/api/v1/drills", body: `{"team": "payments", "role": "primary"}`, header: jsonH(), want: 201},
		{op: "postDrill", method: "POST", path: "/api/v1/drills", body: `{"team": "payments", "role": "nope"}`, header: jsonH(), want: 404},
		{op: "postDrill", method: "POST", path: "/api/v1/drills", body: `{"role": "primary"}`, header: jsonH(), want: 400, bad: true},
		{op: "pageTeam", method: "POST", path: "/api/v1/alerts/1/page", body: `{"team": "platform"}`, header: jsonH(), want: 201},
		{op: "pageTeam", method: "POST", path: "/api/v1/alerts/1/page", body: `{"team": "platform"}`, header: jsonH(), want: 200},
		{op: "pageTeam", method: "POST", path: "/api/v1/alerts/1/page", body: `{"team": "nope"}`, header: jsonH(), want: 404},
		{op: "declareMajor", method: "POST", path: "/api/v1/alerts/1/major", header: bearerH(), want: 400},
		{op: "directory", method: "GET", path: "/api/v1/directory", header: bearerH(), want: 200},
		{op: "getAlert", method: "GET", path: "/api/v1/alerts/999999", header: bearerH(), want: 404},
		{op: "actOnAlert", method: "POST", path: "/api/v1/alerts/1/ack", body: `{"by": "alice"}`, header: jsonH(), want: 200},
		{op: "actOnAlert", method: "POST", path: "/api/v1/alerts/1/ack", body: `{"by": "alice"}`, header: jsonH(), want: 409},
		{op: "actOnAlert", method: "POST", path: "/api/v1/alerts/1/escalate", header: bearerH(), want: 200},
		{op: "actOnAlert", method: "POST", path: "/api/v1/alerts/1/resolve", body: `{"by": "alice"}`, header: jsonH(), want: 200},
		{op: "actOnAlert", method: "POST", path: "/api/v1/alerts/1/frob", header: bearerH(), want: 404, bad: true},
		{op: "actOnAlert", method: "POST", path: "/api/v1/alerts/1/ack", body: `{"who": "alice"}`, header: jsonH(), want: 400, bad: true},
		{op: "getAlert", method: "GET", path: "/api/v1/alerts/1", header: bearerH(), want: 200, before: retire},
		{op: "listAlerts", method: "GET", path: "/api/v1/alerts?state=resolved", header: bearerH(), want: 200},
		{op: "listHistory", method: "GET", path: "/api/v1/history", header: bearerH(), want: 200},
		{op: "listHistory", method: "GET", path: "/api/v1/history?from=2026-01-01&to=2099-01-01&team=payments&limit=1", header: bearerH(), want: 200},
		{op: "listHistory", method: "GET", path: "/api/v1/history?from=yesterday", header: bearerH(), want: 400},
		{op: "searchArchive", method: "GET", path: "/api/v1/archive?id=1", header: bearerH(), want: 200},
		{op: "searchArchive", method: "GET", path: "/api/v1/archive?text=checkout&from=2026-01-01&to=2099-01-01", header: bearerH(), want: 200},
		{op: "searchArchive", method: "GET", path: "/api/v1/archive?id=2", header: bearerH(), want: 404},
		{op: "onCall", method: "GET", path: "/api/v1/oncall", header: bearerH(), want: 200},
		{op: "onCall", method: "GET", path: "/api/v1/oncall?team=platform&at=2026-10-01", header: bearerH(), want: 200},
		{op: "onCall", method: "GET", path: "/api/v1/oncall?team=nope", header: bearerH(), want: 404},
		{op: "onCall", method: "GET", path: "/api/v1/oncall?at=soonish", header: bearerH(), want: 400},
		{op: "payReport", method: "GET", path: "/api/v1/reports/oncall?from=2026-01-01&to=2027-01-01&team=payments", header: bearerH(), want: 200},
		{op: "payReport", method: "GET", path: "/api/v1/reports/oncall?from=2026-01-01&to=2027-01-01&format=csv", header: bearerH(), want: 200},
		{op: "payReport", method: "GET", path: "/api/v1/reports/oncall?to=2027-01-01", header: bearerH(), want: 400, bad: true},
		{op: "payReport", method: "GET", path: "/api/v1/reports/oncall?from=2026-01-01&to=2027-01-01&team=nope", header: bearerH(), want: 404},
		{op: "healthReport", method: "GET", path: "/api/v1/reports/health?from=2026-01-01&to=2027-01-01&team=payments", header: bearerH(), want: 200},
		{op: "healthReport", method: "GET", path: "/api/v1/reports/health?from=2026-01-01&to=2027-01-01&format=csv", header: bearerH(), want: 200},
		{op: "healthReport", method: "GET", path: "/api/v1/reports/health?to=2027-01-01", header: bearerH(), want: 400, bad: true},
		{op: "healthReport", method: "GET", path: "/api/v1/reports/health?from=2026-01-01&to=2027-01-01&person=nobody", header: bearerH(), want: 404},
		{op: "correctLedger", method: "POST", path: "/api/v1/ledger/corrections", body: `{"team": "payments", "role": "primary", "person": "bob", "from": "2026-12-06", "to": "2026-12-07", "by": "carol", "reason": "swap"}`, header: jsonH(), want: 201},
		{op: "correctLedger", method: "POST", path: "/api/v1/ledger/corrections", body: `{"team": "payments", "role": "primary", "from": "2026-12-06", "to": "2026-12-07", "by": "carol"}`, header: jsonH(), want: 400, bad: true},
		{op: "correctLedger", method: "POST", path: "/api/v1/ledger/corrections", body: `{"team": "payments", "person": "bob", "from": "2026-12-06", "by": "carol", "reason": "took the late start as overtime", "toil_minutes": -120}`, header: jsonH(), want: 201},
		{op: "correctLedger", method: "POST", path: "/api/v1/ledger/corrections", body: `{"team": "payments", "person": "bob", "from": "2026-12-06", "by": "carol", "reason": "too much", "toil_minutes": 100000}`, header: jsonH(), want: 400},
		{op: "snapshot", method: "GET", path: "/api/v1/admin/snapshot", header: bearerH(), want: 200},
		{op: "calendarURLs", method: "GET", path: "/api/v1/calendar-urls", header: bearerH(), want: 200},
		{op: "calendarFeed", method: "GET", path: "/api/v1/calendar/team/payments.ics?token=" + calToken, want: 200},
		{op: "calendarFeed", method: "GET", path: "/api/v1/calendar/team/payments.ics?token=0123", want: 404},
		{op: "twilioSMS", method: "POST", path: "/twilio/sms", body: sms.Encode(), header: twilioH("/twilio/sms", sms), want: 200},
		{op: "twilioSMS", method: "POST", path: "/twilio/sms", body: sms.Encode(), header: twilioH("/twilio/sms", url.Values{}), want: 403},
		{op: "twilioGather", method: "POST", path: "/twilio/voice/gather?alert=2&page=p1", body: gather.Encode(), header: twilioH("/twilio/voice/gather?alert=2&page=p1", gather), want: 200},
		{op: "twilioStatus", method: "POST", path: "/twilio/status?alert=2&page=p1", body: status.Encode(), header: twilioH("/twilio/status?alert=2&page=p1", status), want: 204},
	}
	covered := map[string]bool{}
	for i, c := range calls {
		t.Run(fmt.Sprintf("%02d_%s_%d", i, c.op, c.want), func(t *testing.T) {
			if checkCall(t, v, hs.URL, c) {
				covered[c.op] = true
			}
		})
	}

	// Without a rota: 503, in the shape the document gives.
	bare := fullServer(t, false)
	for _, c := range []apiCall{
		{op: "onCall", method: "GET", path: "/api/v1/oncall", header: bearerH(), want: 503},
		{op: "postAlerts", method: "POST", path: "/api/v1/alerts", body: `{"team": "payments", "summary": "s"}`, header: jsonH(), want: 503},
	} {
		t.Run("no_rota_"+c.op, func(t *testing.T) { checkCall(t, v, bare.URL, c) })
	}

	var spec struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(OpenAPI), &spec); err != nil {
		t.Fatal(err)
	}
	var missing []string
	for path, ops := range spec.Paths {
		for method, op := range ops {
			if !covered[op.OperationID] {
				missing = append(missing, strings.ToUpper(method)+" "+path)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("operations no call checked: %v", missing)
	}
}

// checkCall sends c, checks its status, and validates the request and the
// response against the document. It reports whether all was well.
func checkCall(t *testing.T, v validator.Validator, base string, c apiCall) bool {
	t.Helper()
	if c.before != nil {
		c.before(t)
	}
	newReq := func() *http.Request {
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, err := http.NewRequest(c.method, base+c.path, body)
		if err != nil {
			t.Fatal(err)
		}
		for k, val := range c.header {
			req.Header.Set(k, val)
		}
		return req
	}
	resp, err := http.DefaultClient.Do(newReq())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != c.want {
		t.Errorf("%s %s: %d, want %d: %.300s", c.method, c.path, resp.StatusCode, c.want, got)
		return false
	}
	resp.Body = io.NopCloser(bytes.NewReader(got))
	req := newReq()
	var ok bool
	var verrs []string
	if c.bad {
		ok, verrs = wrap(v.ValidateHttpResponse(req, resp))
	} else {
		ok, verrs = wrap(v.ValidateHttpRequestResponse(req, resp))
	}
	if !ok {
		for _, e := range verrs {
			t.Errorf("%s %s (%d): %s", c.method, c.path, resp.StatusCode, e)
		}
		t.Logf("body: %.600s", got)
		return false
	}
	if ct := resp.Header.Get("Content-Type"); c.want != 204 && ct == "" {
		t.Errorf("%s %s: no Content-Type", c.method, c.path)
	}
	if slices.Contains([]int{400, 401, 404, 409, 413, 503}, c.want) && strings.HasPrefix(c.path, "/api/v1/") && !strings.HasPrefix(c.path, "/api/v1/calendar/") {
		var e struct{ Error string }
		if json.Unmarshal(got, &e) != nil || e.Error == "" {
			t.Errorf("%s %s: %d without {\"error\": ...}: %s", c.method, c.path, c.want, got)
		}
	}
	return true
}

// wrap turns the validator's errors into lines to print.
func wrap(ok bool, errs []*verrors.ValidationError) (bool, []string) {
	var out []string
	for _, e := range errs {
		line := e.Message + ": " + e.Reason
		for _, se := range e.SchemaValidationErrors {
			line += "\n\t" + se.FieldPath + " (" + se.KeywordLocation + "): " + se.Reason
		}
		out = append(out, line)
	}
	return ok && len(errs) == 0, out
}
