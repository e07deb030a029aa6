package app

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/rotafile"
)

// The README's first command: pagerd serve on the example rota prints the
// web console's URL, and that URL shows who is on call.
func TestServePrintsTheConsoleURL(t *testing.T) {
	t.Parallel()
	c := Defaults()
	c.RotaDir = "../configs/example"
	c.DataDir = t.TempDir()
	c.Listen = "127.0.0.1:0"
	c.Node = "console"
	logger, logs := newLog()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, c, logger, &Hooks{Ready: func(addr string) { ready <- addr }}) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	}
	want := "http://" + addr + "/"
	printed := logs.find("web console: open " + want)
	if len(printed) != 1 || printed[0]["url"] != want {
		t.Errorf("the log does not print the console's URL %s", want)
	}

	rota, _, err := rotafile.LoadDir(c.RotaDir)
	if err != nil {
		t.Fatal(err)
	}
	holder := func() string { // payments' primary now, by name
		team, _ := rota.Team("payments")
		h, _ := team.Schedule.Holder("primary", time.Now())
		return rota.People[h.Person].Name
	}
	before := holder()
	resp, err := http.Get(want)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	page := string(body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Payments") || !strings.Contains(page, "Platform Infrastructure") {
		t.Fatalf("GET %s: %s\n%s", want, resp.Status, page)
	}
	// A handoff may fall between the two looks: either holder will do.
	if after := holder(); !strings.Contains(page, before) && !strings.Contains(page, after) {
		t.Errorf("the console does not show payments' primary (%s)", before)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// With operators' tokens, the console asks to sign in before anything.
func TestServeConsoleNeedsSignIn(t *testing.T) {
	t.Parallel()
	c := Defaults()
	c.RotaDir = writeRotaDir(t)
	c.DataDir = t.TempDir()
	c.Listen = "127.0.0.1:0"
	c.Node = "signin"
	c.TokensFile = filepath.Join(t.TempDir(), "tokens.yaml")
	if err := os.WriteFile(c.TokensFile, []byte("- {name: rita, role: responder, token: responder-token-0123456789}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logger, _ := newLog()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, c, logger, &Hooks{Ready: func(addr string) { ready <- addr }}) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Errorf("GET / with tokens configured: %s to %q, want 303 to /signin", resp.Status, resp.Header.Get("Location"))
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A rota on disk that a reload refuses shows on the console's Rota page,
// with its errors, while the rota in force stays.
func TestConsoleShowsARefusedReload(t *testing.T) {
	t.Parallel()
	c := Defaults()
	c.RotaDir = writeRotaDir(t)
	c.DataDir = t.TempDir()
	c.Listen = "127.0.0.1:0"
	c.Node = "refused"
	logger, _ := newLog()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, c, logger, &Hooks{Ready: func(addr string) { ready <- addr }}) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	}
	rotaPage := func() string {
		resp, err := http.Get("http://" + addr + "/rota")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if page := rotaPage(); !strings.Contains(page, "have no errors") || strings.Contains(page, "was refused") {
		t.Fatalf("before the edit, the rota page says:\n%s", page)
	}
	writeFile(t, filepath.Join(c.RotaDir, "core.yaml"), testTeam("ann, ben, carl"))
	var page string
	waitFor(t, "the refused reload on the rota page", func() bool {
		page = rotaPage()
		return strings.Contains(page, "was refused")
	})
	if !strings.Contains(page, "core.yaml:") || !strings.Contains(page, "carl") || !strings.Contains(page, "r1") {
		t.Errorf("the refused reload's page lacks its error or the revision kept:\n%s", page)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
