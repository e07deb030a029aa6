package twilio_test

import (
	"context"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/notifier/twilio"
	"github.com/pagerd/pagerd/notifier/twilio/twiliotest"
)

const (
	public = "https://pagerd.example.com"
	from   = "+15005550006"
	to     = "+447700900123"
)

func config(f *twiliotest.Fake) twilio.Config {
	c := twilio.Config{
		AccountSID: twiliotest.AccountSID,
		AuthToken:  twiliotest.AuthToken,
		SMSFrom:    from,
		PublicURL:  public,
	}
	if f != nil {
		c.HTTPClient = f.Client()
	}
	return c
}

func newNotifier(t *testing.T, cfg twilio.Config) *twilio.Notifier {
	t.Helper()
	n, err := twilio.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

func smsPage() notifier.Page {
	return notifier.Page{
		AlertID: 42, PageID: "p1", Team: "payments", Summary: "db down",
		Person: "alice", PersonName: "Alice", Method: "sms", To: to, Role: "primary",
	}
}

func voicePage() notifier.Page {
	p := smsPage()
	p.Method = "voice"
	p.PageID = "p2"
	return p
}

func only(t *testing.T, f *twiliotest.Fake) twiliotest.Request {
	t.Helper()
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("fake saw %d requests, want 1: %+v", len(reqs), reqs)
	}
	return reqs[0]
}

func TestSendSMS(t *testing.T) {
	f := twiliotest.New(t)
	n := newNotifier(t, config(f))
	if n.Name() != "twilio" {
		t.Errorf("Name = %q", n.Name())
	}
	p := smsPage()
	p.Text = "#42 payments: db down. Reply 42a to ack"
	rc, err := n.Send(context.Background(), p)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if rc.Provider != "twilio" || !strings.HasPrefix(rc.ID, "SM") || len(rc.ID) != 34 {
		t.Errorf("receipt = %+v, want twilio/SM…", rc)
	}
	r := only(t, f)
	want := twiliotest.Request{
		Kind: "sms", AccountSID: twiliotest.AccountSID, Username: twiliotest.AccountSID,
		Host: "api.twilio.com", To: to, From: from, Body: p.Text,
		StatusCallback: public + "/twilio/status?alert=42&page=p1",
		Status:         201, SID: rc.ID,
	}
	r.Form, r.Time, r.Answered = nil, time.Time{}, time.Time{}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("fake saw\n %+v\nwant\n %+v", r, want)
	}
}

func TestSendSMSDefaultBodyAndBundle(t *testing.T) {
	f := twiliotest.New(t)
	n := newNotifier(t, config(f))
	p := smsPage()
	p.PageID = "page 7&x" // escaped in the callback URL
	p.Bundled = []int64{42, 43}
	if _, err := n.Send(context.Background(), p); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := only(t, f)
	if r.Body != notifier.Text(p) {
		t.Errorf("Body = %q, want %q", r.Body, notifier.Text(p))
	}
	u, err := url.Parse(r.StatusCallback)
	if err != nil || !strings.HasPrefix(r.StatusCallback, public+twilio.StatusPath+"?") {
		t.Fatalf("StatusCallback = %q (%v)", r.StatusCallback, err)
	}
	cb, err := twilio.ParseCallback(u.Query())
	if err != nil {
		t.Fatalf("ParseCallback(%q): %v", u.RawQuery, err)
	}
	if cb.AlertID != 42 || cb.PageID != "page 7&x" || !slices.Equal(cb.Alerts, []int64{42, 43}) {
		t.Errorf("callback = %+v", cb)
	}
}

func TestSendSMSLongBodyIsCut(t *testing.T) {
	f := twiliotest.New(t)
	n := newNotifier(t, config(f))
	p := smsPage()
	p.Text = strings.Repeat("é😀", 1000) // 3000 UTF-16 units
	if _, err := n.Send(context.Background(), p); err != nil {
		t.Fatalf("Send: %v", err)
	}
	body := only(t, f).Body
	if units := len(utf16.Encode([]rune(body))); units > 1600 || units < 1590 {
		t.Errorf("body is %d UTF-16 units, want just under 1600", units)
	}
	if !strings.HasSuffix(body, "…") {
		t.Errorf("cut body doesn't end with an ellipsis: …%q", body[len(body)-10:])
	}
}

func TestSendSMSMessagingServiceAndAPIKey(t *testing.T) {
	f := twiliotest.New(t)
	cfg := config(f)
	cfg.SMSFrom, cfg.VoiceFrom = "", ""
	cfg.MessagingServiceSID = "MG0123456789abcdef0123456789abcdef"
	cfg.APIKey, cfg.APISecret = twiliotest.APIKey, twiliotest.APISecret
	n := newNotifier(t, cfg)
	if _, err := n.Send(context.Background(), smsPage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r := only(t, f)
	if r.Username != twiliotest.APIKey || r.AccountSID != twiliotest.AccountSID {
		t.Errorf("auth user %q, account %q: want the API key on the account's path", r.Username, r.AccountSID)
	}
	if r.From != "" || r.Form.Get("MessagingServiceSid") != cfg.MessagingServiceSID {
		t.Errorf("From %q, MessagingServiceSid %q", r.From, r.Form.Get("MessagingServiceSid"))
	}
	// No voice number: a voice page can't go out.
	_, err := n.Send(context.Background(), voicePage())
	if !notifier.IsPermanent(err) || !strings.Contains(err.Error(), "VoiceFrom") {
		t.Errorf("voice without VoiceFrom: err = %v, want permanent about VoiceFrom", err)
	}
}

func TestSendSMSIgnoresTwilioEdgeEnvironment(t *testing.T) {
	t.Setenv("TWILIO_EDGE", "sydney")
	t.Setenv("TWILIO_REGION", "au1")
	f := twiliotest.New(t)
	n := newNotifier(t, config(f))
	if _, err := n.Send(context.Background(), smsPage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if h := only(t, f).Host; h != "api.twilio.com" {
		t.Errorf("request went to %q, want api.twilio.com whatever the environment says", h)
	}
}

// twimlDoc is the shape of a voice page's TwiML.
type twimlDoc struct {
	XMLName xml.Name `xml:"Response"`
	Verbs   []struct {
		XMLName   xml.Name
		Text      string `xml:",chardata"`
		NumDigits string `xml:"numDigits,attr"`
		Action    string `xml:"action,attr"`
		Method    string `xml:"method,attr"`
		Timeout   string `xml:"timeout,attr"`
		Input     string `xml:"input,attr"`
		Inner     []struct {
			XMLName xml.Name
			Text    string `xml:",chardata"`
		} `xml:",any"`
	} `xml:",any"`
}

func TestSendVoice(t *testing.T) {
	f := twiliotest.New(t)
	cfg := config(f)
	cfg.VoiceFrom = "+15005550007"
	cfg.Speech = func(p notifier.Page) string { return "Alert 42 <payments> & friends: db down" }
	n := newNotifier(t, cfg)
	rc, err := n.Send(context.Background(), voicePage())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if !strings.HasPrefix(rc.ID, "CA") || len(rc.ID) != 34 {
		t.Errorf("receipt ID %q, want a call SID", rc.ID)
	}
	r := only(t, f)
	if r.Kind != "voice" || r.To != to || r.From != "+15005550007" {
		t.Errorf("fake saw %s to %s from %s", r.Kind, r.To, r.From)
	}
	if want := public + "/twilio/status?alert=42&page=p2"; r.StatusCallback != want {
		t.Errorf("StatusCallback %q, want %q", r.StatusCallback, want)
	}
	if ev := r.Form["StatusCallbackEvent"]; !slices.Equal(ev, []string{"completed"}) {
		t.Errorf("StatusCallbackEvent = %q", ev)
	}
	if md := r.Form.Get("MachineDetection"); md != "Enable" {
		t.Errorf("MachineDetection = %q", md)
	}

	var doc twimlDoc
	if err := xml.Unmarshal([]byte(r.Twiml), &doc); err != nil {
		t.Fatalf("Twiml isn't XML: %v\n%s", err, r.Twiml)
	}
	var names []string
	for _, v := range doc.Verbs {
		names = append(names, v.XMLName.Local)
	}
	if !slices.Equal(names, []string{"Say", "Gather", "Say"}) {
		t.Fatalf("verbs %v, want Say Gather Say:\n%s", names, r.Twiml)
	}
	if doc.Verbs[0].Text != "Alert 42 <payments> & friends: db down" {
		t.Errorf("speech = %q", doc.Verbs[0].Text)
	}
	g := doc.Verbs[1]
	if g.NumDigits != "1" || g.Method != "POST" || g.Timeout != "10" {
		t.Errorf("Gather numDigits=%q method=%q timeout=%q", g.NumDigits, g.Method, g.Timeout)
	}
	if want := public + "/twilio/voice/gather?alert=42&page=p2"; g.Action != want {
		t.Errorf("Gather action %q, want %q", g.Action, want)
	}
	if len(g.Inner) != 1 || g.Inner[0].XMLName.Local != "Say" || !strings.Contains(g.Inner[0].Text, "Press 1") {
		t.Errorf("Gather content = %+v", g.Inner)
	}
	if doc.Verbs[2].Text != "No key pressed. Goodbye." {
		t.Errorf("last Say = %q", doc.Verbs[2].Text)
	}
}

func TestSendVoiceDefaultAndLongSpeech(t *testing.T) {
	f := twiliotest.New(t)
	n := newNotifier(t, config(f))
	if _, err := n.Send(context.Background(), voicePage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if tw := only(t, f).Twiml; !strings.Contains(tw, "pagerd alert 4 2 for team payments. db down.") {
		t.Errorf("default speech missing from %s", tw)
	}

	p := voicePage()
	p.Summary = strings.Repeat(`"&" `, 2000) // escapes to far more than Twilio's 4000
	if _, err := n.Send(context.Background(), p); err != nil {
		t.Fatalf("Send long: %v", err)
	}
	tw := f.Requests()[1].Twiml
	if len(tw) > 4000 {
		t.Errorf("Twiml is %d characters, Twilio takes 4000", len(tw))
	}
	if err := xml.Unmarshal([]byte(tw), new(twimlDoc)); err != nil {
		t.Errorf("cut Twiml isn't XML: %v", err)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		resp      twiliotest.Response
		permanent bool
		contains  []string
	}{
		{"invalid number", twiliotest.Response{Status: 400}, true, []string{"21211", "not a valid phone number", "HTTP 400"}},
		{"unverified", twiliotest.Response{Status: 400, Code: 21608, Message: "The number is unverified."}, true, []string{"21608", "unverified"}},
		{"forbidden", twiliotest.Response{Status: 403}, true, []string{"check TWILIO credentials"}},
		{"not found", twiliotest.Response{Status: 404}, true, []string{"20404"}},
		{"rate limited", twiliotest.Response{Status: 429}, false, []string{"20429", "HTTP 429"}},
		{"server error", twiliotest.Response{Status: 500}, false, []string{"HTTP 500"}},
		{"unavailable", twiliotest.Response{Status: 503}, false, []string{"20503"}},
	}
	for _, tt := range tests {
		for _, method := range []string{"sms", "voice"} {
			t.Run(tt.name+"/"+method, func(t *testing.T) {
				f := twiliotest.New(t)
				f.Respond(func(twiliotest.Request, int) twiliotest.Response { return tt.resp })
				n := newNotifier(t, config(f))
				p := smsPage()
				p.Method = method
				_, err := n.Send(context.Background(), p)
				if err == nil {
					t.Fatal("Send succeeded")
				}
				if got := notifier.IsPermanent(err); got != tt.permanent {
					t.Errorf("IsPermanent = %v, want %v (%v)", got, tt.permanent, err)
				}
				for _, s := range tt.contains {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				if !strings.Contains(err.Error(), "42/p1") {
					t.Errorf("error %q doesn't say which page", err)
				}
			})
		}
	}
}

func TestSendWrongCredentials(t *testing.T) {
	f := twiliotest.New(t)
	cfg := config(f)
	cfg.AuthToken = "wrongwrongwrong"
	n := newNotifier(t, cfg)
	_, err := n.Send(context.Background(), smsPage())
	if !notifier.IsPermanent(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
	for _, s := range []string{"20003", "HTTP 401", "check TWILIO credentials"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}

func TestSendRetryThenSuccess(t *testing.T) {
	f := twiliotest.New(t)
	f.Respond(func(r twiliotest.Request, n int) twiliotest.Response {
		if n == 1 {
			return twiliotest.Response{Status: 500}
		}
		return twiliotest.Response{}
	})
	n := newNotifier(t, config(f))
	if _, err := n.Send(context.Background(), smsPage()); err == nil || notifier.IsPermanent(err) {
		t.Fatalf("first send: %v, want a retryable error", err)
	}
	if _, err := n.Send(context.Background(), smsPage()); err != nil {
		t.Fatalf("second send: %v", err)
	}
	// A voice page to the same number counts separately.
	if _, err := n.Send(context.Background(), voicePage()); err == nil {
		t.Fatal("first voice send succeeded, want the programmed 500")
	}
}

func TestSendErrorResponsesReuseConnections(t *testing.T) {
	f := twiliotest.New(t)
	f.Respond(func(twiliotest.Request, int) twiliotest.Response { return twiliotest.Response{Status: 500} })
	n := newNotifier(t, config(f))
	for range 5 {
		if _, err := n.Send(context.Background(), smsPage()); err == nil {
			t.Fatal("Send succeeded")
		}
	}
	if c := f.Connections(); c != 1 {
		t.Errorf("5 failed sends used %d connections, want 1", c)
	}

	// An HTML error page from a proxy: twilio-go stops decoding at the
	// first byte and never closes the body; the notifier reads and closes
	// it, so the connection goes back to the pool.
	var mu sync.Mutex
	conns := 0
	proxy := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html>"+strings.Repeat("Bad Gateway ", 10000)+"</html>")
	}))
	proxy.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	proxy.Start()
	defer proxy.Close()
	base := proxy.Client().Transport
	cfg := config(nil)
	cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = "http", proxy.Listener.Addr().String()
		return base.RoundTrip(r)
	})}
	n = newNotifier(t, cfg)
	for range 5 {
		_, err := n.Send(context.Background(), smsPage())
		if err == nil || notifier.IsPermanent(err) || !strings.Contains(err.Error(), "HTTP 502") {
			t.Fatalf("err = %v, want retryable HTTP 502", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 {
		t.Errorf("5 proxy errors used %d connections, want 1", conns)
	}
}

func TestSendHang(t *testing.T) {
	for _, tt := range []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		timeout time.Duration
	}{
		{"ctx deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, 0},
		{"config timeout", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, 100 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := twiliotest.New(t)
			f.Respond(func(twiliotest.Request, int) twiliotest.Response { return twiliotest.Response{Hang: true} })
			cfg := config(f)
			cfg.Timeout = tt.timeout
			n := newNotifier(t, cfg)
			ctx, cancel := tt.ctx()
			defer cancel()
			// The deadline error is what shows the timeout ended the send
			// (in "config timeout" nothing else has a deadline); the bound
			// here only turns a send that never returns into a failure.
			done := make(chan error, 1)
			go func() {
				_, err := n.Send(ctx, smsPage())
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Send never returned against a hung Twilio")
			}
			if err == nil || notifier.IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want a retryable deadline error", err)
			}
			if len(f.Requests()) != 1 {
				t.Errorf("fake saw %d requests", len(f.Requests()))
			}
		})
	}
}

func TestSendCanceled(t *testing.T) {
	f := twiliotest.New(t)
	n := newNotifier(t, config(f))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := n.Send(ctx, smsPage())
	if !errors.Is(err, context.Canceled) || notifier.IsPermanent(err) {
		t.Errorf("err = %v, want retryable context.Canceled", err)
	}
	if len(f.Requests()) != 0 {
		t.Errorf("a canceled send reached Twilio")
	}
}

func TestSendBadPage(t *testing.T) {
	f := twiliotest.New(t)
	n := newNotifier(t, config(f))
	for _, p := range []notifier.Page{
		{AlertID: 1, PageID: "a", Method: "sms", To: "07700900123"},
		{AlertID: 1, PageID: "a", Method: "pigeon", To: to},
	} {
		if _, err := n.Send(context.Background(), p); !notifier.IsPermanent(err) {
			t.Errorf("Send(%s to %s) = %v, want permanent", p.Method, p.To, err)
		}
	}
	if len(f.Requests()) != 0 {
		t.Errorf("bad pages reached Twilio")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSendNotTwilioErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		rt   roundTripFunc
		want string
	}{
		{"proxy 502 page", func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 502, Header: http.Header{"Content-Type": {"text/html"}},
				Body: io.NopCloser(strings.NewReader("<html>Bad Gateway</html>")), Request: r}, nil
		}, "HTTP 502"},
		{"proxy 400 page", func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader("nope")), Request: r}, nil
		}, "HTTP 400"},
		{"connection refused", func(r *http.Request) (*http.Response, error) {
			return nil, errors.New("dial tcp: connection refused")
		}, "connection refused"},
		{"garbage 201", func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 201, Body: io.NopCloser(strings.NewReader("{")), Request: r}, nil
		}, "EOF"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(nil)
			cfg.HTTPClient = &http.Client{Transport: tt.rt}
			n := newNotifier(t, cfg)
			_, err := n.Send(context.Background(), smsPage())
			if err == nil || notifier.IsPermanent(err) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want retryable with %q", err, tt.want)
			}
		})
	}
}

func TestSendConcurrent(t *testing.T) {
	f := twiliotest.New(t)
	n := newNotifier(t, config(f))
	var wg sync.WaitGroup
	sids := make([]string, 20)
	for i := range sids {
		wg.Go(func() {
			p := smsPage()
			if i%2 == 1 {
				p = voicePage()
			}
			rc, err := n.Send(context.Background(), p)
			if err != nil {
				t.Errorf("Send: %v", err)
			}
			sids[i] = rc.ID
		})
	}
	wg.Wait()
	slices.Sort(sids)
	if len(slices.Compact(sids)) != 20 || len(f.Requests()) != 20 {
		t.Errorf("want 20 distinct sids and requests, got %d sids, %d requests", len(slices.Compact(sids)), len(f.Requests()))
	}
}

func TestNewValidates(t *testing.T) {
	ok := twilio.Config{AccountSID: twiliotest.AccountSID, AuthToken: twiliotest.AuthToken, SMSFrom: from, PublicURL: public}
	tests := []struct {
		name string
		mod  func(*twilio.Config)
		want string // "" for success
	}{
		{"ok", func(*twilio.Config) {}, ""},
		{"ok trailing slash and prefix", func(c *twilio.Config) { c.PublicURL = public + "/pagerd/" }, ""},
		{"ok localhost http", func(c *twilio.Config) { c.PublicURL = "http://127.0.0.1:8080" }, ""},
		{"ok localhost name", func(c *twilio.Config) { c.PublicURL = "http://localhost:8080" }, ""},
		{"ok api key", func(c *twilio.Config) { c.APIKey, c.APISecret = twiliotest.APIKey, twiliotest.APISecret }, ""},
		{"ok messaging service", func(c *twilio.Config) { c.SMSFrom, c.MessagingServiceSID = "", "MGabc" }, ""},
		{"no sid", func(c *twilio.Config) { c.AccountSID = "" }, "AccountSID"},
		{"api key as sid", func(c *twilio.Config) { c.AccountSID = twiliotest.APIKey }, "AccountSID"},
		{"no token", func(c *twilio.Config) { c.AuthToken = "" }, "AuthToken is required"},
		{"api key without token", func(c *twilio.Config) {
			c.AuthToken, c.APIKey, c.APISecret = "", twiliotest.APIKey, twiliotest.APISecret
		}, "signs webhooks"},
		{"token with spaces", func(c *twilio.Config) { c.AuthToken = "abc def" }, "AuthToken"},
		{"key without secret", func(c *twilio.Config) { c.APIKey = twiliotest.APIKey }, "APIKey and APISecret"},
		{"bad key", func(c *twilio.Config) { c.APIKey, c.APISecret = "AC123", "s" }, "APIKey"},
		{"no from", func(c *twilio.Config) { c.SMSFrom = "" }, "SMSFrom or MessagingServiceSID"},
		{"from not e164", func(c *twilio.Config) { c.SMSFrom = "07700900123" }, "E.164"},
		{"voice from not e164", func(c *twilio.Config) { c.VoiceFrom = "+44 7700 900123" }, "VoiceFrom"},
		{"bad messaging service", func(c *twilio.Config) { c.MessagingServiceSID = "xyz" }, "MessagingServiceSID"},
		{"no public url", func(c *twilio.Config) { c.PublicURL = "" }, "PublicURL"},
		{"relative public url", func(c *twilio.Config) { c.PublicURL = "/pagerd" }, "PublicURL"},
		{"http public url", func(c *twilio.Config) { c.PublicURL = "http://pagerd.example.com" }, "https"},
		{"ftp public url", func(c *twilio.Config) { c.PublicURL = "ftp://pagerd.example.com" }, "https"},
		{"public url with query", func(c *twilio.Config) { c.PublicURL = public + "?x=1" }, "query"},
		{"negative timeout", func(c *twilio.Config) { c.Timeout = -time.Second }, "Timeout"},
		{"ok api url", func(c *twilio.Config) { c.APIURL = "https://twilio-fake.example.com/prefix/" }, ""},
		{"ok api url http loopback", func(c *twilio.Config) { c.APIURL = "http://127.0.0.1:8443" }, ""},
		{"http api url", func(c *twilio.Config) { c.APIURL = "http://twilio-fake.example.com" }, "APIURL"},
		{"relative api url", func(c *twilio.Config) { c.APIURL = "/2010-04-01" }, "APIURL"},
		{"api url with query", func(c *twilio.Config) { c.APIURL = "https://x.example.com?a=1" }, "APIURL"},
		{"missing ca file", func(c *twilio.Config) { c.CAFile = "/nonexistent/ca.pem" }, "CAFile"},
		{"api url with http client", func(c *twilio.Config) {
			c.APIURL, c.HTTPClient = "https://127.0.0.1:8443", http.DefaultClient
		}, "HTTPClient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			_, err := twilio.New(c)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("New = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

// TestAPIURLAndCAFile reaches a fake Twilio the way pagerd serve does when
// it runs in another process: no HTTPClient, the fake's address as APIURL
// and its certificate as CAFile.
func TestAPIURLAndCAFile(t *testing.T) {
	f := twiliotest.New(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, f.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config(nil)
	cfg.APIURL, cfg.CAFile = f.URL(), ca
	rc, err := newNotifier(t, cfg).Send(context.Background(), smsPage())
	if err != nil {
		t.Fatalf("Send through APIURL: %v", err)
	}
	r := only(t, f)
	if r.Host != "api.twilio.com" || r.SID != rc.ID || r.To != to {
		t.Errorf("fake saw %+v, receipt %+v", r, rc)
	}

	// Without the CA the fake's certificate is not trusted: CAFile is what
	// makes the connection.
	cfg.CAFile = ""
	_, err = newNotifier(t, cfg).Send(context.Background(), smsPage())
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Send without CAFile = %v, want a certificate error", err)
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("fake saw %d requests, want still 1", n)
	}
}

// TestAPIURLPathPrefix: a path in APIURL goes before Twilio's own path.
func TestAPIURLPathPrefix(t *testing.T) {
	paths := make(chan string, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths <- r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"sid":"SM00000000000000000000000000000001"}`)
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config(nil)
	cfg.APIURL, cfg.CAFile = srv.URL+"/twilio/", ca
	if _, err := newNotifier(t, cfg).Send(context.Background(), smsPage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got, want := <-paths, "/twilio/2010-04-01/Accounts/"+twiliotest.AccountSID+"/Messages.json"; got != want {
		t.Errorf("path %s, want %s", got, want)
	}
}
