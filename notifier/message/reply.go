package message

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Verb is what a reply asks for.
type Verb string

// The verbs a reply can carry.
const (
	VerbAck      Verb = "ack"
	VerbResolve  Verb = "resolve"
	VerbEscalate Verb = "escalate"
	VerbUrgent   Verb = "urgent" // raise to high urgency
	VerbHelp     Verb = "help"
	VerbPage     Verb = "page"  // pull another team's on-call in: "42 page platform"
	VerbMajor    Verb = "major" // declare a major incident: page the incident commander
)

// Valid reports whether v is one of the verbs above.
func (v Verb) Valid() bool {
	switch v {
	case VerbAck, VerbResolve, VerbEscalate, VerbUrgent, VerbHelp, VerbPage, VerbMajor:
		return true
	}
	return false
}

// Command is a reply understood.
type Command struct {
	Verb    Verb
	AlertID int64  // 0: every alert of the last message to this person
	All     bool   // "ack all" / "resolve all": every open alert paged to this person
	Team    string // VerbPage: the team whose on-call to pull in
}

// ReplyKind says why a reply was not taken as a command, for the webhook's
// timeline; the person is told ReplyError.Answer either way.
type ReplyKind string

// Reasons a reply is refused.
const (
	NotUnderstood ReplyKind = "not-understood"
	// OptOut: a single word that Twilio takes as an opt-out (STOP,
	// UNSUBSCRIBE, CANCEL, END, QUIT, STOPALL...). Twilio has already
	// blocked the number before the webhook sees it, so the answer can't
	// be delivered by SMS: the handler should record it loudly, because
	// pagerd can no longer text this person until they reply START.
	OptOut ReplyKind = "opt-out"
	// OptIn: START, YES or UNSTOP, Twilio's opt-in words. Twilio answers
	// them itself and lifts any block; pagerd takes no action.
	OptIn ReplyKind = "opt-in"
	// Reaction: an emoji, or a phone's tapback ("Liked “#42 …”"). Taken as
	// nothing, deliberately: a tapback is one accidental long-press away.
	Reaction ReplyKind = "reaction"
)

// ReplyError is a reply that isn't a command. Its Error text is Answer, a
// short (one segment) reply to send back that says how to do it right. It
// never repeats the person's text.
type ReplyError struct {
	Kind   ReplyKind
	Answer string
}

func (e *ReplyError) Error() string { return e.Answer }

func refuse(kind ReplyKind, answer string) error {
	return &ReplyError{Kind: kind, Answer: answer}
}

// ParseReply understands a person's SMS reply. It forgives case, spacing,
// punctuation, a '#' before the id, and the verb before or after the id,
// with or without a space:
//
//	ack, a, ok, k               ack every alert of the last message to this person
//	ack 42, 42 ack, a42, 42a    ack alert 42 (also "#42 a", "ack #42", "Ack.")
//	resolve 42, res 42, r42, 42r
//	esc 42, escalate 42, e42    escalate now, to the next step
//	urgent 42, u42, 42u         raise to high urgency (page now, day or night)
//	ack all, a all, all a       every open alert paged to this person
//	resolve all, r all
//	help, h, ?, info            help
//
// Longer spellings are accepted too ("acknowledge", "acknowledged", "acked",
// "resolved", "escalated"), as are the fillers "please", "thanks", "now" and
// "alert" ("esc 42 now", "ack pls").
//
// "ok"/"okay"/"k" mean ack of the latest: at 3 a.m. "ok" is what a half-awake
// person types to say "I've got it", which is exactly what ack means, and
// the answer says which alert was acknowledged, so a wrong guess is seen at
// once. "yes"/"y" are not: YES is one of Twilio's opt-in keywords, so it
// also triggers Twilio's own re-subscription reply, and "y" alone is too
// easily a stray key. Emoji ("👍") and tapback reactions ('Liked "…"') are
// refused as well, since a reaction is one accidental long-press away.
//
// STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE and OPTOUT sent as a
// single word are handled by Twilio itself (it blocks the number from then
// on), and START, YES and UNSTOP by Twilio too; ParseReply returns an error
// of kind OptOut or OptIn that explains this. (HELP and INFO also make
// Twilio send its own canned help; pagerd's answer follows it, as it is the
// one that says how to ack.) Anything else it doesn't
// understand (empty, an id too large, two ids, two verbs, "esc all",
// "fnord") is an error of kind NotUnderstood. Every error is a *ReplyError
// whose text is the answer to send back.
func ParseReply(s string) (Command, error) {
	norm := strings.ToLower(strings.Join(strings.Fields(strings.Map(dropFormat, s)), " "))
	switch word := strings.TrimFunc(norm, unicode.IsPunct); word {
	case "stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout":
		return Command{}, refuse(OptOut, "Replying "+strings.ToUpper(word)+" makes Twilio block all pages to this phone; reply START to undo it. To acknowledge, reply a or 42a.")
	case "start", "yes", "unstop":
		return Command{}, refuse(OptIn, "Pages to this phone are on. To acknowledge reply a (latest) or 42a; ? for help.")
	}
	if norm == "" {
		return Command{}, refuse(NotUnderstood, "Empty reply. "+Help())
	}
	if isReaction(norm) {
		return Command{}, refuse(Reaction, "Reactions and emoji aren't read as replies. Reply a to ack the latest page, 42a for #42, ? for help.")
	}
	if strings.Trim(norm, "?？ ") == "" {
		return Command{Verb: VerbHelp}, nil
	}

	if cmd, ok, err := parsePage(norm); ok {
		return cmd, err
	}
	toks := tokens(norm)
	for _, tok := range toks {
		// Whoever asks for help anywhere ("help me", "ack? help") gets it.
		if verb(tok) == VerbHelp {
			return Command{Verb: VerbHelp}, nil
		}
	}
	var cmd Command
	ids := 0
	for _, tok := range toks {
		if tok == "" {
			return Command{}, notUnderstood()
		}
		if tok[0] >= '0' && tok[0] <= '9' {
			id, err := strconv.ParseInt(tok, 10, 64)
			if err != nil {
				return Command{}, refuse(NotUnderstood, "That alert number is too long. Reply 42a to ack #42, ? for help.")
			}
			if id == 0 {
				return Command{}, refuse(NotUnderstood, "There is no alert #0. Reply a to ack the latest page, ? for help.")
			}
			if ids++; ids > 1 {
				return Command{}, refuse(NotUnderstood, "One alert per reply: 42a, then 43a. Or 'ack all'.")
			}
			cmd.AlertID = id
			continue
		}
		switch tok {
		case "please", "pls", "plz", "thanks", "thank", "thx", "ty", "now", "alert":
			continue
		case "all":
			cmd.All = true
			continue
		}
		v := verb(tok)
		if v == "" || cmd.Verb != "" && cmd.Verb != v {
			return Command{}, notUnderstood()
		}
		cmd.Verb = v
	}
	switch {
	case cmd.Verb == "" && cmd.AlertID != 0:
		id := strconv.FormatInt(cmd.AlertID, 10)
		return Command{}, refuse(NotUnderstood, "#"+id+": reply "+id+"a to ack, "+id+"r to resolve, "+id+"e to escalate now.")
	case cmd.Verb == "" && cmd.All:
		return Command{}, refuse(NotUnderstood, "Reply 'ack all' or 'resolve all'.")
	case cmd.Verb == "":
		return Command{}, notUnderstood()
	case cmd.All && cmd.AlertID != 0:
		return Command{}, refuse(NotUnderstood, "Either one alert (42a) or 'ack all', not both.")
	case cmd.All && cmd.Verb == VerbEscalate:
		// Escalating everything at once would wake the whole next step
		// for a storm; make it a deliberate choice per alert.
		return Command{}, refuse(NotUnderstood, "Escalate one alert at a time: esc 42. 'ack all' and 'resolve all' work.")
	case cmd.All && cmd.Verb == VerbMajor:
		return Command{}, refuse(NotUnderstood, "Declare one alert at a time a major incident: 42 major.")
	case cmd.All && cmd.Verb == VerbUrgent:
		return Command{}, refuse(NotUnderstood, "Raise one alert at a time: 42u. 'ack all' and 'resolve all' work.")
	}
	return cmd, nil
}

// parsePage reads "42 page platform" (also "page platform 42", "#42 pull
// platform", "page platform" for the latest page): pull team platform's
// on-call in. ok is false when the reply has no "page" or "pull" word.
func parsePage(norm string) (cmd Command, ok bool, err error) {
	f := strings.Fields(norm)
	at := -1
	for i, w := range f {
		if w = strings.TrimFunc(w, unicode.IsPunct); w == "page" || w == "pull" {
			at = i
			break
		}
	}
	if at < 0 {
		return Command{}, false, nil
	}
	if at+1 >= len(f) {
		return Command{}, true, refuse(NotUnderstood, "Name the team to page: 42 page platform.")
	}
	team := strings.TrimRight(f[at+1], ".,!?;:")
	if _, err := strconv.ParseInt(strings.TrimLeft(team, "#"), 10, 64); err == nil {
		return Command{}, true, refuse(NotUnderstood, "Name the team to page: 42 page platform.")
	}
	if !teamRE.MatchString(team) {
		return Command{}, true, refuse(NotUnderstood, "Name the team by its id: 42 page platform.")
	}
	cmd = Command{Verb: VerbPage, Team: team}
	for i, w := range f {
		if i == at || i == at+1 {
			continue
		}
		w = strings.Trim(w, "#.,!?;:")
		switch w {
		case "", "please", "pls", "plz", "now", "alert", "in":
			continue
		}
		id, perr := strconv.ParseInt(w, 10, 64)
		if perr != nil || id <= 0 || cmd.AlertID != 0 {
			return Command{}, true, refuse(NotUnderstood, "Reply 42 page platform to page team platform about #42.")
		}
		cmd.AlertID = id
	}
	return cmd, true, nil
}

// teamRE is the rota's team id.
var teamRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

func notUnderstood() error {
	return refuse(NotUnderstood, "Not understood. "+Help())
}

// verb maps a word to its verb, "" if it isn't one.
func verb(w string) Verb {
	switch w {
	case "a", "ack", "acked", "ackd", "acknowledge", "acknowledged", "ok", "okay", "k", "kk":
		return VerbAck
	case "r", "res", "resolve", "resolved", "rslv":
		return VerbResolve
	case "e", "esc", "escalate", "escalated":
		return VerbEscalate
	case "u", "urgent", "urg":
		return VerbUrgent
	case "h", "help", "info":
		return VerbHelp
	case "major", "sev1":
		return VerbMajor
	}
	return ""
}

// tokens splits a normalised reply into words and numbers: "a42" is "a",
// "42"; "#42 ack." is "42", "ack". Punctuation separates (so "ack'd" is
// "ack", "d" and "ack-all" is "ack", "all"), and so do emoji and other
// symbols ("ack 👍" is "ack"). A digit outside 0-9 makes an empty token,
// which the caller refuses: better not understood than understood wrong
// ("ack ٤٢" must not ack the latest page).
func tokens(s string) []string {
	var out []string
	var cur []rune
	kind := 0 // 0 none, 1 letters, 2 digits
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
		}
		cur, kind = cur[:0], 0
	}
	for _, r := range s {
		k := 0
		switch {
		case r >= '0' && r <= '9':
			k = 2
		case unicode.IsLetter(r):
			k = 1
		case unicode.IsMark(r) && kind == 1: // an accent typed as a combining mark
			k = 1
		case unicode.IsNumber(r):
			// Not 0-9 (Arabic-Indic, superscript): refuse the reply.
			flush()
			out = append(out, "")
			continue
		default: // spaces, punctuation, emoji and other symbols separate
			flush()
			continue
		}
		if kind != 0 && k != kind {
			flush()
		}
		kind = k
		cur = append(cur, r)
	}
	flush()
	// "ack'd" and "ack’d" come apart above; put them back.
	for i := 0; i+1 < len(out); i++ {
		if out[i] == "ack" && out[i+1] == "d" {
			out = append(out[:i+1], out[i+2:]...)
		}
	}
	return out
}

// dropFormat removes invisible format characters (zero-width spaces, the
// BOM, bidi marks) that some keyboards and copy-paste leave in a reply.
func dropFormat(r rune) rune {
	if unicode.Is(unicode.Cf, r) {
		return -1
	}
	return r
}

// isReaction reports whether a normalised reply is a tapback reaction as
// phones send it to SMS contacts ("liked “…”", "reacted 👍 to “…”") or
// consists of symbols only (an emoji).
func isReaction(s string) bool {
	for _, w := range []string{"liked ", "loved ", "disliked ", "laughed at ", "emphasized ", "emphasised ", "questioned ", "reacted "} {
		if strings.HasPrefix(s, w) && strings.ContainsAny(s, "\"“”'‘’") {
			return true
		}
	}
	symbol := false
	for _, r := range s {
		switch {
		case r == ' ':
		case unicode.IsSymbol(r) || unicode.IsMark(r) || r == '\u200d' || r == '\ufe0f':
			symbol = true
		default:
			return false
		}
	}
	return symbol
}
