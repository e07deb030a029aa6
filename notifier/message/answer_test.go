package message

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAnswers(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	at := time.Date(2026, 7, 1, 2, 12, 0, 0, time.UTC) // 03:12 in London (BST)
	for got, want := range map[string]string{
		Help():                        "pagerd: a = ack latest, 42a = ack #42, 42r = resolve, 42e = escalate now, 'ack all', ? = help. Don't reply STOP: it blocks all pages.",
		Acked(42):                     "#42 acknowledged, paging stopped. Reply 42r when it's resolved.",
		Resolved(42):                  "#42 resolved. Thanks.",
		Escalated(42, ""):             "#42 escalated: paging the next step now.",
		Escalated(42, "carol"):        "#42 escalated: paging carol now.",
		AckedAll([]int64{42, 43, 44}): "Acknowledged 3: #42, #43, #44. Paging stopped.",
		AckedAll(nil):                 NothingToAck(),
		ResolvedAll([]int64{42}):      "Resolved 1: #42. Thanks.",
		ResolvedAll(nil):              NothingToResolve(),
		AlreadyDone(42, "resolved", "bob", at, london):          "#42 was already resolved by bob at 03:12.",
		AlreadyDone(42, "acknowledged", "", at, nil):            "#42 was already acknowledged at 02:12.",
		AlreadyDone(42, "", "Zoë “Z” Müller", time.Time{}, nil): `#42 was already closed by Zoe "Z" Müller.`,
		ShadowNoted(42, "alice"):                                "Noted, you're shadowing: #42 is still paging alice.",
		ShadowNoted(42, ""):                                     "Noted, you're shadowing: #42 is still paging the on-call person.",
		NoSuchAlert(42):                                         "No alert #42 was paged to you. Reply ? for help.",
		NothingToAck():                                          "Nothing to acknowledge: no open page to you.",
		NothingToResolve():                                      "Nothing to resolve: no open page to you.",
		TryAgain():                                              "pagerd couldn't record that just now, so nothing changed. Please try again in a minute.",
	} {
		if got != want {
			t.Errorf("got  %q\nwant %q", got, want)
		}
		oneSegment(t, want, got)
	}
}

func TestAnswersAlwaysOneSegment(t *testing.T) {
	long := strings.Repeat("Bartholomew ", 30)
	emoji := strings.Repeat("👩‍🚒", 40)
	ids := make([]int64, 500)
	for i := range ids {
		ids[i] = math.MaxInt64 - int64(i)
	}
	at := time.Date(2026, 1, 1, 3, 12, 0, 0, time.UTC)
	for _, s := range []string{
		Acked(math.MinInt64), Resolved(math.MaxInt64),
		Escalated(math.MaxInt64, long), Escalated(math.MaxInt64, emoji),
		AckedAll(ids), ResolvedAll(ids), AckedAll(ids[:1]),
		AlreadyDone(math.MaxInt64, strings.Repeat("resolved", 20), long, at, nil),
		AlreadyDone(math.MaxInt64, emoji, emoji, at, time.UTC),
		ShadowNoted(math.MaxInt64, long), ShadowNoted(math.MaxInt64, emoji+"\xff\n"),
		NoSuchAlert(math.MinInt64),
	} {
		oneSegment(t, "answer", s)
	}
	s := AckedAll(ids)
	if !strings.HasPrefix(s, "Acknowledged 500: #9223372036854775807, ") || !strings.HasSuffix(s, " more. Paging stopped.") {
		t.Errorf("AckedAll(500) = %q", s)
	}
	shown := strings.Count(s, "#")
	if !strings.Contains(s, ", +"+strconv.Itoa(500-shown)+" more.") {
		t.Errorf("AckedAll(500) count wrong (%d shown): %q", shown, s)
	}
	if got := Escalated(42, long); !strings.HasPrefix(got, "#42 escalated: paging Bartholomew") || !strings.HasSuffix(got, "... now.") {
		t.Errorf("long name not cut: %q", got)
	}
}
