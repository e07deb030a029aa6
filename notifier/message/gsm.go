package message

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// SMS segment sizes. A message that fits one segment is sent whole; a longer
// one is split into parts that each lose room to the concatenation header.
const (
	GSMSingle  = 160 // septets in a one-segment GSM-7 message
	GSMPart    = 153 // septets per part of a multi-part GSM-7 message
	UCS2Single = 70  // UTF-16 units in a one-segment UCS-2 message
	UCS2Part   = 67  // UTF-16 units per part of a multi-part UCS-2 message
)

// Segments reports how many SMS segments s takes and whether it can be sent
// in the GSM-7 alphabet (GSM 03.38, no national shift tables, as Twilio
// does without Smart Encoding).
//
// GSM-7: 160 septets in one segment, else parts of 153; the extension
// characters ^ { } \ [ ~ ] | € and form feed cost two septets. Otherwise
// UCS-2: 70 UTF-16 units in one segment, else parts of 67; characters
// outside the BMP (most emoji) cost two units. Parts are filled greedily
// without splitting a two-septet character or a surrogate pair, which is
// what handsets need to reassemble them, so the count is never too low.
// Invalid UTF-8 counts as U+FFFD per bad byte (what Go decodes it to), which
// is not GSM-7. The empty string takes 0 segments.
func Segments(s string) (n int, gsm7 bool) {
	if s == "" {
		return 0, true
	}
	gsm7 = isGSM(s)
	single, part := UCS2Single, UCS2Part
	cost := utf16.RuneLen
	if gsm7 {
		single, part, cost = GSMSingle, GSMPart, gsmCost
	}
	total := 0
	for _, r := range s {
		total += cost(r)
	}
	if total <= single {
		return 1, gsm7
	}
	n, used := 1, 0
	for _, r := range s {
		c := cost(r)
		if used+c > part {
			n++
			used = 0
		}
		used += c
	}
	return n, gsm7
}

// fits reports whether s goes as exactly one segment, like Segments(s) ==
// 1 but stopping as soon as the answer is known: Compose calls it for
// every layout it tries, some far too long.
func fits(s string) bool {
	if s == "" {
		return false
	}
	septets, units, gsm := 0, 0, true
	for _, r := range s {
		if gsm {
			if c := gsmCost(r); c > 0 {
				septets += c
			} else {
				gsm = false
			}
		}
		units += utf16.RuneLen(r)
		// Over 160 septets is over 80 runes, so over 70 units as well.
		if gsm && septets > GSMSingle || !gsm && units > UCS2Single {
			return false
		}
	}
	return true
}

// isGSM reports whether every rune of s is in the GSM-7 basic or extension
// table.
func isGSM(s string) bool {
	for _, r := range s {
		if gsmCost(r) == 0 {
			return false
		}
	}
	return true
}

// gsmCost is the number of septets r takes in GSM-7: 1 for the basic table,
// 2 for the extension table (escape + code), 0 if r has no GSM-7 form.
// A switch rather than a lookup map keeps the package free of mutable
// state and the ASCII case fast (Compose calls this in its fitting loops).
func gsmCost(r rune) int {
	if r < utf8.RuneSelf {
		switch {
		case r == '\n' || r == '\r':
			return 1
		case r == '\f':
			return 2
		case r < ' ' || r == 0x7F || r == '`': // controls; there is no backtick in GSM-7
			return 0
		}
		switch r {
		case '^', '{', '}', '\\', '[', '~', ']', '|':
			return 2
		}
		return 1
	}
	switch r {
	case '€':
		return 2
	case '£', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', 'Ø', 'ø', 'Å', 'å',
		'Δ', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', 'Æ', 'æ', 'ß', 'É',
		'¤', '¡', 'Ä', 'Ö', 'Ñ', 'Ü', '§', '¿', 'ä', 'ö', 'ñ', 'ü', 'à':
		return 1
	}
	return 0
}

// clean makes s one tidy line: invalid UTF-8 becomes '?', every run of
// white space (newlines, tabs, no-break and other Unicode spaces) becomes
// one space, control and format characters (zero-width spaces, bidi
// overrides, soft hyphens, BOM) go, and the ends are trimmed. Alert text
// comes from anywhere (email subjects, webhooks); a newline or a bidi
// override in an SMS wastes room or misleads. At most max runes are kept:
// callers pass more than can ever be shown so that a cut is still visible.
func clean(s string, max int) []rune {
	out := make([]rune, 0, min(len(s), max))
	space := false
	for i, r := range s {
		if len(out) >= max {
			break
		}
		switch {
		case r == utf8.RuneError && isBadByte(s, i):
			r = '?'
		case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r):
			space = true
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			continue
		}
		if space && len(out) > 0 {
			out = append(out, ' ')
			if len(out) >= max {
				break
			}
		}
		space = false
		out = append(out, r)
	}
	return out
}

// isBadByte reports whether the U+FFFD decoded at s[i] stands for an
// invalid byte rather than a real U+FFFD in the text.
func isBadByte(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 1
}

// transliterate replaces characters that have a faithful GSM-7 spelling:
// typographic quotes, dashes, the ellipsis, a few maths signs and units,
// Latin letters with accents GSM-7 lacks, Greek (ELOT 743) and Cyrillic.
// Phones, chat tools and monitoring UIs put these into alert text; one of
// them would otherwise turn the whole SMS into UCS-2 and cut the room from
// 160 characters to 70.
//
// Greek is spelled word by word: a word with any Greek letter GSM-7 lacks
// is spelled wholly in Latin ("Ελληνικά" is "Ellinika"), while a word of
// GSM-7's own Greek capitals ("ΔΦΓ", "Δ") stays as it is. A word in capitals
// stays in capitals ("ΘΕΜΑ" is "THEMA", not "ThEMA").
func transliterate(rs []rune) []rune {
	out := make([]rune, 0, len(rs))
	for i := 0; i < len(rs); {
		if !unicode.IsLetter(rs[i]) {
			if t := translit(rs[i]); t != "" {
				out = append(out, []rune(t)...)
			} else {
				out = append(out, rs[i])
			}
			i++
			continue
		}
		j := i
		for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsMark(rs[j])) {
			j++
		}
		out = append(out, word(rs[i:j])...)
		i = j
	}
	return out
}

// word transliterates one word (a run of letters).
func word(w []rune) []rune {
	greek := false // the word has a Greek letter GSM-7 lacks
	upper, letters := true, 0
	for _, r := range w {
		if isGreek(r) && gsmCost(r) == 0 {
			greek = true
		}
		if unicode.IsLetter(r) {
			letters++
			upper = upper && unicode.IsUpper(r)
		}
	}
	var out []rune
	changed := false
	for _, r := range w {
		t := translit(r)
		if t == "" && greek {
			t = greekLatin(r)
		}
		ok := t != ""
		if !ok {
			t, ok = cyrillicLatin(r)
		}
		if !ok {
			out = append(out, r)
			continue
		}
		changed = true
		out = append(out, []rune(t)...)
	}
	if changed && upper && letters > 1 {
		return []rune(strings.ToUpper(string(out)))
	}
	return out
}

func isGreek(r rune) bool { return r >= 0x0370 && r <= 0x03FF || r >= 0x1F00 && r <= 0x1FFF }

// greekLatin is r's ELOT 743 spelling, letter by letter, or "".
func greekLatin(r rune) string {
	switch r {
	case 'α', 'ά':
		return "a"
	case 'β':
		return "v"
	case 'γ':
		return "g"
	case 'δ':
		return "d"
	case 'ε', 'έ':
		return "e"
	case 'ζ':
		return "z"
	case 'η', 'ή', 'ι', 'ί', 'ϊ', 'ΐ':
		return "i"
	case 'θ':
		return "th"
	case 'κ':
		return "k"
	case 'λ':
		return "l"
	case 'μ':
		return "m"
	case 'ν':
		return "n"
	case 'ξ':
		return "x"
	case 'ο', 'ό', 'ω', 'ώ':
		return "o"
	case 'π':
		return "p"
	case 'ρ':
		return "r"
	case 'σ', 'ς':
		return "s"
	case 'τ':
		return "t"
	case 'υ', 'ύ', 'ϋ', 'ΰ':
		return "y"
	case 'φ':
		return "f"
	case 'χ':
		return "ch"
	case 'ψ':
		return "ps"
	case 'Α', 'Ά':
		return "A"
	case 'Β':
		return "V"
	case 'Γ':
		return "G"
	case 'Δ':
		return "D"
	case 'Ε', 'Έ':
		return "E"
	case 'Ζ':
		return "Z"
	case 'Η', 'Ή', 'Ι', 'Ί', 'Ϊ':
		return "I"
	case 'Θ':
		return "Th"
	case 'Κ':
		return "K"
	case 'Λ':
		return "L"
	case 'Μ':
		return "M"
	case 'Ν':
		return "N"
	case 'Ξ':
		return "X"
	case 'Ο', 'Ό', 'Ω', 'Ώ':
		return "O"
	case 'Π':
		return "P"
	case 'Ρ':
		return "R"
	case 'Σ':
		return "S"
	case 'Τ':
		return "T"
	case 'Υ', 'Ύ', 'Ϋ':
		return "Y"
	case 'Φ':
		return "F"
	case 'Χ':
		return "Ch"
	case 'Ψ':
		return "Ps"
	}
	return ""
}

// cyrillicLatin is r's Latin spelling (Russian, Ukrainian, Belarusian,
// Serbian and Macedonian letters, BGN/PCGN-like); ok is false for any
// other rune. The hard and soft signs have no sound of their own and are
// spelled "".
func cyrillicLatin(r rune) (t string, ok bool) {
	if r < 0x0400 || r > 0x04FF {
		return "", false
	}
	lower := unicode.ToLower(r)
	switch lower {
	case 'а':
		t = "a"
	case 'б':
		t = "b"
	case 'в':
		t = "v"
	case 'г', 'ґ':
		t = "g"
	case 'д':
		t = "d"
	case 'е', 'ё', 'э':
		t = "e"
	case 'є':
		t = "ye"
	case 'ж':
		t = "zh"
	case 'з':
		t = "z"
	case 'и', 'і':
		t = "i"
	case 'ї':
		t = "yi"
	case 'й', 'ы':
		t = "y"
	case 'к':
		t = "k"
	case 'л':
		t = "l"
	case 'м':
		t = "m"
	case 'н':
		t = "n"
	case 'о':
		t = "o"
	case 'п':
		t = "p"
	case 'р':
		t = "r"
	case 'с':
		t = "s"
	case 'т':
		t = "t"
	case 'у', 'ў':
		t = "u"
	case 'ф':
		t = "f"
	case 'х':
		t = "kh"
	case 'ц':
		t = "ts"
	case 'ч':
		t = "ch"
	case 'ш':
		t = "sh"
	case 'щ':
		t = "shch"
	case 'ю':
		t = "yu"
	case 'я':
		t = "ya"
	case 'ђ':
		t = "dj"
	case 'ј':
		t = "j"
	case 'љ':
		t = "lj"
	case 'њ':
		t = "nj"
	case 'ћ':
		t = "c"
	case 'џ', 'ѕ':
		t = "dz"
	case 'ѓ':
		t = "gj"
	case 'ќ':
		t = "kj"
	case 'ъ', 'ь':
		return "", true
	default:
		return "", false
	}
	if lower != r { // a capital: capitalise the spelling
		return strings.ToUpper(t[:1]) + t[1:], true
	}
	return t, true
}

// translit is the GSM-7 spelling of r, or "" to keep r as it is.
func translit(r rune) string {
	if r < utf8.RuneSelf {
		if r == '`' {
			return "'"
		}
		return ""
	}
	switch r {
	case '‘', '’', '‚', '‛', '′', '´', '‹', '›':
		return "'"
	case '“', '”', '„', '‟', '″', '«', '»':
		return `"`
	case '‐', '‑', '‒', '–', '—', '―', '−', '•':
		return "-"
	case '…':
		return "..."
	case '×':
		return "x"
	case '÷', '⁄':
		return "/"
	case '≥':
		return ">="
	case '≤':
		return "<="
	case '≠':
		return "!="
	case '→':
		return "->"
	case '←':
		return "<-"
	case '⇒':
		return "=>"
	case '≈':
		return "~"
	case '°':
		return "deg"
	case 'µ':
		return "u" // micro: µs
	case '²':
		return "2"
	case '³':
		return "3"
	case '½':
		return "1/2"
	case '¼':
		return "1/4"
	case '¾':
		return "3/4"
	case '±':
		return "+/-"
	case '·':
		return "-"
	case '©':
		return "(c)"
	case '®':
		return "(R)"
	case '™':
		return "TM"
	case 'À', 'Á', 'Â', 'Ã', 'Ā', 'Ă', 'Ą':
		return "A"
	case 'á', 'â', 'ã', 'ā', 'ă', 'ą':
		return "a"
	case 'Ć', 'Č':
		return "C"
	case 'ç', 'ć', 'č':
		return "c"
	case 'Ď', 'Đ', 'Ð':
		return "D"
	case 'ď', 'đ', 'ð':
		return "d"
	case 'È', 'Ê', 'Ë', 'Ē', 'Ė', 'Ę', 'Ě':
		return "E"
	case 'ê', 'ë', 'ē', 'ė', 'ę', 'ě':
		return "e"
	case 'Ğ':
		return "G"
	case 'ğ':
		return "g"
	case 'Ì', 'Í', 'Î', 'Ï', 'Ī', 'İ':
		return "I"
	case 'í', 'î', 'ï', 'ī', 'ı':
		return "i"
	case 'Ł':
		return "L"
	case 'ł':
		return "l"
	case 'Ń', 'Ň':
		return "N"
	case 'ń', 'ň':
		return "n"
	case 'Ò', 'Ó', 'Ô', 'Õ', 'Ō', 'Ő':
		return "O"
	case 'ó', 'ô', 'õ', 'ō', 'ő':
		return "o"
	case 'Ř':
		return "R"
	case 'ř':
		return "r"
	case 'Ś', 'Š', 'Ş':
		return "S"
	case 'ś', 'š', 'ş':
		return "s"
	case 'Ť', 'Ţ':
		return "T"
	case 'ť', 'ţ':
		return "t"
	case 'Ù', 'Ú', 'Û', 'Ū', 'Ů', 'Ű':
		return "U"
	case 'ú', 'û', 'ū', 'ů', 'ű':
		return "u"
	case 'Ý', 'Ÿ':
		return "Y"
	case 'ý', 'ÿ':
		return "y"
	case 'Ź', 'Ż', 'Ž':
		return "Z"
	case 'ź', 'ż', 'ž':
		return "z"
	case 'Þ':
		return "Th"
	case 'þ':
		return "th"
	}
	return ""
}

// hasForeignWords reports whether rs has letters or digits with no GSM-7
// form (after transliteration: CJK, Arabic, Hebrew, Thai...). Dropping
// them would lose words; only symbols may be dropped.
func hasForeignWords(rs []rune) bool {
	for _, r := range rs {
		if gsmCost(r) == 0 && isWordRune(r) {
			return true
		}
	}
	return false
}

// isWordRune: a letter, a digit, or a mark that belongs to one. Variation
// selectors and enclosing marks belong to emoji ("❤️", "1️⃣"), not words.
func isWordRune(r rune) bool {
	switch {
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF, unicode.Is(unicode.Me, r):
		return false
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// dropMarker stands for symbols a GSM-7 message can't show.
const dropMarker = "(?)"

// gsmMarked replaces each run of runes of rs that have no GSM-7 form
// (emoji, dingbats) with dropMarker, so the reader knows something was
// there, and tidies the spaces around it.
func gsmMarked(rs []rune) []rune {
	out := make([]rune, 0, len(rs))
	dropped := false
	for _, r := range rs {
		if gsmCost(r) == 0 {
			dropped = true
			continue
		}
		if dropped {
			out = appendMarker(out)
			dropped = false
		}
		out = append(out, r)
	}
	if dropped {
		out = appendMarker(out)
	}
	return out
}

// appendMarker adds the marker once for a run, even one split by spaces:
// "🔥 🔥 down" is "(?) down".
func appendMarker(out []rune) []rune {
	trimmed := strings.TrimRight(string(out), " ")
	if strings.HasSuffix(trimmed, dropMarker) {
		return []rune(trimmed)
	}
	return append(out, []rune(dropMarker)...)
}

// gsmOnly drops the runes of rs that have no GSM-7 form (emoji, CJK,
// Cyrillic...) and tidies the spaces left behind.
func gsmOnly(rs []rune) []rune {
	out := make([]rune, 0, len(rs))
	for _, r := range rs {
		if gsmCost(r) == 0 {
			r = ' '
		}
		if r == ' ' && (len(out) == 0 || out[len(out)-1] == ' ') {
			continue
		}
		out = append(out, r)
	}
	for len(out) > 0 && out[len(out)-1] == ' ' {
		out = out[:len(out)-1]
	}
	return out
}
