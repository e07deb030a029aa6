package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
)

// newServer is the API on a real embedded etcd with the example rota.
func newServer(t *testing.T) (*Server, *store.Store, *httptest.Server) {
	t.Helper()
	return newServerWith(t, nil)
}

// newServerWith is newServer with the Server changed by set before it
// serves (operators, limits).
func newServerWith(t *testing.T, set func(*Server)) (*Server, *store.Store, *httptest.Server) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r, _, err := rotafile.LoadDir("../configs/example")
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cur := &inforce.Current{}
	cur.Set(inforce.New(r, 1, quiet))
	svc := &alerts.Service{Store: st, Rota: cur, Clock: clock.Real{}, Log: quiet}
	s := &Server{Store: st, Alerts: svc, Rota: cur, Clock: clock.Real{}, Log: quiet}
	if set != nil {
		set(s)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return s, st, hs
}

type answer struct {
	code   int
	header http.Header
	Error  string          `json:"error"`
	Alerts []alerts.Result `json:"alerts"`
}

func post(t *testing.T, url, body string, header map[string]string) answer {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/v1/alerts", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{code: resp.StatusCode, header: resp.Header}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return a
}

// A retried request with the same Idempotency-Key finds the alert it
// stored the first time: no second alert, no second page.
func TestIdempotencyKeyMakesARetrySafe(t *testing.T) {
	t.Parallel()
	_, _, hs := newServer(t)
	body := `{"team": "payments", "summary": "checkout failing"}`
	h := map[string]string{"Idempotency-Key": "req-7f3a"}
	first := post(t, hs.URL, body, h)
	again := post(t, hs.URL, body, h)
	if first.code != 202 || again.code != 202 || first.Alerts[0].Status != "created" {
		t.Fatalf("first %+v, again %+v", first, again)
	}
	if again.Alerts[0].Status != "deduplicated" || again.Alerts[0].AlertID != first.Alerts[0].AlertID {
		t.Errorf("the retry made %+v, want a repeat of alert %d", again.Alerts[0], first.Alerts[0].AlertID)
	}
	// Without the header the same body is a new alert each time.
	if other := post(t, hs.URL, body, nil); other.Alerts[0].Status != "created" {
		t.Errorf("without Idempotency-Key: %+v", other.Alerts[0])
	}
	if bad := post(t, hs.URL, body, map[string]string{"Idempotency-Key": "has space"}); bad.code != 400 {
		t.Errorf("a key with a space: %d %s", bad.code, bad.Error)
	}
}

// A batch that fails part-way answers per event: stored, unknown, not
// tried. It never says "nothing was accepted" when some were.
func TestBatchFailingPartWayAnswersPerEvent(t *testing.T) {
	t.Parallel()
	s, st, hs := newServer(t)
	// The first event is stored, the second's write times out.
	s.receive = func(ctx context.Context, teams []string, evs []alerts.Event) ([]alerts.Result, error) {
		res, err := s.Alerts.ReceiveAll(ctx, teams[:1], evs[:1])
		if err != nil {
			return res, err
		}
		return res, &alerts.BatchError{Index: 1, Err: errors.New("etcdserver: request timed out")}
	}
	a := post(t, hs.URL, `[{"team":"payments","summary":"a","dedup_key":"a"},{"team":"payments","summary":"b","dedup_key":"b"},{"team":"payments","summary":"c","dedup_key":"c"}]`, nil)
	if a.code != 503 || a.header.Get("Retry-After") == "" {
		t.Fatalf("code %d, Retry-After %q", a.code, a.header.Get("Retry-After"))
	}
	if len(a.Alerts) != 3 || a.Alerts[0].Status != "created" || a.Alerts[1].Status != "unknown" || a.Alerts[2].Status != "not_stored" {
		t.Fatalf("results %+v", a.Alerts)
	}
	if !strings.Contains(a.Error, "1 of 3 alerts stored") || strings.Contains(a.Error, "nothing was accepted") {
		t.Errorf("error %q", a.Error)
	}
	if _, err := st.Get(context.Background(), a.Alerts[0].AlertID); err != nil {
		t.Errorf("the first alert, answered as stored, is not: %v", err)
	}
}

// A single alert whose write failed is answered 503 saying it may have
// been stored, and how to retry safely.
func TestUnknownOutcomeIsSaidSo(t *testing.T) {
	t.Parallel()
	s, _, hs := newServer(t)
	s.receive = func(context.Context, []string, []alerts.Event) ([]alerts.Result, error) {
		return nil, &alerts.BatchError{Index: 0, Err: context.DeadlineExceeded}
	}
	a := post(t, hs.URL, `{"team":"payments","summary":"a","dedup_key":"a"}`, nil)
	if a.code != 503 || !strings.Contains(a.Error, "it may have been: retry with the same dedup_key") {
		t.Errorf("code %d error %q", a.code, a.Error)
	}
}
