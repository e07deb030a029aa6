package scheduler_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/report"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/timesheet"
)

const payPeople = `people:
  - {id: ann, name: Ann, timezone: UTC, contacts: {sms: "+447700900101"}}
  - {id: ben, name: Ben, timezone: UTC, contacts: {sms: "+447700900102"}}
`

// payTeam: weekly Monday 09:00 handoffs from Mon 30 Nov 2026, ann then ben;
// ben covers ann from Tue 1 Dec 17:00 to Wed 2 Dec 09:00 (a swap).
const payTeam = `team: pay
timezone: UTC
business_hours: {days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}
holidays: [2026-12-25]
rotations:
  primary:
    members: [ann, ben]
    handoff: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    start: 2026-11-30T09:00
overrides:
  - {role: primary, person: ben, from: 2026-12-01T17:00, until: 2026-12-02T09:00, note: swap}
escalation:
  steps:
    - {notify: [primary], ack_timeout: 30m}
pay:
  currency: GBP
  standby_per_hour: {weekday_out_of_hours: 2.00, weekend: 3.00, holiday: 6.00}
  engaged_per_hour: 30.00
  minimum_callout_minutes: 30
`

func (h *harness) loadFiles(people, team string) {
	h.t.Helper()
	r, diags := rotafile.Load([]rotafile.File{{Name: "people.yaml", Data: []byte(people)}, {Name: "pay.yaml", Data: []byte(team)}})
	if err := diags.Err(); err != nil {
		h.t.Fatal(err)
	}
	rev := int64(1)
	if cur := h.holder.Get(); cur != nil {
		rev = cur.Rev + 1
	}
	h.holder.Set(inforce.New(r, rev, quietLog()))
}

// until moves the fake clock to t in steps, letting the ledger record at
// each, as the month passes.
func (h *harness) until(t time.Time, step time.Duration) {
	h.t.Helper()
	for h.clk.Now().Before(t) {
		next := h.clk.Now().Add(step)
		if next.After(t) {
			next = t
		}
		h.clk.Set(next)
		h.ledgerCaughtUp()
	}
}

func (h *harness) ledgerCaughtUp() {
	h.t.Helper()
	h.eventually("ledger at "+h.clk.Now().String(), func() bool {
		c, ok, err := h.st.Cursor(context.Background(), "pay")
		return err == nil && ok && !c.Alive.Before(h.clk.Now())
	})
	h.settle()
}

// raise posts an alert naming the team (no integration key needed when
// the API has no token).
func (h *harness) raise(team, summary string) int64 {
	h.t.Helper()
	code, out := h.post("/api/v1/alerts", map[string]any{"team": team, "summary": summary}, asLead()...)
	if code != http.StatusAccepted {
		h.t.Fatalf("POST alert: %d %v", code, out)
	}
	return int64(out["alerts"].([]any)[0].(map[string]any)["alert_id"].(float64))
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestSimulatedMonthPaysWhatWasWorked runs December 2026 on a fake clock:
// weekly handoffs, a swap, two out-of-hours pages acknowledged and
// resolved, and two days with pagerd down. The report matches figures
// worked out by hand, and a rota edit afterwards changes none of it.
func TestSimulatedMonthPaysWhatWasWorked(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.loadFiles(payPeople, payTeam)
	h.clk.Set(utc("2026-11-30 09:00"))
	stop := h.runEngine()
	h.ledgerCaughtUp()

	// Thu 3 Dec 02:00: ann (primary) is paged, acks at 02:05, resolves 02:20.
	h.until(utc("2026-12-03 02:00"), 6*time.Hour)
	a1 := h.raise("pay", "Payments API 500s")
	h.clk.Set(utc("2026-12-03 02:05"))
	if code, out := h.act(a1, "ack", "ann"); code != http.StatusOK {
		t.Fatalf("ack: %d %v", code, out)
	}
	h.clk.Set(utc("2026-12-03 02:20"))
	if code, _ := h.act(a1, "resolve", "ann"); code != http.StatusOK {
		t.Fatal("resolve failed")
	}
	// Sat 12 Dec 14:00: ben is paged, acks at 14:10, resolves at 15:10.
	h.until(utc("2026-12-12 14:00"), 6*time.Hour)
	a2 := h.raise("pay", "Queue backlog")
	h.clk.Set(utc("2026-12-12 14:10"))
	h.act(a2, "ack", "ben")
	h.clk.Set(utc("2026-12-12 15:10"))
	h.act(a2, "resolve", "ben")

	// pagerd is down from Wed 16 Dec 12:00 to Fri 18 Dec 12:00.
	h.until(utc("2026-12-16 12:00"), 6*time.Hour)
	stop()
	h.clk.Set(utc("2026-12-18 12:00"))
	h.runEngine()
	h.ledgerCaughtUp()
	h.until(utc("2027-01-01 06:00"), 6*time.Hour)

	ctx := context.Background()
	from, to := utc("2026-12-01 00:00"), utc("2027-01-01 00:00")
	held, _, err := h.st.Ledger(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	var reconstructed, cut int
	for _, e := range held {
		if e.Reconstructed {
			reconstructed++
			if !e.End.After(utc("2026-12-16 12:00")) {
				t.Errorf("entry before the downtime marked reconstructed: %+v", e)
			}
		}
		if e.End.Equal(utc("2026-12-16 12:00")) {
			cut++ // the shift under way when pagerd stopped, closed then
		}
	}
	if reconstructed == 0 || cut != 1 {
		t.Errorf("reconstructed entries %d, cut at shutdown %d\n%+v", reconstructed, cut, held)
	}

	lines, err := report.Pay(ctx, h.st, h.holder.Get().Rota, from, to, "", "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]int64{} // "person kind class" -> minutes, amount
	for _, l := range lines {
		got[fmt.Sprintf("%s %s %s", l.Person, l.Kind, l.Class)] = [2]int64{l.Minutes(), l.Amount}
	}
	// By hand (UTC; business Mon-Fri 09-17; a weekday has 16h out of hours):
	// ann holds Tue 1 Dec 00:00 - Mon 7 Dec 09:00 less ben's swap
	//   (Tue 9h + Wed 7h + Thu 16h + Fri 16h + Mon 9h = 57h out of hours;
	//   Sat+Sun 48h), 14-21 Dec (Mon 7h + 4x16h + Mon 9h = 80h; 48h
	//   weekend), and 28 Dec 09:00 - 1 Jan (Mon 7h + 3x16h = 55h):
	//   192h x 2.00 = 384.00; 96h x 3.00 = 288.00.
	// ben holds the swap (Tue 17-24 7h + Wed 00-09 9h = 16h), 7-14 Dec
	//   (80h; 48h weekend) and 21-28 Dec (Mon 7h + Tue-Thu 48h + Mon 9h =
	//   64h; 48h weekend; Fri 25th a holiday, 24h):
	//   160h x 2.00 = 320.00; 96h x 3.00 = 288.00; 24h x 6.00 = 144.00.
	// ann worked 15 minutes at 02:05 on a Thursday: the 30-minute minimum
	//   at 30.00/h = 15.00. ben worked an hour on a Saturday: 30.00.
	want := map[string][2]int64{
		"ann standby weekday_out_of_hours": {192 * 60, 38400},
		"ann standby weekend":              {96 * 60, 28800},
		"ann engaged weekday_out_of_hours": {30, 1500},
		"ben standby weekday_out_of_hours": {160 * 60, 32000},
		"ben standby weekend":              {96 * 60, 28800},
		"ben standby holiday":              {24 * 60, 14400},
		"ben engaged weekend":              {60, 3000},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %d min, %d pence; want %d min, %d pence", k, got[k][0], got[k][1], w[0], w[1])
		}
	}
	// Business hours are listed, unpaid.
	for k, v := range got {
		if strings.Contains(k, "business") && v[1] != 0 {
			t.Errorf("%s paid %d", k, v[1])
		}
		if _, ok := want[k]; !ok && !strings.Contains(k, "business") {
			t.Errorf("unexpected line %s = %v", k, v)
		}
	}

	// A rota edit afterwards (members reordered, the swap deleted) leaves
	// the ledger and December's report as they were.
	h.loadFiles(payPeople, strings.Replace(strings.Replace(payTeam, "[ann, ben]", "[ben, ann]", 1),
		"  - {role: primary, person: ben, from: 2026-12-01T17:00, until: 2026-12-02T09:00, note: swap}\n", "", 1))
	h.clk.Advance(time.Hour)
	h.ledgerCaughtUp()
	held2, _, _ := h.st.Ledger(ctx, from, to)
	if !reflect.DeepEqual(held, held2) {
		t.Errorf("a rota edit changed the past ledger")
	}
	lines2, _ := report.Pay(ctx, h.st, h.holder.Get().Rota, from, to, "", "")
	if !reflect.DeepEqual(lines, lines2) {
		t.Errorf("a rota edit changed December's report:\n%v\n%v", lines, lines2)
	}

	// A correction is a new entry: ben really covered ann's Sunday 6 Dec.
	code, out := h.post("/api/v1/ledger/corrections", map[string]any{"team": "pay", "role": "primary", "person": "ben",
		"from": "2026-12-06", "to": "2026-12-07", "reason": "ben swapped the Sunday with ann"}, asLead()...)
	if code != http.StatusCreated {
		t.Fatalf("correction: %d %v", code, out)
	}
	lines3, _ := report.Pay(ctx, h.st, h.holder.Get().Rota, from, to, "", "")
	amount := func(ls []timesheet.Line, key string) int64 {
		for _, l := range ls {
			if fmt.Sprintf("%s %s %s", l.Person, l.Kind, l.Class) == key {
				return l.Amount
			}
		}
		return 0
	}
	if amount(lines3, "ann standby weekend") != 28800-7200 || amount(lines3, "ben standby weekend") != 28800+7200 {
		t.Errorf("after the correction: ann weekend %d, ben weekend %d", amount(lines3, "ann standby weekend"), amount(lines3, "ben standby weekend"))
	}
	if held3, fixes, _ := h.st.Ledger(ctx, from, to); len(fixes) != 1 || !reflect.DeepEqual(held3, held) {
		t.Errorf("the correction changed the recorded entries, or wasn't kept (%d fixes)", len(fixes))
	}
}
