package message

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

const hint42 = " Reply 42a ack, 42r resolve, ? help"

// oneSegment fails t unless s is one segment of valid UTF-8.
func oneSegment(t *testing.T, name, s string) (gsm bool) {
	t.Helper()
	n, gsm := Segments(s)
	if n != 1 {
		t.Errorf("%s: %d segments (gsm7 %v, %d runes): %q", name, n, gsm, utf8.RuneCountInString(s), s)
	}
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8: %q", name, s)
	}
	return gsm
}

func TestComposeOne(t *testing.T) {
	long := "Checkout error rate 12% on all nodes in eu-west-1 since the deploy of v2.3.4 at 02:58; p99 latency 4.2s, 5xx from the card processor"
	for _, c := range []struct {
		name string
		a    Alert
		want string
		gsm  bool
	}{
		{"typical", Alert{ID: 42, Team: "payments", Summary: "Checkout error rate 12%"},
			"#42 payments: Checkout error rate 12%." + hint42, true},
		{"summary ends a sentence", Alert{ID: 42, Team: "payments", Summary: "Checkout down!"},
			"#42 payments: Checkout down!" + hint42, true},
		{"no summary", Alert{ID: 42, Team: "payments"},
			"#42 payments." + hint42, true},
		{"no team", Alert{ID: 42, Summary: "Checkout down"},
			"#42: Checkout down." + hint42, true},
		{"shadow", Alert{ID: 42, Team: "payments", Summary: "Checkout down", Shadow: true},
			"[shadow] #42 payments: Checkout down." + hint42, true},
		{"count and late", Alert{ID: 42, Team: "payments", Summary: "Checkout down", Count: 3, Late: 4*time.Minute + 10*time.Second},
			"#42 payments (x3, 4m late): Checkout down." + hint42, true},
		{"count 1 is not shown", Alert{ID: 42, Team: "payments", Summary: "Checkout down", Count: 1},
			"#42 payments: Checkout down." + hint42, true},
		{"multi-line summary is one line", Alert{ID: 42, Team: "payments", Summary: "  Checkout\n\tdown\r\n "},
			"#42 payments: Checkout down." + hint42, true},
		// 160 - len("#42 payments: ") - len(hint42) = 111 runes of summary,
		// the marker included: 108 + "...".
		{"long summary cut exactly", Alert{ID: 42, Team: "payments", Summary: strings.Repeat("x", 200)},
			"#42 payments: " + strings.Repeat("x", 108) + "..." + hint42, true},
		// Extension characters cost two septets: 54*2 + 3 = 111.
		{"extension chars cut by septets", Alert{ID: 42, Team: "payments", Summary: strings.Repeat("[", 200)},
			"#42 payments: " + strings.Repeat("[", 54) + "..." + hint42, true},
		// Trailing space before the marker is trimmed: fewer than 111.
		{"realistic long summary", Alert{ID: 42, Team: "payments", Summary: long},
			"#42 payments: Checkout error rate 12% on all nodes in eu-west-1 since the deploy of v2.3.4 at 02:58; p99 latency 4.2s, 5xx..." + hint42, true},
		{"transliterated stays GSM-7", Alert{ID: 42, Team: "payments", Summary: "Checkout “down” – p99 ≥ 2s… it’s São Paulo\u00a0again"},
			`#42 payments: Checkout "down" - p99 >= 2s... it's Sao Paulo again.` + hint42, true},
		{"short emoji summary goes UCS-2", Alert{ID: 42, Team: "payments", Summary: "🔥 Checkout down"},
			"#42 payments: 🔥 Checkout down." + hint42, false},
		// As UCS-2 only 20 runes would show; as GSM-7 without the emoji,
		// all of it, the emoji marked.
		{"emoji on a long summary is marked", Alert{ID: 42, Team: "payments", Summary: "🔥 Checkout error rate 12% on all nodes in eu-west-1 since the deploy"},
			"#42 payments: (?) Checkout error rate 12% on all nodes in eu-west-1 since the deploy." + hint42, true},
		{"emoji runs are one mark each", Alert{ID: 42, Team: "payments", Summary: "Checkout error rate 12% 🔥 🔥 on all nodes in eu-west-1 since the deploy of v2.3.4 ✅"},
			"#42 payments: Checkout error rate 12% (?) on all nodes in eu-west-1 since the deploy of v2.3.4 (?)." + hint42, true},
		{"cyrillic is transliterated", Alert{ID: 42, Team: "payments", Summary: "Ошибка оплаты: 12% запросов падают с 500 на всех узлах"},
			"#42 payments: Oshibka oplaty: 12% zaprosov padayut s 500 na vsekh uzlakh." + hint42, true},
		{"greek is transliterated word by word", Alert{ID: 42, Team: "ops", Summary: "Ελληνικά ΔΦΓ and summary, ΘΕΜΑ Δ 5%"},
			"#42 ops: Ellinika ΔΦΓ and summary, THEMA Δ 5%." + " Reply 42a ack, 42r resolve, ? help", true},
		{"units", Alert{ID: 42, Team: "ops", Summary: "CPU 90°C, p99 250µs ± 3"},
			"#42 ops: CPU 90degC, p99 250us +/- 3." + " Reply 42a ack, 42r resolve, ? help", true},
		// Words with no faithful Latin form are never dropped: UCS-2.
		{"the issue's mixed summary keeps every word", Alert{ID: 42, Team: "ops", Summary: "Ελληνικά ΔΦΓ and 中文 summary"},
			"#42 ops: Ελληνικά ΔΦΓ and 中文 summa…" + " Reply 42a ack, 42r resolve, ? help", false},
		// 70 - 14 - 35 = 21 units: 20 runes and "…".
		{"CJK goes UCS-2, cut to 70, id and hint kept", Alert{ID: 42, Team: "payments", Summary: "支付失败：所有节点上百分之十二的请求返回五百错误，自部署以来一直如此"},
			"#42 payments: 支付失败：所有节点上百分之十二的请求返回…" + hint42, false},
		{"invalid UTF-8", Alert{ID: 42, Team: "payments", Summary: "bad \xff byte"},
			"#42 payments: bad ? byte." + hint42, true},
	} {
		got := Compose([]Alert{c.a})
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
		if gsm := oneSegment(t, c.name, got); gsm != c.gsm {
			t.Errorf("%s: gsm7 = %v, want %v", c.name, gsm, c.gsm)
		}
	}
}

// TestComposeCutIsLargest checks the "largest cap" part of the rule: for
// summaries of every length, showing one more rune would not fit.
func TestComposeCutIsLargest(t *testing.T) {
	base := "Checkout error rate 12% on all nodes in eu-west-1 since the deploy of v2.3.4 at 02:58; p99 latency 4.2s; 5xx from the card processor; queue depth 40k"
	for n := 100; n <= len(base); n++ {
		a := Alert{ID: 42, Team: "payments", Summary: base[:n]}
		got := Compose([]Alert{a})
		oneSegment(t, "cut", got)
		if !strings.HasSuffix(got, hint42) || !strings.HasPrefix(got, "#42 payments: ") {
			t.Fatalf("frame cut: %q", got)
		}
		shown := strings.TrimSuffix(strings.TrimPrefix(got, "#42 payments: "), hint42)
		if !strings.HasSuffix(shown, "...") {
			// Whole: the summary less trailing punctuation, and a full stop.
			if whole := strings.TrimRight(base[:n], " ,;:"); shown != whole && shown != whole+"." {
				t.Fatalf("n=%d: shown %q, not whole and not cut", n, shown)
			}
			continue
		}
		head := strings.TrimSuffix(shown, "...")
		if !strings.HasPrefix(base, head) {
			t.Fatalf("shown %q is not a prefix", head)
		}
		// No longer cut (and not the whole summary) would have fitted.
		if fits("#42 payments: " + strings.TrimRight(base[:n], " ,;:") + "." + hint42) {
			t.Errorf("n=%d: cut %q though the whole summary fits", n, shown)
		}
		// (A cap L >= n shows the whole summary, so only m+3 < n is a cut.)
		for m := len(head) + 1; m+3 < n; m++ {
			longer := strings.TrimRight(base[:m], " ,;:") + "..."
			if longer != shown && fits("#42 payments: "+longer+hint42) {
				t.Errorf("n=%d: showed %q but %q fits", n, shown, longer)
			}
		}
	}
}

func TestComposeEmpty(t *testing.T) {
	if got := Compose(nil); got != "" {
		t.Errorf("Compose(nil) = %q", got)
	}
}

var idRE = regexp.MustCompile(`#(\d+)`)
var moreRE = regexp.MustCompile(`\+(\d+) more`)

// shownIDs are the alert ids in a composed message, in order.
func shownIDs(s string) []int64 {
	var ids []int64
	for _, m := range idRE.FindAllStringSubmatch(s, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ids = append(ids, id)
	}
	return ids
}

func TestComposeBundle(t *testing.T) {
	teams := []string{"payments", "search", "platform-observability", "db"}
	sums := []string{
		"Checkout error rate 12%",
		"Index lag 14 minutes on search-03; queries served stale results",
		"Disk 97% full on /var/lib/etcd on node-7",
		"Replica lag 40s",
		"🔥 everything is on fire",
		"TLS certificate for api.example.com expires in 2 days",
	}
	var all []Alert
	for i := range 100 {
		all = append(all, Alert{ID: int64(1000 + i), Team: teams[i%len(teams)], Summary: sums[i%len(sums)], Count: 1 + i%3})
	}
	for _, n := range []int{2, 3, 4, 10, 40, 41, 100} {
		for _, shadow := range []bool{false, true} {
			alerts := append([]Alert(nil), all[:n]...)
			for i := range alerts {
				alerts[i].Shadow = shadow
			}
			name := fmt.Sprintf("%d alerts shadow=%v", n, shadow)
			got := Compose(alerts)
			oneSegment(t, name, got)
			if !strings.HasPrefix(got, fmt.Sprintf("%d alerts: ", n)) && !strings.HasPrefix(got, fmt.Sprintf("[shadow] %d alerts: ", n)) {
				t.Errorf("%s: no count: %q", name, got)
			}
			if shadow != strings.HasPrefix(got, "[shadow] ") {
				t.Errorf("%s: shadow mark wrong: %q", name, got)
			}
			ids := shownIDs(got)
			if len(ids) == 0 {
				t.Fatalf("%s: no ids: %q", name, got)
			}
			for i, id := range ids {
				if id != alerts[i].ID {
					t.Errorf("%s: id %d is #%d, want #%d (oldest first): %q", name, i, id, alerts[i].ID, got)
				}
			}
			more := 0
			if m := moreRE.FindStringSubmatch(got); m != nil {
				more, _ = strconv.Atoi(m[1])
			}
			if len(ids)+more != n {
				t.Errorf("%s: %d shown + %d more != %d: %q", name, len(ids), more, n, got)
			}
			if !strings.HasSuffix(got, fmt.Sprintf(" Reply 'ack all' or %da. ? help", alerts[0].ID)) {
				t.Errorf("%s: hint: %q", name, got)
			}
			for i := range ids {
				if !strings.Contains(got, fmt.Sprintf("#%d %s", alerts[i].ID, alerts[i].Team)) {
					t.Errorf("%s: team of #%d cut: %q", name, alerts[i].ID, got)
				}
			}
		}
	}
}

func TestComposeBundleAllFit(t *testing.T) {
	got := Compose([]Alert{
		{ID: 42, Team: "payments", Summary: "Checkout down"},
		{ID: 43, Team: "payments", Summary: "DB replica lag 40s", Count: 2},
		{ID: 44, Team: "search", Summary: "Index is stale"},
	})
	want := "3 alerts: #42 payments: Checkout down; #43 payments (x2): DB replica lag 40s; #44 search: Index is stale. Reply 'ack all' or 42a. ? help"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestComposeBundleCutsEvenly(t *testing.T) {
	long := "Index lag 14 minutes on search-03; queries are served stale results to all customers"
	got := Compose([]Alert{
		{ID: 42, Team: "search", Summary: long},
		{ID: 43, Team: "search", Summary: "Short one"},
		{ID: 44, Team: "search", Summary: long},
	})
	oneSegment(t, "even", got)
	if strings.Contains(got, "more") {
		t.Errorf("dropped an alert that fits: %q", got)
	}
	if !strings.Contains(got, "#43 search: Short one;") {
		t.Errorf("short summary was cut: %q", got)
	}
	parts := strings.Split(strings.SplitN(got, " Reply", 2)[0], "; ")
	if p0, p2 := strings.TrimPrefix(parts[0], "3 alerts: #42 "), strings.TrimPrefix(parts[2], "#44 "); p0 != p2 || !strings.HasSuffix(p0, "...") {
		t.Errorf("long summaries not cut to the same cap: %q vs %q", p0, p2)
	}
	if len(parts[0]) < len("3 alerts: #42 search: ")+minBundleSummary {
		t.Errorf("summary cut below the floor: %q", got)
	}
}

func TestComposeBundleMixedShadow(t *testing.T) {
	got := Compose([]Alert{
		{ID: 42, Team: "payments", Summary: "Checkout down"},
		{ID: 43, Team: "search", Summary: "Index stale", Shadow: true, Late: 90 * time.Minute},
	})
	want := "2 alerts: #42 payments: Checkout down; #43 search (shadow, 1h30m late): Index stale. Reply 'ack all' or 42a. ? help"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestComposePathological: ids, teams and marks far beyond what pagerd
// produces still give one segment, the id and a reply hint.
func TestComposePathological(t *testing.T) {
	huge := strings.Repeat("team-", 100)
	emojiTeam := strings.Repeat("🔥", 50)
	for _, c := range []struct {
		name   string
		alerts []Alert
		must   []string
	}{
		{"long team", []Alert{{ID: 42, Team: huge, Summary: "x"}}, []string{"#42 team-", "Reply 42a ack"}},
		{"max id shadow late count", []Alert{{ID: math.MaxInt64, Team: strings.Repeat("p", 63), Summary: strings.Repeat("y", 300), Shadow: true, Late: 1000 * time.Hour, Count: math.MaxInt}},
			[]string{"[shadow] #9223372036854775807 ppp", "Reply 9223372036854775807a ack"}},
		{"min id", []Alert{{ID: math.MinInt64, Team: "t", Summary: "s"}}, []string{"#-9223372036854775808 t: s."}},
		{"emoji team", []Alert{{ID: 42, Team: emojiTeam, Summary: "s"}}, []string{"#42 🔥", "Reply 42a ack"}},
		{"emoji team, emoji summary", []Alert{{ID: 7, Team: emojiTeam, Summary: emojiTeam, Shadow: true}}, []string{"[shadow] #7", "Reply 7a ack"}},
		{"bundle of huge", []Alert{{ID: math.MaxInt64, Team: huge, Summary: huge}, {ID: math.MinInt64, Team: emojiTeam, Summary: huge, Shadow: true}},
			[]string{"2 alerts: #9223372036854775807", "Reply 'ack all'"}},
	} {
		got := Compose(c.alerts)
		oneSegment(t, c.name, got)
		for _, m := range c.must {
			if !strings.Contains(got, m) {
				t.Errorf("%s: lacks %q: %q", c.name, m, got)
			}
		}
	}
}

func TestComposeDeterministic(t *testing.T) {
	as := []Alert{{ID: 1, Team: "a", Summary: "🔥 " + strings.Repeat("long ", 40)}, {ID: 2, Team: "b", Summary: "Ошибка"}}
	first := Compose(as)
	for range 5 {
		if got := Compose(as); got != first {
			t.Fatalf("Compose changed: %q then %q", first, got)
		}
	}
}

func TestLateText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Millisecond:                      "1s",
		45 * time.Second:                      "45s",
		4*time.Minute + 59*time.Second:        "4m",
		time.Hour:                             "1h",
		2*time.Hour + 5*time.Minute:           "2h5m",
		49 * time.Hour:                        "2d1h",
		48 * time.Hour:                        "2d",
		1000000 * time.Hour:                   "41666d16h",
		time.Duration(math.MaxInt64):          "106751d23h",
		59*time.Second + 600*time.Millisecond: "1m",
	} {
		if got := lateText(d); got != want {
			t.Errorf("lateText(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestExampleTexts prints what people receive, with lengths, for the issue
// note.
func TestExampleTexts(t *testing.T) {
	storm := make([]Alert, 100)
	for i := range storm {
		storm[i] = Alert{ID: int64(1201 + i), Team: "payments", Summary: fmt.Sprintf("Checkout 5xx rate %d%% on checkout-%d", 10+i%40, i%8)}
	}
	longStorm := make([]Alert, 100)
	for i := range longStorm {
		longStorm[i] = Alert{ID: int64(1301 + i), Team: []string{"payments", "search"}[i%2], Summary: fmt.Sprintf("KubePodCrashLooping: Pod checkout-%d is restarting 4 times / 10 minutes", i)}
	}
	for _, c := range []struct {
		name   string
		alerts []Alert
	}{
		{"typical", []Alert{{ID: 42, Team: "payments", Summary: "Checkout error rate 12%"}}},
		{"alertmanager", []Alert{{ID: 1187, Team: "platform", Summary: "KubePodCrashLooping: Pod payments/checkout-7d9f8b-x2k4q (checkout) is restarting 4.2 times / 10 minutes"}}},
		{"repeated and late", []Alert{{ID: 311, Team: "db", Summary: "Replica lag 40s on pg-eu-2", Count: 3, Late: 4 * time.Minute}}},
		{"shadow", []Alert{{ID: 42, Team: "payments", Summary: "Checkout error rate 12%", Shadow: true}}},
		{"curly quotes from email", []Alert{{ID: 57, Team: "search", Summary: "“Nightly reindex” failed – 3 shards missing…"}}},
		{"emoji", []Alert{{ID: 58, Team: "search", Summary: "🔥 Index down"}}},
		{"three", []Alert{{ID: 42, Team: "payments", Summary: "Checkout error rate 12%"}, {ID: 43, Team: "payments", Summary: "DB replica lag 40s", Count: 2}, {ID: 44, Team: "search", Summary: "Index is stale"}}},
		{"long, cut", []Alert{{ID: 1188, Team: "platform", Summary: "KubePodCrashLooping: Pod payments/checkout-7d9f8b-x2k4q (checkout) is restarting 4.2 times / 10 minutes since the 02:58 deploy of v2.3.4"}}},
		{"cyrillic", []Alert{{ID: 59, Team: "payments", Summary: "Ошибка оплаты: 12% запросов падают с 500"}}},
		{"100 in a minute", storm},
		{"100, long summaries", longStorm},
	} {
		s := Compose(c.alerts)
		n, gsm := Segments(s)
		enc, size := "GSM-7 septets", 0
		for _, r := range s {
			size += gsmCost(r)
		}
		if !gsm {
			enc, size = "UCS-2 units", len(utf16.Encode([]rune(s)))
		}
		t.Logf("%-24s %3d %s, %d segment: %s", c.name, size, enc, n, s)
	}
}

func BenchmarkComposeStorm(b *testing.B) {
	storm := make([]Alert, 100)
	for i := range storm {
		storm[i] = Alert{ID: int64(1201 + i), Team: "payments", Summary: fmt.Sprintf("Checkout 5xx rate %d%% on checkout-%d and a long tail of words to cut", i, i)}
	}
	for b.Loop() {
		Compose(storm)
	}
}

func TestComposeHeld(t *testing.T) {
	one := ComposeHeld([]Alert{{ID: 42, Team: "payments", Summary: "Checkout down"}}, 30*time.Second)
	if want := "#42 payments (held 30s, rate limit): Checkout down." + hint42; one != want {
		t.Errorf("one held:\n got %q\nwant %q", one, want)
	}
	both := ComposeHeld([]Alert{{ID: 42, Team: "payments", Summary: "Checkout down", Late: 4 * time.Minute}}, 30*time.Second)
	if !strings.Contains(both, "(4m late, held 30s, rate limit)") {
		t.Errorf("late and held: %q", both)
	}
	bundle := ComposeHeld([]Alert{{ID: 1, Team: "ops", Summary: "a"}, {ID: 2, Team: "ops", Summary: "b"}}, 29*time.Second)
	if want := "2 alerts (held 29s, rate limit): #1 ops: a; #2 ops: b. Reply 'ack all' or 1a. ? help"; bundle != want {
		t.Errorf("bundle held:\n got %q\nwant %q", bundle, want)
	}
	if strings.Contains(bundle, "late") {
		t.Errorf("a rate-limit hold is not lateness: %q", bundle)
	}
	if got := ComposeHeld([]Alert{{ID: 42, Team: "payments", Summary: "Checkout down"}}, 500*time.Millisecond); strings.Contains(got, "held") {
		t.Errorf("under a second is not worth saying: %q", got)
	}
	// The hold gives way before the summary does.
	long := ComposeHeld([]Alert{{ID: 42, Team: "payments", Summary: strings.Repeat("x", 300)}}, time.Minute)
	oneSegment(t, "long held", long)
}

// No word is lost silently: every letter or digit of a summary shows,
// transliterated or as it is, unless the summary was visibly cut ("..."
// or "…"); every symbol dropped leaves "(?)".
func TestComposeLosesNoWordsSilently(t *testing.T) {
	for _, sum := range []string{
		"Ελληνικά ΔΦΓ and 中文 summary",
		"Ελληνικά ΔΦΓ and summary",
		"Ошибка 🔥 оплаты",
		"disk 🔥 full on db-1 ✅ and more words to make it long enough for the emoji to be dropped here",
		"שגיאה בתשלום",
		"日本語のアラート",
		"Lỗi thanh toán",
	} {
		got := Compose([]Alert{{ID: 7, Team: "ops", Summary: sum}})
		body := strings.TrimPrefix(got, "#7 ops: ")
		body = body[:strings.LastIndex(body, " Reply")]
		cut := strings.HasSuffix(body, "...") || strings.HasSuffix(body, "…")
		orig := []rune(sum)
		if _, gsm := Segments(got); gsm {
			// Every letter and digit has a Latin spelling here.
			if !cut && strings.Count(sum, "🔥")+strings.Count(sum, "✅") > 0 && !strings.Contains(body, "(?)") {
				t.Errorf("%q: a symbol went without a mark: %q", sum, got)
			}
			continue
		}
		// UCS-2: the text as written, up to a visible cut.
		body = strings.TrimSuffix(strings.TrimSuffix(body, "…"), ".")
		if !strings.HasPrefix(sum, body) || !cut && len([]rune(body)) != len(orig) {
			t.Errorf("%q: UCS-2 text %q is not the summary (cut %v)", sum, got, cut)
		}
	}
}
