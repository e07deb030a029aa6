package twilio_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/notifier/twilio"
	"github.com/pagerd/pagerd/notifier/twilio/twiliotest"
)

func replyForm() url.Values {
	return url.Values{
		"MessageSid": {"SM0123456789abcdef0123456789abcdef"},
		"AccountSid": {twiliotest.AccountSID},
		"From":       {to},
		"To":         {from},
		"Body":       {"42a"},
	}
}

func TestValid(t *testing.T) {
	// Behind a proxy the server sees another scheme, host and port; only
	// the path and query are its own.
	const pathQuery = "/twilio/sms?x=1&y=a%20b"
	form := replyForm()
	sign := func(fullURL string, form url.Values) *http.Request {
		r := twiliotest.WebhookRequest(twiliotest.AuthToken, public, pathQuery, form)
		r.Header.Set(twilio.SignatureHeader, twiliotest.Sign(twiliotest.AuthToken, fullURL, form))
		r.Host = "10.0.0.7:8080"
		return r
	}
	tampered := replyForm()
	tampered.Set("Body", "42r")
	extra := replyForm()
	extra.Set("Extra", "1")

	tests := []struct {
		name string
		req  *http.Request
		form url.Values
		want bool
	}{
		{"signed", sign(public+pathQuery, form), form, true},
		{"signed with default port", sign("https://pagerd.example.com:443"+pathQuery, form), form, true},
		{"parsed body", nil, nil, true},
		{"forged", func() *http.Request {
			r := sign(public+pathQuery, form)
			r.Header.Set(twilio.SignatureHeader, "vOEb5UThFn24KEfnOFLQY2AE5FY=")
			return r
		}(), form, false},
		{"missing header", func() *http.Request {
			r := sign(public+pathQuery, form)
			r.Header.Del(twilio.SignatureHeader)
			return r
		}(), form, false},
		{"other url", sign(public+"/twilio/voice/gather?x=1&y=a%20b", form), form, false},
		{"other host", sign("https://evil.example.com"+pathQuery, form), form, false},
		{"http url", sign("http://pagerd.example.com"+pathQuery, form), form, false},
		{"tampered form", sign(public+pathQuery, form), tampered, false},
		{"extra form value", sign(public+pathQuery, form), extra, false},
		{"other token", func() *http.Request {
			r := sign(public+pathQuery, form)
			r.Header.Set(twilio.SignatureHeader, twiliotest.Sign("another0token", public+pathQuery, form))
			return r
		}(), form, false},
	}
	n := newNotifier(t, config(nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, form := tt.req, tt.form
			if r == nil {
				// The way a handler does it: the request from
				// WebhookRequest, its form parsed from the body.
				r = twiliotest.WebhookRequest(twiliotest.AuthToken, public, pathQuery, replyForm())
				if err := r.ParseForm(); err != nil {
					t.Fatal(err)
				}
				form = r.PostForm
			}
			if got := n.Valid(r, form); got != tt.want {
				t.Errorf("Valid = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidWithPathPrefixAndAPIKey(t *testing.T) {
	cfg := config(nil)
	cfg.PublicURL = public + "/pagerd/"
	cfg.APIKey, cfg.APISecret = twiliotest.APIKey, twiliotest.APISecret
	n := newNotifier(t, cfg)
	form := replyForm()
	r := twiliotest.WebhookRequest(twiliotest.AuthToken, public+"/pagerd", "/twilio/sms", form)
	if !n.Valid(r, form) {
		t.Error("a webhook signed with the auth token for PublicURL+path is not valid")
	}
	r.Header.Set(twilio.SignatureHeader, twiliotest.Sign(twiliotest.APISecret, public+"/pagerd/twilio/sms", form))
	if n.Valid(r, form) {
		t.Error("a webhook signed with the API secret is valid; Twilio signs with the auth token")
	}
}

func TestParseStatus(t *testing.T) {
	f := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name string
		form url.Values
		want twilio.Status
	}{
		{"sms delivered", f("MessageSid", "SM1", "SmsSid", "SM1", "MessageStatus", "delivered", "SmsStatus", "delivered"),
			twilio.Status{Kind: "sms", SID: "SM1", State: "delivered"}},
		{"sms sent", f("MessageSid", "SM1", "MessageStatus", "sent"), twilio.Status{Kind: "sms", SID: "SM1", State: "sent"}},
		{"sms queued", f("MessageSid", "SM1", "MessageStatus", "queued"), twilio.Status{Kind: "sms", SID: "SM1", State: "queued"}},
		{"sms undelivered", f("MessageSid", "SM1", "MessageStatus", "undelivered", "ErrorCode", "30003"),
			twilio.Status{Kind: "sms", SID: "SM1", State: "undelivered", ErrorCode: "30003", Failed: true}},
		{"sms failed", f("MessageSid", "SM1", "MessageStatus", "failed", "ErrorCode", "30008"),
			twilio.Status{Kind: "sms", SID: "SM1", State: "failed", ErrorCode: "30008", Failed: true}},
		{"sms legacy fields", f("SmsSid", "SM2", "SmsStatus", "delivered"), twilio.Status{Kind: "sms", SID: "SM2", State: "delivered"}},
		{"call completed by human", f("CallSid", "CA1", "CallStatus", "completed", "AnsweredBy", "human"),
			twilio.Status{Kind: "voice", SID: "CA1", State: "completed", AnsweredBy: "human"}},
		{"call completed no detection", f("CallSid", "CA1", "CallStatus", "completed"),
			twilio.Status{Kind: "voice", SID: "CA1", State: "completed"}},
		{"call answered by unknown", f("CallSid", "CA1", "CallStatus", "completed", "AnsweredBy", "unknown"),
			twilio.Status{Kind: "voice", SID: "CA1", State: "completed", AnsweredBy: "unknown"}},
		{"call voicemail", f("CallSid", "CA1", "CallStatus", "completed", "AnsweredBy", "machine_start"),
			twilio.Status{Kind: "voice", SID: "CA1", State: "completed", AnsweredBy: "machine_start", Failed: true}},
		{"call voicemail beep", f("CallSid", "CA1", "CallStatus", "completed", "AnsweredBy", "machine_end_beep"),
			twilio.Status{Kind: "voice", SID: "CA1", State: "completed", AnsweredBy: "machine_end_beep", Failed: true}},
		{"call fax", f("CallSid", "CA1", "CallStatus", "completed", "AnsweredBy", "fax"),
			twilio.Status{Kind: "voice", SID: "CA1", State: "completed", AnsweredBy: "fax", Failed: true}},
		{"machine but a key pressed", f("CallSid", "CA1", "CallStatus", "completed", "AnsweredBy", "machine_start", "Digits", "1"),
			twilio.Status{Kind: "voice", SID: "CA1", State: "completed", AnsweredBy: "machine_start"}},
		{"call busy", f("CallSid", "CA1", "CallStatus", "busy"), twilio.Status{Kind: "voice", SID: "CA1", State: "busy", Failed: true}},
		{"call no answer", f("CallSid", "CA1", "CallStatus", "no-answer"), twilio.Status{Kind: "voice", SID: "CA1", State: "no-answer", Failed: true}},
		{"call canceled", f("CallSid", "CA1", "CallStatus", "canceled"), twilio.Status{Kind: "voice", SID: "CA1", State: "canceled", Failed: true}},
		{"call failed", f("CallSid", "CA1", "CallStatus", "failed", "ErrorCode", "13224"),
			twilio.Status{Kind: "voice", SID: "CA1", State: "failed", ErrorCode: "13224", Failed: true}},
		{"call with an sms sid", f("CallSid", "CA1", "SmsSid", "SM1", "CallStatus", "completed", "AnsweredBy", "human"),
			twilio.Status{Kind: "voice", SID: "CA1", State: "completed", AnsweredBy: "human"}},
		{"empty", url.Values{}, twilio.Status{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := twilio.ParseStatus(tt.form); got != tt.want {
				t.Errorf("ParseStatus = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestGatherURL(t *testing.T) {
	n := newNotifier(t, config(nil))
	if got, want := n.GatherURL("alert=42&page=p2"), public+"/twilio/voice/gather?alert=42&page=p2"; got != want {
		t.Errorf("GatherURL = %q, want %q", got, want)
	}
}

func TestParseCallback(t *testing.T) {
	good := []struct {
		query string
		want  twilio.Callback
	}{
		{"alert=42&page=p1", twilio.Callback{AlertID: 42, PageID: "p1"}},
		{"alert=42&page=p1&alerts=42,43", twilio.Callback{AlertID: 42, PageID: "p1", Alerts: []int64{42, 43}}},
		{"alert=42&page=p1&alerts=42%2C43", twilio.Callback{AlertID: 42, PageID: "p1", Alerts: []int64{42, 43}}},
		{"alert=48&page=p1&alerts=40-42,45,47-48", twilio.Callback{AlertID: 48, PageID: "p1", Alerts: []int64{40, 41, 42, 45, 47, 48}}},
	}
	for _, tt := range good {
		q, _ := url.ParseQuery(tt.query)
		got, err := twilio.ParseCallback(q)
		if err != nil || got.AlertID != tt.want.AlertID || got.PageID != tt.want.PageID || !slices.Equal(got.Alerts, tt.want.Alerts) {
			t.Errorf("ParseCallback(%q) = %+v, %v; want %+v", tt.query, got, err, tt.want)
		}
	}
	for _, query := range []string{"", "page=p1", "alert=x&page=p1", "alert=42", "alert=42&page=p1&alerts=42,,43", "alert=42&page=p1&alerts=43-42", "alert=42&page=p1&alerts=1-9000000000", "alert=42&page=p1&alerts=1-"} {
		q, _ := url.ParseQuery(query)
		if _, err := twilio.ParseCallback(q); err == nil {
			t.Errorf("ParseCallback(%q) succeeded", query)
		}
	}
}

// element is any XML element, for checking TwiML's structure.
type element struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Kids    []element  `xml:",any"`
}

func parseTwiML(t *testing.T, s string) element {
	t.Helper()
	if !strings.HasPrefix(s, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration: %s", s)
	}
	var e element
	if err := xml.Unmarshal([]byte(s), &e); err != nil {
		t.Fatalf("not XML: %v\n%s", err, s)
	}
	if e.XMLName.Local != "Response" {
		t.Fatalf("root is %s, want Response", e.XMLName.Local)
	}
	return e
}

func (e element) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestTwiMLBuilders(t *testing.T) {
	nasty := "Alert <42> & \"co\" 'x'\x00\x07\x1b[1m done\xff"
	clean := "Alert <42> & \"co\" 'x'   [1m done "

	s, err := twilio.MessageTwiML(nasty)
	if err != nil {
		t.Fatal(err)
	}
	e := parseTwiML(t, s)
	if len(e.Kids) != 1 || e.Kids[0].XMLName.Local != "Message" || e.Kids[0].Text != clean {
		t.Errorf("MessageTwiML = %+v", e)
	}

	s, err = twilio.SayTwiML(nasty)
	if err != nil {
		t.Fatal(err)
	}
	e = parseTwiML(t, s)
	if len(e.Kids) != 2 || e.Kids[0].XMLName.Local != "Say" || e.Kids[0].Text != clean || e.Kids[1].XMLName.Local != "Hangup" {
		t.Errorf("SayTwiML = %+v", e)
	}

	action := "https://pagerd.example.com/twilio/voice/gather?alert=1&page=a\"b"
	s, err = twilio.GatherTwiML(nasty, action)
	if err != nil {
		t.Fatal(err)
	}
	e = parseTwiML(t, s)
	if len(e.Kids) != 3 {
		t.Fatalf("GatherTwiML has %d verbs: %s", len(e.Kids), s)
	}
	say, gather, bye := e.Kids[0], e.Kids[1], e.Kids[2]
	if say.XMLName.Local != "Say" || say.Text != clean {
		t.Errorf("first verb %+v", say)
	}
	if gather.XMLName.Local != "Gather" || gather.attr("numDigits") != "1" || gather.attr("action") != action ||
		gather.attr("method") != "POST" || gather.attr("timeout") != "10" || gather.attr("input") != "dtmf" {
		t.Errorf("gather %+v", gather)
	}
	if len(gather.Kids) != 1 || gather.Kids[0].Text != twilio.GatherPrompt {
		t.Errorf("gather prompt %+v", gather.Kids)
	}
	if bye.XMLName.Local != "Say" || bye.Text != "No key pressed. Goodbye." {
		t.Errorf("last verb %+v", bye)
	}

	// Empty text still makes a document.
	for _, fn := range []func(string) (string, error){twilio.MessageTwiML, twilio.SayTwiML} {
		s, err := fn("")
		if err != nil {
			t.Fatal(err)
		}
		parseTwiML(t, s)
	}
}
