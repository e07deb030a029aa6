package rotafile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pagerd/pagerd/didyoumean"
	"gopkg.in/yaml.v3"
)

// File is one rota file's name (as shown in diagnostics) and content.
type File struct {
	Name string
	Data []byte
}

// MaxFileSize bounds one rota file; a rota is a few kilobytes.
const MaxFileSize = 1 << 20

// ReadDir reads every .yaml and .yml file under dir, skipping hidden files
// and folders, sorted by path. A symlink is followed only to a file inside
// the directory: one leading out of it (to /etc/shadow, or to a secret
// someone dropped a link to) is refused, as is anything but a regular file
// (a FIFO would block the read forever).
func ReadDir(dir string) ([]File, error) {
	root, err := filepath.EvalSymlinks(dir) // the directory itself may be a link
	if err != nil {
		return nil, fmt.Errorf("read rota directory %s: %w", dir, err)
	}
	if root, err = filepath.Abs(root); err != nil {
		return nil, fmt.Errorf("read rota directory %s: %w", dir, err)
	}
	var files []File
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if path != dir && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			return nil
		}
		open := path
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(path)
			if err != nil {
				return err
			}
			if target, err = filepath.Abs(target); err != nil {
				return err
			}
			if rel, err := filepath.Rel(root, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return fmt.Errorf("refusing %s: it is a symlink to %s, outside the rota directory", path, target)
			}
			open = target
		}
		data, err := readLimited(open, path)
		if err != nil {
			return err
		}
		files = append(files, File{Name: path, Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read rota directory %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("read rota directory %s: no .yaml or .yml files", dir)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// readLimited reads at most MaxFileSize+1 bytes of the regular file at
// path (name is what errors call it). O_NOFOLLOW: a file swapped for a
// symlink after the walk saw it is not followed; O_NONBLOCK: a FIFO is
// not waited on, and refused below.
func readLimited(path, name string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("refusing %s: not a regular file (%s)", name, fi.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}

// LoadDir reads and loads a rota directory. The error is non-nil when the
// directory can't be read or the rota has errors (a *LoadError listing all).
func LoadDir(dir string) (*Rota, Diagnostics, error) {
	files, err := ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	r, diags := Load(files)
	return r, diags, diags.Err()
}

// Load builds the rota from files. It returns every problem found; the Rota
// is nil when any of them is an error.
func Load(files []File) (*Rota, Diagnostics) {
	l := &loader{peopleByID: map[string]*Person{}, teams: map[string]*Team{}}
	type doc struct {
		file string
		m    mapping
	}
	var docs []doc
	files = slices.Clone(files)
	sort.SliceStable(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	for _, f := range files {
		root, ok := l.parseFile(f)
		if !ok {
			continue
		}
		if root.Kind != yaml.MappingNode {
			// Not a rota file at all (a stray secret, say): say what it
			// is, never what it holds.
			l.errf(f.Name, root, `a rota file is a mapping of keys: "team: <id>" and its settings, or "people:"`,
				"this is not a rota file: it holds %s, not keys", kindOnly(root))
			continue
		}
		m, ok := l.mapping(f.Name, root, "", "rota file")
		if !ok {
			continue
		}
		docs = append(docs, doc{f.Name, m})
	}
	// People first: teams refer to them, from any file.
	for _, d := range docs {
		if p, ok := d.m.get("people"); ok {
			l.people(d.file, p.val)
		}
	}
	for _, d := range docs {
		if _, ok := d.m.get("team"); ok {
			l.team(d.file, d.m)
			continue
		}
		for _, k := range d.m.order {
			if k != "people" {
				f := d.m.fields[k]
				l.errf(d.file, f.key, `add "team: <id>" to make this a team file, or move the key to one`,
					"key %q belongs in a team file, but this file has no \"team:\"", k)
			}
		}
	}
	if len(l.teams) == 0 && len(l.diags.Errors()) == 0 {
		l.diags = append(l.diags, Diagnostic{File: firstName(files), Line: 1, Col: 1, Severity: Error,
			Msg: "the rota defines no team", Hint: `a team file starts with "team: <id>"`})
	}
	l.sortDiags()
	l.capDiags()
	if len(l.diags.Errors()) > 0 {
		return nil, l.diags
	}
	r := &Rota{People: l.peopleByID, Files: files}
	for _, t := range l.teams {
		r.Teams = append(r.Teams, t)
	}
	sort.Slice(r.Teams, func(i, j int) bool { return r.Teams[i].ID < r.Teams[j].ID })
	return r, l.diags
}

func firstName(files []File) string {
	if len(files) == 0 {
		return "(rota)"
	}
	return files[0].Name
}

type loader struct {
	diags      Diagnostics
	peopleByID map[string]*Person
	teams      map[string]*Team

	// Every diagnostic once: a node reached again through a YAML alias
	// would otherwise report its problems again at each alias.
	reported map[string]bool
	kept     map[string]int  // diagnostics held per file (at most keepPerFile)
	dropped  map[string]int  // and those beyond, only counted
	dropErr  map[string]bool // whether an error is among those dropped
	mapped   map[mappingKey]mapping
}

type mappingKey struct {
	node *yaml.Node
	path string
}

// MaxDiagsPerFile is how many diagnostics a file shows; the rest are
// summed up in one more line. A file with more problems than that has a
// cause to fix first, and a hostile one can't flood a terminal or a log.
const MaxDiagsPerFile = 100

// keepPerFile bounds the diagnostics held per file while loading, so the
// first MaxDiagsPerFile by position can be shown.
const keepPerFile = 10 * MaxDiagsPerFile

// capDiags keeps each file's first MaxDiagsPerFile diagnostics (they are
// sorted) and says how many more there are.
func (l *loader) capDiags() {
	var out Diagnostics
	shown := map[string]int{}
	more := map[string]int{}
	moreErr := map[string]bool{}
	var order []string
	for _, d := range l.diags {
		if shown[d.File] < MaxDiagsPerFile {
			shown[d.File]++
			out = append(out, d)
			continue
		}
		if more[d.File] == 0 {
			order = append(order, d.File)
		}
		more[d.File]++
		moreErr[d.File] = moreErr[d.File] || d.Severity == Error
	}
	for f, n := range l.dropped {
		if more[f] == 0 {
			order = append(order, f)
		}
		more[f] += n
		moreErr[f] = moreErr[f] || l.dropErr[f]
	}
	if len(order) == 0 {
		return
	}
	sort.Strings(order)
	for _, f := range order {
		sev := Warning
		if moreErr[f] {
			sev = Error
		}
		out = append(out, Diagnostic{File: f, Line: 1, Col: 1, Severity: sev,
			Msg:  fmt.Sprintf("%d more problems in this file are not shown", more[f]),
			Hint: fmt.Sprintf("fix the first %d; the rest often follow from them", MaxDiagsPerFile)})
	}
	l.diags = out
	l.sortDiags()
}

func (l *loader) sortDiags() {
	sort.SliceStable(l.diags, func(i, j int) bool {
		a, b := l.diags[i], l.diags[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

func (l *loader) report(sev Severity, file string, n *yaml.Node, hint, format string, args ...any) {
	d := Diagnostic{File: file, Line: 1, Col: 1, Severity: sev, Msg: fmt.Sprintf(format, args...), Hint: hint}
	if n != nil && n.Line > 0 {
		d.Line, d.Col = n.Line, n.Column
	}
	if l.reported == nil {
		l.reported, l.kept, l.dropped, l.dropErr = map[string]bool{}, map[string]int{}, map[string]int{}, map[string]bool{}
	}
	id := fmt.Sprintf("%s\x00%d\x00%d\x00%s\x00%s", d.File, d.Line, d.Col, d.Severity, d.Msg)
	if l.reported[id] {
		return
	}
	l.reported[id] = true
	if l.kept[file] >= keepPerFile {
		l.dropped[file]++
		l.dropErr[file] = l.dropErr[file] || sev == Error
		return
	}
	l.kept[file]++
	l.diags = append(l.diags, d)
}

func (l *loader) errf(file string, n *yaml.Node, hint, format string, args ...any) {
	l.report(Error, file, n, hint, format, args...)
}

func (l *loader) warnf(rule, file string, n *yaml.Node, hint, format string, args ...any) {
	l.report(Warning, file, n, hint, format, args...)
	l.diags[len(l.diags)-1].Rule = rule
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseFile parses one YAML document and returns its root node.
func (l *loader) parseFile(f File) (*yaml.Node, bool) {
	if len(f.Data) > MaxFileSize {
		l.errf(f.Name, nil, "split it into smaller files", "file is larger than %d bytes", MaxFileSize)
		return nil, false
	}
	dec := yaml.NewDecoder(bytes.NewReader(f.Data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.errf(f.Name, nil, "delete the empty file, or add a team or people to it", "file is empty")
			return nil, false
		}
		l.yamlErr(f, err)
		return nil, false
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		l.errf(f.Name, &more, "put each team in a file of its own", "a rota file holds one YAML document, and this one has another after ---")
		return nil, false
	} else if !errors.Is(err, io.EOF) {
		l.yamlErr(f, err)
		return nil, false
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if own, all := nodeCounts(root); all-own > MaxAliasNodes {
		l.errf(f.Name, nil, "write the repeated values out, or anchor something smaller",
			"YAML aliases in this file stand for more than %d nodes (the limit is %d)", all-own, MaxAliasNodes)
		return nil, false
	}
	return root, true
}

// MaxAliasNodes bounds how much YAML aliases may add to a file: a rota
// reads each alias as the node it names, so a small file aliasing a big
// node many times would make loading it slow ("billion laughs"). Real
// rotas alias a few small things, such as a list of holidays.
const MaxAliasNodes = 100_000

// nodeCounts counts root's nodes as written (own) and as aliases expand
// them (all), stopping once all is over the limit.
func nodeCounts(root *yaml.Node) (own, all int) {
	seen := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node, viaAlias bool, depth int)
	walk = func(n *yaml.Node, viaAlias bool, depth int) {
		if n == nil || all-own > MaxAliasNodes {
			return
		}
		if depth > 64 { // deeper than any rota; and an alias cycle ends here
			all = own + MaxAliasNodes + 1
			return
		}
		all++
		if !viaAlias && !seen[n] {
			seen[n] = true
			own++
		}
		if n.Kind == yaml.AliasNode {
			walk(n.Alias, true, depth+1)
			return
		}
		for _, c := range n.Content {
			walk(c, viaAlias, depth+1)
		}
	}
	walk(root, false, 0)
	return own, all
}

func (l *loader) yamlErr(f File, err error) {
	file := f.Name
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, msg := range msgs {
		line := 1
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
		if strings.Contains(msg, "did not find expected ',' or ']'") || strings.Contains(msg, "did not find expected ',' or '}'") {
			// yaml.v3 gives the line before the bracket, or none when
			// it is on the first line: point at the bracket itself.
			if ln, col, open, ok := unclosedFlow(f.Data); ok {
				closer := map[byte]string{'[': "]", '{': "}"}[open]
				l.diags = append(l.diags, Diagnostic{File: file, Line: ln, Col: col, Severity: Error,
					Msg:  fmt.Sprintf("YAML syntax: this %q is never closed", string(open)),
					Hint: fmt.Sprintf("close it with %q, and separate its items with commas (%s)", closer, map[byte]string{'[': "[alice, bob]", '{': "{sms: \"+447700900001\"}"}[open])})
				continue
			}
		}
		hint := "check the indentation and quoting around this line"
		if strings.Contains(msg, "tab") {
			hint = "YAML indents with spaces, never tabs"
		}
		l.diags = append(l.diags, Diagnostic{File: file, Line: line, Col: 1, Severity: Error, Msg: "YAML syntax: " + msg, Hint: hint})
	}
}

// unclosedFlow finds the first '[' or '{' in YAML text that is never
// closed, skipping quoted strings and comments, and returns its 1-based
// line and column (in bytes, as yaml.v3 counts for node positions).
func unclosedFlow(data []byte) (line, col int, open byte, ok bool) {
	type opener struct {
		line, col int
		c         byte
	}
	var stack []opener
	ln, start := 1, 0 // line number, offset of its first byte
	var quote byte    // the quote we are inside, or 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '\n':
			ln, start = ln+1, i+1
		case quote != 0:
			switch {
			case quote == '"' && c == '\\':
				i++ // an escaped character
			case quote == '\'' && c == '\'' && i+1 < len(data) && data[i+1] == '\'':
				i++ // '' is a quote inside single quotes
			case c == quote:
				quote = 0
			}
		case c == '#' && (i == start || data[i-1] == ' ' || data[i-1] == '\t'):
			for i+1 < len(data) && data[i+1] != '\n' {
				i++ // a comment runs to the end of the line
			}
		case c == '"' || c == '\'':
			// A quote opens a string only where a value starts.
			if i == start || strings.ContainsRune(" \t[{,:-", rune(data[i-1])) {
				quote = c
			}
		case c == '[' || c == '{':
			stack = append(stack, opener{ln, i - start + 1, c})
		case (c == ']' || c == '}') && len(stack) > 0:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) == 0 {
		return 0, 0, 0, false
	}
	// The outermost unclosed opener: a list left open swallows the rest.
	o := stack[0]
	return o.line, o.col, o.c, true
}

// field is a key and its value in a mapping.
type field struct{ key, val *yaml.Node }

// mapping is a YAML mapping with its keys checked against KnownKeys.
type mapping struct {
	node   *yaml.Node
	fields map[string]field
	order  []string
	typos  map[string]bool // known keys that an unknown key looked like
}

func (m mapping) get(k string) (field, bool) {
	f, ok := m.fields[k]
	if ok && f.val.Kind == yaml.ScalarNode && f.val.Tag == "!!null" {
		return f, false // "key:" with no value counts as absent
	}
	return f, ok
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// mapping checks that n is a mapping whose keys are all known for path, and
// reports unknown keys (with the closest known one) and duplicates.
func (l *loader) mapping(file string, n *yaml.Node, path, what string) (mapping, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		l.errf(file, n, "", "%s must be a mapping of key: value lines, not %s", what, kindName(n))
		return mapping{}, false
	}
	// A mapping reached again through an alias is checked once.
	if m, ok := l.mapped[mappingKey{n, path}]; ok {
		return m, true
	}
	if l.mapped == nil {
		l.mapped = map[mappingKey]mapping{}
	}
	m := l.checkMapping(file, n, path, what)
	l.mapped[mappingKey{n, path}] = m
	return m, true
}

// checkMapping reads mapping n's keys, reporting the unknown ones.
func (l *loader) checkMapping(file string, n *yaml.Node, path, what string) mapping {
	allowed := KnownKeys()[path]
	m := mapping{node: n, fields: map[string]field{}, typos: map[string]bool{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k == nil || v == nil || k.Kind != yaml.ScalarNode {
			l.errf(file, n.Content[i], "", "keys in %s must be plain words", what)
			continue
		}
		if k.Value == "<<" {
			l.errf(file, k, "write the keys out; rota files are read by people", "YAML merge keys (<<) are not supported")
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			hint := "known keys here: " + strings.Join(allowed, ", ")
			if s := didyoumean.Closest(k.Value, allowed); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
				m.typos[s] = true
			}
			l.errf(file, k, hint, "unknown key %q in %s", k.Value, what)
			continue
		}
		if prev, dup := m.fields[k.Value]; dup {
			l.errf(file, k, "delete one of them", "key %q appears twice in %s (first at line %d)", k.Value, what, prev.key.Line)
			continue
		}
		m.fields[k.Value] = field{k, v}
		m.order = append(m.order, k.Value)
	}
	return m
}

// kindOnly names n's kind without its content.
func kindOnly(n *yaml.Node) string {
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return "nothing"
	case n.Kind == yaml.ScalarNode:
		return "a single value"
	}
	return "something else"
}

func kindName(n *yaml.Node) string {
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return "empty"
	case n.Kind == yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// need reports a missing required key.
func (l *loader) need(file string, m mapping, key, what, hint string) (field, bool) {
	f, ok := m.get(key)
	if !ok && m.typos[key] {
		return f, false // the typo is reported, with this key as its hint
	}
	if !ok {
		n := m.node
		if g, present := m.fields[key]; present {
			n = g.key
		}
		l.errf(file, n, hint, "%s needs %q", what, key)
	}
	return f, ok
}

// str reads a scalar as text.
func (l *loader) str(file string, n *yaml.Node, what string) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errf(file, n, "", "%s must be a single value, not %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

// list reads a sequence; a lone scalar is accepted as a list of one when
// single is true (so "notify: primary" works like "notify: [primary]").
func (l *loader) list(file string, n *yaml.Node, what string, single bool) ([]*yaml.Node, bool) {
	n = deref(n)
	if n != nil && n.Kind == yaml.SequenceNode {
		out := make([]*yaml.Node, len(n.Content))
		for i, c := range n.Content {
			out[i] = deref(c)
		}
		return out, true
	}
	if single && n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []*yaml.Node{n}, true
	}
	l.errf(file, n, "write a list as [a, b] or as lines starting with \"- \"", "%s must be a list, not %s", what, kindName(n))
	return nil, false
}

func (l *loader) duration(file string, n *yaml.Node, what string, allowZero bool) (time.Duration, bool) {
	s, ok := l.str(file, n, what)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		l.errf(file, n, "write a duration such as 30s, 5m, 1h30m", "%s: %q is not a duration", what, s)
		return 0, false
	}
	if d < 0 || (d == 0 && !allowZero) {
		l.errf(file, n, "", "%s must be more than zero", what)
		return 0, false
	}
	return d, true
}

func (l *loader) integer(file string, n *yaml.Node, what string, lo, hi int) (int, bool) {
	s, ok := l.str(file, n, what)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		l.errf(file, n, "", "%s must be a whole number from %d to %d, not %q", what, lo, hi, s)
		return 0, false
	}
	return v, true
}

func (l *loader) boolean(file string, n *yaml.Node, what string) (bool, bool) {
	s, ok := l.str(file, n, what)
	if !ok {
		return false, false
	}
	switch s {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	l.errf(file, n, "", "%s must be true or false, not %q", what, s)
	return false, false
}

func (l *loader) timeIn(file string, n *yaml.Node, what string, loc *time.Location) (time.Time, bool) {
	s, ok := l.str(file, n, what)
	if !ok {
		return time.Time{}, false
	}
	t, err := ParseTime(s, loc)
	if err != nil {
		l.errf(file, n, "write 2026-11-24T18:00 (in the team's time zone) or 2026-11-24T18:00:00Z", "%s: %q is not a time", what, s)
		return time.Time{}, false
	}
	return t, true
}

func (l *loader) location(file string, n *yaml.Node, what string) (*time.Location, bool) {
	s, ok := l.str(file, n, what)
	if !ok {
		return nil, false
	}
	if s == "" || strings.EqualFold(s, "local") {
		l.errf(file, n, "name an IANA zone such as Europe/London or America/New_York", "%s %q is not a time zone", what, s)
		return nil, false
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		hint := "use an IANA zone name such as Europe/London, America/New_York or UTC (names are case-sensitive)"
		if z := didyoumean.Closest(s, zoneNames()); z != "" {
			hint = fmt.Sprintf("did you mean %q?", z)
		}
		l.errf(file, n, hint, "%s %q is not a known time zone", what, s)
		return nil, false
	}
	return loc, true
}

//go:generate go run gen_zones.go

// zoneNames are the tz database's zone names (zones_gen.go).
func zoneNames() []string { return strings.Split(strings.TrimSuffix(zoneList, "\n"), "\n") }

var (
	idRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	roleRE  = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,30}$`)
	e164RE  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	clockRE = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])$|^24:00$`) // "9:00" too, as start: and --at take
)

// personRef checks a person id and returns it if the person exists.
func (l *loader) personRef(file string, n *yaml.Node, what string) (string, bool) {
	id, ok := l.str(file, n, what)
	if !ok {
		return "", false
	}
	if _, ok := l.peopleByID[id]; ok {
		return id, true
	}
	hint := "add them under people: in a rota file"
	ids := make([]string, 0, len(l.peopleByID))
	for k := range l.peopleByID {
		ids = append(ids, k)
	}
	sort.Strings(ids)
	if s := didyoumean.Closest(id, ids); s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	l.errf(file, n, hint, "%s %q is not a person in the rota", what, id)
	return "", false
}
