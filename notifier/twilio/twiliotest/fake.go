// Package twiliotest is a fake of the Twilio REST API for tests: an
// httptest TLS server answering Messages.json and Calls.json the way Twilio
// does (POST creates a message or call, GET lists them with Twilio's
// filters and paging), an http.Client that sends the real twilio-go
// client's requests for api.twilio.com to it, and Sign, which signs webhooks
// the way Twilio does.
package twiliotest

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
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

// Request is one POST the fake received on Messages.json or Calls.json.
type Request struct {
	Kind           string // "sms" (Messages.json) or "voice" (Calls.json)
	AccountSID     string // from the path
	Username       string // basic auth user: the account SID or an API key
	Host           string // the host the client asked for, api.twilio.com normally
	To, From, Body string
	Twiml          string
	StatusCallback string
	Form           url.Values // every form value
	Time           time.Time  // when it arrived

	// What the fake did with it, once it has answered (or, after a Hang,
	// given up): Status is the HTTP status (0 while held or after a Hang),
	// SID the message or call created ("" if none), Answered when.
	Status   int
	SID      string
	Answered time.Time
}

// Query is one GET of the Messages.json or Calls.json list.
type Query struct {
	Kind   string     // "sms" or "voice"
	Params url.Values // the query string
	Time   time.Time
}

// Response programs the fake's answer to one request. The zero Response is
// a 201 with a fresh SID.
type Response struct {
	Status  int    // HTTP status; 0 means 201
	Code    int    // Twilio error code for Status >= 400 (0: a usual one for Status)
	Message string // error message for Status >= 400 ("" : a usual one)
	// Hang makes the fake never answer: the handler returns when the
	// request's context ends (the client gave up) or the fake closes.
	// Nothing is created.
	Hang bool
	// Hold, if not nil, holds the request until it is closed, then
	// answers as programmed. The request takes effect even if the client
	// gave up meanwhile, as it does at Twilio when the answer is lost: a
	// 2xx creates the message or call, which the list endpoints then show.
	Hold <-chan struct{}
}

// Fake is a fake Twilio REST API.
type Fake struct {
	srv  *httptest.Server
	done chan struct{}

	mu      sync.Mutex
	reqs    []Request
	queries []Query
	created []resource     // newest last
	counts  map[string]int // Kind+" "+To -> requests so far
	respond func(r Request, n int) Response
	arrived func(r Request)
	listFn  func(q Query) Response
	sids    int
	conns   int
	held    int // requests held by Hang or Hold now
}

// resource is a message or call the fake created, as the list shows it.
type resource struct {
	kind, sid, to, from string
	at                  time.Time
	body                map[string]any
}

// New starts a fake Twilio on a loopback TLS server, closed when the test
// ends.
func New(t testing.TB) *Fake {
	t.Helper()
	f := Start()
	t.Cleanup(f.Close)
	return f
}

// Start starts a fake Twilio on a loopback TLS server outside a test (the
// load tool, pagerd bench, runs one); the caller closes it.
func Start() *Fake {
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

// CertificatePEM is the fake's TLS certificate, PEM-encoded: a client in
// another process trusts the fake by trusting it (pagerd's twilio.ca_file).
func (f *Fake) CertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
}

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

// Queries returns a copy of the list requests (GET) received so far.
func (f *Fake) Queries() []Query {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Query, len(f.queries))
	for i, q := range f.queries {
		out[i] = Query{Kind: q.Kind, Params: cloneValues(q.Params), Time: q.Time}
	}
	return out
}

// Held is how many requests the fake holds now (Hang or Hold).
func (f *Fake) Held() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held
}

// OnRequest has fn called with every POST as it arrives (Time stamped,
// before it is answered), from the handler's goroutine: a load tool
// timestamps pages there without copying Requests over and over. nil
// stops the calls.
func (f *Fake) OnRequest(fn func(r Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.arrived = fn
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

// RespondList programs the answers to list requests (GET) as Respond does
// for creates: a Status >= 400 is answered as an error, Hang never answers,
// Hold answers normally once closed. nil restores the default, a list.
func (f *Fake) RespondList(fn func(q Query) Response) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listFn = fn
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request, kind string) {
	switch r.Method {
	case http.MethodPost:
	case http.MethodGet:
		f.list(w, r, kind)
		return
	default:
		w.Header().Set("Allow", "GET, POST")
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
	req.Username, _, _ = r.BasicAuth()

	f.mu.Lock()
	idx := len(f.reqs)
	f.reqs = append(f.reqs, req)
	key := kind + " " + req.To
	f.counts[key]++
	n := f.counts[key]
	respond := f.respond
	arrived := f.arrived
	f.mu.Unlock()
	if arrived != nil {
		arrived(req)
	}
	// answered records the outcome on the request's record.
	answered := func(status int, sid string) {
		f.mu.Lock()
		f.reqs[idx].Status, f.reqs[idx].SID, f.reqs[idx].Answered = status, sid, time.Now()
		f.mu.Unlock()
	}

	if !f.authorized(w, r) {
		answered(http.StatusUnauthorized, "")
		return
	}
	if code, msg := missing(kind, form); code != 0 {
		answered(http.StatusBadRequest, "")
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}

	var resp Response
	if respond != nil {
		resp = respond(req, n)
	}
	if resp.Hang || resp.Hold != nil {
		f.mu.Lock()
		f.held++
		f.mu.Unlock()
		var gone <-chan struct{} // a hung request ends with its client
		if resp.Hang {
			gone = r.Context().Done()
		}
		closed := false
		select {
		case <-gone:
		case <-resp.Hold:
		case <-f.done:
			closed = true
		}
		f.mu.Lock()
		f.held--
		f.mu.Unlock()
		if resp.Hang || closed {
			answered(0, "")
			return
		}
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
		answered(resp.Status, "")
		writeError(w, resp.Status, code, msg)
		return
	}

	f.mu.Lock()
	f.sids++
	seq := f.sids
	f.mu.Unlock()
	at := time.Now()
	now := at.UTC().Format(time.RFC1123Z)
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
	sid := body["sid"].(string)
	f.mu.Lock()
	f.created = append(f.created, resource{kind: kind, sid: sid, to: req.To, from: req.From, at: at, body: body})
	f.mu.Unlock()
	answered(resp.Status, sid)
	// The client may be gone (after a Hold); what was created stays.
	writeJSON(w, resp.Status, body)
}

// authorized checks the basic auth and the account in the path, answering
// the error itself when they are wrong.
func (f *Fake) authorized(w http.ResponseWriter, r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	authed := ok && (user == AccountSID && pass == AuthToken || user == APIKey && pass == APISecret)
	switch {
	case !authed:
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return false
	case r.PathValue("account") != AccountSID:
		writeError(w, http.StatusNotFound, 20404, fmt.Sprintf("The requested resource %s was not found", r.URL.Path))
		return false
	}
	return true
}

// Paging limits of Twilio's list endpoints.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// list answers GET Messages.json or Calls.json: the messages or calls
// created so far, newest first, filtered and paged as Twilio does.
//
// Filters: To and From (exact); for messages DateSent (that UTC day),
// DateSent< and DateSent> (on or before, on or after: "DateSent>=…" on the
// wire, as twilio-go sends DateSentAfter); for calls Status, StartTime,
// StartTime< and StartTime>, and ParentCallSid (the fake's calls have no
// parent, so it matches none). A bound is a date (YYYY-MM-DD: the whole
// day) or an RFC 3339 time, compared at Twilio's one-second resolution.
// The fake sends at once: a listed message is "sent" with date_sent its
// creation time, a call "completed" with start_time its creation time.
// Twilio's list shows neither a message's status callback nor a call's
// TwiML, and nor does the fake: match on To, From, time and body.
//
// Paging: PageSize (default 50, at most 1000), Page (echoed), and
// PageToken, which next_page_uri carries: the page after it starts below
// the last SID of the page before, so messages created between two pages
// neither repeat nor shift the list.
func (f *Fake) list(w http.ResponseWriter, r *http.Request, kind string) {
	q := r.URL.Query()
	query := Query{Kind: kind, Params: cloneValues(q), Time: time.Now()}
	f.mu.Lock()
	f.queries = append(f.queries, query)
	fn := f.listFn
	f.mu.Unlock()
	if !f.authorized(w, r) {
		return
	}
	if fn != nil {
		resp := fn(query)
		if resp.Hang || resp.Hold != nil {
			var gone <-chan struct{}
			if resp.Hang {
				gone = r.Context().Done()
			}
			select {
			case <-gone:
				return
			case <-resp.Hold:
			case <-f.done:
				return
			}
		}
		if resp.Status >= 400 {
			code, msg := resp.Code, resp.Message
			if code == 0 || msg == "" {
				c, m := usualError(resp.Status, q.Get("To"))
				code, msg = cmp.Or(code, c), cmp.Or(msg, m)
			}
			writeError(w, resp.Status, code, msg)
			return
		}
	}
	size := defaultPageSize
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			writeError(w, http.StatusBadRequest, 20001, fmt.Sprintf("Invalid PageSize %q: want 1 to %d", v, maxPageSize))
			return
		}
		size = n
	}
	page := 0
	if v := q.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, 20001, fmt.Sprintf("Invalid Page %q", v))
			return
		}
		page = n
	}
	dateKey := "DateSent"
	if kind == "voice" {
		dateKey = "StartTime"
	}
	match, err := listFilter(q, dateKey)
	if err != nil {
		writeError(w, http.StatusBadRequest, 20001, err.Error())
		return
	}
	after := "" // PageToken: list SIDs below the last one shown
	if tok := q.Get("PageToken"); tok != "" {
		if !strings.HasPrefix(tok, "PA") {
			writeError(w, http.StatusBadRequest, 20001, fmt.Sprintf("Invalid PageToken %q", tok))
			return
		}
		after = strings.TrimPrefix(tok, "PA")
	}

	f.mu.Lock()
	var items []map[string]any
	more := false
	for i := len(f.created) - 1; i >= 0; i-- { // newest first
		c := f.created[i]
		if c.kind != kind || !match(c) || after != "" && c.sid >= after {
			continue
		}
		if len(items) == size {
			more = true
			break
		}
		items = append(items, listed(c))
	}
	f.mu.Unlock()

	res := "Messages"
	field := "messages"
	if kind == "voice" {
		res, field = "Calls", "calls"
	}
	path := fmt.Sprintf("/2010-04-01/Accounts/%s/%s.json", AccountSID, res)
	base := url.Values{}
	for k, vs := range q {
		if k != "Page" && k != "PageToken" && k != "PageSize" {
			base[k] = vs
		}
	}
	base.Set("PageSize", strconv.Itoa(size))
	uri := func(v url.Values) string { return path + "?" + v.Encode() }
	first := cloneValues(base)
	first.Set("Page", "0")
	cur := cloneValues(q)
	var next any
	if more {
		nv := cloneValues(base)
		nv.Set("Page", strconv.Itoa(page+1))
		nv.Set("PageToken", "PA"+items[len(items)-1]["sid"].(string))
		next = uri(nv)
	}
	if items == nil {
		items = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		field:               items,
		"first_page_uri":    uri(first),
		"next_page_uri":     next,
		"previous_page_uri": nil,
		"page":              page,
		"page_size":         size,
		"start":             page * size,
		"end":               page*size + len(items) - 1,
		"uri":               uri(cur),
	})
}

// listed is how the list shows a created message or call: already sent.
func listed(c resource) map[string]any {
	out := make(map[string]any, len(c.body)+2)
	for k, v := range c.body {
		out[k] = v
	}
	at := c.at.UTC().Format(time.RFC1123Z)
	if c.kind == "sms" {
		out["status"] = "sent"
		out["date_sent"] = at
	} else {
		out["status"] = "completed"
		out["start_time"] = at
		out["end_time"] = at
		out["duration"] = "0"
	}
	return out
}

// listFilter builds the matcher for a list request's filters.
func listFilter(q url.Values, dateKey string) (func(resource) bool, error) {
	type bound struct {
		at  time.Time
		day bool
	}
	parse := func(key string) (*bound, error) {
		v := q.Get(key)
		if v == "" {
			return nil, nil
		}
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return &bound{at: t, day: true}, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, fmt.Errorf("invalid %s %q: want YYYY-MM-DD or an RFC 3339 time", key, v)
		}
		return &bound{at: t.Truncate(time.Second)}, nil
	}
	on, err := parse(dateKey)
	if err != nil {
		return nil, err
	}
	before, err := parse(dateKey + "<")
	if err != nil {
		return nil, err
	}
	since, err := parse(dateKey + ">")
	if err != nil {
		return nil, err
	}
	to, from, status := q.Get("To"), q.Get("From"), q.Get("Status")
	parent := q.Get("ParentCallSid")
	return func(c resource) bool {
		at := c.at.UTC().Truncate(time.Second)
		day := at.Truncate(24 * time.Hour)
		switch {
		case to != "" && c.to != to, from != "" && c.from != from:
			return false
		case status != "" && status != listed(c)["status"], parent != "":
			return false
		case on != nil && !day.Equal(on.at.UTC().Truncate(24*time.Hour)):
			return false
		case before != nil && before.day && day.After(before.at):
			return false
		case before != nil && !before.day && at.After(before.at):
			return false
		case since != nil && since.day && day.Before(since.at):
			return false
		case since != nil && !since.day && at.Before(since.at):
			return false
		}
		return true
	}, nil
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
