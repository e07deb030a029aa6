package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/bucket/buckettest"
)

// The archive bucket's settings: from the file (archive.s3.*) and flags,
// checked together, with one-line reasons.
func TestArchiveBucketSettings(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "archive:\n  s3:\n    endpoint: minio.internal:9000\n    bucket: pagerd-archive\n    access_key_file: /run/credentials/pagerd.service/s3-access\n")
	c, err := parse(t, path, "--archive-s3-prefix", "prod/", "--archive-s3-insecure")
	if err != nil {
		t.Fatal(err)
	}
	s3 := c.Archive.S3
	if s3.Endpoint != "minio.internal:9000" || s3.Bucket != "pagerd-archive" || s3.Prefix != "prod/" || !s3.Insecure ||
		s3.AccessKeyFile != "/run/credentials/pagerd.service/s3-access" {
		t.Errorf("archive.s3 %+v", s3)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid bucket settings refused: %v", err)
	}
	if d := Defaults(); d.Archive.S3.Prefix != "pagerd/" || d.Archive.S3.Bucket != "" {
		t.Errorf("defaults %+v", d.Archive.S3)
	}
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Archive.S3.Endpoint = "" }, "go together"},
		{func(c *Config) { c.Archive.S3.Bucket = "" }, "go together"},
		{func(c *Config) { c.Archive.S3.Endpoint = "https://minio.internal:9000" }, "without a scheme"},
		{func(c *Config) { c.ArchiveRetention = 0 }, "keeps no archive"},
	} {
		bad := c
		tc.edit(&bad)
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: %v, want one line saying %q", bad.Archive.S3, err, tc.want)
		}
	}
}

// openBucket reads the keys from their files; a bucket the server says is
// missing stops serve, with the reason.
func TestOpenBucketReadsKeyFiles(t *testing.T) {
	t.Parallel()
	srv := buckettest.New(t, "pagerd-archive")
	dir := t.TempDir()
	access, secret := filepath.Join(dir, "access"), filepath.Join(dir, "secret")
	for p, v := range map[string]string{access: buckettest.AccessKey + "\n", secret: buckettest.SecretKey + "\n"} {
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := S3Config{Endpoint: srv.Endpoint, Bucket: "pagerd-archive", Prefix: "pagerd/", Region: "us-east-1", Insecure: true,
		AccessKeyFile: access, SecretKeyFile: secret}
	b, err := openBucket(context.Background(), c, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(context.Background(), "x", []byte("y")); err != nil {
		t.Errorf("put with the keys from files: %v", err)
	}
	c.Bucket = "nope"
	if _, err := openBucket(context.Background(), c, quiet); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing bucket: %v", err)
	}
	c.Bucket, c.SecretKeyFile = "pagerd-archive", filepath.Join(dir, "missing")
	if _, err := openBucket(context.Background(), c, quiet); err == nil {
		t.Error("a missing secret key file was accepted")
	}
}
