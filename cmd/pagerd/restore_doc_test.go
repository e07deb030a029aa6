package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDeployDocRestoreRunsAsWritten runs docs/deploy.md's backup and
// restore steps as written, on an installation laid out as the unit's
// DynamicUser makes it (/var/lib/pagerd a symlink to
// /var/lib/private/pagerd), under a temporary root, with an API token:
// the save needs it, and after the restore every alert is back, a retired
// one's history and archive included.
func TestDeployDocRestoreRunsAsWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	t.Parallel()
	root := t.TempDir()
	at := func(p string) string {
		if strings.HasPrefix(p, "/") {
			return filepath.Join(root, p)
		}
		return p
	}
	for _, d := range []string{"/var/lib/private/pagerd", "/var/backups", "/root"} {
		if err := os.MkdirAll(at(d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("private/pagerd", at("/var/lib/pagerd")); err != nil {
		t.Fatal(err)
	}
	const token = "admin-token-0123456789abcdef"
	if err := os.WriteFile(at("/root/pagerd-admin-token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rota := writeRota(t, "10m")
	var n *node
	start := func() {
		// As the unit: --data-dir is ${STATE_DIRECTORY}, the symlink.
		n = newNode(t, "restore-doc", "--config", rota, "--data-dir", at("/var/lib/pagerd"),
			"--api-token-file", at("/root/pagerd-admin-token"), "--retention", "2s")
		n.start()
	}
	stop := func() {
		if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := n.cmd.Wait(); err != nil {
			t.Fatalf("pagerd stopped with %v", err)
		}
		n.log.Close()
	}
	start()
	client := &http.Client{Transport: bearerTransport(token)}
	open, err := postAlert(client, n.addr, "still-open")
	if err != nil {
		t.Fatal(err)
	}
	retired, err := postAlert(client, n.addr, "retired-before-the-backup")
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := at("/root/pagerd-admin-token")
	var out, errb bytes.Buffer
	if code := run([]string{"resolve", fmt.Sprint(retired), "--server", "http://" + n.addr, "--token-file", tokenFile}, &out, &errb, timeNow); code != 0 {
		t.Fatalf("resolve: %s", errb.String())
	}
	isRetired := func(addr string) bool {
		out.Reset()
		errb.Reset()
		code := run([]string{"alert", fmt.Sprint(retired), "--server", "http://" + addr, "--token-file", tokenFile}, &out, &errb, timeNow)
		return code == 0 && strings.Contains(out.String(), "archived in etcd")
	}
	waitFor(t, "the resolved alert retired", func() bool { return isRetired(n.addr) })

	// Without the token, the save is refused; the page says to pass it.
	errb.Reset()
	if code := run([]string{"snapshot", "save", at("/var/backups/nope.snapshot"), "--server", "http://" + n.addr}, &out, &errb, timeNow); code == 0 ||
		!strings.Contains(errb.String(), "--token-file") {
		t.Fatalf("snapshot save without the token: exit %d: %s", code, errb.String())
	}

	var ran []string
	for _, f := range fences(t, "../../docs/deploy.md") {
		body := strings.Join(f.lines, "\n")
		if f.info != "sh" || !strings.Contains(body, "pagerd snapshot ") {
			continue
		}
		for _, line := range f.lines {
			args, err := splitArgs(line)
			if err != nil {
				t.Fatal(err)
			}
			if len(args) == 0 {
				continue
			}
			ran = append(ran, strings.Join(args, " "))
			switch {
			case args[0] == "pagerd":
				cmd := make([]string, 0, len(args)+2)
				for _, a := range args[1:] {
					cmd = append(cmd, at(a))
				}
				if len(cmd) > 1 && cmd[0] == "snapshot" && cmd[1] == "save" {
					cmd = append(cmd, "--server", "http://"+n.addr)
				}
				out.Reset()
				errb.Reset()
				if code := run(cmd, &out, &errb, timeNow); code != 0 {
					t.Fatalf("docs/deploy.md:%d: %s: exit %d: %s", f.line, line, code, errb.String())
				}
			case len(args) == 3 && args[0] == "systemctl" && args[2] == "pagerd" && args[1] == "stop":
				stop()
			case len(args) == 3 && args[0] == "systemctl" && args[2] == "pagerd" && args[1] == "start":
				start()
			case len(args) == 3 && args[0] == "mv":
				if err := os.Rename(at(args[1]), at(args[2])); err != nil {
					t.Fatalf("docs/deploy.md:%d: %s: %v", f.line, line, err)
				}
			default:
				t.Fatalf("docs/deploy.md:%d: a restore step this test can't run: %s", f.line, line)
			}
		}
	}
	want := []string{"pagerd snapshot save", "systemctl stop pagerd", "pagerd snapshot restore", "mv", "systemctl start pagerd"}
	for _, w := range want {
		found := false
		for _, r := range ran {
			found = found || strings.HasPrefix(r, w)
		}
		if !found {
			t.Fatalf("the page's steps %q lack %q", ran, w)
		}
	}
	// Ready only once this node leads: the snapshot brought back its old
	// leader key under the same name, which is no leadership (finding 4).
	leading := false
	for _, l := range n.logLines() {
		leading = leading || l["msg"] == "leading"
	}
	if !leading {
		t.Error("the restored node said ready before it led")
	}
	// The node runs on the restored directory, through the symlink.
	if _, err := os.Stat(at("/var/lib/private/pagerd.old/etcd")); err != nil {
		t.Fatalf("the old data directory was not kept: %v", err)
	}
	if a, code := getAlertAuth(t, client, n.addr, open); code != 200 || a.DedupKey != "still-open" {
		t.Fatalf("open alert after restore: %d %+v", code, a)
	}
	if !isRetired(n.addr) {
		t.Fatalf("retired alert after restore: %s%s", out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{"archive", "search", "--id", fmt.Sprint(retired), "--server", "http://" + n.addr, "--token-file", tokenFile}, &out, &errb, timeNow); code != 0 ||
		!strings.Contains(out.String(), "retired-before-the-backup") {
		t.Fatalf("archive after restore: exit %d: %s%s", code, out.String(), errb.String())
	}
}

// bearerTransport sends token on every request.
type bearerTransport string

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

func getAlertAuth(t *testing.T, c *http.Client, addr string, id int64) (alertView, int) {
	t.Helper()
	resp, err := c.Get(fmt.Sprintf("http://%s/api/v1/alerts/%d", addr, id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a alertView
	if err := jsonDecode(resp, &a); err != nil {
		t.Fatal(err)
	}
	return a, resp.StatusCode
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
