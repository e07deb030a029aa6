package rotafile

import (
	"archive/zip"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The zone names for hints are the zones Go knows: each one loads, and
// the list is the one Go ships (run go generate ./rotafile after a Go
// upgrade if this fails).
func TestZoneNamesAreGos(t *testing.T) {
	names := zoneNames()
	if len(names) < 500 || !slices.Contains(names, "Europe/London") {
		t.Fatalf("%d zone names", len(names))
	}
	for _, n := range names {
		if _, err := time.LoadLocation(n); err != nil {
			t.Errorf("zone %q does not load: %v", n, err)
		}
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("no go command to find GOROOT: %v", err)
	}
	z, err := zip.OpenReader(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Skipf("no zoneinfo.zip to compare with: %v", err)
	}
	defer z.Close()
	var shipped []string
	for _, f := range z.File {
		if !strings.HasSuffix(f.Name, "/") {
			shipped = append(shipped, f.Name)
		}
	}
	slices.Sort(shipped)
	if !slices.Equal(shipped, names) {
		t.Errorf("zones_gen.go is stale: Go ships %d zones, the list has %d; run go generate ./rotafile", len(shipped), len(names))
	}
}
