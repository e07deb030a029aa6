package store

import "go.uber.org/zap"

// zapNop silences the etcd client's own logger; pagerd logs what matters
// through slog with context.
func zapNop() *zap.Logger { return zap.NewNop() }
