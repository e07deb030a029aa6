package twiliotest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/pagerd/pagerd/notifier/twilio/twiliotest"
)

func TestSignKnownVector(t *testing.T) {
	// The example twilio-go's own tests use.
	form := url.Values{
		"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"},
		"Caller": {"+14158675309"}, "From": {"+14158675309"},
		"ReasonConferenceEnded": {"test"}, "Reason": {"Participant"},
	}
	got := twiliotest.Sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", form)
	if want := "vOEb5UThFn24KEfnOFLQY2AE5FY="; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestSignAgreesWithTwilioGo(t *testing.T) {
	v := client.NewRequestValidator("secret0token")
	for _, tt := range []struct {
		url  string
		form url.Values
	}{
		{"https://pagerd.example.com/twilio/status?alert=1&page=a", url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}}},
		{"https://pagerd.example.com/twilio/sms", url.Values{"Body": {"ack 42 ✓ & <more>"}, "From": {"+447700900123"}}},
		{"http://127.0.0.1:8080/x", nil},
	} {
		sig := twiliotest.Sign("secret0token", tt.url, tt.form)
		params := map[string]string{}
		for k := range tt.form {
			params[k] = tt.form.Get(k)
		}
		if !v.Validate(tt.url, params, sig) {
			t.Errorf("twilio-go rejects Sign's signature for %s %v", tt.url, tt.form)
		}
	}
}

func post(t *testing.T, c *http.Client, rawURL, user, pass string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q isn't JSON: %v", b, err)
	}
	return resp.StatusCode, m
}

func TestFakeAnswers(t *testing.T) {
	f := twiliotest.New(t)
	c := f.Client()
	base := "https://api.twilio.com/2010-04-01/Accounts/" + twiliotest.AccountSID
	sms := url.Values{"To": {"+447700900123"}, "From": {"+15005550006"}, "Body": {"hi"}}

	st, m := post(t, c, base+"/Messages.json", twiliotest.AccountSID, twiliotest.AuthToken, sms)
	if st != 201 || !strings.HasPrefix(m["sid"].(string), "SM") || m["status"] != "queued" || m["body"] != "hi" {
		t.Errorf("message: %d %v", st, m)
	}
	st, m = post(t, c, base+"/Messages.json", twiliotest.AccountSID, "wrong", sms)
	if st != 401 || m["code"] != float64(20003) {
		t.Errorf("wrong token: %d %v", st, m)
	}
	st, _ = post(t, c, base+"/Messages.json", "", "", sms)
	if st != 401 {
		t.Errorf("no auth: %d", st)
	}
	st, m = post(t, c, "https://api.twilio.com/2010-04-01/Accounts/AC999/Messages.json", twiliotest.AccountSID, twiliotest.AuthToken, sms)
	if st != 404 {
		t.Errorf("other account: %d %v", st, m)
	}
	st, m = post(t, c, base+"/Messages.json", twiliotest.APIKey, twiliotest.APISecret, url.Values{"From": {"+15005550006"}, "Body": {"x"}})
	if st != 400 || m["code"] != float64(21604) || m["more_info"] != "https://www.twilio.com/docs/errors/21604" {
		t.Errorf("missing To: %d %v", st, m)
	}
	call := url.Values{"To": {"+447700900123"}, "From": {"+15005550006"}, "Twiml": {"<Response/>"}}
	st, m = post(t, c, base+"/Calls.json", twiliotest.APIKey, twiliotest.APISecret, call)
	if st != 201 || !strings.HasPrefix(m["sid"].(string), "CA") || m["status"] != "queued" {
		t.Errorf("call: %d %v", st, m)
	}

	f.Respond(func(r twiliotest.Request, n int) twiliotest.Response {
		if r.Kind == "voice" {
			return twiliotest.Response{Status: 400, Code: 21215, Message: "Geo permission"}
		}
		return twiliotest.Response{Status: 400}
	})
	st, m = post(t, c, base+"/Messages.json", twiliotest.AccountSID, twiliotest.AuthToken, sms)
	if st != 400 || m["code"] != float64(21211) || m["status"] != float64(400) ||
		m["message"] != "The 'To' number +447700900123 is not a valid phone number." {
		t.Errorf("programmed 400: %d %v", st, m)
	}
	st, m = post(t, c, base+"/Calls.json", twiliotest.AccountSID, twiliotest.AuthToken, call)
	if st != 400 || m["code"] != float64(21215) || m["message"] != "Geo permission" {
		t.Errorf("programmed voice 400: %d %v", st, m)
	}

	reqs := f.Requests()
	if len(reqs) != 8 {
		t.Fatalf("recorded %d requests, want 8", len(reqs))
	}
	if r := reqs[0]; r.Kind != "sms" || r.Body != "hi" || r.Host != "api.twilio.com" || r.Username != twiliotest.AccountSID {
		t.Errorf("first request %+v", r)
	}
	if r := reqs[5]; r.Kind != "voice" || r.Twiml != "<Response/>" || r.Username != twiliotest.APIKey {
		t.Errorf("call request %+v", r)
	}
}

func TestFakeClientRefusesOtherHosts(t *testing.T) {
	f := twiliotest.New(t)
	_, err := f.Client().Get("https://example.com/")
	if err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("err = %v, want a refusal", err)
	}
}

func TestWebhookRequest(t *testing.T) {
	form := url.Values{"Body": {"42a"}}
	r := twiliotest.WebhookRequest("tok", "https://pagerd.example.com/", "/twilio/sms?x=1", form)
	if r.Method != http.MethodPost || r.URL.RequestURI() != "/twilio/sms?x=1" {
		t.Errorf("request %s %s", r.Method, r.URL.RequestURI())
	}
	want := twiliotest.Sign("tok", "https://pagerd.example.com/twilio/sms?x=1", form)
	if got := r.Header.Get("X-Twilio-Signature"); got != want {
		t.Errorf("signature %q, want %q", got, want)
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("Body") != "42a" {
		t.Errorf("form %v, %v", r.PostForm, err)
	}
}

// api is twilio-go's API service on the fake, built as pagerd builds it.
func api(f *twiliotest.Fake) *openapi.ApiService {
	c := &client.Client{Credentials: client.NewCredentials(twiliotest.AccountSID, twiliotest.AuthToken), HTTPClient: f.Client()}
	c.SetAccountSid(twiliotest.AccountSID)
	return openapi.NewApiService(&client.RequestHandler{Client: c})
}

func sendSMS(t *testing.T, a *openapi.ApiService, to, body string) string {
	t.Helper()
	p := &openapi.CreateMessageParams{}
	p.SetTo(to)
	p.SetFrom("+15005550006")
	p.SetBody(body)
	m, err := a.CreateMessage(p)
	if err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
	return *m.Sid
}

func sids(ms []openapi.ApiV2010Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, *m.Sid)
	}
	return out
}

func TestListMessagesThroughTwilioGo(t *testing.T) {
	f := twiliotest.New(t)
	a := api(f)
	const ann, ben = "+447700900101", "+447700900102"
	var annSIDs []string
	for i := 0; i < 5; i++ {
		annSIDs = append(annSIDs, sendSMS(t, a, ann, fmt.Sprintf("#%d core: disk full", i)))
	}
	benSID := sendSMS(t, a, ben, "#9 core: cpu")

	// To, paged two at a time: newest first, every message once.
	params := &openapi.ListMessageParams{}
	params.SetTo(ann)
	params.SetPageSize(2)
	got, err := a.ListMessage(params)
	if err != nil {
		t.Fatalf("ListMessage: %v", err)
	}
	want := slices.Clone(annSIDs)
	slices.Reverse(want)
	if !slices.Equal(sids(got), want) {
		t.Errorf("ListMessage(To=ann) = %v, want %v", sids(got), want)
	}
	if q := f.Queries(); len(q) != 3 || q[0].Params.Get("To") != ann || q[0].Params.Get("PageSize") != "2" || q[2].Params.Get("PageToken") == "" {
		t.Errorf("list queries %+v, want 3 pages of 2", q)
	}
	m := got[0]
	if *m.To != ann || *m.Body != "#4 core: disk full" || *m.Status != "sent" || m.DateSent == nil || *m.From != "+15005550006" {
		t.Errorf("listed message %+v", m)
	}

	// Dates: DateSent> and DateSent< as twilio-go sends them (RFC 3339),
	// and a whole day.
	now := time.Now()
	for _, tt := range []struct {
		name string
		set  func(*openapi.ListMessageParams)
		want int
	}{
		{"since an hour ago", func(p *openapi.ListMessageParams) { p.SetDateSentAfter(now.Add(-time.Hour)) }, 6},
		{"since in an hour", func(p *openapi.ListMessageParams) { p.SetDateSentAfter(now.Add(time.Hour)) }, 0},
		{"before an hour ago", func(p *openapi.ListMessageParams) { p.SetDateSentBefore(now.Add(-time.Hour)) }, 0},
		{"before in an hour", func(p *openapi.ListMessageParams) { p.SetDateSentBefore(now.Add(time.Hour)) }, 6},
		{"today", func(p *openapi.ListMessageParams) { p.SetDateSent(now.UTC()) }, 6},
		{"yesterday", func(p *openapi.ListMessageParams) { p.SetDateSent(now.UTC().Add(-24 * time.Hour)) }, 0},
		{"ben since an hour ago", func(p *openapi.ListMessageParams) {
			p.SetTo(ben)
			p.SetDateSentAfter(now.Add(-time.Hour))
		}, 1},
	} {
		p := &openapi.ListMessageParams{}
		tt.set(p)
		got, err := a.ListMessage(p)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(got) != tt.want {
			t.Errorf("%s: %d messages %v, want %d", tt.name, len(got), sids(got), tt.want)
		}
		if tt.want == 1 && *got[0].Sid != benSID {
			t.Errorf("%s: %s, want %s", tt.name, *got[0].Sid, benSID)
		}
	}

	// A message created between two pages neither repeats nor shifts the
	// next page: PageToken carries where the last page ended.
	p := &openapi.ListMessageParams{}
	p.SetTo(ann)
	p.SetPageSize(3)
	first, err := a.PageMessage(p, "", "")
	if err != nil {
		t.Fatal(err)
	}
	sendSMS(t, a, ann, "#10 core: newer")
	next, err := url.Parse(*first.NextPageUri)
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.PageMessage(p, next.Query().Get("PageToken"), next.Query().Get("Page"))
	if err != nil {
		t.Fatal(err)
	}
	if all := append(sids(first.Messages), sids(second.Messages)...); !slices.Equal(all, want) || second.NextPageUri != nil {
		t.Errorf("two pages around a new message: %v (next %v), want %v", all, second.NextPageUri, want)
	}
}

func TestListCallsThroughTwilioGo(t *testing.T) {
	f := twiliotest.New(t)
	a := api(f)
	call := func(to string) string {
		p := &openapi.CreateCallParams{}
		p.SetTo(to)
		p.SetFrom("+15005550006")
		p.SetTwiml("<Response><Say>hi</Say></Response>")
		c, err := a.CreateCall(p)
		if err != nil {
			t.Fatalf("CreateCall: %v", err)
		}
		return *c.Sid
	}
	c1 := call("+447700900101")
	call("+447700900102")
	sendSMS(t, a, "+447700900101", "not a call")

	p := &openapi.ListCallParams{}
	p.SetTo("+447700900101")
	p.SetStartTimeAfter(time.Now().Add(-time.Minute))
	got, err := a.ListCall(p)
	if err != nil {
		t.Fatalf("ListCall: %v", err)
	}
	if len(got) != 1 || *got[0].Sid != c1 || *got[0].Status != "completed" || got[0].StartTime == nil {
		t.Errorf("ListCall(To, StartTime>) = %+v, want %s", got, c1)
	}
	p = &openapi.ListCallParams{}
	p.SetStartTimeAfter(time.Now().Add(time.Minute))
	if got, err := a.ListCall(p); err != nil || len(got) != 0 {
		t.Errorf("ListCall(StartTime> in a minute) = %d calls, %v; want none", len(got), err)
	}
}

func TestRespondListFails(t *testing.T) {
	f := twiliotest.New(t)
	a := api(f)
	sendSMS(t, a, "+447700900101", "#1 core: x")
	f.RespondList(func(q twiliotest.Query) twiliotest.Response {
		return twiliotest.Response{Status: http.StatusInternalServerError}
	})
	if got, err := a.ListMessage(&openapi.ListMessageParams{}); err == nil || !strings.Contains(err.Error(), "20500") {
		t.Errorf("ListMessage while failing = %v, %v; want Twilio error 20500", sids(got), err)
	}
	f.RespondList(nil)
	if got, err := a.ListMessage(&openapi.ListMessageParams{}); err != nil || len(got) != 1 {
		t.Errorf("ListMessage after = %v, %v; want the one message", sids(got), err)
	}
}

// TestHeldRequestStillCreates is Twilio accepting a message whose answer
// the client never saw: it gave up, yet the list shows the message.
func TestHeldRequestStillCreates(t *testing.T) {
	f := twiliotest.New(t)
	hold := make(chan struct{})
	f.Respond(func(r twiliotest.Request, n int) twiliotest.Response {
		return twiliotest.Response{Hold: hold}
	})
	ctx, cancel := context.WithCancel(context.Background())
	c := f.Client()
	c.Transport = cancelOn{base: c.Transport, ctx: ctx}
	cl := &client.Client{Credentials: client.NewCredentials(twiliotest.AccountSID, twiliotest.AuthToken), HTTPClient: c}
	cl.SetAccountSid(twiliotest.AccountSID)
	a := openapi.NewApiService(&client.RequestHandler{Client: cl})
	go func() {
		// Give up once the fake holds the request.
		for f.Held() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	p := &openapi.CreateMessageParams{}
	p.SetTo("+447700900101")
	p.SetFrom("+15005550006")
	p.SetBody("#1 core: held")
	if _, err := a.CreateMessage(p); err == nil {
		t.Fatal("CreateMessage succeeded; want the client to have given up")
	}
	close(hold) // the fake goes on with it after all
	deadline := time.Now().Add(10 * time.Second)
	for f.Held() > 0 || f.Requests()[0].Answered.IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("the held request was never answered")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r := f.Requests()[0]
	got, err := api(f).ListMessage(&openapi.ListMessageParams{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 201 || r.SID == "" || len(got) != 1 || *got[0].Sid != r.SID {
		t.Errorf("after the client gave up: request %+v, list %v; want the message created", r, sids(got))
	}
}

// cancelOn puts every request under ctx.
type cancelOn struct {
	base http.RoundTripper
	ctx  context.Context
}

func (c cancelOn) RoundTrip(r *http.Request) (*http.Response, error) {
	return c.base.RoundTrip(r.WithContext(c.ctx))
}

// A fake started outside a test hands every request to OnRequest as it
// arrives, stamped, before it answers.
func TestStartAndOnRequest(t *testing.T) {
	f := twiliotest.Start()
	defer f.Close()
	seen := make(chan twiliotest.Request, 1)
	f.OnRequest(func(r twiliotest.Request) { seen <- r })
	before := time.Now()
	code, _ := post(t, f.Client(), "https://api.twilio.com/2010-04-01/Accounts/"+twiliotest.AccountSID+"/Messages.json",
		twiliotest.AccountSID, twiliotest.AuthToken, url.Values{"To": {"+447700900001"}, "From": {"+15005550006"}, "Body": {"#42 core: hi"}})
	if code != http.StatusCreated {
		t.Fatalf("status %d", code)
	}
	r := <-seen
	if r.Kind != "sms" || r.To != "+447700900001" || r.Body != "#42 core: hi" || r.Time.Before(before) || r.Status != 0 {
		t.Errorf("OnRequest got %+v", r)
	}
	f.Close()
	f.Close() // a second Close does nothing
}
