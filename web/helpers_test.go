package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/store"
)

// The tokens of the test operators.
const (
	responderToken = "responder-token-0123456789"
	readerToken    = "reader-token-0123456789abc"
	adminToken     = "admin-token-0123456789abcd"
)

// exampleAt is an instant the example rota is interesting at: Tuesday
// 24 November 2026, 20:00 in London, while bob covers payments' primary
// (an override) and erin shadows it.
var exampleAt = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)

// console is one test's pagerd with its web console, served.
type console struct {
	env *testenv.Env
	c   *Console
	url string
	clk *clock.Fake
	// lives counts the live parts' fetches answered (X-Pagerd-Live GETs).
	lives *atomic.Int64
}

// newConsole serves the console over the example rota at exampleAt (on a
// fake clock) with three operators, or none when open.
func newConsole(t testing.TB, open bool) *console {
	t.Helper()
	clk := clock.NewFake(exampleAt)
	env := testenv.New(t, "../configs/example", clk)
	if !open {
		env.API.Operators = []api.Operator{
			api.NewOperator("rita", api.RoleResponder, responderToken),
			api.NewOperator("rob", api.RoleReadOnly, readerToken),
			api.NewOperator("ada", api.RoleAdmin, adminToken),
		}
	}
	c := &Console{Store: env.Store, Alerts: env.Alerts, Rota: env.Current, Tokens: env.API.Tokens(), Clock: clk,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), CalendarSecret: []byte("calendar-secret-for-tests"),
		Poll: 100 * time.Millisecond}
	lives := new(atomic.Int64)
	h := c.Handler(env.API.Handler())
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if r.Method == http.MethodGet && r.Header.Get("X-Pagerd-Live") != "" {
			lives.Add(1)
		}
	}))
	t.Cleanup(hs.Close)
	return &console{env: env, c: c, url: hs.URL, clk: clk, lives: lives}
}

// client is a browser-like client: cookies kept, redirects not followed
// (tests look at them).
func (cs *console) client(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get fetches path and parses the page.
func get(t testing.TB, c *http.Client, u string) (*http.Response, *html.Node) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := html.Parse(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, doc
}

// post posts a form from this site, as a browser would.
func (cs *console) post(t testing.TB, c *http.Client, path string, form url.Values, origin string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, cs.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin == "" {
		origin = cs.url
	}
	req.Header.Set("Origin", origin)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// signIn signs c in with token and reports the session cookie.
func (cs *console) signIn(t testing.TB, c *http.Client, token string) {
	t.Helper()
	_, doc := get(t, c, cs.url+"/signin")
	csrf := attr(find(doc, func(n *html.Node) bool { return attr(n, "name") == "csrf" }), "value")
	resp := cs.post(t, c, "/signin", url.Values{"csrf": {csrf}, "token": {token}, "next": {"/"}}, "")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %s, want 303", resp.Status)
	}
}

// raise raises an alert for payments over the API, as an operator.
func (cs *console) raise(t testing.TB, summary string) int64 {
	t.Helper()
	res, err := cs.env.Alerts.Receive(context.Background(), "payments", alertEvent(summary))
	if err != nil {
		t.Fatal(err)
	}
	return res.AlertID
}

func (cs *console) alert(t testing.TB, id int64) *store.Alert {
	t.Helper()
	a, err := cs.env.Store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// find is the first node, depth first, for which ok holds (nil if none).
func find(n *html.Node, ok func(*html.Node) bool) *html.Node {
	if n == nil {
		return nil
	}
	if n.Type == html.ElementNode && ok(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, ok); f != nil {
			return f
		}
	}
	return nil
}

// findAll is every node for which ok holds.
func findAll(n *html.Node, ok func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && ok(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func byID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { return attr(n, "id") == id }
}

// text is n's text, spaces folded.
func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		if n.Type == html.ElementNode {
			b.WriteString(" ") // cells and tags are words apart
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode {
			b.WriteString(" ")
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func alertEvent(summary string) alerts.Event {
	return alerts.Event{Action: alerts.Trigger, Team: "payments", Summary: summary}
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
