// Package buckettest serves an S3-compatible API in process (gofakes3
// over httptest), for tests of what pagerd keeps in a bucket: the real
// minio-go client talks HTTP to it as it would to MinIO or S3.
package buckettest

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Server is an in-process S3 server.
type Server struct {
	Endpoint string // host:port, plain HTTP
	Backend  *s3mem.Backend
}

// Keys are the credentials tests give the client (gofakes3 checks the
// signature's form, not the key).
const (
	AccessKey = "pagerd-test"
	SecretKey = "pagerd-test-secret"
)

// New serves an S3 API on a loopback port with the named buckets created,
// until the test ends.
func New(t testing.TB, buckets ...string) *Server {
	t.Helper()
	be := s3mem.New()
	for _, b := range buckets {
		if err := be.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	// Its request log is noise in test output; failures show in the
	// client's errors.
	faker := gofakes3.New(be, gofakes3.WithLogger(gofakes3.DiscardLog()))
	hs := httptest.NewServer(faker.Server())
	t.Cleanup(hs.Close)
	u, err := url.Parse(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &Server{Endpoint: u.Host, Backend: be}
}

// Keys lists the objects in bucket, as the server holds them.
func (s *Server) Keys(t testing.TB, bucket string) []string {
	t.Helper()
	list, err := s.Backend.ListBucket(bucket, nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, o.Key)
	}
	return keys
}
