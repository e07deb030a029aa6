package bucket_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/bucket"
	"github.com/pagerd/pagerd/bucket/buckettest"
)

func open(t *testing.T, srv *buckettest.Server, name, prefix string) (*bucket.Bucket, error) {
	t.Helper()
	return bucket.Open(context.Background(), bucket.Config{Endpoint: srv.Endpoint, Bucket: name, Prefix: prefix, Region: "us-east-1",
		AccessKey: buckettest.AccessKey, SecretKey: buckettest.SecretKey, Insecure: true})
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

// A wrong setting stops serve at start: a bucket that does not exist, an
// endpoint with a scheme.
func TestOpenRefusesWhatCannotWork(t *testing.T) {
	t.Parallel()
	srv := buckettest.New(t, "archive")
	if _, err := open(t, srv, "missing", ""); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing bucket: %v", err)
	}
	_, err := bucket.Open(context.Background(), bucket.Config{Endpoint: "http://" + srv.Endpoint, Bucket: "archive", Insecure: true})
	if err == nil || !strings.Contains(err.Error(), "without a scheme") {
		t.Errorf("endpoint with a scheme: %v", err)
	}
}
