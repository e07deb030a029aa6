package store

import (
	"fmt"
	"net"
	"net/url"
)

// freeURL is a loopback URL on a port free a moment ago, for the TLS test's
// own etcd (pagerd's embedded etcd opens no TCP port).
func freeURL() (url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return url.URL{}, fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	return url.URL{Scheme: "http", Host: addr}, nil
}
