package app

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/pagerd/pagerd/notifier/twilio"
)

// twilioNotifier builds the Twilio notifier, or returns nil when Twilio
// isn't configured (no account SID anywhere).
func twilioNotifier(c Config, client *http.Client) (*twilio.Notifier, error) {
	t := c.Twilio
	sid := firstOf(t.AccountSID, os.Getenv("TWILIO_ACCOUNT_SID"))
	if sid == "" {
		return nil, nil
	}
	token, err := secretFrom(t.AuthTokenFile, "TWILIO_AUTH_TOKEN")
	if err != nil {
		return nil, err
	}
	secret, err := secretFrom(t.APISecretFile, "TWILIO_API_SECRET")
	if err != nil {
		return nil, err
	}
	if c.PublicURL == "" {
		return nil, errors.New("twilio: --public-url is required, so Twilio can reach the reply and status webhooks")
	}
	n, err := twilio.New(twilio.Config{
		AccountSID: sid, AuthToken: token,
		APIKey: firstOf(t.APIKey, os.Getenv("TWILIO_API_KEY")), APISecret: secret,
		SMSFrom:             firstOf(t.SMSFrom, os.Getenv("TWILIO_SMS_FROM")),
		VoiceFrom:           firstOf(t.VoiceFrom, os.Getenv("TWILIO_VOICE_FROM")),
		MessagingServiceSID: firstOf(t.MessagingServiceSID, os.Getenv("TWILIO_MESSAGING_SERVICE_SID")),
		PublicURL:           c.PublicURL,
		APIURL:              t.APIURL,
		CAFile:              t.CAFile,
		HTTPClient:          client,
	})
	if err != nil {
		return nil, fmt.Errorf("twilio: %w", err)
	}
	return n, nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// secretFrom reads a secret from a file if one is named, else from an
// environment variable.
func secretFrom(file, env string) (string, error) {
	if file != "" {
		return ReadSecret(file)
	}
	return os.Getenv(env), nil
}

// ReadSecret reads a secret from a file (a systemd credential, say),
// trimming the trailing newline. An empty path is no secret; a file that
// is named but empty (or only whitespace) is an error, never "no secret":
// an empty token file must not turn authentication off.
func ReadSecret(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("secret file %s is empty: write the secret into it, or don't name it", path)
	}
	return s, nil
}
