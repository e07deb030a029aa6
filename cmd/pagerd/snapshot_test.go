package main

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestSnapshotSaveRestoreWithTheCLI backs up a running daemon and brings
// the backup up as a new daemon with every alert.
func TestSnapshotSaveRestoreWithTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	t.Parallel()
	n := newNode(t, "snap", "--config", writeRota(t, "10m"), "--data-dir", t.TempDir())
	n.start()
	var ids []int64
	for i := 0; i < 20; i++ {
		id, err := postAlert(http.DefaultClient, n.addr, fmt.Sprintf("snap-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	file := filepath.Join(t.TempDir(), "pagerd.snapshot")
	var out, errb bytes.Buffer
	if code := run([]string{"snapshot", "save", file, "--server", "http://" + n.addr}, &out, &errb, timeNow); code != 0 || !strings.Contains(out.String(), "saved") {
		t.Fatalf("save: exit %d: %s%s", code, out.String(), errb.String())
	}
	n.kill()
	fresh := filepath.Join(t.TempDir(), "restored")
	if code := run([]string{"snapshot", "restore", file, "--data-dir", fresh}, &out, &errb, timeNow); code != 0 {
		t.Fatalf("restore: exit %d: %s", code, errb.String())
	}
	m := newNode(t, "restored", "--data-dir", fresh) // no --config: the rota comes back with the data
	m.start()
	for i, id := range ids {
		if a, code := getAlert(t, m.addr, id); code != 200 || a.DedupKey != fmt.Sprintf("snap-%d", i) {
			t.Fatalf("alert %d after restore: %d %+v", id, code, a)
		}
	}
}
