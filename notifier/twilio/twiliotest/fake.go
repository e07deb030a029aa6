// Package twiliotest is a fake of the Twilio REST API for tests: an
// httptest TLS server answering Messages.json and Calls.json the way Twilio
// does, an http.Client that sends the real twilio-go client's requests for
// api.twilio.com to it, and Sign, which signs webhooks the way Twilio does.
package twiliotest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Credentials the fake accepts: AccountSID with AuthToken, or APIKey with
// APISecret.
const (
	AccountSID = "AC0123456789abcdef0123456789abcdef"
	AuthToken  = "0123456789abcdef0123456789abcdef"
	APIKey     = "SK0123456789abcdef0123456789abcdef"
	APISecret  = "fakeSecret0123456789abcdefABCDEF"
)

// Request is one request the fake received on Messages.json or Calls.json.
type Request struct {
	Kind           string // "sms" (Messages.json) or "voice" (Calls.json)
	AccountSID     string // from the path
	Username       string // basic auth user: the account SID or an API key
	Host           string // the host the client asked for, api.twilio.com normally
	To, From, Body string
	Twiml          string
	StatusCallback string
	Form           url.Values // every form value
	Time           time.Time
}

// Response programs the fake's answer to one request. The zero Response is
// a 201 with a fresh SID.
type Response struct {
	Status  int    // HTTP status; 0 means 201
	Code    int    // Twilio error code for Status >= 400 (0: a usual one for Status)
	Message string // error message for Status >= 400 ("" : a usual one)
	// Hang makes the fake never answer: the handler returns when the
	// request's context ends (the client gave up) or the fake closes.
	Hang bool
}

// Fake is a fake Twilio REST API.
type Fake struct {
	srv  *httptest.Server
	done chan struct{}

	mu      sync.Mutex
	reqs    []Request
	counts  map[string]int // Kind+" "+To -> requests so far
	respond func(r Request, n int) Response
	sids    int
	conns   int
}

// New starts a fake Twilio on a loopback TLS server, closed when the test
// ends.
func New(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{done: make(chan struct{}), counts: make(map[string]int)}
	mux := http.NewServeMux()
	mux.HandleFunc("/2010-04-01/Accounts/{account}/Messages.json", func(w http.ResponseWriter, r *http.Request) { f.serve(w, r, "sms") })
	mux.HandleFunc("/2010-04-01/Accounts/{account}/Calls.json", func(w http.ResponseWriter, r *http.Request) { f.serve(w, r, "voice") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 20404, fmt.Sprintf("The requested resource %s was not found", r.URL.Path))
	})
	f.srv = httptest.NewUnstartedServer(mux)
	f.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
		}
	}
	f.srv.StartTLS()
	t.Cleanup(f.Close)
	return f
}

// Close stops the fake, releasing any hanging requests first. It is called
// on test cleanup; calling it again does nothing.
func (f *Fake) Close() {
	f.mu.Lock()
	select {
	case <-f.done:
		f.mu.Unlock()
		return
	default:
		close(f.done)
	}
	f.mu.Unlock()
	f.srv.Close()
}

// URL is the fake's base URL (https://127.0.0.1:port).
func (f *Fake) URL() string { return f.srv.URL }

// Client returns an http.Client whose transport sends requests for
// api.twilio.com (or any *.twilio.com host) to the fake, keeping the path
// and query, and refuses every other host, so a test can never reach the
// real Twilio.
func (f *Fake) Client() *http.Client {
	base := f.srv.Client().Transport // trusts the fake's certificate
	target, _ := url.Parse(f.srv.URL)
	return &http.Client{Transport: &rewrite{base: base, target: target}}
}

type rewrite struct {
	base   http.RoundTripper
	target *url.URL
}

func (rt *rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	h := req.URL.Hostname()
	if h != "twilio.com" && !strings.HasSuffix(h, ".twilio.com") {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("twiliotest: refusing to send a request to %s: only *.twilio.com goes to the fake", req.URL.Host)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme = rt.target.Scheme
	out.URL.Host = rt.target.Host
	out.Host = req.URL.Host // the fake records the host asked for
	return rt.base.RoundTrip(out)
}

// Connections is the number of connections the fake has accepted: a client
// that closes its response bodies reuses one.
func (f *Fake) Connections() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns
}

// Requests returns a copy of the requests received so far, in order.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Request, len(f.reqs))
	for i, r := range f.reqs {
		out[i] = r
		out[i].Form = cloneValues(r.Form)
	}
	return out
}

// Respond programs the fake's answers: fn is called for each authenticated,
// well-formed request with n, the 1-based count of requests so far for the
// same To and Kind (this one included; Requests records every request,
// rejected ones too). nil restores the default, a 201.
// Requests that fail authentication get a 401, and ones missing a required
// parameter a 400, without consulting fn.
func (f *Fake) Respond(fn func(r Request, n int) Response) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.respond = fn
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request, kind string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Could not parse the request body: "+err.Error())
		return
	}
	form := r.PostForm
	req := Request{
		Kind:           kind,
		AccountSID:     r.PathValue("account"),
		Host:           r.Host,
		To:             form.Get("To"),
		From:           form.Get("From"),
		Body:           form.Get("Body"),
		Twiml:          form.Get("Twiml"),
		StatusCallback: form.Get("StatusCallback"),
		Form:           cloneValues(form),
		Time:           time.Now(),
	}
	user, pass, ok := r.BasicAuth()
	req.Username = user

	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	key := kind + " " + req.To
	f.counts[key]++
	n := f.counts[key]
	respond := f.respond
	f.mu.Unlock()

	authed := ok && (user == AccountSID && pass == AuthToken || user == APIKey && pass == APISecret)
	switch {
	case !authed:
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	case req.AccountSID != AccountSID:
		writeError(w, http.StatusNotFound, 20404, fmt.Sprintf("The requested resource %s was not found", r.URL.Path))
		return
	}
	if code, msg := missing(kind, form); code != 0 {
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}

	var resp Response
	if respond != nil {
		resp = respond(req, n)
	}
	if resp.Hang {
		select {
		case <-r.Context().Done():
		case <-f.done:
		}
		return
	}
	if resp.Status == 0 {
		resp.Status = http.StatusCreated
	}
	if resp.Status >= 400 {
		code, msg := resp.Code, resp.Message
		if code == 0 || msg == "" {
			c, m := usualError(resp.Status, req.To)
			if code == 0 {
				code = c
			}
			if msg == "" {
				msg = m
			}
		}
		writeError(w, resp.Status, code, msg)
		return
	}

	f.mu.Lock()
	f.sids++
	seq := f.sids
	f.mu.Unlock()
	now := req.Time.UTC().Format(time.RFC1123Z)
	var body map[string]any
	if kind == "sms" {
		sid := fmt.Sprintf("SM%032x", seq)
		status := "queued"
		if req.From == "" {
			status = "accepted" // a Messaging Service picks the sender later
		}
		uri := fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s.json", AccountSID, sid)
		body = map[string]any{
			"account_sid":           AccountSID,
			"api_version":           "2010-04-01",
			"body":                  req.Body,
			"date_created":          now,
			"date_sent":             nil,
			"date_updated":          now,
			"direction":             "outbound-api",
			"error_code":            nil,
			"error_message":         nil,
			"from":                  nullable(req.From),
			"messaging_service_sid": nullable(form.Get("MessagingServiceSid")),
			"num_media":             "0",
			"num_segments":          "1",
			"price":                 nil,
			"price_unit":            "USD",
			"sid":                   sid,
			"status":                status,
			"subresource_uris":      map[string]string{"media": strings.TrimSuffix(uri, ".json") + "/Media.json"},
			"to":                    req.To,
			"uri":                   uri,
		}
	} else {
		sid := fmt.Sprintf("CA%032x", seq)
		uri := fmt.Sprintf("/2010-04-01/Accounts/%s/Calls/%s.json", AccountSID, sid)
		sub := strings.TrimSuffix(uri, ".json")
		body = map[string]any{
			"account_sid":      AccountSID,
			"annotation":       nil,
			"answered_by":      nil,
			"api_version":      "2010-04-01",
			"caller_name":      nil,
			"date_created":     now,
			"date_updated":     now,
			"direction":        "outbound-api",
			"duration":         nil,
			"end_time":         nil,
			"forwarded_from":   nil,
			"from":             req.From,
			"from_formatted":   req.From,
			"group_sid":        nil,
			"parent_call_sid":  nil,
			"phone_number_sid": fmt.Sprintf("PN%032x", 1),
			"price":            nil,
			"price_unit":       "USD",
			"queue_time":       "0",
			"sid":              sid,
			"start_time":       nil,
			"status":           "queued",
			"subresource_uris": map[string]string{
				"notifications": sub + "/Notifications.json",
				"recordings":    sub + "/Recordings.json",
				"payments":      sub + "/Payments.json",
				"events":        sub + "/Events.json",
				"siprec":        sub + "/Siprec.json",
				"streams":       sub + "/Streams.json",
			},
			"to":           req.To,
			"to_formatted": req.To,
			"trunk_sid":    nil,
			"uri":          uri,
		}
	}
	writeJSON(w, resp.Status, body)
}

// missing checks the parameters Twilio requires, with Twilio's codes.
func missing(kind string, form url.Values) (int, string) {
	has := func(k string) bool { return form.Get(k) != "" }
	if kind == "sms" {
		switch {
		case !has("To"):
			return 21604, "A 'To' phone number is required."
		case !has("From") && !has("MessagingServiceSid"):
			return 21603, "A 'From' phone number is required."
		case !has("Body") && !has("MediaUrl") && !has("ContentSid"):
			return 21602, "Message body is required."
		}
		return 0, ""
	}
	switch {
	case !has("To"):
		return 21201, "No 'To' number is specified"
	case !has("From"):
		return 21213, "No 'From' number is specified"
	case !has("Url") && !has("Twiml") && !has("ApplicationSid"):
		return 21205, "Url parameter is required."
	}
	return 0, ""
}

// usualError is the error Twilio typically gives with status.
func usualError(status int, to string) (int, string) {
	switch status {
	case http.StatusBadRequest:
		return 21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", to)
	case http.StatusUnauthorized:
		return 20003, "Authenticate"
	case http.StatusForbidden:
		return 20403, "Forbidden"
	case http.StatusNotFound:
		return 20404, "The requested resource was not found"
	case http.StatusTooManyRequests:
		return 20429, "Too Many Requests"
	case http.StatusServiceUnavailable:
		return 20503, "Service Unavailable"
	default:
		if status >= 500 {
			return 20500, "An internal server error has occurred"
		}
		return 20001, http.StatusText(status)
	}
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{
		"code":      code,
		"message":   msg,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		"status":    status,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Sign computes X-Twilio-Signature for a webhook to fullURL (the exact URL
// Twilio requests, query included) with POST form values form, as Twilio
// documents it (https://www.twilio.com/docs/usage/security#validating-requests):
// take the URL, append each form parameter's name and value with no
// delimiters, parameters sorted by name (values of a repeated name sorted
// too), and base64-encode the HMAC-SHA1 of that string keyed with the
// account's auth token. It is written from the spec, not with twilio-go's
// validator, so that tests cross-check the two.
func Sign(authToken, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		vs := append([]string(nil), form[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// WebhookRequest builds the POST Twilio would send to publicURL+pathAndQuery
// with form, signed with authToken, addressed to the server's own view of
// the path (as a handler behind a proxy sees it). Serve it with
// httptest.NewRecorder or send it to a test server.
func WebhookRequest(authToken, publicURL, pathAndQuery string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, pathAndQuery, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Twilio-Signature", Sign(authToken, strings.TrimRight(publicURL, "/")+pathAndQuery, form))
	r.Header.Set("User-Agent", "TwilioProxy/1.1")
	return r
}
