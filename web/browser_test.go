package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/pagerd/pagerd/store"
)

// The browser tests drive a real headless Chromium (Debian's chromium
// package; .ci/run installs it) through the console: sign in, see who is
// on call, watch an alert raised over the API appear, acknowledge it with
// the button and watch the timeline change without a reload, download the
// pay CSV; and the same at a phone's size. Screenshots of each page go to
// $PAGERD_SCREENSHOTS, or to pagerd-screenshots in the temporary
// directory (the test logs where).

// chromium finds the browser: $PAGERD_CHROMIUM, or chromium on the PATH.
// Without one the test skips, except under CI, where it fails: CI must
// run these.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PAGERD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "no chromium on the PATH (apt-get install chromium, or set PAGERD_CHROMIUM): the web console's browser tests did not run"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// newBrowser starts a headless Chromium of the test's own, with a fresh
// profile, at the given window size, and ends it when the test does. The
// returned context bounds the whole test, so a wedged browser fails it
// instead of hanging the run.
func newBrowser(t *testing.T, width, height int) context.Context {
	t.Helper()
	path := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	return bctx
}

// shots is the directory screenshots go to.
func shots(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PAGERD_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "pagerd-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func run[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitFor waits until the page's JavaScript expression is true.
func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("waiting for %s (%s): %v; the page says:\n%s", what, expr, err, body)
	}
}

// apiPost is a call to the JSON API with an operator's token, as the CLI
// or a monitoring system makes it.
func apiPost(t *testing.T, cs *console, token, path, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, cs.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %s", path, resp.Status)
	}
}

// signInBrowser opens the console, is sent to sign in, and signs in.
func signInBrowser(t *testing.T, ctx context.Context, cs *console, token string) {
	t.Helper()
	do(t, ctx, "sign in",
		chromedp.Navigate(cs.url+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("team-payments")),
	)
}

// markPage leaves a mark on the page's window: a reload would wipe it.
func markPage(t *testing.T, ctx context.Context) {
	t.Helper()
	run(t, ctx, "mark the page", chromedp.Evaluate[bool](`window.pagerdMark = true`))
}

func notReloaded(t *testing.T, ctx context.Context, when string) {
	t.Helper()
	if !run(t, ctx, "read the mark", chromedp.Evaluate[bool](`window.pagerdMark === true`)) {
		t.Errorf("%s: the page was reloaded", when)
	}
}

func TestBrowser(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t, 1280, 900)
	cs := newConsole(t, false)
	dir := shots(t)
	// A weekend of alice's on the ledger, for the pay report.
	london, _ := time.LoadLocation("Europe/London")
	sat := time.Date(2026, 11, 21, 0, 0, 0, 0, london)
	if err := cs.env.Store.Correct(context.Background(), store.Held{Team: "payments", Role: "primary", Person: "alice", Start: sat, End: sat.AddDate(0, 0, 2),
		Source: "correction", RotaRev: 1, RecordedAt: exampleAt, Correction: &store.Correction{By: "test", Reason: "a weekend"}}); err != nil {
		t.Fatal(err)
	}

	// Signing in; the Now page shows the example rota's people.
	signInBrowser(t, ctx, cs, responderToken)
	payments := run(t, ctx, "read payments", chromedp.Text(chromedp.ID("team-payments")))
	for _, want := range []string{"Bob Baker", "override", "Erin Eze", "shadow", "Dave Dunn", "Alice Archer"} {
		if !strings.Contains(payments, want) {
			t.Errorf("payments on the Now page: %q lacks %q", payments, want)
		}
	}
	platform := run(t, ctx, "read platform", chromedp.Text(chromedp.ID("team-platform")))
	if !strings.Contains(platform, "primary") || !strings.Contains(platform, "secondary") {
		t.Errorf("platform on the Now page: %q", platform)
	}
	screenshot(t, ctx, dir, "now")

	// The keyboard: the first Tab reaches the skip link, which leads to
	// the content.
	do(t, ctx, "tab", chromedp.KeyEvent("\t"))
	if cls := run(t, ctx, "focus", chromedp.Evaluate[string](`document.activeElement.className`)); cls != "skip" {
		t.Errorf("first Tab focuses %q, want the skip link", cls)
	}

	// An alert raised over the API appears in the open list, live.
	do(t, ctx, "alerts", chromedp.Navigate(cs.url+"/alerts"), chromedp.WaitVisible(chromedp.ID("alert-list")))
	markPage(t, ctx)
	apiPost(t, cs, responderToken, "/api/v1/alerts", `{"team": "payments", "summary": "Checkout error rate above 5%", "dedup_key": "checkout-errors"}`)
	do(t, ctx, "the alert appears", chromedp.WaitVisible(chromedp.ID("alert-1")))
	notReloaded(t, ctx, "alert list")
	if row := run(t, ctx, "row", chromedp.Text(chromedp.ID("alert-1"))); !strings.Contains(row, "Checkout error rate above 5%") || !strings.Contains(strings.ToLower(row), "triggered") {
		t.Errorf("alert row %q", row)
	}
	screenshot(t, ctx, dir, "alerts")

	// Its page; the Acknowledge button acts in place, and the timeline
	// shows it without a reload.
	do(t, ctx, "open the alert", chromedp.Click(chromedp.CSS("#alert-1 td.summary a")), chromedp.WaitVisible(chromedp.ID("btn-ack")))
	markPage(t, ctx)
	do(t, ctx, "acknowledge", chromedp.Click(chromedp.ID("btn-ack")))
	waitFor(t, ctx, "the acknowledgement on the page",
		`document.getElementById('alert-state').textContent === 'acknowledged' && document.getElementById('timeline').textContent.includes('rita') && document.getElementById('btn-ack') === null`)
	notReloaded(t, ctx, "after the button")
	if status := run(t, ctx, "status", chromedp.Text(chromedp.ID("status"))); status != "Acknowledged." {
		t.Errorf("status line %q", status)
	}
	if a := cs.alert(t, 1); a.Esc.AckedBy != "rita" {
		t.Errorf("acked by %q, want rita", a.Esc.AckedBy)
	}
	screenshot(t, ctx, dir, "alert")

	// Resolved elsewhere (the CLI): the open page follows.
	apiPost(t, cs, adminToken, "/api/v1/alerts/1/resolve", ``)
	waitFor(t, ctx, "the resolution on the page",
		`document.getElementById('alert-state').textContent === 'resolved' && document.getElementById('timeline').textContent.includes('ada')`)
	notReloaded(t, ctx, "after a resolve over the API")

	// Shifts, week and month; the rota.
	do(t, ctx, "shifts", chromedp.Navigate(cs.url+"/shifts?team=payments&view=week&date=2026-11-24"), chromedp.WaitVisible(chromedp.CSS(".week")))
	screenshot(t, ctx, dir, "shifts-week")
	do(t, ctx, "month", chromedp.Navigate(cs.url+"/shifts?team=payments&view=month&date=2027-03-01"), chromedp.WaitVisible(chromedp.CSS(".month")))
	if odd := run(t, ctx, "DST day", chromedp.Text(chromedp.CSS(`[data-date="2027-03-28"] .odd`))); odd != "23 h" {
		t.Errorf("28 March 2027 in the month view: %q, want 23 h", odd)
	}
	screenshot(t, ctx, dir, "shifts-month")
	do(t, ctx, "rota", chromedp.Navigate(cs.url+"/rota"), chromedp.WaitVisible(chromedp.ID("rota-rev")))
	screenshot(t, ctx, dir, "rota")

	// The pay report, and its CSV downloaded by the browser.
	do(t, ctx, "reports", chromedp.Navigate(cs.url+"/reports?from=2026-11-01&to=2026-12-01&team=payments"), chromedp.WaitVisible(chromedp.ID("pay-csv")))
	screenshot(t, ctx, dir, "reports")
	downloads := t.TempDir()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	do(t, ctx, "download the CSV",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptr(true)})
			return err
		}),
		chromedp.Click(chromedp.ID("pay-csv")),
	)
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			file = filepath.Join(downloads, ev.GUID)
			break
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV: %v\n%s", err, data)
	}
	if len(recs) != 2 || strings.Join(recs[0], ",") != "person,team,kind,class,minutes,amount,currency" ||
		strings.Join(recs[1], ",") != "alice,payments,standby,weekend,2880,192.00,GBP" {
		t.Errorf("downloaded CSV:\n%s", data)
	}
}

func ptr[T any](v T) *T { return &v }

// On a phone: the pages fit the screen's width (nothing to scroll
// sideways), the buttons are big enough to tap, and the navigation is
// there.
func TestBrowserPhone(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t, 390, 844)
	cs := newConsole(t, false)
	dir := shots(t)
	do(t, ctx, "a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	signInBrowser(t, ctx, cs, responderToken)
	id := cs.raise(t, "Payment provider timeouts: 12% of card authorisations failing")
	fits := func(page string) {
		t.Helper()
		if !run(t, ctx, "width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
			w := run(t, ctx, "width", chromedp.Evaluate[string](`document.documentElement.scrollWidth + ' > ' + window.innerWidth`))
			t.Errorf("%s is wider than the phone: %s", page, w)
		}
	}
	fits("the Now page")
	// Left open over a handoff, the Now page follows it: Wednesday 09:00,
	// bob's override ends and dave holds payments' primary.
	markPage(t, ctx)
	cs.clk.Advance(13*time.Hour + 30*time.Minute)
	waitFor(t, ctx, "the handoff on the Now page",
		`!document.getElementById('team-payments').textContent.includes('override') && document.querySelector('#team-payments td.holder a').textContent === 'Dave Dunn'`)
	notReloaded(t, ctx, "the Now page over a handoff")
	if !run(t, ctx, "nav", chromedp.Evaluate[bool](`document.querySelector('nav a[href="/alerts"]').getBoundingClientRect().width > 0`)) {
		t.Error("no Alerts link on a phone")
	}
	screenshot(t, ctx, dir, "now-phone")

	do(t, ctx, "the alert", chromedp.Navigate(fmt.Sprintf("%s/alerts/%d", cs.url, id)), chromedp.WaitVisible(chromedp.ID("btn-ack")))
	fits("the alert page")
	for _, b := range []string{"btn-ack", "btn-resolve", "btn-escalate"} {
		h := run(t, ctx, "button height", chromedp.Evaluate[float64](`document.getElementById('`+b+`').getBoundingClientRect().height`))
		if h < 44 {
			t.Errorf("%s is %.0f px high: too small to tap (44)", b, h)
		}
	}
	screenshot(t, ctx, dir, "alert-phone")
	do(t, ctx, "alerts", chromedp.Navigate(cs.url+"/alerts"), chromedp.WaitVisible(chromedp.ID("alert-list")))
	fits("the alert list")
	do(t, ctx, "shifts", chromedp.Navigate(cs.url+"/shifts?team=payments"), chromedp.WaitVisible(chromedp.CSS(".week")))
	fits("the week's shifts")
	screenshot(t, ctx, dir, "shifts-phone")
}

// TestBrowserPressDuringRefresh presses Acknowledge and, before the button
// is let go, changes the alert so the live part has news to swap in. A
// swap under a held button would leave the release on another element and
// the click on neither: the press would do nothing, with nothing on the
// screen to say so. The news waits for the release instead.
func TestBrowserPressDuringRefresh(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t, 1280, 900)
	cs := newConsole(t, false)
	ev := alertEvent("Checkout error rate above 5%")
	ev.DedupKey = "checkout-errors"
	res, err := cs.env.Alerts.Receive(context.Background(), "payments", ev)
	if err != nil {
		t.Fatal(err)
	}
	signInBrowser(t, ctx, cs, responderToken)
	do(t, ctx, "the alert", chromedp.Navigate(fmt.Sprintf("%s/alerts/%d", cs.url, res.AlertID)), chromedp.WaitVisible(chromedp.ID("btn-ack")))
	markPage(t, ctx)
	// Nothing changed: the live part is fetched again and left as it is
	// (the same button, not a copy of it).
	run(t, ctx, "tag the button", chromedp.Evaluate[bool](`document.getElementById('btn-ack').pagerdTag = true`))
	waitLives(t, ctx, cs, 2)
	if !run(t, ctx, "the tag", chromedp.Evaluate[bool](`document.getElementById('btn-ack').pagerdTag === true`)) {
		t.Error("the live part was swapped for the same content")
	}
	box := run(t, ctx, "the button", chromedp.Evaluate[[]float64](
		`(function () { var r = document.getElementById('btn-ack').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`))
	x, y := box[0], box[1]
	do(t, ctx, "press", chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))

	// The same alert again: the page would now say "received 2 times".
	if _, err := cs.env.Alerts.Receive(context.Background(), "payments", ev); err != nil {
		t.Fatal(err)
	}
	waitLives(t, ctx, cs, 2)
	if body := run(t, ctx, "held", chromedp.Evaluate[string](`document.getElementById('alert-live').innerText`)); strings.Contains(body, "received 2 times") {
		t.Errorf("the live part was swapped under a held button:\n%s", body)
	}

	do(t, ctx, "release", chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	waitFor(t, ctx, "the acknowledgement, and the news held back",
		`document.getElementById('alert-state').textContent === 'acknowledged' && document.getElementById('status').textContent === 'Acknowledged.' && document.getElementById('alert-live').innerText.includes('received 2 times')`)
	notReloaded(t, ctx, "after the press")
	if a := cs.alert(t, res.AlertID); a.Esc.AckedBy != "rita" {
		t.Errorf("acked by %q, want rita", a.Esc.AckedBy)
	}
}

// waitLives waits until the page has asked for its live parts n more
// times. Its ticks do not overlap, so with n >= 2 the first answer has
// come back to the page.
func waitLives(t *testing.T, ctx context.Context, cs *console, n int64) {
	t.Helper()
	after := cs.lives.Load()
	for cs.lives.Load() < after+n {
		select {
		case <-ctx.Done():
			t.Fatalf("the page stopped asking for news: %v", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
