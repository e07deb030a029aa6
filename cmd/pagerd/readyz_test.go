package main

import (
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// startEtcdAt runs an etcd on a fixed client address, so a test can stop
// it and bring it back where its clients expect it.
func startEtcdAt(t *testing.T, dir, client, peer string) *embed.Etcd {
	t.Helper()
	cu, _ := url.Parse("http://" + client)
	pu, _ := url.Parse("http://" + peer)
	ec := embed.NewConfig()
	ec.Dir = dir
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	var e *embed.Etcd
	var err error
	for i := 0; i < 100; i++ { // the ports may linger a moment after a stop
		if e, err = embed.StartEtcd(ec); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	<-e.Server.ReadyNotify()
	return e
}

// TestReadyzFollowsEtcd: /readyz turns unready when etcd goes away and
// ready again when it comes back; /healthz stays up throughout.
func TestReadyzFollowsEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "etcd")
	client, peer := freePort(t), freePort(t)
	e := startEtcdAt(t, dir, client, peer)
	n := newNode(t, "ready", "--config", writeRota(t, "10m"), "--etcd-endpoints", "http://"+client)
	n.start()
	base := "http://" + n.addr
	e.Close()
	waitFor(t, "unready without etcd", func() bool { code, _ := get(t, base+"/readyz"); return code == 503 })
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("healthz without etcd: %d", code)
	}
	e = startEtcdAt(t, dir, client, peer)
	defer e.Close()
	waitFor(t, "ready again", func() bool { code, _ := get(t, base+"/readyz"); return code == 200 })
}
