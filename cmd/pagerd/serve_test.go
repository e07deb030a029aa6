package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/notifier/twilio/twiliotest"
)

func TestDaemonConfigFileAndFlags(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pagerd.yaml")
	os.WriteFile(path, []byte(`listen: 0.0.0.0:9000
data_dir: /var/lib/pagerd
rota_dir: /etc/pagerd/rota
etcd:
  endpoints: [https://etcd1:2379, https://etcd2:2379]
  ca_file: /etc/pagerd/ca.pem
`), 0o644)
	file, err := loadDaemonConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	flags := daemonConfig{Listen: "127.0.0.1:8080", DataDir: "./pagerd-data", RotaDir: "/srv/rota", Etcd: etcdConfig{Prefix: "/pagerd/"}}
	// --config was given on the command line; --listen and --data-dir are
	// their defaults, so the file's values stand.
	got := mergeConfig(file, flags, map[string]bool{"config": true})
	if got.Listen != "0.0.0.0:9000" || got.DataDir != "/var/lib/pagerd" || got.RotaDir != "/srv/rota" {
		t.Errorf("merged = %+v", got)
	}
	if len(got.Etcd.Endpoints) != 2 || got.Etcd.CAFile != "/etc/pagerd/ca.pem" || got.Etcd.Prefix != "/pagerd/" {
		t.Errorf("merged etcd = %+v", got.Etcd)
	}
	os.WriteFile(path, []byte("listen: x\nlisten_addr: y\n"), 0o644)
	if _, err := loadDaemonConfig(path); err == nil || !strings.Contains(err.Error(), "listen_addr") {
		t.Errorf("a typo in the daemon config: %v", err)
	}
}

func TestServeRefusesABrokenRotaWithNothingToFallBackOn(t *testing.T) {
	var out, errb strings.Builder
	code := run([]string{"serve", "--config", "../../rotafile/testdata/broken", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0"}, &out, &errb, timeNow)
	if code != 1 || !strings.Contains(errb.String(), "no valid rota") || !strings.Contains(errb.String(), `member \"carl\" is not a person`) {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
}

func TestTwilioSettings(t *testing.T) {
	// Not configured: the log notifier stays.
	if n, err := twilioNotifier(daemonConfig{}, nil); n != nil || err != nil {
		t.Fatalf("no Twilio settings: %v %v", n, err)
	}
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	os.WriteFile(token, []byte("0123456789abcdef0123456789abcdef\n"), 0o600)
	c := daemonConfig{Twilio: twilioConfig{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthTokenFile: token, SMSFrom: "+15005550006"}}
	if _, err := twilioNotifier(c, nil); err == nil || !strings.Contains(err.Error(), "--public-url") {
		t.Fatalf("without a public URL: %v", err)
	}
	c.PublicURL = "https://pagerd.example.com"
	n, err := twilioNotifier(c, nil)
	if err != nil || n == nil || n.Name() != "twilio" {
		t.Fatalf("configured: %v %v", n, err)
	}
	c.Twilio.SMSFrom = "07700 900000"
	if _, err := twilioNotifier(c, nil); err == nil {
		t.Error("a from-number that isn't E.164 was accepted")
	}
}

// TestTwilioAPIURLFromTheDaemonConfig: api_url and ca_file, read from the
// file, take pages to a fake Twilio in another process (the
// fault-injection suite's setup).
func TestTwilioAPIURLFromTheDaemonConfig(t *testing.T) {
	f := twiliotest.New(t)
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca := write("ca.pem", string(f.CertificatePEM()))
	token := write("token", twiliotest.AuthToken+"\n")
	path := write("pagerd.yaml", fmt.Sprintf(`public_url: http://127.0.0.1:8080
twilio:
  account_sid: %s
  auth_token_file: %s
  sms_from: "+15005550006"
  api_url: %s
  ca_file: %s
`, twiliotest.AccountSID, token, f.URL(), ca))
	c, err := loadDaemonConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := twilioNotifier(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := notifier.Page{AlertID: 7, PageID: "p1", Team: "core", Summary: "x", Person: "ann", Method: "sms", To: "+447700900101"}
	if _, err := n.Send(context.Background(), p); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if r := f.Requests(); len(r) != 1 || r[0].To != "+447700900101" || r[0].StatusCallback != "http://127.0.0.1:8080/twilio/status?alert=7&page=p1" {
		t.Errorf("fake saw %+v", r)
	}
}
