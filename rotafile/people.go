package rotafile

import (
	"fmt"
	"sort"
	"time"

	"github.com/pagerd/pagerd/didyoumean"
	"gopkg.in/yaml.v3"
)

// people reads a people: list.
func (l *loader) people(file string, n *yaml.Node) {
	items, ok := l.list(file, n, "people", false)
	if !ok {
		return
	}
	for _, item := range items {
		m, ok := l.mapping(file, item, "people[]", "a person")
		if !ok {
			continue
		}
		l.person(file, m)
	}
}

func (l *loader) person(file string, m mapping) {
	idf, ok := l.need(file, m, "id", "a person", `give each person a short unique id, e.g. "id: alice"`)
	if !ok {
		return
	}
	id, ok := l.str(file, idf.val, "person id")
	if !ok {
		return
	}
	if !idRE.MatchString(id) {
		l.errf(file, idf.val, "use lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", "person id %q is not a valid id", id)
		return
	}
	if prev, dup := l.peopleByID[id]; dup {
		l.errf(file, idf.val, "ids must be unique across all rota files", "person %q is defined twice (first at %s:%d:%d)", id, prev.Pos.File, prev.Pos.Line, prev.Pos.Col)
		return
	}
	p := &Person{ID: id, Pos: Pos{file, idf.val.Line, idf.val.Column}}
	if f, ok := l.need(file, m, "name", fmt.Sprintf("person %q", id), `e.g. "name: Alice Archer"`); ok {
		p.Name, _ = l.str(file, f.val, "name") // l.str reports a bad value itself
	}
	if f, ok := l.need(file, m, "timezone", fmt.Sprintf("person %q", id), `their home zone, e.g. "timezone: Europe/London"; times in their messages are shown in it`); ok {
		p.Location, _ = l.location(file, f.val, "timezone") // reported by l.location
	}
	if f, ok := l.need(file, m, "contacts", fmt.Sprintf("person %q", id), `e.g. contacts: {sms: "+447700900123", voice: "+447700900123"}`); ok {
		if cm, ok := l.mapping(file, f.val, "people[].contacts", "contacts"); ok {
			invalid := false
			for _, method := range []string{"sms", "voice"} {
				cf, ok := cm.get(method)
				if !ok {
					continue
				}
				num, ok := l.str(file, cf.val, method+" number")
				if !ok {
					invalid = true
					continue
				}
				if !e164RE.MatchString(num) {
					invalid = true
					l.errf(file, cf.val, `write it in E.164: a plus, the country code, then the number with no spaces or leading 0, e.g. "+447700900123"`, "%s number %q is not an E.164 phone number", method, num)
					continue
				}
				if method == "sms" {
					p.SMS = num
				} else {
					p.Voice = num
				}
			}
			if p.SMS == "" && p.Voice == "" && !invalid {
				l.errf(file, f.val, "add an sms or voice number", "person %q has no contact number, so they can't be paged", id)
			}
		}
	}
	if f, ok := m.get("notify"); ok {
		p.Notify, _ = l.notifyRules(file, f.val, p)
	} else {
		// The default: a text at once, then a call two minutes later.
		if p.SMS != "" {
			p.Notify = append(p.Notify, NotifyRule{Method: "sms"})
		}
		if p.Voice != "" {
			after := defaultVoiceDelay
			if p.SMS == "" {
				after = 0
			}
			p.Notify = append(p.Notify, NotifyRule{Method: "voice", After: after})
		}
	}
	// A person with errors is still registered (their errors are already
	// reported), so references to them don't pile up errors hiding the real one.
	l.peopleByID[id] = p
}

// defaultVoiceDelay is how long after the text a call follows, by default.
const defaultVoiceDelay = 2 * time.Minute

func (l *loader) notifyRules(file string, n *yaml.Node, p *Person) ([]NotifyRule, bool) {
	items, ok := l.list(file, n, "notify", false)
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		l.errf(file, n, "remove notify: to get the default (sms at once, a call after 2m)", "notify is empty, so %q would never be paged", p.ID)
		return nil, false
	}
	var rules []NotifyRule
	good := true
	for _, item := range items {
		m, ok := l.mapping(file, item, "people[].notify[]", "a notification rule")
		if !ok {
			good = false
			continue
		}
		r := NotifyRule{}
		if f, ok := l.need(file, m, "method", "a notification rule", "method: sms or method: voice"); ok {
			method, ok := l.str(file, f.val, "method")
			switch {
			case !ok:
				good = false
			case method != "sms" && method != "voice":
				hint := "use sms or voice"
				if s := didyoumean.Closest(method, []string{"sms", "voice"}); s != "" {
					hint = fmt.Sprintf("did you mean %q?", s)
				}
				l.errf(file, f.val, hint, "unknown notification method %q", method)
				good = false
			case method == "sms" && p.SMS == "", method == "voice" && p.Voice == "":
				l.errf(file, f.val, fmt.Sprintf("add contacts: {%s: \"+...\"} for this person", method), "%q has no %s number for this rule", p.ID, method)
				good = false
			default:
				r.Method = method
			}
		} else {
			good = false
		}
		if f, ok := m.get("after"); ok {
			d, ok := l.duration(file, f.val, "after", true)
			good = good && ok
			r.After = d
		}
		rules = append(rules, r)
	}
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].After < rules[j].After })
	return rules, good
}
