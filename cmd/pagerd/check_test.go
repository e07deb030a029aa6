package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	// The official SARIF 2.1.0 schema ships in this module's source; the
	// blank import keeps the module in go.mod for officialSARIF.
	_ "github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// warningsOnlyDir is a rota that loads but warns: a team with no secondary.
func warningsOnlyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	people, err := os.ReadFile("../../configs/example/people.yaml")
	if err != nil {
		t.Fatal(err)
	}
	team := `team: ops
timezone: Europe/London
rotations:
  primary:
    members: [alice, bob, carol, dave]
    handoff: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    start: 2026-11-02T09:00
escalation:
  steps:
    - {notify: [primary], ack_timeout: 5m}
    - {notify: [primary, person:frank], ack_timeout: 5m}
`
	for name, data := range map[string][]byte{"people.yaml": people, "ops.yaml": []byte(team)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheckExitCodes(t *testing.T) {
	warn := warningsOnlyDir(t)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"check", "../../configs/example"}, 0},
		{[]string{"check", "--strict", "../../configs/example"}, 0},
		{[]string{"check", warn}, 0},
		{[]string{"check", warn, "--strict"}, 2},
		{[]string{"check", "--format", "json", warn, "--strict"}, 2},
		{[]string{"check", "../../rotafile/testdata/broken"}, 1},
		{[]string{"check", "--strict", "../../rotafile/testdata/broken"}, 1},
		{[]string{"check", t.TempDir()}, 1}, // no .yaml files
		{[]string{"check"}, 3},
		{[]string{"check", "a", "b"}, 3},
		{[]string{"check", "--format", "xml", warn}, 3},
		{[]string{"check", "--frobnicate", warn}, 3},
		{[]string{"check", "-h"}, 0},
	} {
		if code, _, errs := runCLI(tc.args...); code != tc.code {
			t.Errorf("pagerd %s: exit %d, want %d\n%s", strings.Join(tc.args, " "), code, tc.code, errs)
		}
	}
	_, _, errs := runCLI("check", warn, "--strict")
	if !strings.Contains(errs, `team "ops" has no secondary`) || !strings.Contains(errs, "0 error(s), 1 warning(s) (--strict: warnings fail the check)") {
		t.Errorf("--strict stderr:\n%s", errs)
	}
}

func TestCheckFormatGitHub(t *testing.T) {
	code, out, _ := runCLI("check", "--format", "github", "../../rotafile/testdata/broken")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"::warning file=../../rotafile/testdata/broken/ops.yaml,line=1,col=7,title=pagerd check%3A no-secondary::team \"ops\" has no secondary%0Ahint: add a secondary rotation",
		"::error file=../../rotafile/testdata/broken/ops.yaml,line=5,col=27,title=pagerd check%3A invalid-rota::member \"carl\" is not a person in the rota%0Ahint: did you mean \"carol\"?\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 8 {
		t.Errorf("%d lines, want one per diagnostic (8):\n%s", n, out)
	}
}

func TestCheckFormatJSON(t *testing.T) {
	code, out, _ := runCLI("check", "--format", "json", "../../rotafile/testdata/broken")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var got struct {
		Valid            bool
		Errors, Warnings int
		ExitCode         int `json:"exit_code"`
		Diagnostics      []struct {
			File      string
			Line, Col int
			Severity  string
			Message   string
			Rule      string
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Valid || got.Errors != 7 || got.Warnings != 1 || got.ExitCode != 1 || len(got.Diagnostics) != 8 {
		t.Errorf("summary = %+v", got)
	}
	if d := got.Diagnostics[0]; d.Line != 1 || d.Col != 7 || d.Severity != "warning" || d.Rule != "no-secondary" {
		t.Errorf("first diagnostic = %+v", d)
	}
}

// sarifSchema compiles the SARIF 2.1.0 schema subset in testdata, with
// formats (uri, uri-reference) asserted.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile("testdata/sarif-2.1.0-subset.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCheckFormatSARIFValidates(t *testing.T) {
	schema := sarifSchema(t)
	validate := func(what, out string) map[string]any {
		t.Helper()
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
		if err != nil {
			t.Fatalf("%s: not JSON: %v\n%s", what, err, out)
		}
		if err := schema.Validate(doc); err != nil {
			t.Fatalf("%s: not valid SARIF 2.1.0: %v\n%s", what, err, out)
		}
		officialSARIF(t, what, out)
		return doc.(map[string]any)
	}
	results := func(log map[string]any) []any {
		return log["runs"].([]any)[0].(map[string]any)["results"].([]any)
	}

	code, out, _ := runCLI("check", "--format", "sarif", "../../rotafile/testdata/broken")
	if code != 1 {
		t.Fatalf("broken: exit %d", code)
	}
	log := validate("broken", out)
	if log["version"] != "2.1.0" || len(results(log)) != 8 {
		t.Fatalf("broken: version %v, %d results", log["version"], len(results(log)))
	}
	second, _ := json.Marshal(results(log)[1])
	if want := `{"level":"error","locations":[{"physicalLocation":{"artifactLocation":{"uri":"../../rotafile/testdata/broken/ops.yaml"},"region":{"startColumn":27,"startLine":5}}}],"message":{"text":"member \"carl\" is not a person in the rota\nhint: did you mean \"carol\"?"},"ruleId":"invalid-rota","ruleIndex":0}`; string(second) != want {
		t.Errorf("second result = %s\nwant %s", second, want)
	}

	for what, dir := range map[string]string{"example": "../../configs/example", "warnings": warningsOnlyDir(t), "unreadable": t.TempDir()} {
		_, out, _ := runCLI("check", "--format", "sarif", dir)
		validate(what, out)
	}

	// The validator is live: a level SARIF doesn't have is rejected.
	bad := strings.Replace(out, `"level": "error"`, `"level": "fatal"`, 1)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	if bad == out || schema.Validate(doc) == nil {
		t.Error("the schema accepted a result with level \"fatal\"")
	}
	if officialSARIFSchema(t).Validate(doc) == nil {
		t.Error("the official schema accepted a result with level \"fatal\"")
	}
}

// officialSARIF validates out against the official SARIF 2.1.0 JSON
// schema (OASIS errata 01), as the go-sarif module ships it in its source:
// the schema text is read from that file in the module cache, so the check
// is against the published schema, not a copy of ours.
func officialSARIF(t *testing.T, what, out string) {
	t.Helper()
	schema := officialSARIFSchema(t)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("%s: not valid against the official SARIF 2.1.0 schema: %v\n%s", what, err, out)
	}
}

var (
	officialOnce   sync.Once
	officialSchema *jsonschema.Schema
	officialErr    error
)

func officialSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	officialOnce.Do(func() {
		dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/owenrumney/go-sarif/v3").Output()
		if err != nil {
			officialErr = fmt.Errorf("locate go-sarif: %w", err)
			return
		}
		src := filepath.Join(strings.TrimSpace(string(dir)), "pkg/report/v210/sarif/schema.go")
		f, err := parser.ParseFile(token.NewFileSet(), src, nil, 0)
		if err != nil {
			officialErr = err
			return
		}
		var text string
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok && len(vs.Names) == 1 && vs.Names[0].Name == "schema" {
				if lit, ok := vs.Values[0].(*ast.BasicLit); ok {
					text, officialErr = strconv.Unquote(lit.Value)
				}
			}
			return true
		})
		if officialErr != nil || !strings.Contains(text, "SARIF) Version 2.1.0 JSON Schema") {
			officialErr = fmt.Errorf("no SARIF 2.1.0 schema in %s (%v)", src, officialErr)
			return
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
		if err != nil {
			officialErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource("sarif-official.json", doc); err != nil {
			officialErr = err
			return
		}
		officialSchema, officialErr = c.Compile("sarif-official.json")
	})
	if officialErr != nil {
		t.Fatal(officialErr)
	}
	return officialSchema
}
