package message

import (
	"errors"
	"strings"
	"testing"
)

func TestParseReply(t *testing.T) {
	ack := func(id int64) Command { return Command{Verb: VerbAck, AlertID: id} }
	res := func(id int64) Command { return Command{Verb: VerbResolve, AlertID: id} }
	esc := func(id int64) Command { return Command{Verb: VerbEscalate, AlertID: id} }
	help := Command{Verb: VerbHelp}
	for in, want := range map[string]Command{
		// ack of the latest page
		"ack": ack(0), "a": ack(0), "A": ack(0), "ACK ": ack(0), "Ack.": ack(0), " ack! ": ack(0),
		"Acknowledge": ack(0), "Acknowledged": ack(0), "acked": ack(0), "ack'd": ack(0), "ack’d": ack(0),
		"ok": ack(0), "OK": ack(0), "Ok.": ack(0), "okay": ack(0), "k": ack(0), "K": ack(0), "kk": ack(0),
		"ack please": ack(0), "ack thanks": ack(0), "ack 👍": ack(0), "\u200back\ufeff": ack(0),
		// ack of one alert
		"ack 42": ack(42), "42 ack": ack(42), "a42": ack(42), "42a": ack(42), "A42": ack(42), "42A": ack(42),
		"#42 a": ack(42), "ack #42": ack(42), "#42a": ack(42), "a #42": ack(42), "ack42": ack(42), "42ack": ack(42),
		"  ACK   42  ": ack(42), "ack 42.": ack(42), "a 042": ack(42), "ack: 42": ack(42), "ack\u00a042": ack(42),
		"ok 42": ack(42), "42 ok": ack(42), "acknowledge 42": ack(42), "alert 42 ack": ack(42),
		"ack 9223372036854775807": ack(9223372036854775807),
		// resolve
		"resolve 42": res(42), "r42": res(42), "42r": res(42), "res 42": res(42), "R 42": res(42), "42 resolved": res(42),
		"r": res(0), "resolve": res(0), "Resolved.": res(0), "#42 r": res(42),
		// escalate now
		"esc 42": esc(42), "e42": esc(42), "42e": esc(42), "escalate 42": esc(42), "ESC #42": esc(42),
		"esc 42 now": esc(42), "escalate now": esc(0), "esc": esc(0), "e": esc(0),
		// raise to high urgency
		"42u": {Verb: VerbUrgent, AlertID: 42}, "urgent 42": {Verb: VerbUrgent, AlertID: 42}, "u 42": {Verb: VerbUrgent, AlertID: 42},
		"URGENT": {Verb: VerbUrgent},
		// all
		"ack all": {Verb: VerbAck, All: true}, "a all": {Verb: VerbAck, All: true}, "all a": {Verb: VerbAck, All: true},
		"ACK ALL": {Verb: VerbAck, All: true}, "ack-all": {Verb: VerbAck, All: true}, "ok all": {Verb: VerbAck, All: true},
		"resolve all": {Verb: VerbResolve, All: true}, "r all": {Verb: VerbResolve, All: true}, "all r": {Verb: VerbResolve, All: true},
		// help
		"help": help, "HELP": help, "h": help, "?": help, "??": help, " ? ": help, "？": help, "help?": help,
		"Help me": help, "info": help, "help 42": help,
	} {
		got, err := ParseReply(in)
		if err != nil || got != want {
			t.Errorf("ParseReply(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
}

func TestParseReplyRefused(t *testing.T) {
	for in, kind := range map[string]ReplyKind{
		"":                         NotUnderstood,
		"   ":                      NotUnderstood,
		"fnord":                    NotUnderstood,
		"42":                       NotUnderstood,
		"#42":                      NotUnderstood,
		"all":                      NotUnderstood,
		"ack 42 43":                NotUnderstood,
		"42a 43a":                  NotUnderstood,
		"ack 99999999999999999999": NotUnderstood,
		"ack 9223372036854775808":  NotUnderstood,
		"ack 0":                    NotUnderstood,
		"ack resolve 42":           NotUnderstood,
		"urgent all":               NotUnderstood,
		"esc all":                  NotUnderstood,
		"ack all 42":               NotUnderstood,
		"aa":                       NotUnderstood,
		"r2d2":                     NotUnderstood,
		"y":                        NotUnderstood,
		"on it":                    NotUnderstood,
		"ack ٤٢":                   NotUnderstood, // not "ack the latest"
		"ack ⁴²":                   NotUnderstood,
		"аск":                      NotUnderstood, // Cyrillic look-alike
		"thanks":                   NotUnderstood,
		"stop 42":                  NotUnderstood, // not a Twilio keyword: only single words are
		"STOP":                     OptOut,
		"stop":                     OptOut,
		"Stop.":                    OptOut,
		"unsubscribe":              OptOut,
		"CANCEL":                   OptOut,
		"end":                      OptOut,
		"quit":                     OptOut,
		"stopall":                  OptOut,
		"START":                    OptIn,
		"yes":                      OptIn,
		"YES":                      OptIn,
		"unstop":                   OptIn,
		"👍":                        Reaction,
		"👍🏽":                       Reaction,
		"❤️":                       Reaction,
		`Liked "#42 payments: Checkout error rate 12%. Reply 42a ack, 42r resolve, ? help"`: Reaction,
		"Liked “#42 payments: Checkout down”":                                               Reaction,
		"Reacted 👍 to “#42 payments: Checkout down”":                                        Reaction,
		"Emphasized “#42 payments”":                                                         Reaction,
	} {
		cmd, err := ParseReply(in)
		var re *ReplyError
		if !errors.As(err, &re) {
			t.Errorf("ParseReply(%q) = %+v, %v; want a *ReplyError", in, cmd, err)
			continue
		}
		if re.Kind != kind {
			t.Errorf("ParseReply(%q) kind %s, want %s (%q)", in, re.Kind, kind, re.Answer)
		}
		if cmd != (Command{}) {
			t.Errorf("ParseReply(%q) returned %+v with an error", in, cmd)
		}
		if n, _ := Segments(err.Error()); n != 1 || err.Error() != re.Answer {
			t.Errorf("ParseReply(%q) answer is %d segments: %q", in, n, err.Error())
		}
		// The answer never repeats what was sent (unknown words, numbers).
		if strings.Contains(err.Error(), "fnord") || strings.Contains(err.Error(), "999999") {
			t.Errorf("ParseReply(%q) echoes the input: %q", in, err.Error())
		}
	}
}

func TestParseReplyAnswers(t *testing.T) {
	for in, want := range map[string]string{
		"fnord":     "Not understood. " + Help(),
		"42":        "#42: reply 42a to ack, 42r to resolve, 42e to escalate now.",
		"ack 42 43": "One alert per reply: 42a, then 43a. Or 'ack all'.",
		"stop":      "Replying STOP makes Twilio block all pages to this phone; reply START to undo it. To acknowledge, reply a or 42a.",
		"esc all":   "Escalate one alert at a time: esc 42. 'ack all' and 'resolve all' work.",
		"👍":         "Reactions and emoji aren't read as replies. Reply a to ack the latest page, 42a for #42, ? for help.",
		"":          "Empty reply. " + Help(),
		"ack 0":     "There is no alert #0. Reply a to ack the latest page, ? for help.",
	} {
		_, err := ParseReply(in)
		if err == nil || err.Error() != want {
			t.Errorf("ParseReply(%q) error %v\nwant %q", in, err, want)
		}
	}
}

func TestVerbValid(t *testing.T) {
	for _, v := range []Verb{VerbAck, VerbResolve, VerbEscalate, VerbHelp} {
		if !v.Valid() {
			t.Errorf("%q not valid", v)
		}
	}
	for _, v := range []Verb{"", "stop", "Ack"} {
		if v.Valid() {
			t.Errorf("%q valid", v)
		}
	}
}

func TestParsePageAndMajor(t *testing.T) {
	for in, want := range map[string]Command{
		"42 page platform":   {Verb: VerbPage, AlertID: 42, Team: "platform"},
		"Page platform 42":   {Verb: VerbPage, AlertID: 42, Team: "platform"},
		"#42 pull platform!": {Verb: VerbPage, AlertID: 42, Team: "platform"},
		"page data-eng":      {Verb: VerbPage, Team: "data-eng"},
		"42 major":           {Verb: VerbMajor, AlertID: 42},
		"Major 42.":          {Verb: VerbMajor, AlertID: 42},
		"page platform pls":  {Verb: VerbPage, Team: "platform"},
	} {
		got, err := ParseReply(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"42 page", "page 42", "42 page platform 43", "major all", "42 page pl@tform"} {
		if got, err := ParseReply(in); err == nil {
			t.Errorf("%q: %+v, want an error", in, got)
		} else if !fits(err.Error()) {
			t.Errorf("%q: answer %q is over one segment", in, err)
		}
	}
}
