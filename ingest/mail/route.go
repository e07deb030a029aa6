package mail

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pagerd/pagerd/rotafile"
)

// Match is the route a mail matched and what it says about the alert.
type Match struct {
	Team    string
	Route   string // the route's name, else "email route N": its 1-based position in the team's routes
	Resolve bool   // a resolve pattern matched: close the matching open alert
	Key     string // dedup key: the `key` group (subject, body, from, to), else the subject
	Summary string // the `summary` group (same order), else the subject
	// Refused says why the route, whose patterns matched, refuses the mail:
	// it requires authentication (require_auth) the mail doesn't have.
	// Routing stops there: a refused mail is not tried on later routes.
	Refused string
	// ResolveAny: a resolve may close an alert with the key that another
	// route (or HTTP) raised; by default only this route's own.
	ResolveAny bool
	Severity   string // the route's severity, "" for critical
}

// Route finds the first route the mail matches: teams in order, each team's
// routes in order, first match wins. Within a route the resolve patterns
// are tried before the trigger patterns, so a RECOVERY mail that a broad
// trigger pattern would also match closes the alert instead of raising
// one. ok is false when nothing matched: the mail is left alone. A route
// that requires authentication the mail lacks matches it refused (see
// Match.Refused).
func Route(r *rotafile.Rota, m Message) (Match, bool) {
	if r == nil {
		return Match{}, false
	}
	for _, t := range r.Teams {
		if t == nil {
			continue
		}
		for i, rt := range t.Routes {
			name := rt.Name
			if name == "" {
				name = fmt.Sprintf("email route %d", i+1)
			}
			var res Match
			if g, ok := match(rt.Resolve, m); ok {
				res = result(t.ID, name, true, g, m)
			} else if g, ok := match(rt.Email, m); ok {
				res = result(t.ID, name, false, g, m)
			} else {
				continue
			}
			res.ResolveAny = rt.ResolveAny
			if !res.Resolve {
				res.Severity = rt.Severity
			}
			if len(rt.RequireAuth) > 0 {
				if ok, why := Authenticated(m, rt.RequireAuth, rt.AuthServID); !ok {
					res.Refused = why
				}
			}
			return res, true
		}
	}
	return Match{}, false
}

// groups holds the named groups one EmailMatch captured, per field.
type groups struct {
	subject, body, from, to map[string]string
}

// match reports whether every non-nil pattern of em matches m. A nil
// EmailMatch (an HTTP route, a route without resolve) matches nothing.
func match(em *rotafile.EmailMatch, m Message) (groups, bool) {
	var g groups
	if em == nil {
		return g, false
	}
	var ok bool
	if g.subject, ok = capture(em.Subject, m.Subject); !ok {
		return g, false
	}
	if g.from, ok = capture(em.From, m.From); !ok {
		return g, false
	}
	if em.To != nil {
		// Any recipient will do; the first that matches gives the groups.
		ok = false
		for _, to := range m.To {
			if g.to, ok = capture(em.To, to); ok {
				break
			}
		}
		if !ok {
			return g, false
		}
	}
	// The body last: it is the largest text to scan.
	if g.body, ok = capture(em.Body, m.Body); !ok {
		return g, false
	}
	return g, true
}

// capture matches re against s and returns its non-empty named groups. A
// nil pattern matches anything and captures nothing.
func capture(re *regexp.Regexp, s string) (map[string]string, bool) {
	if re == nil {
		return nil, true
	}
	sub := re.FindStringSubmatch(s)
	if sub == nil {
		return nil, false
	}
	var out map[string]string
	for i, name := range re.SubexpNames() {
		if name == "" {
			continue
		}
		if v := strings.TrimSpace(sub[i]); v != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[name] = v
		}
	}
	return out, true
}

func result(team, route string, resolve bool, g groups, m Message) Match {
	subject := strings.TrimSpace(m.Subject)
	return Match{
		Team:    team,
		Route:   route,
		Resolve: resolve,
		Key:     g.first("key", subject),
		Summary: g.first("summary", subject),
	}
}

// first returns the named group from the first field that captured it,
// subject first since that is where monitors put the host and check.
func (g groups) first(name, def string) string {
	for _, fg := range []map[string]string{g.subject, g.body, g.from, g.to} {
		if v, ok := fg[name]; ok {
			// A key or summary from a (?s) body pattern may span lines;
			// both end up in SMS and in dedup lookups as one line.
			return oneLine(v)
		}
	}
	return def
}
