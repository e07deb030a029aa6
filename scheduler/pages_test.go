package scheduler_test

// Pages people can act on (issue 13), each finding tried as Twilio would
// see it: the real twilio-go client against the fake Twilio, webhooks
// signed the way Twilio signs them, the engine on a fake clock.

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/notifier/message"
	"github.com/pagerd/pagerd/notifier/twilio/twiliotest"
	"github.com/pagerd/pagerd/store"
)

const bobNumberSMS = bobNumber

// batch raises alerts in one native request and returns their ids.
func (th *twilioHarness) batch(summaries ...string) []int64 {
	th.t.Helper()
	var items []map[string]any
	for _, s := range summaries {
		items = append(items, map[string]any{"routing_key": th.key, "summary": s})
	}
	code, out := th.post("/api/v1/alerts", items)
	if code != http.StatusAccepted {
		th.t.Fatalf("POST batch: %d %v", code, out)
	}
	var ids []int64
	for _, r := range out["alerts"].([]any) {
		ids = append(ids, int64(r.(map[string]any)["alert_id"].(float64)))
	}
	return ids
}

// to lists the requests the fake Twilio had for one number and kind.
func to(reqs []twiliotest.Request, number, kind string) []twiliotest.Request {
	var out []twiliotest.Request
	for _, r := range reqs {
		if r.To == number && r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// local is the path and query of a callback URL pagerd gave Twilio.
func (th *twilioHarness) local(full string) string {
	th.t.Helper()
	p, ok := strings.CutPrefix(full, th.srv.URL)
	if !ok {
		th.t.Fatalf("callback %q is not on this server", full)
	}
	return p
}

var actionRE = regexp.MustCompile(`action="([^"]+)"`)

// gather is the keypress URL of a call's TwiML.
func (th *twilioHarness) gather(call twiliotest.Request) string {
	th.t.Helper()
	m := actionRE.FindStringSubmatch(call.Twiml)
	if m == nil {
		th.t.Fatalf("no Gather action in %s", call.Twiml)
	}
	return th.local(html.UnescapeString(m[1]))
}

// press is a key pressed on a call.
func (th *twilioHarness) press(call twiliotest.Request, digit string) string {
	th.t.Helper()
	code, body := th.webhook(th.gather(call), url.Values{"Digits": {digit}, "To": {call.To}, "CallSid": {"CA" + digit}, "AccountSid": {twiliotest.AccountSID}})
	if code != http.StatusOK {
		th.t.Fatalf("keypress %s: %d %s", digit, code, body)
	}
	return body
}

// lateRE finds a lateness mark: "(4m late)", ", 30s late".
var lateRE = regexp.MustCompile(`\d+[smhd] late`)

var sayRE = regexp.MustCompile(`(?s)<Say>(.*?)</Say>`)

func said(twiml string) string {
	var out []string
	for _, m := range sayRE.FindAllStringSubmatch(twiml, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return strings.Join(out, " ")
}

// answer is the text of an SMS webhook's <Message>.
var messageRE = regexp.MustCompile(`(?s)<Message>(.*?)</Message>`)

func answerOf(t *testing.T, body string) string {
	t.Helper()
	m := messageRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no <Message> in %s", body)
	}
	s := html.UnescapeString(m[1])
	if n, _ := message.Segments(s); n != 1 {
		t.Errorf("answer takes %d segments: %q", n, s)
	}
	return s
}

func (th *twilioHarness) statusOf(ids []int64) map[escalation.Status]int {
	th.t.Helper()
	out := map[escalation.Status]int{}
	for _, id := range ids {
		out[th.alert(id).Status()]++
	}
	return out
}

// span writes ids as the answers do: runs as ranges, "#1-#50, #101-#149"
// (ids come in reserved blocks, so a batch's need not be one run).
func span(ids []int64) string { return runs(ids, "#", "-", ", ") }

func runs(ids []int64, hash, dash, sep string) string {
	s := slices.Sorted(slices.Values(ids))
	var out []string
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		r := fmt.Sprintf("%s%d", hash, s[i])
		if j > i {
			r += fmt.Sprintf("%s%s%d", dash, hash, s[j])
		}
		out = append(out, r)
		i = j + 1
	}
	return strings.Join(out, sep)
}

// Finding 1, and the storm workflow end to end: 100 alerts, "ack all",
// "resolve all", nothing left open.
func TestStormAckAllThenResolveAllLeavesNothingOpen(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.runEngine()
	var ids []int64
	for i := range 100 {
		ids = append(ids, th.trigger(fmt.Sprintf("HTTP 5xx on web-%02d", i), ""))
	}
	th.settle()
	_, body := th.reply(aliceNumber, "ack all")
	if got, want := answerOf(t, body), "Acknowledged 100 alerts, "+span(ids)+". Paging stopped."; got != want {
		t.Errorf("ack all: %q, want %q", got, want)
	}
	if n := th.statusOf(ids)[escalation.StatusAcknowledged]; n != 100 {
		t.Fatalf("%d of 100 acknowledged", n)
	}
	_, body = th.reply(aliceNumber, "resolve all")
	if got, want := answerOf(t, body), "Resolved 100 alerts, "+span(ids)+". Thanks."; got != want {
		t.Errorf("resolve all: %q, want %q", got, want)
	}
	open, err := th.st.List(context.Background(), func(a *store.Alert) bool { return a.Status() != escalation.StatusResolved }, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 0 {
		t.Fatalf("%d alerts still open after ack all, resolve all", len(open))
	}
}

// Finding 2: one key on a call about 99 alerts answers all of them in one
// short sentence, and never tells someone with no SMS number to reply.
// spoken is ids as a keypress answer says them: "1 to 50 and 101 to 149".
func spoken(ids []int64) string {
	rs := strings.Split(runs(ids, "", " to ", ", "), ", ")
	if len(rs) == 1 {
		return rs[0]
	}
	return strings.Join(rs[:len(rs)-1], ", ") + " and " + rs[len(rs)-1]
}

func TestKeypressOnACallAbout99Alerts(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.loadRota(func(name, data string) string {
		// alice takes calls only: no SMS number.
		return strings.Replace(data, `{sms: "+447700900001", voice: "+447700900001"}`, `{voice: "+447700900001"}`, 1)
	})
	th.runEngine()
	sums := make([]string, 99)
	for i := range sums {
		sums[i] = fmt.Sprintf("Checkout 5xx on checkout-%02d", i)
	}
	ids := th.batch(sums...)
	reqs := th.requests(2) // one call to alice, one text to erin (her shadow)
	calls := to(reqs, aliceNumber, "voice")
	if len(calls) != 1 || len(to(reqs, erinNumber, "sms")) != 1 {
		t.Fatalf("want one call to alice about all 99 and one text to erin: %+v", reqs)
	}
	call := calls[0]
	if !strings.Contains(said(call.Twiml), "you have 99 alerts") {
		t.Errorf("the call doesn't say how many: %s", said(call.Twiml))
	}
	if g := th.gather(call); !strings.Contains(g, "alerts="+runs(ids, "", "-", ",")) {
		t.Errorf("the keypress URL doesn't cover the bundle: %s", g)
	}
	body := th.press(call, "1")
	say := said(body)
	t.Logf("after 1: %q (%d characters)", say, len(say))
	if want := "Acknowledged 99 alerts, " + spoken(ids) + ". Paging stopped. Goodbye."; say != want {
		t.Errorf("said %q, want %q", say, want)
	}
	if len(body) > 4096 || len([]rune(say)) > message.MaxSpokenAnswer+len(" Goodbye.") {
		t.Errorf("the answer is %d characters of TwiML", len(body))
	}
	if strings.Contains(strings.ToLower(say), "reply") {
		t.Errorf("a person with no SMS number is told to reply: %q", say)
	}
	if n := th.statusOf(ids)[escalation.StatusAcknowledged]; n != 99 {
		t.Fatalf("%d of 99 acknowledged", n)
	}
}

// Findings 3 and 4: a bundled text that is not delivered becomes one call
// about the whole bundle; its keypress answers them all; 9 repeats the count.
func TestUndeliveredBundleBecomesOneCall(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"status undelivered", "refused by Twilio"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			th := newTwilioHarness(t)
			if how == "refused by Twilio" {
				th.fake.Respond(func(r twiliotest.Request, n int) twiliotest.Response {
					if r.To == aliceNumber && r.Kind == "sms" && strings.HasPrefix(r.Body, "5 alerts") {
						return twiliotest.Response{Status: 400, Code: 21614, Message: "'To' number is not a valid mobile number"}
					}
					return twiliotest.Response{}
				})
			}
			th.runEngine()
			// One alert, texted at once; five more within alice's 30s go as
			// one bundled text when they are up.
			th.trigger("first", "")
			th.requests(2)
			th.clk.Advance(5 * time.Second)
			var ids []int64
			for _, s := range []string{"Checkout down", "Card processor 5xx", "Queue backlog", "Replica lag 40s", "Disk 97% full"} {
				ids = append(ids, th.trigger(s, ""))
				th.settle()
			}
			th.clk.Advance(25 * time.Second)
			n := 4 // the bundle to alice and erin's copy...
			if how == "refused by Twilio" {
				n = 5 // ...and, the bundle refused, the call at once
			}
			reqs := th.requests(n)
			texts := to(reqs, aliceNumber, "sms")
			if len(texts) != 2 || !strings.HasPrefix(texts[1].Body, "5 alerts") {
				t.Fatalf("want a bundled text about 5 alerts: %+v", texts)
			}
			if how == "status undelivered" {
				code, _ := th.webhook(th.local(texts[1].StatusCallback), url.Values{
					"MessageSid": {"SM1"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}, "To": {aliceNumber}})
				if code != http.StatusNoContent {
					t.Fatalf("status: %d", code)
				}
				reqs = th.requests(5)
			}
			calls := to(reqs, aliceNumber, "voice")
			if len(calls) != 1 {
				t.Fatalf("want one call about the bundle, got %+v", reqs)
			}
			call := calls[0]
			if !strings.Contains(th.gather(call), "alerts="+runs(ids, "", "-", ",")) || !strings.Contains(said(call.Twiml), "you have 5 alerts") {
				t.Errorf("the call is not about the whole bundle: %s / %s", th.gather(call), said(call.Twiml))
			}
			// 9 says it again, count and all.
			if again := th.press(call, "9"); !strings.Contains(said(again), "you have 5 alerts") || !strings.Contains(again, "<Gather") {
				t.Errorf("9: %s", again)
			}
			if say := said(th.press(call, "1")); !strings.HasPrefix(say, "Acknowledged 5 alerts, "+spoken(ids)+".") {
				t.Errorf("1: %q", say)
			}
			if n := th.statusOf(ids)[escalation.StatusAcknowledged]; n != 5 {
				t.Fatalf("%d of 5 acknowledged by the keypress", n)
			}
			// No second call about any of them follows.
			th.clk.Advance(time.Minute)
			th.settle()
			for _, r := range to(th.fake.Requests(), aliceNumber, "voice")[1:] {
				for _, id := range ids {
					if strings.Contains(r.Twiml, fmt.Sprintf("alert %s ", spaced(id))) {
						t.Errorf("another call about #%d: %s", id, said(r.Twiml))
					}
				}
			}
		})
	}
}

// spaced is an id as calls say it: "4 2".
func spaced(id int64) string {
	return strings.Join(strings.Split(fmt.Sprint(id), ""), " ")
}

// Finding 5: a bare "ack" after a bundled text acknowledges every alert
// the text covered, and only those.
func TestBareAckCoversTheLastMessage(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.runEngine()
	first := th.trigger("first", "")
	th.requests(2) // alice's text about it, erin's copy
	th.clk.Advance(5 * time.Second)
	var later []int64
	for i := range 4 {
		later = append(later, th.trigger(fmt.Sprintf("later %d", i), ""))
		th.settle()
	}
	th.clk.Advance(25 * time.Second) // alice's 30s are up: one text about the four
	reqs := th.requests(4)
	texts := to(reqs, aliceNumber, "sms")
	if len(texts) != 2 || !strings.HasPrefix(texts[1].Body, "4 alerts") {
		t.Fatalf("alice's texts: %+v", texts)
	}
	_, body := th.reply(aliceNumber, "ack")
	if got, want := answerOf(t, body), "Acknowledged 4 alerts, "+span(later)+". Paging stopped."; got != want {
		t.Errorf("ack: %q, want %q", got, want)
	}
	if n := th.statusOf(later)[escalation.StatusAcknowledged]; n != 4 {
		t.Errorf("%d of the bundle's 4 acknowledged", n)
	}
	if st := th.alert(first).Status(); st != escalation.StatusTriggered {
		t.Errorf("#%d, from an earlier text, is %s", first, st)
	}
}

// Finding 6: a shadow's "ack all" is noted, and the answer says so.
func TestShadowAckAllSaysWhatWasNoted(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.runEngine()
	ids := th.batch("a", "b", "c")
	th.requests(2)
	_, body := th.reply(erinNumber, "ack all")
	got := answerOf(t, body)
	if want := "Noted, you're shadowing 3 alerts, " + span(ids) + ", still paging alice."; got != want {
		t.Errorf("shadow's ack all: %q, want %q", got, want)
	}
	if n := th.statusOf(ids)[escalation.StatusTriggered]; n != 3 {
		t.Errorf("a shadow's ack changed %d alerts", 3-n)
	}
	for _, id := range ids {
		if !strings.Contains(th.timeline(id), "ack by shadow erin noted") {
			t.Errorf("#%d: the note is not on the timeline", id)
		}
	}
}

// Finding 7: escalating on the last step says nobody further will be
// paged, and who still is; escalating onto it says it is the last.
func TestEscalateOnTheLastStepTellsTheTruth(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.loadRota(func(name, data string) string { return strings.Replace(data, "repeat: 1", "repeat: 0", 1) })
	th.runEngine()
	id := th.trigger("Checkout down", "")
	th.settle()
	steps := []struct{ from, want string }{
		{aliceNumber, fmt.Sprintf("#%d escalated: paging bob now.", id)},
		{bobNumberSMS, fmt.Sprintf("#%d escalated: paging bob, frank now; nobody further after that.", id)},
		{bobNumberSMS, fmt.Sprintf("#%d: that was the last step, so nobody further will be paged; bob, frank still are.", id)},
		{bobNumberSMS, fmt.Sprintf("#%d: that was the last step, so nobody further will be paged; bob, frank still are.", id)},
	}
	for i, s := range steps {
		_, body := th.reply(s.from, fmt.Sprintf("esc %d", id))
		if got := answerOf(t, body); got != s.want {
			t.Errorf("esc %d: %q, want %q", i+1, got, s.want)
		}
		th.settle()
	}
	if a := th.alert(id); !a.Esc.Exhausted || !strings.Contains(th.timeline(id), "policy exhausted") {
		t.Errorf("exhausted %v\n%s", a.Esc.Exhausted, th.timeline(id))
	}
}

// Finding 8: words with no GSM-7 form arrive (UCS-2, with the id and the
// reply hint); symbols a GSM-7 text can't carry are marked, not dropped.
func TestNoWordIsLostSilently(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		summary string
		gsm     bool
		want    []string
	}{
		{"Ελληνικά ΔΦΓ and 中文 summary", false, []string{"Ελληνικά ΔΦΓ and 中文", "a ack"}},
		{"Ελληνικά ΔΦΓ and summary", true, []string{"Ellinika ΔΦΓ and summary"}},
		{"🔥 Checkout error rate 12% on all nodes in eu-west-1 since the deploy 🚀", true, []string{"(?) Checkout error rate", "deploy (?)"}},
	} {
		t.Run(c.summary, func(t *testing.T) {
			t.Parallel()
			th := newTwilioHarness(t)
			th.runEngine()
			id := th.trigger(c.summary, "")
			text := to(th.requests(2), aliceNumber, "sms")[0].Body
			n, gsm := message.Segments(text)
			t.Logf("%q -> %q (%d segment, gsm7 %v)", c.summary, text, n, gsm)
			if n != 1 || gsm != c.gsm {
				t.Errorf("%d segments, gsm7 %v", n, gsm)
			}
			for _, w := range append(c.want, fmt.Sprintf("#%d ops: ", id), fmt.Sprintf("Reply %da ack", id)) {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q", w)
				}
			}
		})
	}
}

// Finding 9: when every method of the person paged has failed, the next
// step starts at once, not at the ack timeout.
func TestUnreachablePrimaryPagesTheSecondaryAtOnce(t *testing.T) {
	t.Parallel()
	for _, wait := range []bool{false, true} {
		t.Run(fmt.Sprintf("wait %v", wait), func(t *testing.T) {
			t.Parallel()
			th := newTwilioHarness(t)
			if wait {
				th.loadRota(func(name, data string) string {
					return strings.Replace(data, "escalation:\n", "escalation:\n  unreachable: wait\n", 1)
				})
			}
			th.runEngine()
			id := th.trigger("Checkout down", "")
			text := to(th.requests(2), aliceNumber, "sms")[0]
			th.webhook(th.local(text.StatusCallback), url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}, "To": {aliceNumber}})
			call := to(th.requests(3), aliceNumber, "voice")[0]
			failedAt := th.clk.Now()
			th.webhook(th.local(call.StatusCallback), url.Values{"CallSid": {"CA1"}, "CallStatus": {"no-answer"}, "To": {aliceNumber}})
			if wait {
				th.requests(3) // the team waits for the timeout
				th.advance(5 * time.Minute)
			}
			reqs := th.requests(4)
			if got := reqs[3]; got.To != bobNumber || got.Kind != "sms" {
				t.Fatalf("after alice's text and call failed: %+v", got)
			}
			if !wait && th.clk.Now().Sub(failedAt) > 5*time.Second {
				t.Errorf("bob paged %v after the last failure", th.clk.Now().Sub(failedAt))
			}
			if got := strings.Contains(th.timeline(id), "alice could not be reached by any method"); got == wait {
				t.Errorf("timeline says why: %v, want %v\n%s", got, !wait, th.timeline(id))
			}
		})
	}
}

// Finding 10: alerts that arrive together (one Alertmanager group) go out
// together, not as "(30s late)"; a rate-limit hold is said as such.
func TestAlertsThatArriveTogetherGoTogether(t *testing.T) {
	t.Parallel()
	th := newTwilioHarness(t)
	th.runEngine()
	group := `{"version":"4","status":"firing","receiver":"pagerd","alerts":[
		{"status":"firing","labels":{"alertname":"HighLatency","instance":"web-1"},"annotations":{"summary":"p99 latency 4s on web-1"},"fingerprint":"a1"},
		{"status":"firing","labels":{"alertname":"HighLatency","instance":"web-2"},"annotations":{"summary":"p99 latency 4s on web-2"},"fingerprint":"a2"},
		{"status":"firing","labels":{"alertname":"HighLatency","instance":"web-3"},"annotations":{"summary":"p99 latency 4s on web-3"},"fingerprint":"a3"}]}`
	if code, out := th.post("/api/v1/integrations/alertmanager?key="+th.key, group); code != http.StatusAccepted {
		t.Fatalf("alertmanager: %d %v", code, out)
	}
	reqs := th.requests(2)
	texts := to(reqs, aliceNumber, "sms")
	if len(texts) != 1 || !strings.HasPrefix(texts[0].Body, "3 alerts: ") || lateRE.MatchString(texts[0].Body) {
		t.Fatalf("want one text about the group, on time: %+v", texts)
	}
	// One more 10s later waits out alice's 30s, and says it was held.
	th.clk.Advance(10 * time.Second)
	id := th.trigger("Checkout down", "")
	th.settle()
	th.clk.Advance(20 * time.Second)
	texts = to(th.requests(4), aliceNumber, "sms")
	held := texts[len(texts)-1].Body
	if !strings.Contains(held, fmt.Sprintf("#%d ops (held 20s, rate limit): Checkout down.", id)) || lateRE.MatchString(held) {
		t.Errorf("held text: %q", held)
	}
	if tl := th.timeline(id); !strings.Contains(tl, "held 20s (rate limit)") || lateRE.MatchString(tl) {
		t.Errorf("timeline:\n%s", tl)
	}
}

// urgencyRota makes warnings low urgency for the ops team, in zone, with
// business hours 09:00-17:00 on days.
func urgencyRota(zone, days, low string) func(name, data string) string {
	return func(name, data string) string {
		if name != "ops.yaml" {
			return data
		}
		data = strings.Replace(data, "timezone: UTC", "timezone: "+zone+"\nbusiness_hours: {days: "+days+", start: \"09:00\", end: \"17:00\"}", 1)
		return data + "urgency:\n  high: [critical, error]\n  low_out_of_hours: " + low + "\n"
	}
}

func (th *twilioHarness) raiseWarning(summary string) int64 {
	th.t.Helper()
	code, out := th.post("/api/v1/alerts", map[string]any{"routing_key": th.key, "summary": summary, "severity": "warning"})
	if code != http.StatusAccepted {
		th.t.Fatalf("POST: %d %v", code, out)
	}
	return int64(out["alerts"].([]any)[0].(map[string]any)["alert_id"].(float64))
}

// heldUntil reads an alert's held_until_at from GET /api/v1/alerts.
func (th *twilioHarness) heldUntil(id int64) *time.Time {
	th.t.Helper()
	resp, err := http.Get(th.srv.URL + "/api/v1/alerts")
	if err != nil {
		th.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Alerts []struct {
			ID        int64      `json:"id"`
			HeldUntil *time.Time `json:"held_until_at"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		th.t.Fatal(err)
	}
	for _, a := range out.Alerts {
		if a.ID == id {
			return a.HeldUntil
		}
	}
	th.t.Fatalf("alert %d not listed", id)
	return nil
}

// Finding 11: a warning at 03:00 local, for a team whose rota makes
// warnings low urgency, pages nobody until 09:00, then pages. The wait is
// the wall clock's, across a DST night too.
func TestLowUrgencyWaitsForBusinessHours(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, zone, days string
		at, opens        time.Time
	}{
		// Wednesday 25 Nov 2026, 03:00 in London (GMT).
		{"london weekday 03:00", "Europe/London", "[mon, tue, wed, thu, fri]",
			time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)},
		// New York, 01:30 EST on 14 Mar 2027; the clocks go forward at
		// 02:00, so 09:00 EDT is 6h30m later, not 7h30m.
		{"new york spring forward", "America/New_York", "[sun, mon, tue, wed, thu, fri, sat]",
			time.Date(2027, 3, 14, 6, 30, 0, 0, time.UTC), time.Date(2027, 3, 14, 13, 0, 0, 0, time.UTC)},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			th := newTwilioHarness(t)
			th.loadRota(urgencyRota(c.zone, c.days, "wait"))
			th.clk.Set(c.at)
			th.runEngine()
			id := th.raiseWarning("Disk 80% full on db-2")
			crit := th.trigger("Checkout down", "") // critical: pages at once, night or not
			th.eventually("the critical alert paged", func() bool { return len(th.fake.Requests()) > 0 })
			th.settle()
			night := th.fake.Requests()
			for _, r := range night {
				if !strings.Contains(r.Body+r.Twiml, fmt.Sprintf("#%d ", crit)) {
					t.Fatalf("paged about the held warning at night: %+v", r)
				}
			}
			if h := th.heldUntil(id); h == nil || !h.Equal(c.opens) {
				t.Fatalf("held_until %v, want %v", h, c.opens)
			}
			if !strings.Contains(th.timeline(id), "low urgency, outside business hours: held until") {
				t.Errorf("timeline:\n%s", th.timeline(id))
			}
			if code, _ := th.act(crit, "ack", "ops"); code != http.StatusOK { // the critical is handled
				t.Fatalf("ack: %d", code)
			}
			// A second before business hours: still nobody about the warning.
			th.advance(c.opens.Sub(th.clk.Now()) - time.Second)
			th.settle()
			th.requests(len(night))
			th.advance(time.Second)
			th.eventually("the warning paged at 09:00", func() bool { return len(th.fake.Requests()) > len(night) })
			th.settle()
			var about []string
			for _, r := range th.fake.Requests()[len(night):] {
				about = append(about, r.To)
				if !strings.Contains(r.Body, fmt.Sprintf("#%d ops: Disk 80%% full on db-2", id)) || lateRE.MatchString(r.Body) {
					t.Errorf("at 09:00: %q", r.Body)
				}
			}
			if th.heldUntil(id) != nil || th.alert(id).Status() != escalation.StatusTriggered {
				t.Errorf("still held after 09:00")
			}
			t.Logf("paged at %s: %v", th.clk.Now().Format(time.RFC3339), about)
		})
	}
}

// A held alert can be raised to high urgency, from the API or by SMS, and
// then pages at once; "sms" teams text low urgency at night, never call,
// until someone raises it.
func TestRaisingUrgency(t *testing.T) {
	t.Parallel()
	night := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	t.Run("api raises a held alert", func(t *testing.T) {
		t.Parallel()
		th := newTwilioHarness(t)
		th.loadRota(urgencyRota("Europe/London", "[mon, tue, wed, thu, fri]", "wait"))
		th.clk.Set(night)
		th.runEngine()
		id := th.raiseWarning("Disk 80% full")
		th.settle()
		if code, out := th.act(id, "urgent", "ops-lead"); code != http.StatusOK || out["urgency"] != "high" {
			t.Fatalf("urgent: %d %v", code, out)
		}
		reqs := th.requests(2)
		if len(to(reqs, aliceNumber, "sms")) != 1 {
			t.Fatalf("raised alert didn't page alice: %+v", reqs)
		}
		if code, _ := th.act(id, "urgent", "ops-lead"); code != http.StatusConflict {
			t.Errorf("second raise: %d", code)
		}
	})
	t.Run("texts only then raised by reply", func(t *testing.T) {
		t.Parallel()
		th := newTwilioHarness(t)
		th.loadRota(urgencyRota("Europe/London", "[mon, tue, wed, thu, fri]", "sms"))
		th.clk.Set(night)
		th.runEngine()
		id := th.raiseWarning("Disk 80% full")
		th.requests(2) // alice's text, erin's copy
		th.advance(3 * time.Minute)
		if calls := to(th.requests(2), aliceNumber, "voice"); len(calls) != 0 {
			t.Fatalf("called about a low-urgency alert at night")
		}
		_, body := th.reply(aliceNumber, fmt.Sprintf("%du", id))
		if got := answerOf(t, body); got != fmt.Sprintf("#%d is high urgency now: it pages day and night.", id) {
			t.Errorf("answer %q", got)
		}
		th.advance(2 * time.Minute)
		th.eventually("alice's call", func() bool { return len(to(th.fake.Requests(), aliceNumber, "voice")) == 1 })
	})
}
