package web

import (
	"context"
	"encoding/csv"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
)

// dayOf is the week view's entry for date.
func dayOf(t *testing.T, doc *html.Node, date string) *html.Node {
	t.Helper()
	d := find(doc, func(n *html.Node) bool { return n.Data == "li" && attr(n, "data-date") == date })
	if d == nil {
		t.Fatalf("no day %s in the view", date)
	}
	return d
}

// A day is local midnight to local midnight: the days London's clocks
// change are 23 and 25 hours long and say so; holidays are shaded and
// named; overrides and shadows are marked.
func TestShiftsAcrossDST(t *testing.T) {
	t.Parallel()
	cs := newConsole(t, false)
	c := cs.client(t)
	cs.signIn(t, c, readerToken)
	for _, tc := range []struct{ date, odd string }{{"2027-03-28", "23 h"}, {"2026-10-25", "25 h"}} {
		_, doc := get(t, c, cs.url+"/shifts?team=payments&view=week&date="+tc.date)
		day := dayOf(t, doc, tc.date)
		if got := text(find(day, func(n *html.Node) bool { return strings.Contains(attr(n, "class"), "odd") })); got != tc.odd {
			t.Errorf("%s: marked %q, want %q", tc.date, got, tc.odd)
		}
		// The day before is an ordinary one.
		prev, _ := time.Parse("2006-01-02", tc.date)
		if d := dayOf(t, doc, prev.AddDate(0, 0, -1).Format("2006-01-02")); strings.Contains(text(d), " h") {
			t.Errorf("the day before %s is marked: %q", tc.date, text(d))
		}
	}

	// Monday 28 March 2027 (after the change) hands over at 09:00 local,
	// not 08:00 or 10:00.
	_, doc := get(t, c, cs.url+"/shifts?team=payments&view=week&date=2027-03-29")
	if got := text(dayOf(t, doc, "2027-03-29")); !strings.Contains(got, "00:00–09:00") || !strings.Contains(got, "09:00–24:00") {
		t.Errorf("handoff day after the change: %q, want shifts split at 09:00", got)
	}

	_, doc = get(t, c, cs.url+"/shifts?team=payments&view=week&date=2026-11-24")
	tue := dayOf(t, doc, "2026-11-24")
	if got := text(tue); !strings.Contains(got, "Bob Baker 18:00–24:00 override") || !strings.Contains(got, "Erin Eze shadow") {
		t.Errorf("24 Nov: %q, want bob's override from 18:00 and erin shadowing", got)
	}
	if feed := attr(find(doc, byID("feed")), "href"); !strings.HasPrefix(feed, "/api/v1/calendar/team/payments.ics?token=") {
		t.Errorf("feed link %q", feed)
	}

	_, doc = get(t, c, cs.url+"/shifts?team=payments&view=month&date=2026-12-01")
	xmas := find(doc, func(n *html.Node) bool {
		return n.Data == "td" && find(n, func(m *html.Node) bool { return attr(m, "data-date") == "2026-12-25" }) != nil
	})
	if !strings.Contains(attr(xmas, "class"), "holiday") || !strings.Contains(text(xmas), "Christmas Day") {
		t.Errorf("25 Dec in the month view: class %q, text %q, want shaded and named", attr(xmas, "class"), text(xmas))
	}

	// A person's view is in their zone, across their teams.
	_, doc = get(t, c, cs.url+"/shifts?person=erin&view=week&date=2026-11-24")
	if got := text(dayOf(t, doc, "2026-11-24")); !strings.Contains(got, "shadow") || strings.Contains(got, "Bob") {
		t.Errorf("erin's 24 Nov: %q, want only her shadow shift", got)
	}
	if resp, _ := get(t, c, cs.url+"/shifts?team=nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown team: %s, want 404", resp.Status)
	}
}

// Searching by person narrows the Now page to the teams where they are
// on call, next, or shadowing, and marks them.
func TestNowSearch(t *testing.T) {
	t.Parallel()
	cs := newConsole(t, false)
	c := cs.client(t)
	cs.signIn(t, c, readerToken)
	_, doc := get(t, c, cs.url+"/?q=erin")
	teams := findAll(doc, func(n *html.Node) bool { return n.Data == "section" && strings.HasPrefix(attr(n, "id"), "team-") })
	if len(teams) != 1 || attr(teams[0], "id") != "team-payments" {
		t.Fatalf("search erin: %d teams, want payments only", len(teams))
	}
	if m := find(teams[0], func(n *html.Node) bool { return attr(n, "class") == "match" }); text(m) != "Erin Eze" {
		t.Errorf("marked %q, want Erin Eze", text(m))
	}
	_, doc = get(t, c, cs.url+"/?q=nobody-by-that-name")
	if n := len(findAll(doc, func(n *html.Node) bool { return n.Data == "section" })); n != 0 {
		t.Errorf("a search for nobody shows %d teams", n)
	}
}

// The pay report shows the ledger's time, offers it as CSV, and charts
// each person's out-of-hours time.
func TestReports(t *testing.T) {
	t.Parallel()
	cs := newConsole(t, false)
	ctx := context.Background()
	// A weekend of alice holding payments' primary, as a correction (the
	// engine, which writes the ledger, is not running here).
	london, _ := time.LoadLocation("Europe/London")
	from := time.Date(2026, 11, 21, 0, 0, 0, 0, london)
	if err := cs.env.Store.Correct(ctx, store.Held{Team: "payments", Role: "primary", Person: "alice", Start: from, End: from.AddDate(0, 0, 2),
		Source: "correction", RotaRev: 1, RecordedAt: exampleAt, Correction: &store.Correction{By: "test", Reason: "a weekend"}}); err != nil {
		t.Fatal(err)
	}
	c := cs.client(t)
	cs.signIn(t, c, readerToken)
	_, doc := get(t, c, cs.url+"/reports?from=2026-11-01&to=2026-12-01&team=payments")
	lines := text(find(doc, func(n *html.Node) bool { return n.Data == "table" && attr(n, "class") == "lines" }))
	if !strings.Contains(lines, "alice payments standby weekend 48:00 4.00 192.00 GBP") {
		t.Errorf("pay lines: %q, want alice's weekend: 48 h at 4.00", lines)
	}
	bars := findAll(find(doc, func(n *html.Node) bool { return n.Data == "svg" }), func(n *html.Node) bool { return n.Data == "rect" && attr(n, "class") == "c-weekend" })
	if len(bars) != 2 { // the legend's swatch and alice's bar
		t.Errorf("%d weekend rects in the chart, want the legend's and alice's", len(bars))
	}
	csvURL := attr(find(doc, byID("pay-csv")), "href")
	resp, err := c.Get(cs.url + csvURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || len(recs) != 2 ||
		strings.Join(recs[1], ",") != "alice,payments,standby,weekend,2880,192.00,GBP" {
		t.Errorf("CSV %s: %q", resp.Header.Get("Content-Disposition"), recs)
	}
}

// The Rota page names the revision in force and its files, and, when a
// reload was refused, the errors of the rota on disk.
func TestRotaPage(t *testing.T) {
	t.Parallel()
	cs := newConsole(t, false)
	if _, _, err := cs.env.Store.PublishRota(context.Background(), cs.env.Rota.Files, "node-a", exampleAt); err != nil {
		t.Fatal(err)
	}
	c := cs.client(t)
	cs.signIn(t, c, readerToken)
	_, doc := get(t, c, cs.url+"/rota")
	if got := text(find(doc, byID("main"))); !strings.Contains(got, "r1") || !strings.Contains(got, "payments.yaml") || !strings.Contains(got, "by node-a") {
		t.Errorf("rota page: %q", got)
	}
	if find(doc, byID("disk-refused")) != nil {
		t.Error("a node without a rota directory shows a refused reload")
	}

	// The console of a node whose directory now has an error.
	bad := &Console{Store: cs.env.Store, Alerts: cs.env.Alerts, Rota: cs.env.Current, Tokens: cs.c.Tokens, Clock: cs.clk, Log: cs.c.Log,
		Disk: func() *DiskCheck {
			return &DiskCheck{Dir: "/etc/pagerd/rota", At: exampleAt, Diags: rotafile.Diagnostics{{File: "ops.yaml", Line: 5, Col: 27,
				Severity: rotafile.Error, Msg: `member "carl" is not a person in the rota`, Hint: `did you mean "carol"?`}}}
		}}
	rec := serve(t, bad, c, cs.url, "/rota")
	if got := text(find(rec, byID("main"))); !strings.Contains(got, "was refused") || !strings.Contains(got, `ops.yaml:5:27 error: member "carl"`) || !strings.Contains(got, `hint: did you mean "carol"?`) {
		t.Errorf("refused reload: %q", got)
	}
	unreadable := &Console{Store: cs.env.Store, Alerts: cs.env.Alerts, Rota: cs.env.Current, Tokens: cs.c.Tokens, Clock: cs.clk, Log: cs.c.Log,
		Disk: func() *DiskCheck {
			return &DiskCheck{Dir: "/etc/pagerd/rota", At: exampleAt, Err: errors.New("permission denied")}
		}}
	if got := text(find(serve(t, unreadable, c, cs.url, "/rota"), byID("main"))); !strings.Contains(got, "permission denied") {
		t.Errorf("unreadable directory: %q", got)
	}
}

// serve runs one GET through another console's handler with c's cookies
// for site (the consoles share the cluster's session key).
func serve(t *testing.T, con *Console, c *http.Client, site, path string) *html.Node {
	t.Helper()
	h := con.Handler(http.NotFoundHandler())
	req, _ := http.NewRequest(http.MethodGet, site+path, nil)
	for _, ck := range c.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	rec := newRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, rec.Code)
	}
	doc, err := html.Parse(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// The Now page's cards are written in Go, not by the template: every
// value in them is escaped all the same.
func TestNowCardEscapes(t *testing.T) {
	evil := `"><script>alert(1)</script>`
	card := string(nowTeam{ID: "t" + evil, Name: evil, Zone: evil, Roles: []nowRole{{
		Role: evil, Holder: person{ID: evil, Name: evil}, Source: "override", Note: evil, Until: evil,
		Next: person{ID: "a&b", Name: evil}, Shadows: []nowShadow{{person: person{ID: evil, Name: evil}, Until: evil}},
	}}}.card())
	doc, err := html.Parse(strings.NewReader(card))
	if err != nil {
		t.Fatal(err)
	}
	if s := find(doc, func(n *html.Node) bool { return n.Data == "script" }); s != nil || strings.Contains(card, "<script>") {
		t.Fatalf("a name made a script element:\n%s", card)
	}
	if got := text(find(doc, func(n *html.Node) bool { return n.Data == "h2" })); !strings.HasPrefix(got, evil) {
		t.Errorf("the name shows as %q, want it as written", got)
	}
	next := findAll(doc, func(n *html.Node) bool { return n.Data == "a" && strings.Contains(attr(n, "href"), "a%26b") })
	if len(next) != 1 {
		t.Errorf("the next person's link does not carry their id escaped:\n%s", card)
	}
}

// A further report (the health report, when it exists) plugs into the
// Reports page with its own HTML and CSV, for the range and team asked.
func TestFurtherReportsPlugIn(t *testing.T) {
	t.Parallel()
	cs := newConsole(t, false)
	var mu sync.Mutex // the handler runs in the server's goroutine
	var asked []string
	health := Report{Name: "health", Title: "Health",
		HTML: func(_ context.Context, _ *inforce.Rota, from, to time.Time, team string) (template.HTML, error) {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, from.Format(time.RFC3339)+" "+to.Format(time.RFC3339)+" "+team)
			return template.HTML(`<p id="health">3 interruptions at night</p>`), nil
		},
		CSV: func(_ context.Context, w io.Writer, _ *inforce.Rota, from, to time.Time, team string) error {
			_, err := io.WriteString(w, "team,interruptions\n"+team+",3\n")
			return err
		}}
	con := &Console{Store: cs.env.Store, Alerts: cs.env.Alerts, Rota: cs.env.Current, Tokens: cs.c.Tokens, Clock: cs.clk, Log: cs.c.Log,
		Reports: []Report{health}}
	hs := httptest.NewServer(con.Handler(http.NotFoundHandler()))
	defer hs.Close()
	c := cs.client(t)
	cs.signIn(t, c, readerToken) // the session is good on any console of the cluster
	jar := c.Jar
	u, _ := url.Parse(cs.url)
	hu, _ := url.Parse(hs.URL)
	jar.SetCookies(hu, jar.Cookies(u))
	_, doc := get(t, c, hs.URL+"/reports?from=2026-11-01&to=2026-12-01&team=payments")
	if got := text(find(doc, byID("health"))); got != "3 interruptions at night" {
		t.Errorf("the health report shows %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 1 || asked[0] != "2026-11-01T00:00:00Z 2026-12-01T00:00:00Z payments" {
		t.Errorf("the report was asked for %q, want November in London for payments", asked)
	}
	link := find(doc, func(n *html.Node) bool {
		return n.Data == "a" && strings.HasPrefix(attr(n, "href"), "/reports/health.csv?")
	})
	resp, err := c.Get(hs.URL + attr(link, "href"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "team,interruptions\npayments,3\n" {
		t.Errorf("health CSV: %q", body)
	}
}

// The health report, wired as the console wires it, shows a team's alerts
// of the range and offers the API's CSV.
func TestHealthReportOnTheReportsPage(t *testing.T) {
	t.Parallel()
	cs := newConsole(t, false)
	cs.c.Reports = []Report{HealthReport(cs.env.Store)}
	cs.raise(t, "Card payments failing")
	c := cs.client(t)
	cs.signIn(t, c, readerToken)
	_, doc := get(t, c, cs.url+"/reports?from=2026-11-24&to=2026-11-25&team=payments")
	row := find(doc, func(n *html.Node) bool {
		return n.Data == "tr" && strings.HasPrefix(strings.TrimSpace(text(n)), "payments")
	})
	if row == nil {
		t.Fatal("no per-team row for payments in the health report")
	}
	var cells []string
	for td := row.FirstChild; td != nil; td = td.NextSibling {
		if td.Type == html.ElementNode {
			cells = append(cells, strings.TrimSpace(text(td)))
		}
	}
	if len(cells) < 2 || cells[1] != "1" {
		t.Errorf("payments row = %q, want 1 alert", cells)
	}
	resp, err := c.Get(cs.url + "/reports/health.csv?from=2026-11-24&to=2026-11-25&team=payments")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), "team,person,figure,value\n") || !strings.Contains(string(body), "payments,,alerts,1\n") {
		t.Errorf("health CSV: %q", body)
	}
}
