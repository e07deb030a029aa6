package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/notifier/message"
	"github.com/pagerd/pagerd/notifier/twilio"
	"github.com/pagerd/pagerd/notifier/twilio/twiliotest"
	"github.com/pagerd/pagerd/scheduler"
)

// twilioHarness is the harness with pages going through the real
// twilio-go client to a fake Twilio, and the webhooks served.
type twilioHarness struct {
	*harness
	fake *twiliotest.Fake
	tw   *twilio.Notifier
}

func newTwilioHarness(t *testing.T) *twilioHarness {
	t.Helper()
	h := newHarness(t)
	th := &twilioHarness{harness: h, fake: twiliotest.New(t)}
	// The webhooks' URL is the test server's own, as Twilio would be told.
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	tw, err := twilio.New(twilio.Config{
		AccountSID: twiliotest.AccountSID, AuthToken: twiliotest.AuthToken,
		SMSFrom: "+15005550006", PublicURL: srv.URL, HTTPClient: th.fake.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	th.tw = tw
	h.api = &api.Server{Store: h.st, Alerts: h.svc, Rota: h.holder, Clock: h.clk, Log: quietLog(), Twilio: tw}
	handler = h.api.Handler()
	h.srv = srv
	return th
}

func (th *twilioHarness) runEngine() {
	th.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	th.eng = &scheduler.Engine{Store: th.st, Alerts: th.svc, Rota: th.holder, Notifier: th.tw, Clock: th.clk, Log: quietLog(), Node: th.t.Name(),
		Backoff: time.Second} // the texts are the default's: scheduler.ComposeSMS
	done := make(chan struct{})
	go func() {
		defer close(done)
		th.eng.Run(ctx)
	}()
	th.eventually("engine leads", func() bool { return th.eng.IsLeader() })
	th.t.Cleanup(func() { cancel(); <-done })
}

// webhook posts a form to a Twilio webhook, signed as Twilio signs (or
// with the signature given), and returns the status and body.
func (th *twilioHarness) webhook(pathAndQuery string, form url.Values, signature ...string) (int, string) {
	th.t.Helper()
	sig := twiliotest.Sign(twiliotest.AuthToken, th.srv.URL+pathAndQuery, form)
	if len(signature) > 0 {
		sig = signature[0]
	}
	req, _ := http.NewRequest("POST", th.srv.URL+pathAndQuery, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		th.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// reply is a person texting back.
func (th *twilioHarness) reply(from, body string) (int, string) {
	return th.webhook("/twilio/sms", url.Values{"From": {from}, "To": {"+15005550006"}, "Body": {body}, "MessageSid": {"SMreply"}, "AccountSid": {twiliotest.AccountSID}})
}

// sms waits for the fake to have n requests and returns them.
func (th *twilioHarness) requests(n int) []twiliotest.Request {
	th.t.Helper()
	th.eventually(fmt.Sprintf("%d requests at the fake Twilio", n), func() bool { return len(th.fake.Requests()) >= n })
	th.settle()
	got := th.fake.Requests()
	if len(got) != n {
		th.t.Fatalf("fake Twilio saw %d requests, want %d: %+v", len(got), n, got)
	}
	return got
}

const aliceNumber, erinNumber, bobNumber = "+447700900001", "+447700900005", "+447700900002"

func TestSMSReplyAckStopsEscalation(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.runEngine()
	id := th.trigger("Checkout error rate 12%", "")
	reqs := th.requests(2)
	var toAlice twiliotest.Request
	for _, r := range reqs {
		if r.To == aliceNumber {
			toAlice = r
		}
	}
	if toAlice.Kind != "sms" || !strings.Contains(toAlice.Body, fmt.Sprintf("#%d ops: Checkout error rate 12%%", id)) || !strings.Contains(toAlice.StatusCallback, fmt.Sprintf("/twilio/status?alert=%d", id)) {
		t.Fatalf("sms to alice: %+v", toAlice)
	}
	if n, _ := message.Segments(toAlice.Body); n != 1 {
		t.Errorf("the page takes %d segments: %q", n, toAlice.Body)
	}
	t.Logf("page: %q (%d chars)", toAlice.Body, len(toAlice.Body))
	code, body := th.reply(aliceNumber, "  ACK ")
	t.Logf("reply ACK -> %s", body)
	if code != 200 || !strings.Contains(body, fmt.Sprintf("#%d acknowledged", id)) || !strings.Contains(body, "<Message>") {
		t.Fatalf("reply: %d %s", code, body)
	}
	th.advance(time.Hour)
	th.requests(2) // no call, no secondary
	a := th.alert(id)
	if a.Status() != escalation.StatusAcknowledged || a.Esc.AckedBy != "alice" {
		t.Fatalf("status %s by %s", a.Status(), a.Esc.AckedBy)
	}
	// A second ack is told who got there first, in alice's zone.
	_, body = th.reply(aliceNumber, fmt.Sprintf("%da", id))
	if !strings.Contains(body, "already acknowledged by alice at 12:00") {
		t.Errorf("second ack answer: %s", body)
	}
}

func TestShadowReplyIsNotedAndPagingGoesOn(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.runEngine()
	id := th.trigger("Queue backlog", "")
	th.requests(2)
	_, body := th.reply(erinNumber, "ack")
	t.Logf("shadow's ack -> %s", body)
	if !strings.Contains(body, "alice") || !strings.Contains(body, "shadow") {
		t.Errorf("shadow's answer: %s", body)
	}
	if a := th.alert(id); a.Status() != escalation.StatusTriggered {
		t.Fatalf("a shadow's ack changed the status to %s", a.Status())
	}
	th.advance(2 * time.Minute)
	reqs := th.requests(3)
	if last := reqs[2]; last.Kind != "voice" || last.To != aliceNumber {
		t.Fatalf("want alice's call next, got %+v", last)
	}
}

func TestVoiceKeypressAcknowledges(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.runEngine()
	id := th.trigger("Payments API down", "")
	th.requests(2)
	th.advance(2 * time.Minute)
	call := th.requests(3)[2]
	if call.Kind != "voice" || !strings.Contains(call.Twiml, "<Gather") || !strings.Contains(call.Twiml, "Payments API down") {
		t.Fatalf("call: %+v", call)
	}
	gather := fmt.Sprintf("/twilio/voice/gather?alert=%d&page=p3", id)
	if !strings.Contains(call.Twiml, strings.ReplaceAll(gather, "&", "&amp;")) {
		t.Fatalf("the call's gather goes elsewhere: %s", call.Twiml)
	}
	code, body := th.webhook(gather, url.Values{"Digits": {"1"}, "To": {aliceNumber}, "CallSid": {"CA1"}, "AccountSid": {twiliotest.AccountSID}})
	if code != 200 || !strings.Contains(body, "<Say") || !strings.Contains(body, fmt.Sprintf("Acknowledged alert %d. Paging stopped.", id)) || strings.Contains(body, "Reply") {
		t.Fatalf("gather: %d %s", code, body)
	}
	if a := th.alert(id); a.Status() != escalation.StatusAcknowledged || a.Esc.AckedBy != "alice" {
		t.Fatalf("status %s by %s", a.Status(), a.Esc.AckedBy)
	}
	// The call's completed status then changes nothing.
	th.webhook(fmt.Sprintf("/twilio/status?alert=%d&page=p3", id), url.Values{"CallSid": {"CA1"}, "CallStatus": {"completed"}, "To": {aliceNumber}, "AnsweredBy": {"human"}})
	th.advance(time.Hour)
	th.requests(3)
}

func TestSMS5xxTwiceThenDeliveredOnce(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.fake.Respond(func(r twiliotest.Request, n int) twiliotest.Response {
		if r.To == aliceNumber && r.Kind == "sms" && n <= 2 {
			return twiliotest.Response{Status: 503, Code: 20500, Message: "Service unavailable"}
		}
		return twiliotest.Response{}
	})
	th.runEngine()
	id := th.trigger("Login failures", "")
	th.eventually("first retry noted", func() bool { return strings.Count(th.timeline(id), "retrying in") == 1 })
	th.clk.Advance(2 * time.Second)
	th.eventually("second retry noted", func() bool { return strings.Count(th.timeline(id), "retrying in") == 2 })
	th.clk.Advance(4 * time.Second)
	reqs := th.requests(4) // erin once, alice three times
	var delivered int
	for _, r := range reqs {
		if r.To == aliceNumber {
			delivered++
		}
	}
	tl := th.timeline(id)
	if delivered != 3 || strings.Count(tl, "sms to alice ("+aliceNumber+") sent via twilio") != 1 {
		t.Fatalf("alice's attempts %d\n%s", delivered, tl)
	}
}

func TestSMS400CallsAtOnce(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.fake.Respond(func(r twiliotest.Request, n int) twiliotest.Response {
		if r.To == aliceNumber && r.Kind == "sms" {
			return twiliotest.Response{Status: 400, Code: 21614, Message: "'To' number is not a valid mobile number"}
		}
		return twiliotest.Response{}
	})
	th.runEngine()
	id := th.trigger("Login failures", "")
	// No clock movement: the call follows the refused text at once (in
	// any order with erin's shadow copy, which goes out concurrently).
	reqs := th.requests(3)
	text, call := -1, -1
	for i, r := range reqs {
		switch {
		case r.To == aliceNumber && r.Kind == "sms":
			text = i
		case r.To == aliceNumber && r.Kind == "voice":
			call = i
		}
	}
	if text < 0 || call < text {
		t.Fatalf("want alice's text, then her call: %+v", reqs)
	}
	if tl := th.timeline(id); !strings.Contains(tl, "21614") {
		t.Errorf("timeline lacks the Twilio error:\n%s", tl)
	}
}

func TestUndeliveredStatusMovesToTheNextMethod(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.runEngine()
	id := th.trigger("Disk full", "")
	th.requests(2)
	code, _ := th.webhook(fmt.Sprintf("/twilio/status?alert=%d&page=p1", id), url.Values{
		"MessageSid": {"SM1"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}, "To": {aliceNumber}})
	if code != http.StatusNoContent {
		t.Fatalf("status callback: %d", code)
	}
	reqs := th.requests(3)
	if reqs[2].Kind != "voice" || reqs[2].To != aliceNumber {
		t.Fatalf("after undelivered: %+v", reqs[2])
	}
	if tl := th.timeline(id); !strings.Contains(tl, "undelivered") || !strings.Contains(tl, "30003") {
		t.Errorf("timeline:\n%s", tl)
	}
}

func TestForgedWebhooksGet403AndChangeNothing(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.runEngine()
	id := th.trigger("Checkout down", "")
	th.requests(2)
	form := url.Values{"From": {aliceNumber}, "Body": {"ack"}}
	forged := twiliotest.Sign("not-the-token", th.srv.URL+"/twilio/sms", form)
	otherURL := twiliotest.Sign(twiliotest.AuthToken, "https://elsewhere.example.com/twilio/sms", form)
	for name, sig := range map[string]string{"forged": forged, "missing": "", "other url": otherURL, "garbage": "!!!"} {
		if code, _ := th.webhook("/twilio/sms", form, sig); code != http.StatusForbidden {
			t.Errorf("%s signature: %d, want 403", name, code)
		}
	}
	// A valid signature over different form values is forged too.
	sig := twiliotest.Sign(twiliotest.AuthToken, th.srv.URL+"/twilio/sms", url.Values{"From": {aliceNumber}, "Body": {"help"}})
	if code, _ := th.webhook("/twilio/sms", form, sig); code != http.StatusForbidden {
		t.Errorf("tampered body: %d", code)
	}
	gather := fmt.Sprintf("/twilio/voice/gather?alert=%d", id)
	if code, _ := th.webhook(gather, url.Values{"Digits": {"2"}, "To": {aliceNumber}}, "bad"); code != http.StatusForbidden {
		t.Errorf("forged gather: %d", code)
	}
	if code, _ := th.webhook("/twilio/status?alert=1", url.Values{"MessageStatus": {"failed"}, "To": {aliceNumber}}, "bad"); code != http.StatusForbidden {
		t.Errorf("forged status: %d", code)
	}
	if a := th.alert(id); a.Status() != escalation.StatusTriggered {
		t.Fatalf("a forged webhook changed the alert: %s", a.Status())
	}
	th.requests(2)
}

func TestRepliesFromUnknownNumbersLearnNothing(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.runEngine()
	id := th.trigger("Checkout down", "")
	th.requests(2)
	code, body := th.reply("+15551234567", fmt.Sprintf("%d r", id))
	if code != 200 || strings.Contains(body, "<Message") {
		t.Fatalf("unknown number got: %d %s", code, body)
	}
	if a := th.alert(id); a.Status() != escalation.StatusTriggered {
		t.Fatalf("an unknown number changed the alert: %s", a.Status())
	}
}

func TestReplyFormsAndHelp(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.runEngine()
	a1 := th.trigger("first", "")
	a2 := th.trigger("second", "")
	th.settle()
	for _, c := range []struct{ body, want string }{
		{"?", "a"}, // help mentions how to ack
		{"fnord", "?"},
		{fmt.Sprintf("r%d", a1), fmt.Sprintf("#%d resolved", a1)},
		{fmt.Sprintf("esc %d", a2), fmt.Sprintf("#%d escalated", a2)},
		{"ack all", fmt.Sprintf("%d", a2)},
		{"ack all", "Nothing"},
	} {
		if _, body := th.reply(aliceNumber, c.body); !strings.Contains(body, c.want) {
			t.Errorf("reply %q: answer %s, want it to contain %q", c.body, body, c.want)
		}
	}
	if a := th.alert(a2); a.Status() != escalation.StatusAcknowledged {
		t.Errorf("ack all left #%d %s", a2, a.Status())
	}
}

// TestStormOf100AlertsInAMinute shows what the primary receives when 100
// alerts arrive in one minute: a text for the first at once, then one text
// per 30 seconds covering everything that arrived meanwhile.
func TestStormOf100AlertsInAMinute(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.runEngine()
	for i := 0; i < 100; i++ {
		th.trigger(fmt.Sprintf("HTTP 5xx on web-%02d", i), "")
		th.settle() // the engine has taken the page before time moves on
		th.clk.Advance(600 * time.Millisecond)
	}
	th.clk.Advance(time.Second)
	th.settle()
	var texts []string
	for _, r := range th.fake.Requests() {
		if r.To == aliceNumber && r.Kind == "sms" {
			texts = append(texts, r.Body)
		}
	}
	if len(texts) != 3 {
		t.Fatalf("alice got %d texts in the first minute, want 3:\n%s", len(texts), strings.Join(texts, "\n"))
	}
	for i, body := range texts {
		n, gsm := message.Segments(body)
		t.Logf("text %d (%d chars, %d segment, gsm7 %v): %s", i+1, len(body), n, gsm, body)
		if n != 1 {
			t.Errorf("text %d takes %d segments", i+1, n)
		}
	}
	if !strings.Contains(texts[2], "ack all") {
		// Seen once in hundreds of loaded runs: the timelines say why.
		t.Errorf("a bundle should say how to ack them all: %s\nalert 51:\n%s\nalert 52:\n%s", texts[2], th.timeline(51), th.timeline(52))
	}
}

// A person acts only on their own team's alerts and those paged to them:
// anyone else in the rota who names an alert by SMS is told it was not
// paged to them, and nothing changes (issue 12).
func TestSMSActsOnlyOnYourAlerts(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	const zedNumber = "+447700900099"
	th.loadRota(func(name, data string) string {
		if name == "people.yaml" {
			// zed is in the rota, but on no team and no escalation step.
			data += `  - {id: zed, name: Zed, timezone: UTC, contacts: {sms: "` + zedNumber + `"}}` + "\n"
		}
		return data
	})
	th.runEngine()
	id := th.trigger("disk full", "")
	th.requests(2) // alice and erin's texts
	for _, body := range []string{fmt.Sprintf("%da", id), fmt.Sprintf("resolve %d", id), fmt.Sprintf("%de", id)} {
		code, answer := th.reply(zedNumber, body)
		if code != http.StatusOK || !strings.Contains(answer, fmt.Sprintf("No alert #%d was paged to you", id)) {
			t.Errorf("zed replied %q: %d %s", body, code, answer)
		}
	}
	if a := th.alert(id); a.Status() != escalation.StatusTriggered || a.Esc.Step != 0 {
		t.Fatalf("zed's replies changed the alert: %s step %d\n%s", a.Status(), a.Esc.Step, th.timeline(id))
	}
	// bob, the secondary, belongs to the team: his ack counts, though he
	// was not paged yet.
	if code, answer := th.reply(bobNumber, fmt.Sprintf("%da", id)); code != http.StatusOK || th.alert(id).Status() != escalation.StatusAcknowledged {
		t.Errorf("bob's ack: %d %s; status %s", code, answer, th.alert(id).Status())
	}
}
