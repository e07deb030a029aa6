package app

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

func TestTwilioSettings(t *testing.T) {
	// Not configured: the log notifier stays.
	if n, err := twilioNotifier(Config{}, nil); n != nil || err != nil {
		t.Fatalf("no Twilio settings: %v %v", n, err)
	}
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	os.WriteFile(token, []byte("0123456789abcdef0123456789abcdef\n"), 0o600)
	c := Config{Twilio: TwilioConfig{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthTokenFile: token, SMSFrom: "+15005550006"}}
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
	c.Twilio.SMSFrom, c.Twilio.AuthTokenFile = "+15005550006", filepath.Join(dir, "missing")
	if _, err := twilioNotifier(c, nil); err == nil {
		t.Error("a missing token file was accepted")
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
	c, err := LoadFile(path)
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
