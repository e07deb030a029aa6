package message

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		"ack", "a", "ACK ", "Ack.", "ack 42", "42 ack", "a42", "42a", "#42 a", "ack #42", "resolve 42", "r42",
		"42r", "res 42", "esc 42", "e42", "escalate 42", "ack all", "a all", "all a", "help", "?", "h", "ok", "k",
		"stop", "START", "yes", "👍", "Liked “#42”", "", "fnord", "ack 42 43", "ack 99999999999999999999",
		"esc all", "ack ٤٢", "\xff\xfe", "ack'd", "all", "42",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmd, err := ParseReply(s)
		if err != nil {
			re, ok := err.(*ReplyError)
			if !ok {
				t.Fatalf("ParseReply(%q) error %T %v, want *ReplyError", s, err, err)
			}
			if cmd != (Command{}) {
				t.Fatalf("ParseReply(%q) = %+v with error", s, cmd)
			}
			if n, _ := Segments(re.Answer); n != 1 || !utf8.ValidString(re.Answer) {
				t.Fatalf("ParseReply(%q) answer %q is %d segments", s, re.Answer, n)
			}
			return
		}
		if !cmd.Verb.Valid() {
			t.Fatalf("ParseReply(%q) verb %q", s, cmd.Verb)
		}
		if cmd.AlertID < 0 {
			t.Fatalf("ParseReply(%q) id %d", s, cmd.AlertID)
		}
		if cmd.All && (cmd.Verb != VerbAck && cmd.Verb != VerbResolve || cmd.AlertID != 0) {
			t.Fatalf("ParseReply(%q) = %+v: All only with ack or resolve, without an id", s, cmd)
		}
		if cmd.Verb == VerbHelp && cmd != (Command{Verb: VerbHelp}) {
			t.Fatalf("ParseReply(%q) = %+v", s, cmd)
		}
	})
}

func FuzzCompose(f *testing.F) {
	f.Add(int64(42), "payments", "Checkout error rate 12%", "search", "Index “stale” — 3 shards…", uint8(1), uint8(0))
	f.Add(int64(1), "", "", "", "", uint8(100), uint8(0xff))
	f.Add(int64(-9223372036854775808), strings.Repeat("t", 300), strings.Repeat("🔥", 100), "\xff\xfe", "Ошибка", uint8(3), uint8(7))
	f.Add(int64(9223372036854775807), "👩‍🚒", "{[~]}|^€\f\n\r\t", "a\u202eb", "\u200b", uint8(41), uint8(0x55))
	f.Fuzz(func(t *testing.T, id int64, team1, sum1, team2, sum2 string, n, flags uint8) {
		count := int(n)%120 + 1
		alerts := make([]Alert, count)
		for i := range alerts {
			a := Alert{ID: id + int64(i), Team: team1, Summary: sum1}
			if i%2 == 1 {
				a.Team, a.Summary = team2, sum2
			}
			bit := func(b uint) bool { return flags>>(b%8)&1 == 1 }
			a.Shadow = bit(uint(i))
			if bit(uint(i) + 1) {
				a.Count = int(flags) * (i + 1)
			}
			if bit(uint(i) + 2) {
				a.Late = time.Duration(flags) * time.Duration(i+1) * time.Minute
			}
			alerts[i] = a
		}
		s := ComposeHeld(alerts, time.Duration(flags%3)*20*time.Second)
		if n, _ := Segments(s); n != 1 {
			t.Fatalf("%d segments: %q", n, s)
		}
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8: %q", s)
		}
		if !strings.Contains(s, "#"+strconv.FormatInt(alerts[0].ID, 10)) || !strings.Contains(s, "Reply ") {
			t.Fatalf("id or hint lost: %q", s)
		}
		checkSpeech(t, Speech(alerts[0]))
	})
}
