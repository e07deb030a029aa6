// Command etcdmember is the etcd server, built from the etcd release
// already in pagerd's module graph (go.etcd.io/etcd/server/v3), so the
// fault-injection suite can run a cluster of real etcd processes with
// nothing installed. It takes etcd's own flags (--name, --data-dir,
// --listen-client-urls, --initial-cluster, ...) and behaves as the etcd
// binary of the same version does.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
