package rotafile

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pagerd/pagerd/didyoumean"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/rotation"
)

// team reads one team file.
func (l *loader) team(file string, m mapping) {
	tf := m.fields["team"]
	id, ok := l.str(file, tf.val, "team")
	if !ok {
		return
	}
	if !idRE.MatchString(id) {
		l.errf(file, tf.val, "use lower-case letters, digits, '.', '_' or '-'", "team id %q is not a valid id", id)
		return
	}
	if prev, dup := l.teams[id]; dup {
		l.errf(file, tf.val, "team ids must be unique across all rota files", "team %q is defined twice (first at %s:%d:%d)", id, prev.Pos.File, prev.Pos.Line, prev.Pos.Col)
		return
	}
	t := &Team{ID: id, Name: id, Pos: Pos{file, tf.val.Line, tf.val.Column}, rotationPos: map[string]Pos{}, brokenRoles: map[string]bool{}}
	l.teams[id] = t
	what := fmt.Sprintf("team %q", id)

	if f, ok := m.get("name"); ok {
		t.Name, _ = l.str(file, f.val, "name")
	}
	zf, ok := l.need(file, m, "timezone", what, `the zone handoffs and business hours are read in, e.g. "timezone: Europe/London"`)
	if ok {
		t.Location, ok = l.location(file, zf.val, "timezone")
	}
	if !ok {
		// Without a zone no time in the file can be read; stop here rather
		// than report every time as wrong.
		return
	}
	t.BusinessHours = BusinessHours{Start: 9 * time.Hour, End: 17 * time.Hour}
	for d := time.Monday; d <= time.Friday; d++ {
		t.BusinessHours.Days[d] = true
	}
	if f, ok := m.get("business_hours"); ok {
		l.businessHours(file, f.val, &t.BusinessHours)
	}
	if f, ok := m.get("holidays"); ok {
		t.Holidays = l.holidays(file, f.val, t.Location)
	}

	sched := &rotation.Schedule{Team: id, Location: t.Location}
	t.Schedule = sched
	if f, ok := l.need(file, m, "rotations", what, "add rotations: with at least a primary"); ok {
		l.rotations(file, f.val, t)
	}
	roles := make([]string, len(sched.Rotations))
	for i, r := range sched.Rotations {
		roles[i] = r.Role
	}
	if f, ok := m.get("shadows"); ok {
		l.shadows(file, f.val, t, roles)
	}
	if f, ok := m.get("overrides"); ok {
		l.overrides(file, f.val, t, roles)
	}
	if f, ok := l.need(file, m, "escalation", what, "add escalation: {steps: [{notify: [primary], ack_timeout: 5m}]}"); ok {
		l.escalation(file, f.val, t, roles)
	}
	if f, ok := m.get("urgency"); ok {
		l.urgency(file, f.val, t)
	}
	if f, ok := m.get("routes"); ok {
		l.routes(file, f.val, t)
	}
	if f, ok := m.get("pay"); ok {
		l.pay(file, f.val, t)
	}
	if f, ok := m.get("health"); ok {
		l.healthBlock(file, f.val, t)
	}
	if f, ok := m.get("commander"); ok {
		var b bool
		if err := f.val.Decode(&b); err != nil || f.val.Tag != "!!bool" {
			l.errf(file, f.val, "write commander: true (or leave it out)", "commander %q is not true or false", f.val.Value)
		} else if b {
			for _, other := range l.teams {
				if other.Commander && other != t {
					l.errf(file, f.val, "one team holds the incident commanders; remove commander: true from one of them", "team %q and team %q both say commander: true", other.ID, id)
				}
			}
			t.Commander = b
		}
	}
	if err := sched.Compile(); err != nil && len(l.diags.Errors()) == 0 {
		// The checks above should have caught anything Compile rejects;
		// report it at the team rather than lose it.
		l.errf(file, tf.val, "", "team %q: %v", id, err)
	}
	if !slices.Contains(roles, "secondary") && !t.brokenRoles["secondary"] {
		l.warnf(RuleNoSecondary, file, tf.val, "add a secondary rotation (follows: primary works) so a missed page reaches a second person", "team %q has no secondary", id)
	}
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

func (l *loader) businessHours(file string, n *yaml.Node, bh *BusinessHours) {
	m, ok := l.mapping(file, n, "business_hours", "business_hours")
	if !ok {
		return
	}
	if f, ok := m.get("days"); ok {
		if items, ok := l.list(file, f.val, "days", false); ok {
			bh.Days = [7]bool{}
			for _, it := range items {
				s, ok := l.str(file, it, "day")
				if !ok {
					continue
				}
				d, ok := weekdays[s]
				if !ok {
					hint := "use mon, tue, wed, thu, fri, sat or sun"
					if _, lower := weekdays[strings.ToLower(s)]; lower {
						hint = fmt.Sprintf("write days in lower case: %s", strings.ToLower(s))
					}
					l.errf(file, it, hint, "%q is not a day", s)
					continue
				}
				if bh.Days[d] {
					l.errf(file, it, "delete the repeat", "%s is listed twice", s)
					continue
				}
				bh.Days[d] = true
			}
		}
	}
	clock := func(key string, dst *time.Duration) bool { return l.clock(file, m, key, dst) }
	okS, okE := clock("start", &bh.Start), clock("end", &bh.End)
	if okS && okE && bh.End <= bh.Start {
		l.errf(file, m.node, "business hours can't cross midnight; end must be after start", "business_hours end is not after start")
	}
}

// clock reads m's key, if present, as a time of day ("09:00", "24:00")
// into dst; false if it is there but wrong (reported).
func (l *loader) clock(file string, m mapping, key string, dst *time.Duration) bool {
	f, ok := m.get(key)
	if !ok {
		return true
	}
	s, ok := l.str(file, f.val, key)
	if !ok {
		return false
	}
	mm := clockRE.FindStringSubmatch(s)
	if mm == nil {
		l.errf(file, f.val, `write a 24-hour clock time in quotes, e.g. "09:00" or "17:30"`, "%s %q is not a time of day", key, s)
		return false
	}
	if s == "24:00" {
		*dst = 24 * time.Hour
		return true
	}
	var h, mi int
	fmt.Sscanf(s, "%d:%d", &h, &mi) // clockRE has checked the shape
	*dst = time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute
	return true
}

// healthBlock reads health: {sleep_hours: {start, end}}.
func (l *loader) healthBlock(file string, n *yaml.Node, t *Team) {
	m, ok := l.mapping(file, n, "health", "health")
	if !ok {
		return
	}
	f, ok := l.need(file, m, "sleep_hours", "health", `e.g. sleep_hours: {start: "22:00", end: "08:00"}`)
	if !ok {
		return
	}
	sm, ok := l.mapping(file, f.val, "health.sleep_hours", "sleep_hours")
	if !ok {
		return
	}
	start, end := 22*time.Hour, 8*time.Hour
	okS, okE := l.clock(file, sm, "start", &start), l.clock(file, sm, "end", &end)
	if !okS || !okE {
		return
	}
	if start == end || start == 24*time.Hour || end == 24*time.Hour {
		l.errf(file, sm.node, `give a start and end that differ, each "00:00" to "23:59"; start after end runs over midnight`, "sleep_hours %s to %s is not a stretch of the day", fmtClock(start), fmtClock(end))
		return
	}
	t.SleepStart, t.SleepEnd = start, end
}

func fmtClock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

func (l *loader) holidays(file string, n *yaml.Node, loc *time.Location) []Holiday {
	items, ok := l.list(file, n, "holidays", false)
	if !ok {
		return nil
	}
	var out []Holiday
	seen := map[string]bool{}
	for _, it := range items {
		h := Holiday{}
		dateNode := it
		if it.Kind == yaml.MappingNode {
			m, ok := l.mapping(file, it, "holidays[]", "a holiday")
			if !ok {
				continue
			}
			f, ok := l.need(file, m, "date", "a holiday", "e.g. {date: 2026-12-25, name: Christmas Day}")
			if !ok {
				continue
			}
			dateNode = f.val
			if nf, ok := m.get("name"); ok {
				h.Name, _ = l.str(file, nf.val, "name")
			}
		}
		s, ok := l.str(file, dateNode, "holiday")
		if !ok {
			continue
		}
		if _, err := time.ParseInLocation("2006-01-02", s, loc); err != nil {
			l.errf(file, dateNode, "write dates as YYYY-MM-DD, e.g. 2026-12-25", "holiday %q is not a date", s)
			continue
		}
		if seen[s] {
			l.errf(file, dateNode, "delete the repeat", "holiday %s is listed twice", s)
			continue
		}
		seen[s] = true
		h.Date = s
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out
}

// rotations reads the rotations: mapping, role name to rotation.
func (l *loader) rotations(file string, n *yaml.Node, t *Team) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		l.errf(file, n, "e.g. rotations: {primary: {members: [alice, bob], handoff: \"FREQ=WEEKLY;BYDAY=MO;BYHOUR=9\", start: 2026-11-02T09:00}}", "rotations must be a mapping of role name to rotation, not %s", kindName(n))
		return
	}
	sched := t.Schedule
	type follower struct {
		r    *rotation.Rotation
		node *yaml.Node
	}
	var followers []follower
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		role := k.Value
		if k.Kind != yaml.ScalarNode || !roleRE.MatchString(role) || role == "person" {
			l.errf(file, k, "role names are lower-case words such as primary, secondary, dba; \"person\" is reserved", "%q is not a valid role name", role)
			continue
		}
		if seen[role] {
			l.errf(file, k, "delete one of them", "rotation %q is defined twice", role)
			continue
		}
		seen[role] = true
		m, ok := l.mapping(file, v, "rotations.*", fmt.Sprintf("rotation %q", role))
		if !ok {
			continue
		}
		r := &rotation.Rotation{Role: role}
		if f, ok := m.get("follows"); ok {
			for _, key := range []string{"members", "handoff", "start", "end", "changes"} {
				if g, ok := m.get(key); ok {
					l.errf(file, g.key, "a rotation that follows another shares its members, handoffs and dates; remove "+key+" or remove follows", "rotation %q has both follows and %s", role, key)
				}
			}
			r.Follows, _ = l.str(file, f.val, "follows")
			r.Offset = 1
			if g, ok := m.get("offset"); ok {
				r.Offset, _ = l.integer(file, g.val, "offset", -1000, 1000)
			}
			followers = append(followers, follower{r, f.val})
			sched.Rotations = append(sched.Rotations, r)
			t.rotationPos[role] = Pos{file, k.Line, k.Column}
			continue
		}
		if g, ok := m.get("offset"); ok {
			l.errf(file, g.key, "offset only goes with follows", "rotation %q has offset but does not follow another rotation", role)
		}
		if !l.ownRotation(file, m, r, t) {
			t.brokenRoles[role] = true
			continue
		}
		sched.Rotations = append(sched.Rotations, r)
		t.rotationPos[role] = Pos{file, k.Line, k.Column}
	}
	for _, f := range followers {
		var target *rotation.Rotation
		for _, r := range sched.Rotations {
			if r.Role == f.r.Follows {
				target = r
			}
		}
		switch {
		case target == nil && t.brokenRoles[f.r.Follows]:
			// The followed rotation's own errors are reported already.
			t.brokenRoles[f.r.Role] = true
			l.dropRotation(t, f.r.Role)
		case target == nil:
			l.errf(file, f.node, rolesHint(f.r.Follows, sched), "rotation %q follows %q, which is not a rotation of this team", f.r.Role, f.r.Follows)
		case target == f.r:
			l.errf(file, f.node, "", "rotation %q follows itself", f.r.Role)
		case target.Follows != "":
			l.errf(file, f.node, fmt.Sprintf("follow %q instead", target.Follows), "rotation %q follows %q, which itself follows another rotation", f.r.Role, target.Role)
		default:
			f.r.Start, f.r.End = target.Start, target.End
		}
	}
}

func rolesHint(bad string, s *rotation.Schedule) string {
	roles := make([]string, len(s.Rotations))
	for i, r := range s.Rotations {
		roles[i] = r.Role
	}
	if sg := didyoumean.Closest(bad, roles); sg != "" {
		return fmt.Sprintf("did you mean %q?", sg)
	}
	if len(roles) == 0 {
		return "the team has no rotations"
	}
	return "this team's roles: " + strings.Join(roles, ", ")
}

// ownRotation reads a rotation with its own members and handoff rule.
func (l *loader) ownRotation(file string, m mapping, r *rotation.Rotation, t *Team) bool {
	what := fmt.Sprintf("rotation %q", r.Role)
	ok := true
	sf, okS := l.need(file, m, "start", what, "when the first member's first shift begins, e.g. start: 2026-11-02T09:00")
	if okS {
		r.Start, okS = l.timeIn(file, sf.val, "start", t.Location)
	}
	mf, okM := l.need(file, m, "members", what, "members: [alice, bob, carol, dave]")
	var members []string
	if okM {
		members, okM = l.members(file, mf.val)
	}
	hf, okH := l.need(file, m, "handoff", what, `an RRULE, e.g. handoff: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"`)
	if okH && okS {
		rule, okR := l.str(file, hf.val, "handoff")
		if okR {
			h, err := rotation.ParseHandoff(rule, r.Start, t.Location)
			if err != nil {
				l.errf(file, hf.val, `e.g. "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0" (RFC 5545 RRULE, without DTSTART)`, "%v", err)
				okH = false
			}
			r.Handoff = h
		} else {
			okH = false
		}
	}
	if f, has := m.get("end"); has && okS {
		end, okE := l.timeIn(file, f.val, "end", t.Location)
		if okE && !end.After(r.Start) {
			l.errf(file, f.val, "", "rotation %q ends before it starts", r.Role)
			okE = false
		}
		r.End = end
		ok = ok && okE
	}
	if !(okS && okM && okH && ok) {
		return false
	}
	r.Eras = []rotation.Era{{From: r.Start, Members: members}}
	if f, has := m.get("changes"); has {
		items, okL := l.list(file, f.val, "changes", false)
		if !okL {
			return false
		}
		for _, it := range items {
			cm, okC := l.mapping(file, it, "rotations.*.changes[]", "a members change")
			if !okC {
				ok = false
				continue
			}
			ff, okF := l.need(file, cm, "from", "a members change", "when the new list takes effect, e.g. from: 2027-01-04T09:00")
			mf, okM := l.need(file, cm, "members", "a members change", "the new list; its first member takes over at from")
			if !okF || !okM {
				ok = false
				continue
			}
			from, okF := l.timeIn(file, ff.val, "from", t.Location)
			mem, okM := l.members(file, mf.val)
			if !okF || !okM {
				ok = false
				continue
			}
			last := r.Eras[len(r.Eras)-1].From
			if !from.After(last) {
				l.errf(file, ff.val, "list changes in time order, each after the rotation's start", "members change from %s is not after %s", from.In(t.Location).Format("2006-01-02 15:04"), last.In(t.Location).Format("2006-01-02 15:04"))
				ok = false
				continue
			}
			if !r.End.IsZero() && !from.Before(r.End) {
				l.errf(file, ff.val, "", "members change from %s is after the rotation ends", from.In(t.Location).Format("2006-01-02 15:04"))
				ok = false
				continue
			}
			r.Eras = append(r.Eras, rotation.Era{From: from, Members: mem})
		}
	}
	return ok
}

func (l *loader) members(file string, n *yaml.Node) ([]string, bool) {
	items, ok := l.list(file, n, "members", false)
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		l.errf(file, n, "list at least one person", "members is empty")
		return nil, false
	}
	out := make([]string, 0, len(items))
	good := true
	for _, it := range items {
		id, ok := l.personRef(file, it, "member")
		if !ok {
			good = false
			continue
		}
		out = append(out, id)
	}
	return out, good
}

// dropRotation removes a rotation that turned out broken, so nothing pages
// from it; its errors are already reported.
func (l *loader) dropRotation(t *Team, role string) {
	rs := t.Schedule.Rotations
	for i, r := range rs {
		if r.Role == role {
			t.Schedule.Rotations = append(rs[:i:i], rs[i+1:]...)
			return
		}
	}
}

func (l *loader) rotationByRole(t *Team, role string) *rotation.Rotation {
	for _, r := range t.Schedule.Rotations {
		if r.Role == role {
			return r
		}
	}
	return nil
}

// roleRef checks a role name against the team's rotations.
func (l *loader) roleRef(file string, n *yaml.Node, t *Team, what string) (*rotation.Rotation, bool) {
	role, ok := l.str(file, n, what)
	if !ok {
		return nil, false
	}
	r := l.rotationByRole(t, role)
	if r == nil && t.brokenRoles[role] {
		return nil, false // reported where the rotation is defined
	}
	if r == nil {
		l.errf(file, n, rolesHint(role, t.Schedule), "%s %q is not a rotation of team %q", what, role, t.ID)
		return nil, false
	}
	return r, true
}

// window reads from/until and checks them against the rotation's life.
func (l *loader) window(file string, m mapping, what string, t *Team, r *rotation.Rotation) (from, until time.Time, ok bool) {
	ff, okF := l.need(file, m, "from", what, "e.g. from: 2026-11-24T18:00")
	uf, okU := l.need(file, m, "until", what, "e.g. until: 2026-11-25T09:00 (exclusive)")
	if !okF || !okU {
		return from, until, false
	}
	from, okF = l.timeIn(file, ff.val, "from", t.Location)
	until, okU = l.timeIn(file, uf.val, "until", t.Location)
	if !okF || !okU {
		return from, until, false
	}
	if !until.After(from) {
		l.errf(file, uf.val, "until is exclusive and must come after from", "%s ends before it starts", what)
		return from, until, false
	}
	if r == nil || r.Start.IsZero() {
		return from, until, true // the rotation's own errors are reported already
	}
	f := func(x time.Time) string { return x.In(t.Location).Format("2006-01-02 15:04") }
	life := "from " + f(r.Start)
	if !r.End.IsZero() {
		life += " until " + f(r.End)
	}
	if from.Before(r.Start) {
		l.errf(file, ff.val, fmt.Sprintf("rotation %q runs %s", r.Role, life), "%s starts at %s, before rotation %q starts", what, f(from), r.Role)
		return from, until, false
	}
	if !r.End.IsZero() && until.After(r.End) {
		l.errf(file, uf.val, fmt.Sprintf("rotation %q runs %s", r.Role, life), "%s runs until %s, after rotation %q ends", what, f(until), r.Role)
		return from, until, false
	}
	return from, until, true
}

func (l *loader) shadows(file string, n *yaml.Node, t *Team, roles []string) {
	items, ok := l.list(file, n, "shadows", false)
	if !ok {
		return
	}
	for _, it := range items {
		m, ok := l.mapping(file, it, "shadows[]", "a shadow")
		if !ok {
			continue
		}
		s := rotation.Shadow{}
		pf, okP := l.need(file, m, "person", "a shadow", "the person learning, e.g. person: erin")
		rf, okR := l.need(file, m, "role", "a shadow", "the role they shadow, e.g. role: primary")
		if okP {
			s.Person, okP = l.personRef(file, pf.val, "shadow")
		}
		var r *rotation.Rotation
		if okR {
			r, okR = l.roleRef(file, rf.val, t, "shadowed role")
			if okR {
				s.Role = r.Role
			}
		}
		if !okR {
			r = nil
		}
		from, until, okW := l.window(file, m, "shadow", t, r)
		s.From, s.Until = from, until
		if f, has := m.get("reverse"); has {
			s.Reverse, _ = l.boolean(file, f.val, "reverse")
		}
		if okP && okR && okW {
			t.Schedule.Shadows = append(t.Schedule.Shadows, s)
		}
	}
}

func (l *loader) overrides(file string, n *yaml.Node, t *Team, roles []string) {
	items, ok := l.list(file, n, "overrides", false)
	if !ok {
		return
	}
	type placed struct {
		o    rotation.Override
		node *yaml.Node
	}
	var all []placed
	for _, it := range items {
		m, ok := l.mapping(file, it, "overrides[]", "an override")
		if !ok {
			continue
		}
		o := rotation.Override{}
		rf, okR := l.need(file, m, "role", "an override", "the role covered, e.g. role: primary")
		pf, okP := l.need(file, m, "person", "an override", "who covers, e.g. person: bob")
		var r *rotation.Rotation
		if okR {
			r, okR = l.roleRef(file, rf.val, t, "overridden role")
			if okR {
				o.Role = r.Role
			}
		}
		if okP {
			o.Person, okP = l.personRef(file, pf.val, "override")
		}
		from, until, okW := l.window(file, m, "override", t, r)
		o.From, o.Until = from, until
		if f, has := m.get("note"); has {
			o.Note, _ = l.str(file, f.val, "note")
		}
		if okP && okR && okW {
			all = append(all, placed{o, it})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].o.From.Before(all[j].o.From) })
	lastByRole := map[string]placed{}
	for _, p := range all {
		if prev, ok := lastByRole[p.o.Role]; ok && p.o.From.Before(prev.o.Until) {
			l.errf(file, p.node, "two overrides can't hold one role at once; shorten one or merge them",
				"override of %s for %s overlaps the override for %s at line %d", p.o.Role, p.o.Person, prev.o.Person, prev.node.Line)
			continue
		}
		lastByRole[p.o.Role] = p
		t.Schedule.Overrides = append(t.Schedule.Overrides, p.o)
	}
}

func (l *loader) escalation(file string, n *yaml.Node, t *Team, roles []string) {
	m, ok := l.mapping(file, n, "escalation", "escalation")
	if !ok {
		return
	}
	p := escalation.Policy{}
	if f, has := m.get("repeat"); has {
		p.Repeat, _ = l.integer(file, f.val, "repeat", 0, 10)
	}
	if f, has := m.get("unreachable"); has {
		if v, ok := l.str(file, f.val, "unreachable"); ok {
			switch v {
			case "next_step":
			case "wait":
				p.WaitForTimeout = true
			default:
				l.errf(file, f.val, oneOfHint(v, []string{"next_step", "wait"}), "unreachable %q is not one of next_step, wait", v)
			}
		}
	}
	sf, ok := l.need(file, m, "steps", "escalation", "steps: [{notify: [primary], ack_timeout: 5m}, {notify: [secondary], ack_timeout: 5m}]")
	if !ok {
		return
	}
	items, ok := l.list(file, sf.val, "steps", false)
	if !ok {
		return
	}
	if len(items) == 0 {
		l.errf(file, sf.val, "add at least one step", "escalation has no steps, so nobody would be paged")
		return
	}
	good := true
	var last *yaml.Node
	for _, it := range items {
		sm, ok := l.mapping(file, it, "escalation.steps[]", "an escalation step")
		if !ok {
			good = false
			continue
		}
		last = it
		step := escalation.PolicyStep{}
		if f, ok := l.need(file, sm, "notify", "an escalation step", "notify: [primary] or notify: [secondary, person:frank]"); ok {
			targets, ok := l.list(file, f.val, "notify", true)
			if ok && len(targets) == 0 {
				l.errf(file, f.val, "name a role or person:<id>", "step notifies nobody")
				ok = false
			}
			good = good && ok
			for _, tn := range targets {
				tg, ok := l.target(file, tn, t)
				good = good && ok
				step.Targets = append(step.Targets, tg)
			}
		} else {
			good = false
		}
		if f, ok := l.need(file, sm, "ack_timeout", "an escalation step", "how long to wait for an ack before the next step, e.g. ack_timeout: 5m"); ok {
			step.AckTimeout, ok = l.duration(file, f.val, "ack_timeout", false)
			good = good && ok
		} else {
			good = false
		}
		p.Steps = append(p.Steps, step)
	}
	if !good {
		return
	}
	if err := p.Validate(); err != nil {
		l.errf(file, n, "", "escalation: %v", err)
		return
	}
	p.Low = t.Escalation.Low // set by urgency:, whichever comes first in the file
	t.Escalation = p
	if lastStep := p.Steps[len(p.Steps)-1]; len(lastStep.Targets) == 1 {
		l.warnf(RuleSingleLastStep, file, last, "add a second target to the last step (e.g. the secondary, or a manager) so a missed page still reaches someone",
			"escalation ends with a single person (%s)", targetString(lastStep.Targets[0]))
	}
}

func targetString(t escalation.Target) string {
	if t.Person != "" {
		return "person:" + t.Person
	}
	return t.Role
}

func (l *loader) target(file string, n *yaml.Node, t *Team) (escalation.Target, bool) {
	s, ok := l.str(file, n, "notify target")
	if !ok {
		return escalation.Target{}, false
	}
	if id, isPerson := strings.CutPrefix(s, "person:"); isPerson {
		id = strings.TrimSpace(id)
		if _, ok := l.peopleByID[id]; !ok {
			hint := "add them under people:"
			ids := make([]string, 0, len(l.peopleByID))
			for k := range l.peopleByID {
				ids = append(ids, k)
			}
			sort.Strings(ids)
			if sg := didyoumean.Closest(id, ids); sg != "" {
				hint = fmt.Sprintf("did you mean \"person:%s\"?", sg)
			}
			l.errf(file, n, hint, "escalation step names %q, who is not a person in the rota", id)
			return escalation.Target{}, false
		}
		return escalation.Target{Person: id}, true
	}
	if l.rotationByRole(t, s) == nil && t.brokenRoles[s] {
		return escalation.Target{}, false // reported where the rotation is defined
	}
	if l.rotationByRole(t, s) == nil {
		hint := rolesHint(s, t.Schedule)
		if _, isPerson := l.peopleByID[s]; isPerson {
			hint = fmt.Sprintf("to page a person directly write \"person:%s\"", s)
		}
		l.errf(file, n, hint, "escalation step notifies %q, which is not a rotation of team %q", s, t.ID)
		return escalation.Target{}, false
	}
	return escalation.Target{Role: s}, true
}

// urgency reads the urgency: block.
func (l *loader) urgency(file string, n *yaml.Node, t *Team) {
	m, ok := l.mapping(file, n, "urgency", "urgency")
	if !ok {
		return
	}
	u := &Urgency{OutOfHours: LowWait, AlertmanagerLabel: DefaultSeverityLabel}
	good := true
	if f, ok := l.need(file, m, "high", "urgency", "the severities that page at once, day or night, e.g. high: [critical, error]"); ok {
		items, ok := l.list(file, f.val, "high", true)
		good = good && ok
		for _, it := range items {
			s, ok := l.str(file, it, "severity")
			if !ok {
				good = false
				continue
			}
			if !slices.Contains(Severities, s) {
				l.errf(file, it, oneOfHint(s, Severities), "%q is not a severity (critical, error, warning, info)", s)
				good = false
				continue
			}
			if slices.Contains(u.High, s) {
				l.errf(file, it, "delete the repeat", "%s is listed twice", s)
				good = false
				continue
			}
			u.High = append(u.High, s)
		}
	} else {
		good = false
	}
	if f, has := m.get("low_out_of_hours"); has {
		if v, ok := l.str(file, f.val, "low_out_of_hours"); ok {
			switch v {
			case LowWait, LowSMS:
				u.OutOfHours = v
			default:
				l.errf(file, f.val, oneOfHint(v, []string{LowWait, LowSMS}), "low_out_of_hours %q is not one of wait (held until business hours), sms (texts, no calls)", v)
				good = false
			}
		} else {
			good = false
		}
	}
	if f, has := m.get("alertmanager_label"); has {
		if v, ok := l.str(file, f.val, "alertmanager_label"); ok {
			if !labelRE.MatchString(v) {
				l.errf(file, f.val, "a Prometheus label name: letters, digits and _, not starting with a digit", "alertmanager_label %q is not a label name", v)
				good = false
			}
			u.AlertmanagerLabel = v
		} else {
			good = false
		}
	}
	if !good {
		return
	}
	if len(u.High) == len(Severities) {
		l.warnf("urgency-all-high", file, m.node, "list only the severities that should wake someone; the others wait for business hours", "every severity is high urgency, so the urgency block changes nothing")
	}
	t.Urgency = u
	switch u.OutOfHours {
	case LowWait:
		t.Escalation.Low = escalation.LowUrgency{Hold: true}
	case LowSMS:
		t.Escalation.Low = escalation.LowUrgency{Methods: []escalation.Method{"sms"}}
	}
}

// labelRE is a Prometheus label name.
var labelRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// oneOfHint suggests the closest of the allowed values, or lists them.
func oneOfHint(got string, allowed []string) string {
	if s := didyoumean.Closest(got, allowed); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return "use one of " + strings.Join(allowed, ", ")
}
