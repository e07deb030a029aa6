package message

import (
	"strings"
	"testing"
)

// The GSM 03.38 default alphabet, written out from the spec's table (0x1B,
// the escape, left out), and its extension table.
const (
	gsmBasicTable = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtTable = "\f^{}\\[~]|€"
)

func TestGSMTables(t *testing.T) {
	if n := len([]rune(gsmBasicTable)); n != 127 {
		t.Fatalf("basic table has %d characters, want 127", n)
	}
	for _, r := range gsmBasicTable {
		if c := gsmCost(r); c != 1 {
			t.Errorf("gsmCost(%q) = %d, want 1", r, c)
		}
	}
	for _, r := range gsmExtTable {
		if c := gsmCost(r); c != 2 {
			t.Errorf("gsmCost(%q) = %d, want 2", r, c)
		}
	}
	// Every other BMP character has no GSM-7 form.
	for r := rune(0); r < 0x10000; r++ {
		if strings.ContainsRune(gsmBasicTable+gsmExtTable, r) {
			continue
		}
		if c := gsmCost(r); c != 0 {
			t.Errorf("gsmCost(%U %q) = %d, want 0", r, r, c)
		}
	}
}

func TestSegments(t *testing.T) {
	a := strings.Repeat
	for _, c := range []struct {
		name string
		s    string
		n    int
		gsm  bool
	}{
		{"empty", "", 0, true},
		{"short", "hello", 1, true},
		{"160 septets", a("a", 160), 1, true},
		{"161 septets", a("a", 161), 2, true},
		{"two full parts", a("a", 306), 2, true},
		{"one over two parts", a("a", 307), 3, true},
		{"80 extension chars are 160 septets", a("{", 80), 1, true},
		{"81 extension chars are 162 septets", a("{", 81), 2, true},
		{"euro counts 2", a("a", 159) + "€", 2, true},
		{"euro fits", a("a", 158) + "€", 1, true},
		{"all extension chars", "^{}\\[~]|€", 1, true},
		// 306 septets would be two parts, but the escape pair can't be
		// split at septet 153, so it starts part two and one 'a' spills.
		{"escape not split", a("a", 152) + "{" + a("a", 152), 3, true},
		{"newline is GSM", "a\nb\r", 1, true},
		{"tab is not", "a\tb", 1, false},
		{"backtick is not", "`", 1, false},
		{"curly quote is not", "it’s", 1, false},
		{"ç is not (only Ç)", "ç", 1, false},
		{"70 UCS-2 units", a("á", 70), 1, false},
		{"71 UCS-2 units", a("á", 71), 2, false},
		{"134 UCS-2 units", a("á", 134), 2, false},
		{"135 UCS-2 units", a("á", 135), 3, false},
		{"35 emoji are 70 units", a("😀", 35), 1, false},
		{"36 emoji are 72 units: 33 + 3", a("😀", 36), 2, false},
		// 134 units would be two parts, but the surrogate pair can't be
		// split at unit 67.
		{"surrogate pair not split", a("á", 66) + "😀" + a("á", 66), 3, false},
		{"mixed GSM and emoji is UCS-2", a("a", 69) + "😀", 2, false},
		{"invalid UTF-8 is U+FFFD", "\xff", 1, false},
		{"extension chars cost 1 in UCS-2", a("{", 69) + "á", 1, false},
	} {
		n, gsm := Segments(c.s)
		if n != c.n || gsm != c.gsm {
			t.Errorf("%s: Segments = %d, %v; want %d, %v", c.name, n, gsm, c.n, c.gsm)
		}
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"  a\n\tb\r\nc  ":        "a b c",
		"a\u00a0b\u202fc\u2009d": "a b c d",
		"zero\u200bwidth\ufeff":  "zerowidth",
		"bidi \u202eevil\u202c":  "bidi evil",
		"bad \xff\xfe byte":      "bad ?? byte",
		"real \ufffd stays":      "real \ufffd stays",
		"soft\u00adhyphen":       "softhyphen",
		"ctrl\x00\x1b\x7fchars":  "ctrlchars",
		"":                       "",
		" \n ":                   "",
	} {
		if got := string(clean(in, 100)); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
	if got := string(clean("abc def", 4)); got != "abc " {
		t.Errorf("clean cap = %q", got)
	}
}

func TestTransliterate(t *testing.T) {
	in := "“Quoted” ‘single’ it’s – — … ≥2 ≤3 ≠ → × São Paulo, Łódź, İstanbul, naïve façade `x`"
	want := `"Quoted" 'single' it's - - ... >=2 <=3 != -> x Sao Paulo, Lodz, Istanbul, naive facade 'x'`
	if got := string(transliterate([]rune(in))); got != want {
		t.Errorf("transliterate = %q\nwant            %q", got, want)
	}
	if !isGSM(want) {
		t.Error("transliteration is not GSM-7")
	}
	// GSM-7 letters stay as they are.
	if got := string(transliterate([]rune("Müller é à ñ Ç"))); got != "Müller é à ñ Ç" {
		t.Errorf("GSM letters changed: %q", got)
	}
}
