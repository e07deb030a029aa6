package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
