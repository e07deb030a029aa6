package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/bucket"
	"github.com/pagerd/pagerd/bucket/buckettest"
)

// openWithBucket is a store on an embedded etcd whose archive is the
// bucket "archive" (prefix "pagerd/") of an in-process S3 server.
func openWithBucket(t *testing.T) (*Store, *buckettest.Server, *bucket.Bucket) {
	t.Helper()
	srv := buckettest.New(t, "archive")
	b, err := bucket.Open(bucket.Config{Endpoint: srv.Endpoint, Bucket: "archive", Prefix: "pagerd/", Region: "us-east-1",
		AccessKey: buckettest.AccessKey, SecretKey: buckettest.SecretKey, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := Open(context.Background(), Config{DataDir: t.TempDir(), Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, srv, b
}

// Issue 19: with a bucket configured, a retired alert's full record is an
// object in the bucket (prefix/YYYY/MM/ID.json.gz), not a key in etcd; any
// node with the bucket reads it back through its summary; it leaves the
// bucket when archive_retention is up, and the summary stays.
func TestRetireToABucket(t *testing.T) {
	t.Parallel()
	st, srv, b := openWithBucket(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	a := resolvedAlert(t, st, t0, "stack trace")
	now := t0.Add(30 * 24 * time.Hour)
	keep := Keep{Archive: 90 * 24 * time.Hour, History: 365 * 24 * time.Hour}
	sum, err := st.Retire(ctx, a.ID, now, keep)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("pagerd/2026/11/%d.json.gz", a.ID)
	if sum.ArchiveObject != want {
		t.Errorf("summary names object %q, want %q", sum.ArchiveObject, want)
	}
	if keys := srv.Keys(t, "archive"); !slices.Equal(keys, []string{want}) {
		t.Fatalf("bucket holds %q, want %q", keys, want)
	}
	if resp, err := st.cli.Get(ctx, st.archiveKey(a.ID)); err != nil || len(resp.Kvs) != 0 {
		t.Fatalf("archive also in etcd: %v %v", err, resp.Kvs)
	}
	full, err := st.Archived(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if full.Details != "stack trace" || len(full.Timeline) != 4 || full.Timeline[3].Kind != "resolve" {
		t.Errorf("archived record: %+v", full)
	}

	// Another node of the cluster, with the bucket, reads it; one without
	// says where it is.
	other, err := Open(ctx, Config{Endpoints: []string{st.Endpoint()}, Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if got, err := other.Archived(ctx, a.ID); err != nil || got.ID != a.ID {
		t.Errorf("another node: %v %v", got, err)
	}
	bare, err := Open(ctx, Config{Endpoints: []string{st.Endpoint()}})
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	if _, err := bare.Archived(ctx, a.ID); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a node without the bucket: %v, want the object's name", err)
	}

	if n, err := st.Expire(ctx, now.Add(keep.Archive), 100); err != nil || n != 1 {
		t.Fatalf("archive expiry: %d %v", n, err)
	}
	if keys := srv.Keys(t, "archive"); len(keys) != 0 {
		t.Errorf("object kept past archive_retention: %q", keys)
	}
	if _, err := st.Archived(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("archive after expiry: %v, want ErrNotFound", err)
	}
	if _, err := st.History(ctx, a.ID); err != nil {
		t.Errorf("summary gone with the archive: %v", err)
	}
}

// Issue 19: the upload comes before the transaction that retires the
// alert. When it fails, the alert stays live, whole, and no summary is
// written; the next sweep (here: the next call) retires it.
func TestRetireKeepsTheAlertWhenTheUploadFails(t *testing.T) {
	t.Parallel()
	st, srv, _ := openWithBucket(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	a := resolvedAlert(t, st, t0, "")
	// The bucket is removed under pagerd (an operator's mistake): every
	// upload fails.
	if err := srv.Backend.DeleteBucket("archive"); err != nil {
		t.Fatal(err)
	}
	keep := Keep{Archive: time.Hour, History: time.Hour}
	if _, err := st.Retire(ctx, a.ID, t0.Add(time.Hour), keep); err == nil || !strings.Contains(err.Error(), "stays live") {
		t.Fatalf("retirement with no bucket to upload to: %v, want a failure", err)
	}
	live, err := st.Get(ctx, a.ID)
	if err != nil || len(live.Timeline) != 4 {
		t.Fatalf("alert after a failed upload: %v %+v", err, live)
	}
	if _, err := st.History(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("summary written though the archive was not: %v", err)
	}
	if err := srv.Backend.CreateBucket("archive"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Retire(ctx, a.ID, t0.Add(2*time.Hour), keep); err != nil {
		t.Fatal(err)
	}
	if full, err := st.Archived(ctx, a.ID); err != nil || len(full.Timeline) != 4 {
		t.Fatalf("archive after the retry: %v %+v", err, full)
	}
}
