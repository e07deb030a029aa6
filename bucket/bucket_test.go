package bucket_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/bucket"
	"github.com/pagerd/pagerd/bucket/buckettest"
)

func open(t *testing.T, srv *buckettest.Server, name, prefix string) (*bucket.Bucket, error) {
	t.Helper()
	b, err := bucket.Open(bucket.Config{Endpoint: srv.Endpoint, Bucket: name, Prefix: prefix, Region: "us-east-1",
		AccessKey: buckettest.AccessKey, SecretKey: buckettest.SecretKey, Insecure: true})
	if err != nil {
		return nil, err
	}
	return b, b.Check(context.Background())
}

// Objects go in under the prefix, come back byte for byte, and are gone
// after Delete (a second Delete is no error); a missing object is
// fs.ErrNotExist.
func TestPutGetDelete(t *testing.T) {
	t.Parallel()
	srv := buckettest.New(t, "archive")
	b, err := open(t, srv, "archive", "pagerd/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := bytes.Repeat([]byte{0x1f, 0x8b, 0, 7}, 1000)
	key, err := b.Put(ctx, "2026/11/00000000000000000042.json.gz", data)
	if err != nil {
		t.Fatal(err)
	}
	if key != "pagerd/2026/11/00000000000000000042.json.gz" || b.String() != "s3://archive/pagerd/" {
		t.Errorf("key %q in %s", key, b)
	}
	// Through the server's own listing: the object is where the key says.
	if keys := srv.Keys(t, "archive"); len(keys) != 1 || keys[0] != key {
		t.Fatalf("bucket holds %q, want the one object %s", keys, key)
	}
	got, err := b.Get(ctx, key)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get: %d bytes, %v", len(got), err)
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, key); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("get after delete: %v, want fs.ErrNotExist", err)
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Errorf("deleting an object already gone: %v", err)
	}
}

// A wrong setting shows at start: a bucket that does not exist, an
// endpoint with a scheme. A server that does not answer is told apart: it
// says nothing about the settings.
func TestCheckTellsWrongSettingsFromNoAnswer(t *testing.T) {
	t.Parallel()
	srv := buckettest.New(t, "archive")
	_, err := open(t, srv, "missing", "")
	if err == nil || !strings.Contains(err.Error(), "does not exist") || errors.Is(err, bucket.ErrNoAnswer) {
		t.Errorf("missing bucket: %v", err)
	}
	_, err = bucket.Open(bucket.Config{Endpoint: "http://" + srv.Endpoint, Bucket: "archive", Insecure: true})
	if err == nil || !strings.Contains(err.Error(), "without a scheme") {
		t.Errorf("endpoint with a scheme: %v", err)
	}
	// A port nothing listens on: a listener opened and closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bucket.Open(bucket.Config{Endpoint: addr, Bucket: "archive", Region: "us-east-1", Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	// minio-go retries a refused connection with backoff; the deadline
	// bounds it.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := b.Check(ctx); !errors.Is(err, bucket.ErrNoAnswer) {
		t.Errorf("no server: %v, want ErrNoAnswer", err)
	}
}
