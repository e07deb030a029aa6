package twiliotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twilio/twilio-go/client"

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
