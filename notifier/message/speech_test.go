package message

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func TestSpeech(t *testing.T) {
	for _, c := range []struct {
		name string
		a    Alert
		want string // Announce
	}{
		{"typical", Alert{ID: 42, Team: "payments", Summary: "Checkout error rate 12%"},
			"pagerd alert 4 2 for team payments. Checkout error rate 12 percent."},
		{"team id as words", Alert{ID: 7, Team: "payments-eu.web_1", Summary: "Down"},
			"pagerd alert 7 for team payments eu web 1. Down."},
		{"no team, no summary", Alert{ID: 1234},
			"pagerd alert 1 2 3 4."},
		{"shadow, count, late", Alert{ID: 42, Team: "db", Summary: "Replica lag 40s", Shadow: true, Count: 3, Late: 2*time.Hour + 5*time.Minute},
			"pagerd alert 4 2 for team db. You are shadowing: your key press is noted, the on-call person is still paged. Received 3 times. This page is 2 hours 5 minutes late. Replica lag 40s."},
		{"late by a minute", Alert{ID: 1, Team: "x", Summary: "y", Late: time.Minute},
			"pagerd alert 1 for team x. This page is 1 minute late. y."},
		{"symbols in words", Alert{ID: 5, Team: "web", Summary: "p99 > 2s & 5xx >= 3% for /checkout (req/s ≥ 500) — see https://grafana.example.com/d/abc?x=1 🔥 #ops"},
			"pagerd alert 5 for team web. p99 over 2s and 5xx at least 3 percent for checkout req per s at least 500, see link ops."},
		{"quotes and apostrophes", Alert{ID: 5, Team: "web", Summary: `"Nightly" job can't start: *disk* [full] | retry…`},
			"pagerd alert 5 for team web. Nightly job can't start: disk full retry."},
		{"question stays", Alert{ID: 5, Team: "web", Summary: "Is the DB up?"},
			"pagerd alert 5 for team web. Is the DB up?"},
		{"dash as a pause and a minus", Alert{ID: 5, Team: "web", Summary: "Temp -5 - check eu-west"},
			"pagerd alert 5 for team web. Temp minus 5, check eu-west."},
		{"email subject", Alert{ID: 9, Team: "ops", Summary: "  [FIRING:1]\n\tDiskFull   on\r\nnode-1 :: 97% used  "},
			"pagerd alert 9 for team ops. FIRING:1 DiskFull on node-1: 97 percent used."},
		{"other scripts kept", Alert{ID: 3, Team: "ru", Summary: "Ошибка оплаты 12%"},
			"pagerd alert 3 for team ru. Ошибка оплаты 12 percent."},
	} {
		if got := Announce(c.a); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
		if got := Speech(c.a); got != c.want+" "+Menu {
			t.Errorf("%s: Speech = %q", c.name, got)
		}
	}
}

func TestSpeechCapped(t *testing.T) {
	long := strings.Repeat("Checkout error rate twelve percent on every node ", 40)
	for _, a := range []Alert{
		{ID: 42, Team: "payments", Summary: long},
		{ID: 42, Team: strings.Repeat("very-long-team-", 40), Summary: long, Shadow: true, Count: 1 << 30, Late: 1 << 62},
		{ID: -9223372036854775808, Team: strings.Repeat("🔥x", 300), Summary: strings.Repeat("%&", 1000)},
	} {
		s := Speech(a)
		checkSpeech(t, s)
		if n := utf8.RuneCountInString(s); n < MaxSpeech-60 {
			t.Errorf("a long alert is said in only %d runes: %q", n, s)
		}
	}
	s := Announce(Alert{ID: 42, Team: "payments", Summary: long})
	said := strings.TrimSuffix(strings.TrimPrefix(s, "pagerd alert 4 2 for team payments. "), ".")
	if !strings.HasPrefix(long, said) || long[len(said)] != ' ' {
		t.Errorf("not cut at a word: %q", s)
	}
}

// checkSpeech checks what holds for any Speech.
func checkSpeech(t *testing.T, s string) {
	t.Helper()
	if n := utf8.RuneCountInString(s); n > MaxSpeech {
		t.Errorf("speech is %d runes: %q", n, s)
	}
	if !utf8.ValidString(s) || !strings.HasSuffix(s, ". "+Menu) && !strings.HasSuffix(s, "? "+Menu) || !strings.HasPrefix(s, "pagerd alert ") {
		t.Errorf("malformed speech: %q", s)
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || strings.ContainsRune(" .,:;?'-", r)) {
			t.Errorf("speech has %q: %q", r, s)
			break
		}
	}
	if strings.Contains(s, "  ") || strings.Contains(s, " .") || strings.Contains(s, "..") {
		t.Errorf("untidy speech: %q", s)
	}
}

func TestAnnounceAll(t *testing.T) {
	a := Alert{ID: 42, Team: "payments", Summary: strings.Repeat("Checkout error rate 12% ", 40)}
	got := AnnounceAll(a, 12)
	if !strings.HasPrefix(got, "pagerd: you have 12 alerts. The latest: alert 4 2 for team payments. Checkout error rate 12 percent") {
		t.Errorf("AnnounceAll = %q", got)
	}
	if n := len([]rune(got)); n > MaxSpeech-len([]rune(Menu))-1 {
		t.Errorf("AnnounceAll is %d runes", n)
	}
	if AnnounceAll(a, 1) != Announce(a) {
		t.Error("one alert should be announced as Announce does")
	}
}
