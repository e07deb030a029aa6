package store

import (
	"context"
	"fmt"
	"sync"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Writes that touch the same key never share a transaction (etcd refuses
// one that writes a key twice, which would fail every write in it): many
// writers of one key, each also writing a key of its own, all commit.
func TestBatchKeepsWritesOfOneKeyApart(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	shared := st.p + "test/shared"
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			own := fmt.Sprintf("%stest/own/%03d", st.p, i)
			ops := []clientv3.Op{clientv3.OpPut(shared, fmt.Sprint(i)), clientv3.OpPut(own, "x")}
			if i%2 == 0 {
				ops[0] = clientv3.OpDelete(shared) // a put and a delete of one key clash too
			}
			errs <- st.batched(ctx, &write{ops: ops})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a write failed: %v", err)
		}
	}
	resp, err := st.cli.Get(ctx, st.p+"test/own/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Count != n {
		t.Fatalf("%d of %d writes committed", resp.Count, n)
	}
}

// An update's compares decide alone whether it commits: a batch that
// fails because of another write's compare is retried, and the update
// reports only its own.
func TestBatchedOrAloneReportsItsOwnCompare(t *testing.T) {
	t.Parallel()
	st := openTest(t)
	ctx := context.Background()
	key := st.p + "test/cas"
	if _, err := st.cli.Put(ctx, key, "v1"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]bool, 20)
	for i := range results {
		wg.Go(func() {
			// Only the even ones compare what holds (the key exists).
			want := int64(0)
			if i%2 == 0 {
				want = 1
			}
			ok, err := st.batchedOrAlone(ctx,
				[]clientv3.Cmp{clientv3.Compare(clientv3.Version(key), "=", want)},
				[]clientv3.Op{clientv3.OpPut(fmt.Sprintf("%stest/out/%02d", st.p, i), "x")})
			if err != nil {
				t.Error(err)
			}
			results[i] = ok
		})
	}
	wg.Wait()
	for i, ok := range results {
		if ok != (i%2 == 0) {
			t.Errorf("write %d: committed %v", i, ok)
		}
	}
}
