package rotafile

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/pagerd/pagerd/didyoumean"
	"github.com/pagerd/pagerd/rotation"
)

// Edit is a change to one team's rota file, made as text: yaml.v3 nodes say
// where things are, the lines of the item added or removed are written or
// deleted, and every other byte of the file (comments, key order, quoting,
// blank lines) stays as it was.
type Edit struct {
	File   string // the file's name, as in Rota.Files
	Before []byte
	After  []byte
	What   string // what it does, in a sentence
}

// Apply returns a copy of files with the edit made.
func (e Edit) Apply(files []File) []File {
	out := slices.Clone(files)
	for i := range out {
		if out[i].Name == e.File {
			out[i].Data = e.After
		}
	}
	return out
}

// AddOverride adds an override to the team's overrides list.
func AddOverride(r *Rota, team string, o rotation.Override) (Edit, error) {
	t, d, err := openTeam(r, team)
	if err != nil {
		return Edit{}, err
	}
	fields := [][2]string{{"role", plain(o.Role)}, {"person", plain(o.Person)},
		{"from", yamlTime(o.From, t.Location)}, {"until", yamlTime(o.Until, t.Location)}}
	if o.Note != "" {
		fields = append(fields, [2]string{"note", quote(o.Note)})
	}
	if err := d.appendItem(d.root, "overrides", fields); err != nil {
		return Edit{}, err
	}
	what := fmt.Sprintf("%s holds %s of team %s from %s until %s", o.Person, o.Role, t.ID, showTime(o.From, t.Location), showTime(o.Until, t.Location))
	return d.edit(what), nil
}

// RemoveOverride removes the team's override of role that starts at from.
func RemoveOverride(r *Rota, team, role string, from time.Time) (Edit, error) {
	t, d, err := openTeam(r, team)
	if err != nil {
		return Edit{}, err
	}
	i, it, err := d.findItem(t, "overrides", "override", role, "", from)
	if err != nil {
		return Edit{}, err
	}
	if err := d.removeItem(d.root, "overrides", i); err != nil {
		return Edit{}, err
	}
	return d.edit(fmt.Sprintf("removed the override of %s for %s from %s", role, it.person, showTime(from, t.Location))), nil
}

// AddShadow adds a shadow to the team's shadows list.
func AddShadow(r *Rota, team string, s rotation.Shadow) (Edit, error) {
	t, d, err := openTeam(r, team)
	if err != nil {
		return Edit{}, err
	}
	fields := [][2]string{{"person", plain(s.Person)}, {"role", plain(s.Role)},
		{"from", yamlTime(s.From, t.Location)}, {"until", yamlTime(s.Until, t.Location)}}
	if s.Reverse {
		fields = append(fields, [2]string{"reverse", "true"})
	}
	if err := d.appendItem(d.root, "shadows", fields); err != nil {
		return Edit{}, err
	}
	kind := "shadows"
	if s.Reverse {
		kind = "reverse-shadows"
	}
	return d.edit(fmt.Sprintf("%s %s %s of team %s from %s until %s", s.Person, kind, s.Role, t.ID, showTime(s.From, t.Location), showTime(s.Until, t.Location))), nil
}

// RemoveShadow removes person's shadow of role that starts at from.
func RemoveShadow(r *Rota, team, role, person string, from time.Time) (Edit, error) {
	t, d, err := openTeam(r, team)
	if err != nil {
		return Edit{}, err
	}
	i, _, err := d.findItem(t, "shadows", "shadow", role, person, from)
	if err != nil {
		return Edit{}, err
	}
	if err := d.removeItem(d.root, "shadows", i); err != nil {
		return Edit{}, err
	}
	return d.edit(fmt.Sprintf("removed %s's shadow of %s from %s", person, role, showTime(from, t.Location))), nil
}

// AddMember adds person to role's rotation from at on, and RemoveMember
// takes them out. The past keeps its list: the edit is a members change
// from at (or, when a list already starts at at, that list edited). So
// that nobody else's turn moves, the new list starts with whoever holds the
// role at at and goes on in the old order; a new member joins at its end,
// after everyone's next turn. Lists of later changes get the same edit.
func AddMember(r *Rota, team, role, person string, at time.Time) (Edit, error) {
	return editMembers(r, team, role, person, at, true)
}

// RemoveMember: see AddMember.
func RemoveMember(r *Rota, team, role, person string, at time.Time) (Edit, error) {
	return editMembers(r, team, role, person, at, false)
}

func editMembers(r *Rota, team, role, person string, at time.Time, add bool) (Edit, error) {
	t, d, err := openTeam(r, team)
	if err != nil {
		return Edit{}, err
	}
	rot := rotationOf(t, role)
	switch {
	case rot == nil:
		return Edit{}, fmt.Errorf("team %q has no rotation %q (%s)", t.ID, role, rolesHint(role, t.Schedule))
	case rot.Follows != "":
		return Edit{}, fmt.Errorf("rotation %q follows %q and takes its members from it: change the members of %q", role, rot.Follows, rot.Follows)
	case at.Before(rot.Start):
		return Edit{}, fmt.Errorf("rotation %q starts at %s, after %s", role, showTime(rot.Start, t.Location), showTime(at, t.Location))
	case !rot.End.IsZero() && !at.Before(rot.End):
		return Edit{}, fmt.Errorf("rotation %q ends at %s, before %s", role, showTime(rot.End, t.Location), showTime(at, t.Location))
	}
	if add {
		if _, ok := r.People[person]; !ok {
			return Edit{}, fmt.Errorf("%q is not a person in the rota: add them under people: first", person)
		}
	}
	e := len(rot.Eras) - 1
	for e > 0 && rot.Eras[e].From.After(at) {
		e--
	}
	era := rot.Eras[e]
	if add == slices.Contains(era.Members, person) {
		if add {
			return Edit{}, fmt.Errorf("%s is already a member of %s at %s", person, role, showTime(at, t.Location))
		}
		return Edit{}, fmt.Errorf("%s is not a member of %s at %s (members: %s)", person, role, showTime(at, t.Location), strings.Join(era.Members, ", "))
	}
	change := func(members []string) ([]string, error) {
		if add {
			return append(slices.Clone(members), person), nil
		}
		out := slices.DeleteFunc(slices.Clone(members), func(m string) bool { return m == person })
		if len(out) == 0 {
			return nil, fmt.Errorf("%s is the only member of %s: a rotation needs someone; end it instead", person, role)
		}
		return out, nil
	}

	rotNode := d.rotationNode(role)
	if rotNode == nil {
		return Edit{}, fmt.Errorf("%s: rotation %q is not a mapping pagerd can edit", d.name, role)
	}
	_, changesSeq := mapGet(rotNode, "changes")
	eraNode := func(i int) *yaml.Node { // the members node of era i
		if i == 0 {
			_, v := mapGet(rotNode, "members")
			return v
		}
		_, v := mapGet(deref(changesSeq.Content[i-1]), "members")
		return v
	}
	// Edits go bottom-up, so line numbers above stay true.
	var notes []string
	for i := len(rot.Eras) - 1; i > e; i-- {
		if add == slices.Contains(rot.Eras[i].Members, person) {
			continue
		}
		list, err := change(rot.Eras[i].Members)
		if err != nil {
			return Edit{}, err
		}
		if err := d.replaceList(eraNode(i), list); err != nil {
			return Edit{}, err
		}
		notes = append(notes, fmt.Sprintf("the members change from %s too", showTime(rot.Eras[i].From, t.Location)))
	}
	var list []string
	if era.From.Equal(at) {
		if list, err = change(era.Members); err != nil {
			return Edit{}, err
		}
		if err := d.replaceList(eraNode(e), list); err != nil {
			return Edit{}, err
		}
	} else {
		k, err := memberIndexAt(t, rot, era, at)
		if err != nil {
			return Edit{}, err
		}
		rotated := append(slices.Clone(era.Members[k:]), era.Members[:k]...)
		if list, err = change(rotated); err != nil {
			return Edit{}, err
		}
		item := [][2]string{{"from", yamlTime(at, t.Location)}, {"members", flowList(list)}}
		if err := d.insertItem(rotNode, "changes", e, item); err != nil {
			return Edit{}, err
		}
	}
	verb := "joins"
	if !add {
		verb = "leaves"
	}
	what := fmt.Sprintf("%s %s %s of team %s from %s: members %s", person, verb, role, t.ID, showTime(at, t.Location), strings.Join(list, ", "))
	if len(notes) > 0 {
		what += " (and " + strings.Join(notes, ", ") + ")"
	}
	return d.edit(what), nil
}

// memberIndexAt is the index in era's list of who holds rot at at by the
// rotation alone (overrides aside): the member a new list starting at at
// should begin with, so the turns go on as they were.
func memberIndexAt(t *Team, rot *rotation.Rotation, era rotation.Era, at time.Time) (int, error) {
	s := &rotation.Schedule{Team: t.ID, Location: t.Location, Rotations: []*rotation.Rotation{rot}}
	if err := s.Compile(); err != nil {
		return 0, fmt.Errorf("rotation %q: %w", rot.Role, err)
	}
	shifts := s.RoleShifts(rot.Role, era.From, at)
	k := len(shifts) // shifts of the era before at; the one at at is next...
	if h, ok := s.Holder(rot.Role, at); ok && h.Start.Before(at) {
		k-- // ...unless at falls inside the last of them
	}
	return ((k % len(era.Members)) + len(era.Members)) % len(era.Members), nil
}

func rotationOf(t *Team, role string) *rotation.Rotation {
	for _, r := range t.Schedule.Rotations {
		if r.Role == role {
			return r
		}
	}
	return nil
}

// openTeam finds the team's file and parses it for editing.
func openTeam(r *Rota, team string) (*Team, *doc, error) {
	t, ok := r.Team(team)
	if !ok {
		ids := make([]string, len(r.Teams))
		for i, t := range r.Teams {
			ids[i] = t.ID
		}
		hint := "teams: " + strings.Join(ids, ", ")
		if s := didyoumean.Closest(team, ids); s != "" {
			hint = fmt.Sprintf("did you mean %q?", s)
		}
		return nil, nil, fmt.Errorf("no team %q (%s)", team, hint)
	}
	for _, f := range r.Files {
		if f.Name == t.Pos.File {
			d, err := parseDoc(f)
			return t, d, err
		}
	}
	return nil, nil, fmt.Errorf("team %q: its file %s is not among the rota's files", team, t.Pos.File)
}

// doc is a rota file as lines, with its parsed nodes for positions. Edits
// change lines only; the nodes keep the positions of the original, so a
// caller makes several edits bottom-up.
type doc struct {
	name   string
	before []byte
	lines  []string // each with its line ending
	eol    string
	root   *yaml.Node // the top mapping
	starts []int      // every node's line, sorted: where the next thing begins
}

func parseDoc(f File) (*doc, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(f.Data, &n); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	if n.Kind != yaml.DocumentNode || len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s is not a YAML mapping", f.Name)
	}
	d := &doc{name: f.Name, before: f.Data, root: n.Content[0], eol: "\n"}
	d.lines = strings.SplitAfter(string(f.Data), "\n")
	if d.lines[len(d.lines)-1] == "" {
		d.lines = d.lines[:len(d.lines)-1]
	}
	if len(d.lines) > 0 && strings.HasSuffix(d.lines[0], "\r\n") {
		d.eol = "\r\n"
	}
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		d.starts = append(d.starts, n.Line)
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(d.root)
	slices.Sort(d.starts)
	return d, nil
}

func (d *doc) edit(what string) Edit {
	return Edit{File: d.name, Before: d.before, After: []byte(strings.Join(d.lines, "")), What: what}
}

// mapGet returns the key and value nodes of key in mapping m.
func mapGet(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], deref(m.Content[i+1])
		}
	}
	return nil, nil
}

// seq is the top-level key's sequence, or nil.
func (d *doc) seq(key string) *yaml.Node {
	_, v := mapGet(d.root, key)
	if v == nil || v.Kind != yaml.SequenceNode {
		return nil
	}
	return v
}

func (d *doc) rotationNode(role string) *yaml.Node {
	_, rots := mapGet(d.root, "rotations")
	_, r := mapGet(rots, role)
	if r == nil || r.Kind != yaml.MappingNode {
		return nil
	}
	return r
}

// lastLine is the last line any part of n starts on.
func lastLine(n *yaml.Node) int {
	last := n.Line
	for _, c := range n.Content {
		last = max(last, lastLine(c))
	}
	return last
}

// blankOrComment says whether line i (1-based) holds nothing but a comment.
func (d *doc) blankOrComment(i int) bool {
	s := strings.TrimSpace(d.lines[i-1])
	return s == "" || strings.HasPrefix(s, "#")
}

// endLine is the last line (1-based) of the text of n: up to the next node
// after it, less the blank and comment lines before that node (they belong
// to what follows), but never above the last line n starts on. Lines of a
// multi-line scalar at the end of n are kept.
func (d *doc) endLine(n *yaml.Node) int {
	last := lastLine(n)
	end := len(d.lines)
	if i, _ := slices.BinarySearch(d.starts, last+1); i < len(d.starts) {
		end = d.starts[i] - 1
	}
	for end > last && d.blankOrComment(end) {
		end--
	}
	return end
}

// itemStart is the line of an item's "- ".
func (d *doc) itemStart(it *yaml.Node) (int, error) {
	line := d.lines[it.Line-1]
	if pre := prefixBefore(line, it.Column); strings.TrimSpace(pre) == "-" || strings.HasSuffix(strings.TrimSpace(pre), "-") {
		return it.Line, nil
	}
	if it.Line > 1 && strings.TrimSpace(d.lines[it.Line-2]) == "-" {
		return it.Line - 1, nil
	}
	return 0, fmt.Errorf("%s:%d: can't find the \"- \" of this list item; write one item per line starting with \"- \"", d.name, it.Line)
}

// prefixBefore is line up to (1-based, in characters) column col.
func prefixBefore(line string, col int) string {
	i := byteOffset(line, col)
	return line[:i]
}

// byteOffset turns a 1-based character column into a byte offset.
func byteOffset(line string, col int) int {
	i := 0
	for c := 1; c < col && i < len(line); c++ {
		_, size := utf8.DecodeRuneInString(line[i:])
		i += size
	}
	return i
}

func indentOf(line string) string { return line[:len(line)-len(strings.TrimLeft(line, " "))] }

// insertLines puts text lines before line at (1-based; len+1 appends).
func (d *doc) insertLines(at int, text []string) {
	if at > len(d.lines) && len(d.lines) > 0 && !strings.HasSuffix(d.lines[len(d.lines)-1], "\n") {
		d.lines[len(d.lines)-1] += d.eol // the file had no final newline
	}
	withEOL := make([]string, len(text))
	for i, l := range text {
		withEOL[i] = l + d.eol
	}
	d.lines = slices.Insert(d.lines, at-1, withEOL...)
}

// itemLines writes a mapping item of a list: "- {k: v, ...}" when the
// list's items are written that way (or the list is new), block lines
// otherwise. dash is the text before "- ".
func itemLines(dash string, fields [][2]string, flow bool) []string {
	if flow {
		parts := make([]string, len(fields))
		for i, f := range fields {
			parts[i] = f[0] + ": " + f[1]
		}
		return []string{dash + "- {" + strings.Join(parts, ", ") + "}"}
	}
	out := make([]string, len(fields))
	for i, f := range fields {
		lead := dash + "  "
		if i == 0 {
			lead = dash + "- "
		}
		out[i] = lead + f[0] + ": " + f[1]
	}
	return out
}

// appendItem adds a mapping item at the end of the list under key of the
// mapping m, creating the key if it is missing or empty.
func (d *doc) appendItem(m *yaml.Node, key string, fields [][2]string) error {
	_, v := mapGet(m, key)
	n := 0
	if v != nil && v.Kind == yaml.SequenceNode {
		n = len(v.Content)
	}
	return d.insertItem(m, key, n, fields)
}

// insertItem puts a mapping item at index i of the list under key of the
// mapping m (so it comes after i items), creating the key if it is missing
// or empty.
func (d *doc) insertItem(m *yaml.Node, key string, i int, fields [][2]string) error {
	k, v := mapGet(m, key)
	switch {
	case k == nil:
		return d.addKey(m, key, fields)
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null",
		v.Kind == yaml.SequenceNode && len(v.Content) == 0 && v.Line == k.Line:
		// "key:" or "key: []": the key's line becomes "key:" (keeping a
		// comment on it) and the list follows.
		line := d.lines[k.Line-1]
		head := strings.TrimRight(line, "\r\n")
		head = head[:byteOffset(head, k.Column)] + key + ":"
		if c := k.LineComment + v.LineComment; c != "" {
			head += " " + c
		}
		d.lines[k.Line-1] = head + d.eol
		d.insertLines(k.Line+1, itemLines(indentOf(line)+"  ", fields, true))
		return nil
	case v.Kind != yaml.SequenceNode:
		return fmt.Errorf("%s:%d: %s is not a list", d.name, k.Line, key)
	case v.Style&yaml.FlowStyle != 0:
		return fmt.Errorf("%s:%d: %s is written on one line as [...]; write it with one \"- \" item per line so pagerd can edit it", d.name, v.Line, key)
	}
	ref := v.Content[max(0, min(i, len(v.Content))-1)] // a neighbour, for layout
	start, err := d.itemStart(ref)
	if err != nil {
		return err
	}
	dash := d.lines[start-1][:strings.Index(d.lines[start-1], "-")]
	lines := itemLines(dash, fields, ref.Style&yaml.FlowStyle != 0 || ref.Kind != yaml.MappingNode)
	if i == 0 {
		d.insertLines(start, lines)
	} else {
		d.insertLines(d.endLine(v.Content[i-1])+1, lines)
	}
	return nil
}

// topOrder and rotationOrder are the orders new keys go in.
var (
	topOrder      = KnownKeys()[""]
	rotationOrder = KnownKeys()["rotations.*"]
)

// addKey adds "key:" with one item to the mapping m: before the first key
// that comes after it in the usual order (and before the comments above
// that key), or after m's last line.
func (d *doc) addKey(m *yaml.Node, key string, fields [][2]string) error {
	order := topOrder
	if m != d.root {
		order = rotationOrder
	}
	rank := slices.Index(order, key)
	if len(m.Content) == 0 {
		return fmt.Errorf("%s:%d: can't add %s to an empty mapping written as {}", d.name, m.Line, key)
	}
	indent := indentOf(d.lines[m.Content[0].Line-1])
	if m.Style&yaml.FlowStyle != 0 {
		return fmt.Errorf("%s:%d: this mapping is written on one line as {...}; write it one key per line so pagerd can add %s", d.name, m.Line, key)
	}
	text := append([]string{indent + key + ":"}, itemLines(indent+"  ", fields, true)...)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if r := slices.Index(order, m.Content[i].Value); r > rank {
			at := m.Content[i].Line
			for at > 1 && strings.HasPrefix(strings.TrimSpace(d.lines[at-2]), "#") {
				at-- // the comments above a key stay with it
			}
			d.insertLines(at, text)
			return nil
		}
	}
	d.insertLines(d.endLine(m)+1, text)
	return nil
}

// removeItem deletes item i of the list under key of the mapping m: its
// lines, from its "- " to its last line. Removing the last item removes
// the key's line too, unless a comment is on or just above it: then the
// empty key stays (it reads as absent) with its comment.
func (d *doc) removeItem(m *yaml.Node, key string, i int) error {
	k, seq := mapGet(m, key)
	if seq == nil || seq.Kind != yaml.SequenceNode || i >= len(seq.Content) {
		return fmt.Errorf("%s: no item %d in %s", d.name, i, key)
	}
	if seq.Style&yaml.FlowStyle != 0 {
		return fmt.Errorf("%s:%d: the list is written on one line as [...]; write it with one \"- \" item per line so pagerd can edit it", d.name, seq.Line)
	}
	it := seq.Content[i]
	start, err := d.itemStart(it)
	if err != nil {
		return err
	}
	end := d.endLine(it)
	if i+1 < len(seq.Content) {
		// Up to the next item's "- ", less the comments above it.
		next, err := d.itemStart(seq.Content[i+1])
		if err != nil {
			return err
		}
		end = min(end, next-1)
	}
	commented := k.HeadComment != "" || k.LineComment != "" || seq.LineComment != "" ||
		(k.Line > 1 && strings.HasPrefix(strings.TrimSpace(d.lines[k.Line-2]), "#"))
	if len(seq.Content) == 1 && k.Line == start-1 && !commented {
		start = k.Line
	}
	d.lines = slices.Delete(d.lines, start-1, end)
	return nil
}

// replaceList rewrites a list of plain values (members), written [a, b] on
// one line or one "- " item per line.
func (d *doc) replaceList(n *yaml.Node, items []string) error {
	if n == nil || n.Kind != yaml.SequenceNode {
		return errors.New("members is not a list")
	}
	if n.Style&yaml.FlowStyle != 0 {
		line := d.lines[n.Line-1]
		open := byteOffset(line, n.Column)
		end := flowEnd(line, open)
		if end < 0 {
			return fmt.Errorf("%s:%d: this list goes over several lines; write it on one line as [a, b] or one \"- \" item per line", d.name, n.Line)
		}
		d.lines[n.Line-1] = line[:open] + flowList(items) + line[end+1:]
		return nil
	}
	if len(n.Content) == 0 {
		return fmt.Errorf("%s:%d: empty list", d.name, n.Line)
	}
	first, err := d.itemStart(n.Content[0])
	if err != nil {
		return err
	}
	last := d.endLine(n.Content[len(n.Content)-1])
	dash := d.lines[first-1][:strings.Index(d.lines[first-1], "-")]
	text := make([]string, len(items))
	for i, it := range items {
		text[i] = dash + "- " + plain(it)
	}
	d.lines = slices.Delete(d.lines, first-1, last)
	d.insertLines(first, text)
	return nil
}

// flowEnd finds the "]" closing the "[" at line[open], skipping quoted
// text and nested brackets; -1 if it isn't on this line.
func flowEnd(line string, open int) int {
	depth := 0
	for i := open; i < len(line); i++ {
		switch c := line[i]; c {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return i
			}
		case '\'', '"':
			j := i + 1
			for ; j < len(line); j++ {
				if line[j] == '\\' && c == '"' {
					j++
					continue
				}
				if line[j] == c {
					if c == '\'' && j+1 < len(line) && line[j+1] == '\'' {
						j++ // '' is a quote inside single quotes
						continue
					}
					break
				}
			}
			i = j
		case '#':
			if i > 0 && (line[i-1] == ' ' || line[i-1] == '\t') {
				return -1 // a comment: the list goes on below
			}
		}
	}
	return -1
}

type foundItem struct{ person string }

// findItem finds the item of the list key (overrides or shadows) for role
// (and person, if not "") starting at from.
func (d *doc) findItem(t *Team, key, what, role, person string, from time.Time) (int, foundItem, error) {
	seq := d.seq(key)
	var seen []string
	if seq != nil {
		for i, it := range seq.Content {
			_, r := mapGet(it, "role")
			_, p := mapGet(it, "person")
			_, f := mapGet(it, "from")
			if r == nil || p == nil || f == nil || r.Value != role {
				continue
			}
			at, err := ParseTime(f.Value, t.Location)
			if err != nil {
				continue // check reports it; it isn't the one asked for
			}
			if at.Equal(from) && (person == "" || p.Value == person) {
				return i, foundItem{p.Value}, nil
			}
			if person == "" || p.Value == person {
				seen = append(seen, fmt.Sprintf("%s from %s", p.Value, showTime(at, t.Location)))
			}
		}
	}
	who := ""
	if person != "" {
		who = " by " + person
	}
	msg := fmt.Sprintf("team %q has no %s of %s%s starting at %s", t.ID, what, role, who, showTime(from, t.Location))
	if len(seen) > 0 {
		msg += "; there is: " + strings.Join(seen, "; ")
	}
	return 0, foundItem{}, errors.New(msg)
}

// yamlTime writes an instant as the files do: a local time in the team's
// zone when that reads back as the same instant, RFC 3339 otherwise (the
// second of two repeated wall times, a fraction of a second).
func yamlTime(t time.Time, loc *time.Location) string {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		s := t.In(loc).Format(layout)
		if back, err := ParseTime(s, loc); err == nil && back.Equal(t) {
			return s
		}
	}
	return t.In(loc).Format(time.RFC3339Nano)
}

// showTime is an instant for people, in the team's zone.
func showTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

var plainRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

// plain writes an id or role as it would be typed, quoting anything YAML
// would read as something else.
func plain(s string) string {
	switch strings.ToLower(s) {
	case "null", "true", "false", "yes", "no", "on", "off", "y", "n":
		return quote(s)
	}
	if plainRE.MatchString(s) {
		return s
	}
	return quote(s)
}

func flowList(items []string) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = plain(it)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// quote writes s as a YAML double-quoted scalar.
func quote(s string) string {
	var b bytes.Buffer
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == utf8.RuneError:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
