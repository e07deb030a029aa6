package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/bucket/buckettest"
	"github.com/pagerd/pagerd/store"
)

// TestRetiredAlertIsFoundFromAnotherNode: with a short retention, a
// resolved alert leaves the live keyspace within a sweep (not an hour
// later), and any node still answers for it: pagerd alert N on another
// node shows its summary and says where the full timeline is archived;
// pagerd archive search finds the timeline; the list of resolved alerts
// and pagerd history include it.
func TestRetiredAlertIsFoundFromAnotherNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	t.Parallel()
	retiredFromAnotherNode(t, nil, nil, func(id int64) []string { return []string{"archived in etcd until"} })
}

// TestRetiredAlertInABucketIsFoundFromAnotherNode: the same with the
// archive in an S3-compatible bucket (an in-process S3 server, through
// minio-go in the nodes): each retired alert is an object
// pagerd/YYYY/MM/ID.json.gz, and the other node finds its full timeline
// there.
func TestRetiredAlertInABucketIsFoundFromAnotherNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	t.Parallel()
	srv := buckettest.New(t, "pagerd-archive")
	args := []string{"--archive-s3-endpoint", srv.Endpoint, "--archive-s3-bucket", "pagerd-archive", "--archive-s3-insecure", "--archive-s3-region", "us-east-1"}
	env := []string{"AWS_ACCESS_KEY_ID=" + buckettest.AccessKey, "AWS_SECRET_ACCESS_KEY=" + buckettest.SecretKey}
	ids := retiredFromAnotherNode(t, args, env, func(id int64) []string {
		// pagerd/YYYY/MM/ID.json.gz, YYYY/MM of its creation.
		return []string{"archived in the archive bucket as pagerd/", fmt.Sprintf("/%d.json.gz until", id)}
	})
	keys := srv.Keys(t, "pagerd-archive")
	for _, id := range ids {
		if !slices.ContainsFunc(keys, func(k string) bool {
			return strings.HasPrefix(k, "pagerd/") && strings.HasSuffix(k, fmt.Sprintf("/%d.json.gz", id))
		}) {
			t.Errorf("no object for alert %d in the bucket: %q", id, keys)
		}
	}
}

// retiredFromAnotherNode runs two nodes with args and env added, retires
// two alerts on one and finds them from the other; archived says where
// pagerd alert N says the timeline is. It returns the alerts' ids.
func retiredFromAnotherNode(t *testing.T, args, env []string, archived func(id int64) []string) []int64 {
	t.Helper()
	etcd, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	endpoint := etcd.Endpoint()
	// Real processes have no fake clock: a retention of 3 s stands for
	// 30 s (the sweep runs every tenth of it, at least every second).
	a := newNode(t, "hist-a", append([]string{"--config", writeRota(t, "10m"), "--etcd-endpoints", endpoint, "--retention", "3s"}, args...)...)
	a.env = env
	a.start()
	b := newNode(t, "hist-b", append([]string{"--etcd-endpoints", endpoint, "--retention", "3s"}, args...)...)
	b.env = env
	b.start()

	id, err := postAlert(http.DefaultClient, a.addr, "to-retire")
	if err != nil {
		t.Fatal(err)
	}
	other, err := postAlert(http.DefaultClient, a.addr, "also-retired")
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	for _, n := range []int64{other, id} {
		if code := run([]string{"resolve", fmt.Sprint(n), "--server", "http://" + a.addr}, &out, &errb, timeNow); code != 0 {
			t.Fatalf("resolve: exit %d: %s", code, errb.String())
		}
	}
	retired := func() bool {
		resp, err := http.Get(fmt.Sprintf("http://%s/api/v1/alerts/%d", b.addr, id))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var v struct {
			Retired *struct{} `json:"retired"`
		}
		return resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(&v) == nil && v.Retired != nil
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range []*node{a, b} {
				for _, l := range n.logLines() {
					if l["msg"] != "PAGE" {
						t.Log(n.name, l)
					}
				}
			}
		}
	})
	waitFor(t, "the alert retired", retired)

	out.Reset()
	errb.Reset()
	if code := run([]string{"alert", fmt.Sprint(id), "--server", "http://" + b.addr}, &out, &errb, timeNow); code != 0 {
		t.Fatalf("pagerd alert %d on the other node: exit %d: %s", id, code, errb.String())
	}
	for _, want := range append(archived(id), fmt.Sprintf("#%d core [resolved] load to-retire", id), "pages sent",
		fmt.Sprintf("pagerd archive search --id %d", id)) {
		if !strings.Contains(out.String(), want) {
			t.Errorf("pagerd alert %d on the other node says:\n%s\nwant %q", id, out.String(), want)
		}
	}

	out.Reset()
	if code := run([]string{"archive", "search", "--id", fmt.Sprint(id), "--server", "http://" + b.addr}, &out, &errb, timeNow); code != 0 {
		t.Fatalf("archive search: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "load to-retire") || !strings.Contains(out.String(), "resolve") {
		t.Errorf("archive search --id %d: want the full timeline, got:\n%s", id, out.String())
	}
	out.Reset()
	if code := run([]string{"archive", "search", "--text", "TO-RETIRE", "--server", "http://" + b.addr}, &out, &errb, timeNow); code != 0 ||
		!strings.Contains(out.String(), fmt.Sprintf("#%d ", id)) {
		t.Errorf("archive search --text: exit %d:\n%s%s", code, out.String(), errb.String())
	}

	// The export: every archived alert as a JSON line, a page at a time.
	waitFor(t, "both alerts retired", func() bool {
		out.Reset()
		return run([]string{"archive", "search", "--all", "--limit", "1", "--jsonl", "--server", "http://" + b.addr}, &out, &errb, timeNow) == 0 &&
			strings.Count(out.String(), "\n") == 2
	})
	if !strings.Contains(out.String(), "also-retired") || !strings.Contains(out.String(), `"timeline"`) {
		t.Errorf("archive search --all --jsonl:\n%s", out.String())
	}

	out.Reset()
	if code := run([]string{"alerts", "--state", "resolved", "--server", "http://" + b.addr}, &out, &errb, timeNow); code != 0 ||
		!strings.Contains(out.String(), "load to-retire") {
		t.Errorf("alerts --state resolved: exit %d:\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{"history", "--server", "http://" + b.addr}, &out, &errb, timeNow); code != 0 ||
		!strings.Contains(out.String(), "load to-retire") {
		t.Errorf("history: exit %d:\n%s%s", code, out.String(), errb.String())
	}
	return []int64{id, other}
}
