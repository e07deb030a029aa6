package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tcpListeners returns the local ports of the TCP sockets process pid
// listens on: the LISTEN rows of /proc/net/tcp{,6} whose socket inode is
// one of the process's file descriptors.
func tcpListeners(t *testing.T, pid int) []int {
	t.Helper()
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		t.Fatalf("read fds: %v", err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	var ports []int
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) <= 9 || fields[3] != "0A" || !inodes[fields[9]] { // 0A: LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(fields[1], ":")
			port, err := strconv.ParseUint(hexPort, 16, 16)
			if err != nil {
				t.Fatalf("%s: local address %q", table, fields[1])
			}
			ports = append(ports, int(port))
		}
		f.Close()
	}
	return ports
}

// A running single node, embedded etcd and all, opens exactly one TCP
// listener: its API. etcd listens on a unix socket in the data directory,
// for clients and peers alike.
func TestSingleNodeListensOnlyOnItsAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	n := newNode(t, "one", "--config", "../../configs/example", "--data-dir", t.TempDir())
	n.start()
	_, apiPort, err := net.SplitHostPort(n.addr)
	if err != nil {
		t.Fatal(err)
	}
	ports := tcpListeners(t, n.cmd.Process.Pid)
	if len(ports) != 1 || strconv.Itoa(ports[0]) != apiPort {
		t.Errorf("the node listens on TCP ports %v, want only its API's %s", ports, apiPort)
	}
	// Its refusals are on /metrics from the start, at zero.
	code, body := get(t, "http://"+n.addr+"/metrics")
	if code != 200 || !strings.Contains(body, `pagerd_intake_rejected_total{reason="rate_limited",source="alertmanager"} 0`) {
		t.Errorf("/metrics: %d, no pagerd_intake_rejected_total at zero", code)
	}
}
