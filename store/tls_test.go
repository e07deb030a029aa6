package store

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// writeCert writes a certificate (signed by parent, or self-signed when
// parent is nil) and its key as PEM files, and returns them.
func writeCert(t *testing.T, dir, name string, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key, certPath, keyPath
}

// TestExternalEtcdOverMutualTLS runs etcd requiring client certificates and
// connects the way --etcd-endpoints with --etcd-ca/--etcd-cert/--etcd-key do,
// and the ways that must fail: no client certificate, and a CA that did not
// sign etcd's certificate.
func TestExternalEtcdOverMutualTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Now()
	ca, caKey, caPath, _ := writeCert(t, dir, "ca", &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ca"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, nil, nil)
	_, _, srvCert, srvKey := writeCert(t, dir, "server", &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "etcd"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}, ca, caKey)
	_, _, cliCert, cliKey := writeCert(t, dir, "client", &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "pagerd"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}, ca, caKey)

	clientURL, _ := freeURL()
	clientURL.Scheme = "https"
	peerURL, _ := freeURL()
	ec := embed.NewConfig()
	ec.Dir = filepath.Join(dir, "etcd")
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	ec.ClientTLSInfo.CertFile, ec.ClientTLSInfo.KeyFile = srvCert, srvKey
	ec.ClientTLSInfo.TrustedCAFile, ec.ClientTLSInfo.ClientCertAuth = caPath, true
	e, err := embed.StartEtcd(ec)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	<-e.Server.ReadyNotify()

	endpoint := clientURL.String()
	st, err := Open(context.Background(), Config{Endpoints: []string{endpoint}, CAFile: caPath, CertFile: cliCert, KeyFile: cliKey})
	if err != nil {
		t.Fatalf("mutual TLS: %v", err)
	}
	id, err := st.NextID(context.Background())
	st.Close()
	if err != nil || id != 1 {
		t.Fatalf("NextID over TLS = %d, %v", id, err)
	}

	t.Run("no client certificate", func(t *testing.T) {
		// etcd refuses it. Under TLS 1.3 it does so after the handshake,
		// so the client only sees etcd not answering: the bound is the
		// caller's. That the same etcd just answered with a certificate
		// is what makes this a refusal, not an outage.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if st, err := Open(ctx, Config{Endpoints: []string{endpoint}, CAFile: caPath}); err == nil {
			st.Close()
			t.Fatal("connected without a client certificate")
		}
	})

	t.Run("untrusted server certificate", func(t *testing.T) {
		// A CA that did not sign etcd's certificate: Open fails naming the
		// certificate problem, where the etcd client alone would report
		// "context deadline exceeded" after waiting out its ping.
		_, _, otherCA, _ := writeCert(t, dir, "other-ca", &x509.Certificate{
			SerialNumber: big.NewInt(4), Subject: pkix.Name{CommonName: "another ca"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		}, nil, nil)
		// The endpoint as a URL, and bare (TLS still applies).
		for _, ep := range []string{endpoint, clientURL.Host} {
			st, err := Open(context.Background(), Config{Endpoints: []string{ep}, CAFile: otherCA, CertFile: cliCert, KeyFile: cliKey})
			if err == nil {
				st.Close()
				t.Fatalf("%s: connected to an etcd whose certificate no trusted CA signed", ep)
			}
			var unknown x509.UnknownAuthorityError
			if !errors.As(err, &unknown) {
				t.Errorf("%s: Open = %v, want an unknown-authority certificate error", ep, err)
			}
		}
	})
}
