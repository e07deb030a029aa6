package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/pagerd/pagerd/bucket"
)

// openBucket opens the archive bucket, its keys from their files or the
// environment.
func openBucket(ctx context.Context, c S3Config, log *slog.Logger) (*bucket.Bucket, error) {
	access, err := secretFrom(c.AccessKeyFile, "AWS_ACCESS_KEY_ID")
	if err != nil {
		return nil, err
	}
	secret, err := secretFrom(c.SecretKeyFile, "AWS_SECRET_ACCESS_KEY")
	if err != nil {
		return nil, err
	}
	b, err := bucket.Open(bucket.Config{Endpoint: c.Endpoint, Bucket: c.Bucket, Prefix: c.Prefix, Region: c.Region,
		AccessKey: access, SecretKey: secret, Insecure: c.Insecure, CAFile: c.CAFile})
	if err != nil {
		return nil, err
	}
	// A bucket that says no (missing, keys refused) is a setting to fix:
	// serve stops. One that doesn't answer must not keep paging down: the
	// node starts, and retirements wait (each sweep tries again; the
	// alerts stay live meanwhile).
	check, cancel := context.WithTimeout(ctx, bucketCheckTimeout)
	defer cancel()
	if err := b.Check(check); err != nil {
		if !errors.Is(err, bucket.ErrNoAnswer) {
			return nil, err
		}
		log.Warn("the archive bucket does not answer; starting anyway: retirements wait until it does", "bucket", b.String(), "err", err)
	}
	return b, nil
}

// bucketCheckTimeout bounds the start-up check of the archive bucket.
const bucketCheckTimeout = 10 * time.Second
