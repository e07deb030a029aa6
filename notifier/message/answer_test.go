package message

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// esc is the answer to "esc id" that pages names.
func esc(id int64, names ...string) string {
	return Answer(Outcome{Verb: VerbEscalate, Done: []int64{id}, Paging: names})
}

func TestAnswers(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	at := time.Date(2026, 7, 1, 2, 12, 0, 0, time.UTC) // 03:12 in London (BST)
	for got, want := range map[string]string{
		Help():           "pagerd: a=ack last page, 42a=ack #42, 42r=resolve, 42e=escalate, 42u=urgent, 42 page TEAM, 42 major, ack all. Don't send STOP: it blocks pages.",
		Acked(42):        "#42 acknowledged, paging stopped. Reply 42r when it's resolved.",
		Resolved(42):     "#42 resolved. Thanks.",
		esc(42):          "#42 escalated: paging the next step now.",
		esc(42, "carol"): "#42 escalated: paging carol now.",
		Answer(Outcome{Verb: VerbAck, Done: []int64{42, 43, 44}}):                                                                "Acknowledged 3 alerts, #42-#44. Paging stopped.",
		Answer(Outcome{Verb: VerbAck}):                                                                                           NothingToAck(),
		Answer(Outcome{Verb: VerbResolve, Done: []int64{42}}):                                                                    "#42 resolved. Thanks.",
		Answer(Outcome{Verb: VerbResolve}):                                                                                       NothingToResolve(),
		Answer(Outcome{Verb: VerbEscalate, Done: []int64{4}, Paging: []string{"kim"}, LastStep: true}):                           "#4 escalated: paging kim now; nobody further after that.",
		Answer(Outcome{Verb: VerbEscalate, NoFurther: []int64{4}, Paging: []string{"kim"}}):                                      "#4: that was the last step, so nobody further will be paged; kim still is.",
		Answer(Outcome{Verb: VerbAck, Noted: []int64{1, 2, 3, 5}, Paging: []string{"alice"}}):                                    "Noted, you're shadowing 4 alerts, #1-#3, #5, still paging alice.",
		Answer(Outcome{Verb: VerbAck, Done: []int64{7, 9}, Already: []Closed{{ID: 8, Status: "resolved"}}, Failed: []int64{10}}): "Acknowledged 2 alerts, #7, #9. Paging stopped. Not recorded #10. Try again in a minute. Already answered #8.",
		Answer(Outcome{Verb: VerbUrgent, Done: []int64{42}}):                                                                     "#42 is high urgency now: it pages day and night.",
		AlreadyDone(42, "resolved", "bob", at, london):                                                                           "#42 was already resolved by bob at 03:12.",
		AlreadyDone(42, "acknowledged", "", at, nil):                                                                             "#42 was already acknowledged at 02:12.",
		AlreadyDone(42, "", "Zoë “Z” Müller", time.Time{}, nil):                                                                  `#42 was already closed by Zoe "Z" Müller.`,
		ShadowNoted(42, "alice"):                                                                                                 "Noted, you're shadowing: #42 is still paging alice.",
		ShadowNoted(42, ""):                                                                                                      "Noted, you're shadowing: #42 is still paging the on-call person.",
		NoSuchAlert(42):                                                                                                          "No alert #42 was paged to you. Reply ? for help.",
		NothingToAck():                                                                                                           "Nothing to acknowledge: no open page to you.",
		NothingToResolve():                                                                                                       "Nothing to resolve: no open page to you.",
		TryAgain():                                                                                                               "pagerd couldn't record that just now, so nothing changed. Please try again in a minute.",
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
		esc(math.MaxInt64, long), esc(math.MaxInt64, emoji), esc(math.MaxInt64, long, emoji, long),
		Answer(Outcome{Verb: VerbAck, Done: ids}), Answer(Outcome{Verb: VerbResolve, Done: ids}), Answer(Outcome{Done: ids[:1]}),
		Answer(Outcome{Verb: VerbAck, Done: ids, Noted: ids, Failed: ids, Missing: ids, Already: []Closed{{ID: 1}, {ID: 2}}, NoFurther: ids, Paging: []string{long}}),
		NoFurtherStep(math.MaxInt64, []string{long, emoji}),
		AlreadyDone(math.MaxInt64, strings.Repeat("resolved", 20), long, at, nil),
		AlreadyDone(math.MaxInt64, emoji, emoji, at, time.UTC),
		ShadowNoted(math.MaxInt64, long), ShadowNoted(math.MaxInt64, emoji+"\xff\n"),
		NoSuchAlert(math.MinInt64),
	} {
		oneSegment(t, "answer", s)
	}
	odd := make([]int64, 500) // no two consecutive: no ranges to merge
	for i := range odd {
		odd[i] = math.MaxInt64 - 2*int64(i)
	}
	s := Answer(Outcome{Verb: VerbAck, Done: odd})
	if !strings.HasPrefix(s, "Acknowledged 500 alerts, #") || !strings.HasSuffix(s, " more. Paging stopped.") {
		t.Errorf("500 acks = %q", s)
	}
	shown := strings.Count(s, "#")
	if !strings.Contains(s, ", +"+strconv.Itoa(500-shown)+" more.") {
		t.Errorf("500 acks count wrong (%d shown): %q", shown, s)
	}
	if got := esc(42, long); !strings.HasPrefix(got, "#42 escalated: paging Bartholomew") || !strings.HasSuffix(got, "... now.") {
		t.Errorf("long name not cut: %q", got)
	}
}

// A storm answered: the issue's own example.
func TestAnswerSummarisesAStorm(t *testing.T) {
	ids := make([]int64, 99)
	for i := range ids {
		ids[i] = int64(121 - i)
	}
	if got, want := Answer(Outcome{Verb: VerbAck, Done: ids}), "Acknowledged 99 alerts, #23-#121. Paging stopped."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	spoken := Spoken(Outcome{Verb: VerbAck, Done: ids})
	if spoken != "Acknowledged 99 alerts, 23 to 121. Paging stopped." {
		t.Errorf("spoken %q", spoken)
	}
}

func TestSpoken(t *testing.T) {
	for _, c := range []struct {
		o    Outcome
		want string
	}{
		{Outcome{Verb: VerbAck, Done: []int64{42}}, "Acknowledged alert 4 2. Paging stopped."},
		{Outcome{Verb: VerbResolve, Done: []int64{1, 2, 3, 7, 9, 10, 20}}, "Resolved 7 alerts, 1 to 3, 7, 9 to 10 and 1 more. Thanks."},
		{Outcome{Verb: VerbEscalate, Done: []int64{4}, Paging: []string{"kim"}, LastStep: true}, "Escalated alert 4. Paging kim now. That is the last step: nobody further after that."},
		{Outcome{Verb: VerbEscalate, NoFurther: []int64{4}, Paging: []string{"kim"}}, "No further step for alert 4. That was the last step: nobody further will be paged; kim still is."},
		{Outcome{Verb: VerbAck, Noted: []int64{5, 6}, Paging: []string{"alice"}}, "Noted, you are shadowing 2 alerts, 5 to 6. Still paging alice."},
		{Outcome{Verb: VerbAck, Already: []Closed{{ID: 42, Status: "resolved", By: "bob"}}}, "Alert 4 2 was already resolved by bob."},
		{Outcome{Verb: VerbAck}, "There is nothing open to answer."},
	} {
		got := Spoken(c.o)
		if got != c.want {
			t.Errorf("Spoken(%+v)\n got %q\nwant %q", c.o, got, c.want)
		}
		if strings.Contains(strings.ToLower(got), "reply") || strings.Contains(got, "#") {
			t.Errorf("spoken answer tells someone to reply, or says '#': %q", got)
		}
	}
	ids := make([]int64, 10000)
	for i := range ids {
		ids[i] = int64(3 * i)
	}
	long := strings.Repeat("Bartholomew ", 60)
	got := Spoken(Outcome{Verb: VerbAck, Done: ids, Failed: ids, Noted: ids, Missing: ids, Paging: []string{long}})
	if n := len([]rune(got)); n > MaxSpokenAnswer {
		t.Errorf("spoken answer is %d runes", n)
	}
}

// Every command the help text teaches does what it says: a person woken
// at night copies them as written.
func TestHelpCommandsParse(t *testing.T) {
	for _, tc := range []struct {
		reply string
		want  Command
	}{
		{"a", Command{Verb: VerbAck}},
		{"42a", Command{Verb: VerbAck, AlertID: 42}},
		{"42r", Command{Verb: VerbResolve, AlertID: 42}},
		{"42e", Command{Verb: VerbEscalate, AlertID: 42}},
		{"42u", Command{Verb: VerbUrgent, AlertID: 42}},
		{"42 page payments", Command{Verb: VerbPage, AlertID: 42, Team: "payments"}},
		{"42 major", Command{Verb: VerbMajor, AlertID: 42}},
		{"ack all", Command{Verb: VerbAck, All: true}},
	} {
		if !strings.Contains(Help(), strings.Replace(tc.reply, "payments", "TEAM", 1)) {
			t.Errorf("help %q does not teach %q", Help(), tc.reply)
		}
		got, err := ParseReply(tc.reply)
		if err != nil {
			t.Errorf("ParseReply(%q): %v", tc.reply, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseReply(%q) = %+v, want %+v", tc.reply, got, tc.want)
		}
	}
}
