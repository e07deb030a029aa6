package rotafile

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

func (l *loader) routes(file string, n *yaml.Node, t *Team) {
	items, ok := l.list(file, n, "routes", false)
	if !ok {
		return
	}
	for _, it := range items {
		m, ok := l.mapping(file, it, "routes[]", "a route")
		if !ok {
			continue
		}
		r := Route{}
		if f, has := m.get("name"); has {
			r.Name, _ = l.str(file, f.val, "name")
		}
		ef, hasE := m.get("email")
		hf, hasH := m.get("http")
		switch {
		case hasE == hasH:
			l.errf(file, it, "a route has either email: {...} or http: {...}", "a route needs exactly one of email or http")
			continue
		case hasE:
			r.Email = l.emailMatch(file, ef.val, "routes[].email", "email")
		case hasH:
			r.HTTP = l.httpRoute(file, hf.val)
		}
		if f, has := m.get("severity"); has {
			switch s, ok := l.str(file, f.val, "severity"); {
			case !ok:
			case !hasE:
				l.errf(file, f.key, "HTTP alerts carry their own severity in the payload", "severity only goes with an email route")
			case !slices.Contains(Severities, s):
				l.errf(file, f.val, oneOfHint(s, Severities), "%q is not a severity (critical, error, warning, info)", s)
			default:
				r.Severity = s
			}
		}
		if f, has := m.get("resolve"); has {
			if !hasE {
				l.errf(file, f.key, "HTTP alerts resolve with action: resolve in the payload", "resolve patterns only go with an email route")
			} else {
				r.Resolve = l.emailMatch(file, f.val, "routes[].resolve", "resolve")
			}
		}
		l.routeAuth(file, m, &r, hasE)
		t.Routes = append(t.Routes, r)
	}
}

// routeAuth reads an email route's require_auth, authserv_id and
// resolve_any.
func (l *loader) routeAuth(file string, m mapping, r *Route, email bool) {
	for _, key := range []string{"require_auth", "authserv_id", "resolve_any"} {
		if f, has := m.get(key); has && !email {
			l.errf(file, f.key, "HTTP routes are authenticated by their integration key", "%s only goes with an email route", key)
			return
		}
	}
	af, hasA := m.get("require_auth")
	sf, hasS := m.get("authserv_id")
	if f, has := m.get("resolve_any"); has {
		r.ResolveAny, _ = l.boolean(file, f.val, "resolve_any")
		if r.ResolveAny && r.Resolve == nil {
			l.errf(file, f.key, "resolve_any says what this route's resolve patterns may close; add resolve: or remove it", "resolve_any without resolve patterns")
		}
	}
	switch {
	case hasA && !hasS:
		l.errf(file, af.key, "the id your receiving mail server writes at the start of its Authentication-Results header, e.g. authserv_id: mx.example.com; results from any other server are not trusted",
			"require_auth needs authserv_id")
		return
	case hasS && !hasA:
		l.errf(file, sf.key, "e.g. require_auth: dmarc", "authserv_id only goes with require_auth")
		return
	case !hasA:
		return
	}
	r.AuthServID, _ = l.str(file, sf.val, "authserv_id")
	if strings.TrimSpace(r.AuthServID) == "" || strings.ContainsAny(r.AuthServID, " \t;") {
		l.errf(file, sf.val, "e.g. authserv_id: mx.example.com", "authserv_id %q is not a host name", r.AuthServID)
	}
	items, ok := l.list(file, af.val, "require_auth", true)
	if !ok {
		return
	}
	for _, it := range items {
		v, ok := l.str(file, it, "require_auth")
		if !ok {
			continue
		}
		switch {
		case !slices.Contains(AuthMethods, v):
			l.errf(file, it, "require_auth is dkim, spf or dmarc, or a list of them (each must pass)", "%q is not an authentication method", v)
		case slices.Contains(r.RequireAuth, v):
			l.errf(file, it, "delete the repeat", "%s is listed twice", v)
		default:
			r.RequireAuth = append(r.RequireAuth, v)
		}
	}
	if len(r.RequireAuth) == 0 {
		l.errf(file, af.val, "e.g. require_auth: dmarc", "require_auth names no method")
	}
}

func (l *loader) emailMatch(file string, n *yaml.Node, path, what string) *EmailMatch {
	m, ok := l.mapping(file, n, path, what)
	if !ok {
		return nil
	}
	em := &EmailMatch{}
	for _, key := range []string{"from", "to", "subject", "body"} {
		f, has := m.get(key)
		if !has {
			continue
		}
		src, ok := l.str(file, f.val, key+" pattern")
		if !ok {
			continue
		}
		re, err := regexp.Compile(src)
		if err != nil {
			l.errf(file, f.val, "patterns are RE2 regular expressions; quote them in single quotes so YAML leaves backslashes alone", "%s pattern: %v", key, err)
			continue
		}
		for _, name := range re.SubexpNames() {
			if name != "" && name != "key" && name != "summary" {
				l.errf(file, f.val, "name groups (?P<key>...) for the dedup key or (?P<summary>...) for the summary", "%s pattern has a group named %q", key, name)
			}
		}
		switch key {
		case "from":
			em.From = re
		case "to":
			em.To = re
		case "subject":
			em.Subject = re
		case "body":
			em.Body = re
		}
	}
	if em.From == nil && em.To == nil && em.Subject == nil && em.Body == nil {
		l.errf(file, n, "match at least one of from, to, subject or body", "%s has no patterns, so it would match every mail", what)
		return nil
	}
	return em
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (l *loader) httpRoute(file string, n *yaml.Node) *HTTPRoute {
	m, ok := l.mapping(file, n, "routes[].http", "http")
	if !ok {
		return nil
	}
	h := &HTTPRoute{}
	ef, hasE := m.get("key_env")
	ff, hasF := m.get("key_file")
	if hasE == hasF {
		l.errf(file, n, "secrets never live in rota files: name the environment variable (key_env) or the file (key_file) that holds the key", "http needs exactly one of key_env or key_file")
		return nil
	}
	if hasE {
		h.KeyEnv, ok = l.str(file, ef.val, "key_env")
		if ok && !envNameRE.MatchString(h.KeyEnv) {
			l.errf(file, ef.val, "e.g. key_env: PAYMENTS_INTEGRATION_KEY", "key_env %q is not an environment variable name", h.KeyEnv)
		}
	} else {
		h.KeyFile, _ = l.str(file, ff.val, "key_file")
	}
	return h
}

func (l *loader) pay(file string, n *yaml.Node, t *Team) {
	m, ok := l.mapping(file, n, "pay", "pay")
	if !ok {
		return
	}
	p := &Pay{}
	if f, ok := l.need(file, m, "currency", "pay", "an ISO 4217 code, e.g. currency: GBP"); ok {
		c, ok := l.str(file, f.val, "currency")
		switch {
		case !ok:
		case len(c) != 3 || strings.ToUpper(c) != c:
			l.errf(file, f.val, "an ISO 4217 code, e.g. GBP, EUR, USD", "currency %q is not a currency code", c)
		case strings.Contains(notHundredths, c):
			l.errf(file, f.val, "pay is kept exactly in hundredths of the currency; currencies with no minor unit or with thousandths are not supported yet",
				"currency %s does not have two decimal places", c)
		}
		p.Currency = c
	}
	l.rates(file, m, p, "pay.standby_per_hour")
	if f, ok := m.get("people"); ok {
		l.personRates(file, f.val, p)
	}
	if f, ok := m.get("toil"); ok {
		p.TOIL = l.toil(file, f.val)
	}
	t.Pay = p
}

// toil reads pay.toil: time off in lieu, in hours, not money.
func (l *loader) toil(file string, n *yaml.Node) *TOIL {
	m, ok := l.mapping(file, n, "pay.toil", "toil")
	if !ok {
		return nil
	}
	out := &TOIL{}
	if f, ok := m.get("holiday_engaged"); ok {
		// A factor such as 1.5, read exactly as thousandths.
		if s, ok := l.str(file, f.val, "holiday_engaged"); ok {
			v, err := ParseMoney(s) // hundredths, exactly: 1.5 -> 150
			if err != nil || v > 1000 {
				l.errf(file, f.val, "hours off per hour engaged on a holiday, e.g. 1.5 (at most 10, two decimals)", "holiday_engaged %q is not a factor", s)
			} else {
				out.HolidayEngagedPercent = v
			}
		}
	}
	if f, ok := m.get("sleep_interruption"); ok {
		if d, ok := l.duration(file, f.val, "sleep_interruption", false); ok {
			if d > 24*time.Hour || d%time.Minute != 0 {
				l.errf(file, f.val, "whole minutes up to 24h, e.g. 2h", "sleep_interruption %v is not a late start", d)
			} else {
				out.SleepNight = d
			}
		}
	}
	return out
}

// rates reads the rate keys of a pay block (the team's, or a person's) into
// p, leaving what the block doesn't give as it is.
func (l *loader) rates(file string, m mapping, p *Pay, standbyPath string) {
	money := func(m mapping, key string, dst *int64) {
		if f, ok := m.get(key); ok {
			*dst, _ = l.money(file, f.val, key)
		}
	}
	if f, ok := m.get("standby_per_hour"); ok {
		if sm, ok := l.mapping(file, f.val, standbyPath, "standby_per_hour"); ok {
			money(sm, "weekday_out_of_hours", &p.StandbyWeekdayOOH)
			money(sm, "weekend", &p.StandbyWeekend)
			money(sm, "holiday", &p.StandbyHoliday)
		}
	}
	money(m, "engaged_per_hour", &p.EngagedPerHour)
	money(m, "shadow_per_hour", &p.ShadowPerHour)
	money(m, "max_per_day", &p.MaxPerDay)
	if f, ok := m.get("minimum_callout_minutes"); ok {
		p.MinimumCalloutMinutes, _ = l.integer(file, f.val, "minimum_callout_minutes", 0, 24*60)
	}
}

// personRates reads pay.people: a person's rates start as the team's and
// change what the person's block gives.
func (l *loader) personRates(file string, n *yaml.Node, team *Pay) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		l.errf(file, n, "e.g. people: {alice: {engaged_per_hour: 35.00}}", "pay people must be a mapping of person to rates, not %s", kindName(n))
		return
	}
	team.People = map[string]*Pay{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		id, ok := l.personRef(file, k, "pay for")
		if !ok {
			continue
		}
		m, ok := l.mapping(file, v, "pay.people.*", fmt.Sprintf("%s's pay", id))
		if !ok {
			continue
		}
		own := *team
		own.People = nil
		l.rates(file, m, &own, "pay.people.*.standby_per_hour")
		team.People[id] = &own
	}
}

// notHundredths lists ISO 4217 currencies whose minor unit is not 1/100
// (none, as JPY; or 1/1000, as KWD), which ParseMoney would misread.
const notHundredths = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF BHD IQD JOD KWD LYD OMR TND"

// money reads an amount such as 2.50 into minor units (250), exactly: never
// through a float.
func (l *loader) money(file string, n *yaml.Node, what string) (int64, bool) {
	s, ok := l.str(file, n, what)
	if !ok {
		return 0, false
	}
	v, err := ParseMoney(s)
	if err != nil {
		l.errf(file, n, "write an amount with at most two decimals, e.g. 2.50", "%s: %v", what, err)
		return 0, false
	}
	return v, true
}

// ParseMoney reads a non-negative decimal amount with up to two decimals into
// minor units.
func ParseMoney(s string) (int64, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" || len(frac) > 2 || strings.HasPrefix(whole, "+") || strings.HasPrefix(whole, "-") {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	w, err := strconv.ParseUint(whole, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	var f uint64
	if frac != "" {
		if f, err = strconv.ParseUint(frac, 10, 8); err != nil {
			return 0, fmt.Errorf("%q is not an amount", s)
		}
		if len(frac) == 1 {
			f *= 10
		}
	}
	return int64(w*100 + f), nil
}
