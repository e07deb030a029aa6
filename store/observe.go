package store

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// observedKV is the client's key-value API, timing each request for
// Config.Observe.
type observedKV struct {
	clientv3.KV
	observe func(op string, took time.Duration, err error)
}

// observe makes cli's key-value requests heard by fn (nil: none).
func observe(cli *clientv3.Client, fn func(string, time.Duration, error)) {
	if fn != nil {
		cli.KV = observedKV{KV: cli.KV, observe: fn}
	}
}

func (o observedKV) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	start := time.Now()
	r, err := o.KV.Get(ctx, key, opts...)
	o.observe("get", time.Since(start), err)
	return r, err
}

func (o observedKV) Put(ctx context.Context, key, val string, opts ...clientv3.OpOption) (*clientv3.PutResponse, error) {
	start := time.Now()
	r, err := o.KV.Put(ctx, key, val, opts...)
	o.observe("put", time.Since(start), err)
	return r, err
}

func (o observedKV) Delete(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.DeleteResponse, error) {
	start := time.Now()
	r, err := o.KV.Delete(ctx, key, opts...)
	o.observe("delete", time.Since(start), err)
	return r, err
}

func (o observedKV) Compact(ctx context.Context, rev int64, opts ...clientv3.CompactOption) (*clientv3.CompactResponse, error) {
	start := time.Now()
	r, err := o.KV.Compact(ctx, rev, opts...)
	o.observe("compact", time.Since(start), err)
	return r, err
}

func (o observedKV) Txn(ctx context.Context) clientv3.Txn {
	return &observedTxn{Txn: o.KV.Txn(ctx), observe: o.observe}
}

// observedTxn times a transaction's Commit.
type observedTxn struct {
	clientv3.Txn
	observe func(op string, took time.Duration, err error)
}

func (t *observedTxn) If(cs ...clientv3.Cmp) clientv3.Txn {
	t.Txn = t.Txn.If(cs...)
	return t
}

func (t *observedTxn) Then(ops ...clientv3.Op) clientv3.Txn {
	t.Txn = t.Txn.Then(ops...)
	return t
}

func (t *observedTxn) Else(ops ...clientv3.Op) clientv3.Txn {
	t.Txn = t.Txn.Else(ops...)
	return t
}

func (t *observedTxn) Commit() (*clientv3.TxnResponse, error) {
	start := time.Now()
	r, err := t.Txn.Commit()
	t.observe("txn", time.Since(start), err)
	return r, err
}
