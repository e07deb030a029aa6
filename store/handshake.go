package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// checkCertificates fails Open at once, naming the certificate problem,
// when an etcd endpoint's certificate can't be verified. That never heals
// by waiting, and the etcd client reports it only as "context deadline
// exceeded" once ping has waited. An endpoint that can't be reached, or
// that refuses us after the handshake (a missing client certificate under
// TLS 1.3), is left to ping.
func checkCertificates(ctx context.Context, endpoints []string, tc *tls.Config) error {
	for _, ep := range endpoints {
		addr := ep
		if u, err := url.Parse(ep); err == nil && u.Host != "" {
			if u.Scheme != "https" {
				continue // plain or unix: no certificate to check
			}
			addr = u.Host
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			continue // not host:port; the client will say what is wrong
		}
		cfg := tc.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			continue
		}
		var bad *tls.CertificateVerificationError
		if errors.As(err, &bad) {
			return fmt.Errorf("etcd %s: its certificate is not trusted (is the CA file the one that signed it?): %w", ep, err)
		}
	}
	return nil
}
