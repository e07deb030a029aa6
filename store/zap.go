package store

import (
	"os"
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// zapNop silences the etcd client's own logger; pagerd logs what matters
// through slog with context.
func zapNop() *zap.Logger { return zap.NewNop() }

// etcdLogger is the embedded etcd's logger: errors only, as JSON on
// stderr, and nothing once the store is closing, when etcd reports its own
// listeners shutting down as errors.
func etcdLogger(closing *atomic.Bool) *zap.Logger {
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.Lock(os.Stderr), zap.ErrorLevel)
	return zap.New(closingFilter{core, closing})
}

type closingFilter struct {
	zapcore.Core
	closing *atomic.Bool
}

func (c closingFilter) With(fields []zapcore.Field) zapcore.Core {
	return closingFilter{c.Core.With(fields), c.closing}
}

func (c closingFilter) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.closing.Load() {
		return ce
	}
	return c.Core.Check(e, ce)
}
