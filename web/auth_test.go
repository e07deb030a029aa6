package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/escalation"
)

// Every page, and every live part, sends a browser without a session to
// sign in (a script gets 401), and nothing of the rota or the alerts is
// in the answer. The API keeps its own door.
func TestNothingServedWithoutSignIn(t *testing.T) {
	t.Parallel()
	cs := newConsole(t, false)
	id := cs.raise(t, "Checkout error rate above 5%")
	c := cs.client(t)
	for _, path := range []string{"/", "/?q=bob", "/alerts", "/alerts/1", "/alerts/1/live", "/shifts", "/shifts?person=alice&view=month",
		"/reports", "/reports/pay.csv", "/rota"} {
		resp, err := c.Get(cs.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin?next=") {
			t.Errorf("GET %s without a session: %s to %q, want 303 to /signin", path, resp.Status, resp.Header.Get("Location"))
		}
	}
	req, _ := http.NewRequest(http.MethodGet, cs.url+"/alerts/1/live", nil)
	req.Header.Set("X-Pagerd-Live", "1")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("live part without a session: %s, want 401", resp.Status)
	}
	if resp := cs.post(t, c, "/alerts/1/act", url.Values{"action": {"ack"}}, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST act without a session: %s, want 401", resp.Status)
	}
	if a := cs.alert(t, id); a.Status() != escalation.StatusTriggered {
		t.Errorf("alert is %s after refused POSTs", a.Status())
	}
	resp, err = c.Get(cs.url + "/api/v1/oncall")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API without a token: %s, want its own 401", resp.Status)
	}
	// The sign-in page itself tells nothing about the rota.
	_, doc := get(t, c, cs.url+"/signin")
	if body := text(doc); strings.Contains(body, "Bob Baker") || strings.Contains(body, "payments") {
		t.Errorf("the sign-in page shows rota data: %q", body)
	}
}

// Signing in takes a real token and a form from this console, and buys an
// HttpOnly, SameSite=Strict session cookie.
func TestSignIn(t *testing.T) {
	t.Parallel()
	cs := newConsole(t, false)
	c := cs.client(t)
	_, doc := get(t, c, cs.url+"/signin?next=/rota")
	form := find(doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == "/signin" })
	csrf := attr(find(form, func(n *html.Node) bool { return attr(n, "name") == "csrf" }), "value")
	token := find(form, byID("token"))
	if csrf == "" || attr(token, "type") != "password" || find(doc, func(n *html.Node) bool { return n.Data == "label" && attr(n, "for") == "token" }) == nil {
		t.Fatalf("sign-in form: csrf %q, token input %v, or no label for it", csrf, token)
	}

	for _, tc := range []struct {
		name   string
		form   func(csrf string) url.Values
		origin string
		want   int
	}{
		{"no csrf", func(string) url.Values { return url.Values{"token": {responderToken}} }, "", http.StatusForbidden},
		{"wrong csrf", func(csrf string) url.Values { return url.Values{"token": {responderToken}, "csrf": {"x" + csrf}} }, "", http.StatusForbidden},
		{"another site", func(csrf string) url.Values { return url.Values{"token": {responderToken}, "csrf": {csrf}} }, "https://evil.example", http.StatusForbidden},
		{"wrong token", func(csrf string) url.Values { return url.Values{"token": {"not-a-token-0123456789"}, "csrf": {csrf}} }, "", http.StatusUnauthorized},
	} {
		// Each refusal renders a new form with a new token.
		if resp := cs.post(t, c, "/signin", tc.form(csrf), tc.origin); resp.StatusCode != tc.want {
			t.Errorf("%s: %s, want %d", tc.name, resp.Status, tc.want)
		}
		if resp := cs.sessionCookie(c); resp != nil {
			t.Fatalf("%s: a session cookie was set", tc.name)
		}
		_, doc := get(t, c, cs.url+"/signin")
		csrf = attr(find(doc, func(n *html.Node) bool { return attr(n, "name") == "csrf" }), "value")
	}

	resp := cs.post(t, c, "/signin", url.Values{"token": {responderToken}, "csrf": {csrf}, "next": {"/rota"}}, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/rota" {
		t.Fatalf("sign in: %s to %q, want 303 to /rota", resp.Status, resp.Header.Get("Location"))
	}
	var sess *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			sess = ck
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/", sess)
	}
	resp, doc = get(t, c, cs.url+"/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / signed in: %s", resp.Status)
	}
	payments := text(find(doc, byID("team-payments")))
	if !strings.Contains(payments, "Bob Baker") || !strings.Contains(payments, "override") || !strings.Contains(payments, "Erin Eze") {
		t.Errorf("payments at %s: %q, want Bob Baker (override) with Erin Eze shadowing", exampleAt, payments)
	}
	if who := text(find(doc, func(n *html.Node) bool { return attr(n, "class") == "who" })); !strings.Contains(who, "rita") || !strings.Contains(who, "responder") {
		t.Errorf("signed-in operator shown as %q", who)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
}

func (cs *console) sessionCookie(c *http.Client) *http.Cookie {
	u, _ := url.Parse(cs.url)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck
		}
	}
	return nil
}

// csrfOf reads the CSRF token of the alert page's buttons ("" if the page
// has none).
func csrfOf(doc *html.Node) string {
	form := find(doc, func(n *html.Node) bool { return n.Data == "form" && strings.HasSuffix(attr(n, "action"), "/act") })
	return attr(find(form, func(n *html.Node) bool { return attr(n, "name") == "csrf" }), "value")
}

// A button's POST needs the session's CSRF token and this site as its
// origin; with both, it acts as the signed-in operator.
func TestButtonsNeedCSRF(t *testing.T) {
	t.Parallel()
	cs := newConsole(t, false)
	id := cs.raise(t, "Disk full")
	c := cs.client(t)
	cs.signIn(t, c, responderToken)
	_, doc := get(t, c, cs.url+"/alerts/1")
	csrf := csrfOf(doc)
	if csrf == "" || find(doc, byID("btn-ack")) == nil {
		t.Fatal("a responder's alert page has no Acknowledge button with a CSRF token")
	}
	// Another session's token (another browser, same operator) is not this one's.
	other := cs.client(t)
	cs.signIn(t, other, responderToken)
	_, odoc := get(t, other, cs.url+"/alerts/1")
	for _, tc := range []struct {
		name   string
		form   url.Values
		origin string
	}{
		{"no token", url.Values{"action": {"ack"}}, ""},
		{"wrong token", url.Values{"action": {"ack"}, "csrf": {csrf[1:]}}, ""},
		{"another session's token", url.Values{"action": {"ack"}, "csrf": {csrfOf(odoc)}}, ""},
		{"right token from another site", url.Values{"action": {"ack"}, "csrf": {csrf}}, "https://evil.example"},
	} {
		if resp := cs.post(t, c, "/alerts/1/act", tc.form, tc.origin); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %s, want 403", tc.name, resp.Status)
		}
		if a := cs.alert(t, id); a.Status() != escalation.StatusTriggered {
			t.Fatalf("%s: the alert is %s", tc.name, a.Status())
		}
	}
	resp := cs.post(t, c, "/alerts/1/act", url.Values{"action": {"ack"}, "csrf": {csrf}}, "")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ack with the token: %s, want 303", resp.Status)
	}
	a := cs.alert(t, id)
	if a.Status() != escalation.StatusAcknowledged || a.Esc.AckedBy != "rita" {
		t.Fatalf("after the button: %s by %q, want acknowledged by rita", a.Status(), a.Esc.AckedBy)
	}
	// A second press (another tab, a slow phone) says who was first.
	if resp := cs.post(t, c, "/alerts/1/act", url.Values{"action": {"ack"}, "csrf": {csrf}}, ""); resp.StatusCode != http.StatusConflict {
		t.Errorf("ack again: %s, want 409", resp.Status)
	}
	// Sign-out needs the token too: another site can't sign people out.
	if resp := cs.post(t, c, "/signout", url.Values{}, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without a token: %s, want 403", resp.Status)
	}
	if resp := cs.post(t, c, "/signout", url.Values{"csrf": {csrf}}, ""); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out: %s, want 303", resp.Status)
	}
	if resp, _ := get(t, c, cs.url+"/alerts"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out: %s, want 303 to sign in", resp.Status)
	}
}

// A read-only operator sees the alert but no buttons, and a POST made by
// hand (with a good CSRF token) is refused.
func TestReadOnlySeesNoButtons(t *testing.T) {
	t.Parallel()
	cs := newConsole(t, false)
	id := cs.raise(t, "Queue backlog")
	c := cs.client(t)
	cs.signIn(t, c, readerToken)
	resp, doc := get(t, c, cs.url+"/alerts/1")
	if resp.StatusCode != http.StatusOK || !strings.Contains(text(doc), "Queue backlog") {
		t.Fatalf("read-only alert page: %s", resp.Status)
	}
	if buttons := findAll(find(doc, byID("main")), func(n *html.Node) bool { return n.Data == "button" }); len(buttons) != 0 {
		t.Errorf("read-only sees %d buttons on the alert page", len(buttons))
	}
	// Its CSRF token (from the sign-out form) is good, its role is not.
	signout := find(doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == "/signout" })
	csrf := attr(find(signout, func(n *html.Node) bool { return attr(n, "name") == "csrf" }), "value")
	if resp := cs.post(t, c, "/alerts/1/act", url.Values{"action": {"resolve"}, "csrf": {csrf}}, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("read-only resolve: %s, want 403", resp.Status)
	}
	if a := cs.alert(t, id); a.Status() != escalation.StatusTriggered {
		t.Errorf("read-only POST changed the alert to %s", a.Status())
	}
}

// A session cookie altered in any part, or past its time, or of an
// operator whose token changed, is no session.
func TestSessionCannotBeForged(t *testing.T) {
	t.Parallel()
	cs := newConsole(t, false)
	c := cs.client(t)
	cs.signIn(t, c, readerToken)
	good := cs.sessionCookie(c).Value
	parts := strings.Split(good, ".")
	try := func(name, value string) int {
		req, _ := http.NewRequest(http.MethodGet, cs.url+"/rota", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: value})
		resp, err := cs.client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := try("good", good); code != http.StatusOK {
		t.Fatalf("the real cookie: %d", code)
	}
	// Another nonce: its first character changed (to a different one,
	// whatever it was, so the forgery never equals the original).
	other := "0"
	if parts[3][:1] == "0" {
		other = "1"
	}
	for name, forged := range map[string]string{
		"admin's name":  strings.Join([]string{parts[0], "ada", parts[2], parts[3], parts[4]}, "."),
		"longer life":   strings.Join([]string{parts[0], parts[1], parts[2] + "0", parts[3], parts[4]}, "."),
		"another nonce": strings.Join([]string{parts[0], parts[1], parts[2], other + parts[3][1:], parts[4]}, "."),
		"anonymous":     strings.Join([]string{parts[0], "anonymous", parts[2], parts[3], parts[4]}, "."),
		"no signature":  strings.Join(parts[:4], "."),
	} {
		if code := try(name, forged); code != http.StatusSeeOther {
			t.Errorf("%s: %d, want 303 to sign in", name, code)
		}
	}
	// rob is given a new token (a pagerd restarted with a new tokens
	// file, on the same cluster): the old session ends with the old token.
	renewed := &api.Server{Operators: []api.Operator{api.NewOperator("rob", api.RoleReadOnly, readerToken+"-new")}}
	again := &Console{Store: cs.env.Store, Alerts: cs.env.Alerts, Rota: cs.env.Current, Tokens: renewed.Tokens(), Clock: cs.clk, Log: cs.c.Log}
	hs := httptest.NewServer(again.Handler(http.NotFoundHandler()))
	defer hs.Close()
	req, _ := http.NewRequest(http.MethodGet, hs.URL+"/rota", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: good})
	if resp, err := cs.client(t).Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("session of an old token: %s, want 303 to sign in", resp.Status)
	}
	cs.clk.Advance(SessionTTL)
	if code := try("expired", good); code != http.StatusSeeOther {
		t.Errorf("expired session: %d, want 303", code)
	}
}

// With no token configured (loopback), nobody signs in, and forms still
// carry a CSRF token.
func TestOpenConsole(t *testing.T) {
	t.Parallel()
	cs := newConsole(t, true)
	id := cs.raise(t, "Latency")
	c := cs.client(t)
	resp, doc := get(t, c, cs.url+"/alerts/1")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("open console: %s", resp.Status)
	}
	if find(doc, func(n *html.Node) bool { return attr(n, "action") == "/signout" }) != nil {
		t.Error("open console offers to sign out")
	}
	csrf := csrfOf(doc)
	if resp := cs.post(t, c, "/alerts/1/act", url.Values{"action": {"ack"}}, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("open console, no CSRF token: %s, want 403", resp.Status)
	}
	if resp := cs.post(t, c, "/alerts/1/act", url.Values{"action": {"ack"}, "csrf": {csrf}}, ""); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("open console, ack: %s, want 303", resp.Status)
	}
	if a := cs.alert(t, id); a.Esc.AckedBy != "anonymous" {
		t.Errorf("acked by %q, want anonymous", a.Esc.AckedBy)
	}
	if resp, _ := get(t, c, cs.url+"/signin"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-in page of an open console: %s, want a redirect", resp.Status)
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/rota": "/rota", "/alerts?team=payments": "/alerts?team=payments", "": "/",
		"//evil.example/": "/", "/\\evil.example": "/", "https://evil.example/": "/", "rota": "/", "/a\r\nSet-Cookie: x": "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
