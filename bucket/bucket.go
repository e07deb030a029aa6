// Package bucket keeps retired alerts' full records in an S3-compatible
// bucket (AWS S3, MinIO, Ceph RGW, Garage...) through minio-go, for a
// cluster that wants its archive outside etcd. It knows objects, not
// alerts: the store names the objects and says what goes in them.
package bucket

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Config says how to reach the bucket.
type Config struct {
	// Endpoint is the server's host[:port], without a scheme
	// (s3.eu-west-1.amazonaws.com, minio.internal:9000).
	Endpoint string
	Bucket   string
	// Prefix goes before every object's name ("pagerd/"): several clusters
	// may share a bucket.
	Prefix string
	// Region is the bucket's region; empty asks the server.
	Region               string
	AccessKey, SecretKey string
	// Insecure speaks plain HTTP: for a server on loopback or a private
	// network only.
	Insecure bool
	// CAFile is a PEM file of the CAs the server's certificate must chain
	// to, instead of the system's.
	CAFile string
	// Transport, when set, carries the requests (tests).
	Transport http.RoundTripper
}

// Bucket is an opened bucket.
type Bucket struct {
	cli      *minio.Client
	name     string
	prefix   string
	endpoint string
	where    string
}

// maxObject bounds what Get reads: an archived alert is a few KB gzipped;
// a huge object is not one of ours.
const maxObject = 64 << 20

// ErrNoAnswer marks a Check that got no answer from the server (a network
// error, a timeout): unlike a refusal, it says nothing about the settings.
var ErrNoAnswer = errors.New("no answer from the bucket's server")

// Open makes the client; it does not touch the network (Check does).
func Open(c Config) (*Bucket, error) {
	if c.Endpoint == "" || c.Bucket == "" {
		return nil, errors.New("archive bucket: both the endpoint and the bucket must be set")
	}
	if strings.Contains(c.Endpoint, "://") {
		return nil, fmt.Errorf("archive bucket: endpoint %q: give host[:port] without a scheme (plain HTTP is the insecure setting)", c.Endpoint)
	}
	tr := c.Transport
	if tr == nil {
		t, err := minio.DefaultTransport(!c.Insecure)
		if err != nil {
			return nil, fmt.Errorf("archive bucket: %w", err)
		}
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, fmt.Errorf("archive bucket: read CA file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("archive bucket: CA file %s holds no PEM certificate", c.CAFile)
			}
			if t.TLSClientConfig == nil {
				t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			t.TLSClientConfig.RootCAs = pool
		}
		tr = t
	}
	cli, err := minio.New(c.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure:    !c.Insecure,
		Region:    c.Region,
		Transport: tr,
	})
	if err != nil {
		return nil, fmt.Errorf("archive bucket %s at %s: %w", c.Bucket, c.Endpoint, err)
	}
	return &Bucket{cli: cli, name: c.Bucket, prefix: c.Prefix, endpoint: c.Endpoint, where: "s3://" + c.Bucket + "/" + c.Prefix}, nil
}

// Check asks the server whether the bucket exists and the credentials may
// see it, so that a wrong setting shows at start, not at the first
// retirement a month later. A server that does not answer is an error
// wrapping ErrNoAnswer.
func (b *Bucket) Check(ctx context.Context) error {
	ok, err := b.cli.BucketExists(ctx, b.name)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "" {
			return fmt.Errorf("archive bucket %s at %s: %w: %w", b.name, b.endpoint, ErrNoAnswer, err)
		}
		return fmt.Errorf("archive bucket %s at %s: %w", b.name, b.endpoint, err)
	}
	if !ok {
		return fmt.Errorf("archive bucket %s at %s does not exist: create it (pagerd does not create buckets)", b.name, b.endpoint)
	}
	return nil
}

// String is where the objects go: s3://bucket/prefix.
func (b *Bucket) String() string { return b.where }

// Put writes data as the object prefix+name and returns its full key.
// Writing the same name again replaces it: a retirement that is retried
// writes the same object.
func (b *Bucket) Put(ctx context.Context, name string, data []byte) (string, error) {
	key := b.prefix + name
	_, err := b.cli.PutObject(ctx, b.name, key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/gzip"})
	if err != nil {
		return "", fmt.Errorf("put %s/%s: %w", b.where, name, err)
	}
	return key, nil
}

// Get reads the object key (as Put returned it); an error wrapping
// fs.ErrNotExist when there is none.
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	obj, err := b.cli.GetObject(ctx, b.name, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, b.err("get", key, err)
	}
	defer obj.Close() // read-only: a close error after a full read loses nothing
	data, err := io.ReadAll(io.LimitReader(obj, maxObject+1))
	if err != nil {
		return nil, b.err("get", key, err)
	}
	if len(data) > maxObject {
		return nil, fmt.Errorf("get s3://%s/%s: over %d bytes, not an archived alert", b.name, key, maxObject)
	}
	return data, nil
}

// Delete removes the object key; one already gone is no error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := b.cli.RemoveObject(ctx, b.name, key, minio.RemoveObjectOptions{}); err != nil {
		return b.err("delete", key, err)
	}
	return nil
}

func (b *Bucket) err(op, key string, err error) error {
	if r := minio.ToErrorResponse(err); r.Code == minio.NoSuchKey || r.StatusCode == http.StatusNotFound && r.Code != minio.NoSuchBucket {
		return fmt.Errorf("%s s3://%s/%s: %w", op, b.name, key, fs.ErrNotExist)
	}
	return fmt.Errorf("%s s3://%s/%s: %w", op, b.name, key, err)
}
