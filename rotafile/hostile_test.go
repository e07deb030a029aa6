package rotafile

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// aliasBomb is the file from issue 12: an anchored person with 100
// unknown keys, aliased 10,000 times (71 KB). It made pagerd check report
// 1,010,100 errors in 880 MB.
func aliasBomb() []byte {
	var b strings.Builder
	b.WriteString("people:\n  - &p {id: x, name: X, timezone: UTC, contacts: {sms: \"+447700900001\"}")
	for i := range 100 {
		fmt.Fprintf(&b, ", k%d: 1", i)
	}
	b.WriteString("}\n")
	for range 10000 {
		b.WriteString("  - *p\n")
	}
	return []byte(b.String())
}

// The alias file is checked with a handful of diagnostics and a bounded
// amount of memory. Not parallel: it measures the process's allocations.
func TestAliasBombIsCheap(t *testing.T) {
	data := aliasBomb()
	if len(data) < 70_000 || len(data) > 75_000 {
		t.Fatalf("the file is %d bytes, want the issue's 71 KB", len(data))
	}
	files := []File{{Name: "people.yaml", Data: data}, {Name: "team.yaml", Data: []byte(goodTeam)}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, diags := Load(files)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	if allocated > 100<<20 {
		t.Errorf("checking the file allocated %d MB, want under 100 MB", allocated>>20)
	}
	if len(diags) == 0 || len(diags) > MaxDiagsPerFile+1 {
		t.Errorf("%d diagnostics, want between 1 and %d", len(diags), MaxDiagsPerFile+1)
	}
	if !strings.Contains(diags.Err().Error(), "YAML aliases in this file stand for more than") {
		t.Errorf("diagnostics:\n%v", diags.Err())
	}
	t.Logf("%d diagnostic(s), %d KB allocated", len(diags), allocated>>10)
}

// An alias of a node with problems reports them once, at the node, not
// again at every alias (under the alias limit).
func TestAliasesAreNotReportedAgain(t *testing.T) {
	t.Parallel()
	people := "people:\n  - &p {id: x, name: X, timezone: UTC, contacts: {sms: \"+447700900001\"}, colour: red, shoe: 9}\n" +
		strings.Repeat("  - *p\n", 50)
	_, diags := Load([]File{{Name: "people.yaml", Data: []byte(people)}, {Name: "team.yaml", Data: []byte(goodTeam)}})
	counts := map[string]int{}
	for _, d := range diags {
		counts[d.Msg]++
	}
	for msg, n := range counts {
		if n > 1 {
			t.Errorf("%q reported %d times", msg, n)
		}
	}
	for _, want := range []string{`unknown key "colour" in a person`, `unknown key "shoe" in a person`, `person "x" is defined twice`} {
		found := false
		for msg := range counts {
			found = found || strings.Contains(msg, want)
		}
		if !found {
			t.Errorf("no diagnostic saying %q in %v", want, diags)
		}
	}
}

// A file shows its first 100 problems and then how many more there are.
func TestDiagnosticsCappedPerFile(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(goodTeam + "holidays:\n")
	for i := range 500 {
		fmt.Fprintf(&b, "  - not-a-date-%d\n", i)
	}
	_, diags := Load(files(b.String()))
	var inTeam Diagnostics
	for _, d := range diags {
		if d.File == "team.yaml" {
			inTeam = append(inTeam, d)
		}
	}
	if len(inTeam) != MaxDiagsPerFile+1 {
		t.Fatalf("%d diagnostics for team.yaml, want %d and a summary", len(inTeam), MaxDiagsPerFile)
	}
	var summary *Diagnostic
	for i, d := range inTeam {
		if strings.Contains(d.Msg, "more problems") {
			summary = &inTeam[i]
		}
	}
	if summary == nil || summary.Msg != "400 more problems in this file are not shown" || summary.Severity != Error {
		t.Errorf("summary %+v", summary)
	}
	if diags.Err() == nil {
		t.Error("a file with 500 errors loaded")
	}
}

// A file that is not a rota file (a secret dropped into the directory) is
// refused without its content in the message.
func TestUnexpectedFileIsNotEchoed(t *testing.T) {
	t.Parallel()
	const secret = "sk_live_51HxYz0123456789abcdef"
	for _, data := range []string{secret + "\n", "- " + secret + "\n", `"` + secret + `"`} {
		_, diags := Load([]File{{Name: "token.yaml", Data: []byte(data)}, {Name: "people.yaml", Data: []byte(peopleYAML)}, {Name: "team.yaml", Data: []byte(goodTeam)}})
		err := diags.Err()
		if err == nil || !strings.Contains(err.Error(), "this is not a rota file") {
			t.Errorf("%q: %v", data, err)
			continue
		}
		if strings.Contains(err.Error(), "sk_live") {
			t.Errorf("%q: the content is echoed: %v", data, err)
		}
	}
}

// A symlink leading out of the rota directory is refused; one to a file
// inside it is read; a FIFO is refused rather than waited on.
func TestReadDirRefusesWhatIsNotARotaFile(t *testing.T) {
	t.Parallel()
	dir, outside := t.TempDir(), t.TempDir()
	write := func(path, data string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "people.yaml"), peopleYAML)
	write(filepath.Join(dir, "ops.yml"), goodTeam)
	write(filepath.Join(outside, "secret.yaml"), "token: sk_live_0123456789\n")
	if err := os.Mkdir(filepath.Join(dir, "shared"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "ops.yml"), filepath.Join(dir, "shared", "ops.yml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("shared", "ops.yml"), filepath.Join(dir, "ops.yaml")); err != nil {
		t.Fatal(err)
	}
	fs, err := ReadDir(dir)
	if err != nil || len(fs) != 3 {
		t.Fatalf("a symlink inside the directory: %d files, %v", len(fs), err)
	}
	for _, name := range []string{"stolen.yaml", "more/stolen.yaml"} {
		link := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(link), 0o700)
		if err := os.Symlink(filepath.Join(outside, "secret.yaml"), link); err != nil {
			t.Fatal(err)
		}
		_, err = ReadDir(dir)
		if err == nil || !strings.Contains(err.Error(), "outside the rota directory") {
			t.Errorf("%s, a symlink out of the directory: %v", name, err)
		}
		os.Remove(link)
	}
	if err := os.Symlink("../"+filepath.Base(outside)+"/secret.yaml", filepath.Join(dir, "rel.yaml")); err == nil {
		if _, err := ReadDir(dir); err == nil || !strings.Contains(err.Error(), "outside the rota directory") {
			t.Errorf("a relative symlink out of the directory: %v", err)
		}
		os.Remove(filepath.Join(dir, "rel.yaml"))
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if _, err := ReadDir(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a FIFO: %v", err)
	}
}
