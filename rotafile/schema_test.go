package rotafile

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

const schemaPath = "../configs/schema.json"

// schemaKeys walks the published schema and returns, like KnownKeys, the
// properties of every object by path.
func schemaKeys(t *testing.T) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	defs, _ := root["definitions"].(map[string]any)
	resolve := func(s map[string]any) map[string]any {
		for i := 0; i < 8; i++ {
			ref, ok := s["$ref"].(string)
			if !ok {
				break
			}
			s = defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
		}
		return s
	}
	out := map[string][]string{}
	var walk func(path string, s map[string]any)
	walk = func(path string, s map[string]any) {
		s = resolve(s)
		if props, ok := s["properties"].(map[string]any); ok {
			var keys []string
			for k, v := range props {
				keys = append(keys, k)
				child := k
				if path != "" {
					child = path + "." + k
				}
				walk(child, v.(map[string]any))
			}
			sort.Strings(keys)
			out[path] = keys
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(path+"[]", items)
		}
		if ap, ok := s["additionalProperties"].(map[string]any); ok {
			walk(path+".*", ap)
		}
		for _, alt := range []string{"anyOf", "oneOf"} {
			if list, ok := s[alt].([]any); ok {
				for _, b := range list {
					walk(path, b.(map[string]any))
				}
			}
		}
	}
	walk("", root)
	// Alternatives repeat paths; a path's keys are those of any branch.
	return out
}

func TestSchemaKeysMatchLoader(t *testing.T) {
	got := schemaKeys(t)
	for path, keys := range KnownKeys() {
		keys = slices.Clone(keys)
		sort.Strings(keys)
		if !slices.Equal(got[path], keys) {
			t.Errorf("%s: schema has %v, loader accepts %v", pathName(path), got[path], keys)
		}
		delete(got, path)
	}
	for path, keys := range got {
		t.Errorf("%s: schema has keys %v the loader doesn't know", pathName(path), keys)
	}
}

func pathName(p string) string {
	if p == "" {
		return "top level"
	}
	return p
}

// yamlToJSON converts a YAML node to the value JSON Schema sees, the way an
// editor's YAML language server does.
func yamlToJSON(n *yaml.Node) any {
	n = deref(n)
	switch n.Kind {
	case yaml.DocumentNode:
		return yamlToJSON(n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = yamlToJSON(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, yamlToJSON(c))
		}
		return l
	}
	switch n.Tag {
	case "!!int":
		v, _ := strconv.ParseInt(n.Value, 0, 64)
		return json.Number(strconv.FormatInt(v, 10))
	case "!!float":
		return json.Number(n.Value)
	case "!!bool":
		return n.Value == "true"
	case "!!null":
		return nil
	}
	return n.Value
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		t.Fatal(err)
	}
	// Round-trip through encoding/json so numbers arrive as the validator
	// expects them.
	raw, err := json.Marshal(yamlToJSON(&n))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

func TestSchemaAcceptsWhatTheLoaderAccepts(t *testing.T) {
	s := compileSchema(t)
	paths, _ := filepath.Glob(filepath.Join(exampleDir, "*.yaml"))
	if len(paths) == 0 {
		t.Fatal("no example files")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, s, data); err != nil {
			t.Errorf("%s: schema rejects a file the loader accepts: %v", p, err)
		}
	}
	for _, data := range []string{peopleYAML, goodTeam} {
		if err := validate(t, s, []byte(data)); err != nil {
			t.Errorf("schema rejects a valid file: %v\n%s", err, data)
		}
	}
}

func TestSchemaRejectsWhatTheLoaderRejects(t *testing.T) {
	s := compileSchema(t)
	for name, data := range map[string]string{
		"typo'd top-level key":  strings.Replace(goodTeam, "escalation:", "escalaton:", 1),
		"typo'd step key":       strings.Replace(goodTeam, "ack_timeout: 5m}\n    - {notify: [secondary", "ack_timout: 5m}\n    - {notify: [secondary", 1),
		"bad phone":             strings.Replace(peopleYAML, "+447700900001", "07700 900001", 1),
		"follower with members": strings.Replace(goodTeam, "follows: primary", "follows: primary\n    members: [alice]", 1),
		"team key without team": "timezone: UTC\n",
		"bad duration":          strings.Replace(goodTeam, "ack_timeout: 5m}\n    - {notify: [secondary", "ack_timeout: soon}\n    - {notify: [secondary", 1),
	} {
		if validate(t, s, []byte(data)) == nil {
			t.Errorf("%s: schema accepts it", name)
		}
		if r, _ := Load(files(data)); r != nil && !strings.HasPrefix(data, "people") {
			t.Errorf("%s: loader accepts it", name)
		}
	}
}
