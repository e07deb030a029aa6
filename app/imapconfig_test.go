package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/pagerd/pagerd/ingest/mail"
	"github.com/pagerd/pagerd/metrics"
)

// Finding 4: IMAP settings that can't work are refused at start, each
// message naming the daemon config's key to change.
func TestIMAPSettingsRefusedNamingTheirKeys(t *testing.T) {
	t.Setenv("PAGERD_IMAP_PASSWORD", "")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	password := writeTemp(t, "secret")
	for _, c := range []struct {
		name string
		cfg  IMAPConfig
		want string
	}{
		{"no password", IMAPConfig{Addr: "imap.example.com:993", Username: "u"}, "imap.password_file is not set and PAGERD_IMAP_PASSWORD is empty"},
		{"empty password file", IMAPConfig{Addr: "imap.example.com:993", Username: "u", PasswordFile: writeTemp(t, "\n")}, "imap.password_file"},
		{"plain without allow_plain", IMAPConfig{Addr: "imap.example.com:143", TLS: "plain", Username: "u", PasswordFile: password}, "allow_plain: true"},
		{"unknown mode", IMAPConfig{Addr: "imap.example.com:993", TLS: "ssl", Username: "u", PasswordFile: password}, "imap.tls"},
		{"no username", IMAPConfig{Addr: "imap.example.com:993", PasswordFile: password}, "imap.username"},
		{"no CA file", IMAPConfig{Addr: "imap.example.com:993", Username: "u", PasswordFile: password, CAFile: filepath.Join(t.TempDir(), "nope.pem")}, "imap.ca_file"},
		{"CA file without a certificate", IMAPConfig{Addr: "imap.example.com:993", Username: "u", PasswordFile: password, CAFile: password}, "imap.ca_file"},
	} {
		_, err := newMailWatcher(c.cfg, nil, &mail.Intake{}, metrics.New(), quiet)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error with %q", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "AllowPlain") {
			t.Errorf("%s: %v names the Go field, not the YAML key", c.name, err)
		}
	}
	// The environment variable is a password too.
	t.Setenv("PAGERD_IMAP_PASSWORD", "secret")
	if _, err := newMailWatcher(IMAPConfig{Addr: "imap.example.com:993", Username: "u"}, nil, &mail.Intake{}, metrics.New(), quiet); err != nil {
		t.Errorf("with PAGERD_IMAP_PASSWORD: %v", err)
	}
}

// Finding 4: imap.ca_file names the CA the server's certificate chains
// to, and imap.server_name the name it carries when addr is an IP.
func TestIMAPCAFileAndServerName(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "imap.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"imap.test"}, // no IP: only server_name lets 127.0.0.1 verify
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := writeTemp(t, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))

	user := imapmemserver.NewUser("pagerd", "secret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem := imapmemserver.New()
	mem.AddUser(user)
	srvTLS := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	is := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:      imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		TLSConfig: srvTLS, Logger: log.New(io.Discard, "", 0),
	})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvTLS)
	if err != nil {
		t.Fatal(err)
	}
	go is.Serve(ln) // ends with Close below
	t.Cleanup(func() { is.Close() })

	st, srv := inProcessAPI(t)
	quiet := srv.Log
	for _, c := range []struct {
		name       string
		serverName string
		connects   bool
	}{
		{"ca_file and server_name", "imap.test", true},
		{"ca_file, the IP's name", "", false},
	} {
		cfg := IMAPConfig{Addr: ln.Addr().String(), Username: "pagerd", PasswordFile: writeTemp(t, "secret"), CAFile: caFile, ServerName: c.serverName}
		w, err := newMailWatcher(cfg, st, &mail.Intake{Alerts: srv.Alerts, Rota: srv.Rota, Log: quiet}, metrics.New(), quiet)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		var got string
		waitFor(t, c.name+": a verdict", func() bool {
			s := w.Status()[0]
			got = s.Err
			return s.Connected || (s.Err != "not connected yet" && s.Err != "")
		})
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: Run: %v", c.name, err)
		}
		if connected := got == ""; connected != c.connects {
			t.Errorf("%s: connected %v (%q), want %v", c.name, connected, got, c.connects)
		}
		if !c.connects && !strings.Contains(got, "certificate") {
			t.Errorf("%s: failed with %q, want a certificate error", c.name, got)
		}
	}
}

// The same refusals come from Validate, before etcd or anything else
// starts: pagerd serve exits at once with the message.
func TestValidateChecksIMAP(t *testing.T) {
	t.Setenv("PAGERD_IMAP_PASSWORD", "")
	c := Defaults()
	c.IMAP = IMAPConfig{Addr: "imap.example.com:993", Username: "u"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "imap.password_file") {
		t.Errorf("Validate without an IMAP password: %v", err)
	}
	c.IMAP.PasswordFile = writeTemp(t, "secret")
	if err := c.Validate(); err != nil {
		t.Errorf("Validate with a password file: %v", err)
	}
}
