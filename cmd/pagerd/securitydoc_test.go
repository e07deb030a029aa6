package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every test docs/security.md names exists, in the package it names: the
// threat model's proofs can't rot into names of tests long gone.
func TestSecurityDocNamesRealTests(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	cell := regexp.MustCompile("`([a-z/]+)` ((?:Test[A-Za-z0-9_]+(?:, )?)+)")
	named := 0
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| who ") {
			continue
		}
		cols := strings.Split(line, " | ")
		proofs := cols[len(cols)-1]
		for _, m := range cell.FindAllStringSubmatch(proofs, -1) {
			pkg := m[1]
			files, _ := filepath.Glob(filepath.Join("../..", pkg, "*_test.go"))
			var src strings.Builder
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				src.Write(b)
			}
			for _, name := range strings.Split(m[2], ", ") {
				named++
				if !strings.Contains(src.String(), "func "+name+"(") {
					t.Errorf("docs/security.md names %s in %s, which has no such test", name, pkg)
				}
			}
		}
	}
	if named < 20 {
		t.Errorf("found %d test names in docs/security.md's table; the pattern is out of step with the table", named)
	}
}
