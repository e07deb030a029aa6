// Package archtest holds the tests that keep pagerd's shape: the pure core
// stays pure, and the alerts service stays the one driver of the state
// machine (docs/architecture.md).
package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/pagerd/pagerd/"

// pure packages import the standard library, rrule-go and each other only,
// and never read the wall clock.
var pure = []string{"rotation", "escalation", "timesheet", "health", "didyoumean", "instant", "timefmt"}

type file struct {
	path string
	ast  *ast.File
}

// sources parses every non-test Go file under the repository root.
func sources(t *testing.T) []file {
	t.Helper()
	var out []file
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != ".." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		full, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		full.Imports = f.Imports
		rel, _ := filepath.Rel("..", p)
		out = append(out, file{filepath.ToSlash(rel), full})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 50 {
		t.Fatalf("found only %d source files: is the walk rooted right?", len(out))
	}
	return out
}

func pkgOf(path string) string { return filepath.ToSlash(filepath.Dir(path)) }

func isPure(pkg string) bool {
	for _, p := range pure {
		if pkg == p {
			return true
		}
	}
	return false
}

func TestPurePackagesStayPure(t *testing.T) {
	for _, f := range sources(t) {
		if !isPure(pkgOf(f.path)) {
			continue
		}
		for _, imp := range f.ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case strings.HasPrefix(path, module):
				if !isPure(strings.TrimPrefix(path, module)) {
					t.Errorf("%s: pure package imports %s", f.path, path)
				}
			case path == "github.com/teambition/rrule-go":
			case strings.Contains(strings.SplitN(path, "/", 2)[0], "."):
				t.Errorf("%s: pure package imports %s", f.path, path)
			case path == "net/http" || path == "os" || strings.HasPrefix(path, "net"):
				t.Errorf("%s: pure package imports %s", f.path, path)
			}
		}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "time" && sel.Sel.Name == "Now" {
					t.Errorf("%s: pure package calls time.Now (take the instant as an argument)", f.path)
				}
			}
			return true
		})
	}
}

// The alerts service is the only driver of escalation.Step.
func TestOneDriverOfStep(t *testing.T) {
	var callers []string
	for _, f := range sources(t) {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "escalation" && sel.Sel.Name == "Step" {
					callers = append(callers, f.path)
				}
			}
			return true
		})
	}
	if len(callers) != 1 || pkgOf(callers[0]) != "alerts" {
		t.Errorf("escalation.Step is called from %v; only the alerts service may call it", callers)
	}
}

func TestNothingImportsCmd(t *testing.T) {
	for _, f := range sources(t) {
		for _, imp := range f.ast.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(path, module+"cmd/") {
				t.Errorf("%s imports %s", f.path, path)
			}
		}
	}
}
