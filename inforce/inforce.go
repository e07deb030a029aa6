// Package inforce holds the rota in force on this node: a checked rota at
// the cluster revision it was published at, with its integration keys and
// phone numbers indexed, and the escalation machine's view of it (Env).
package inforce

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/rotafile"
)

// Rota is a checked rota with the cluster revision it was published at.
type Rota struct {
	*rotafile.Rota
	Rev int64

	keys    []routeKey        // HTTP integration keys, hashed
	numbers map[string]string // phone number -> person id, for replies
}

type routeKey struct {
	sum  [32]byte
	team string
}

// New wraps a loaded rota, reading the integration keys its HTTP routes
// name from the environment or files. A key that can't be read disables
// that route and is logged, rather than failing the whole rotafile.
func New(r *rotafile.Rota, rev int64, log *slog.Logger) *Rota {
	out := &Rota{Rota: r, Rev: rev, numbers: map[string]string{}}
	for _, p := range r.People {
		for _, n := range []string{p.SMS, p.Voice} {
			if n == "" {
				continue
			}
			if other, ok := out.numbers[n]; ok && other != p.ID {
				// A shared phone: replies from it can't say who acked.
				log.Warn("two people share a phone number; replies from it are not taken", "number", n, "people", []string{other, p.ID})
				out.numbers[n] = ""
				continue
			}
			out.numbers[n] = p.ID
		}
	}
	for _, t := range r.Teams {
		for _, rt := range t.Routes {
			if rt.HTTP == nil {
				continue
			}
			key, err := readKey(rt.HTTP)
			if err != nil {
				log.Warn("integration route disabled: its key can't be read", "team", t.ID, "route", rt.Name, "err", err)
				continue
			}
			out.keys = append(out.keys, routeKey{sha256.Sum256([]byte(key)), t.ID})
		}
	}
	return out
}

func readKey(h *rotafile.HTTPRoute) (string, error) {
	if h.KeyEnv != "" {
		v := os.Getenv(h.KeyEnv)
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty or unset", h.KeyEnv)
		}
		return v, nil
	}
	b, err := os.ReadFile(h.KeyFile)
	if err != nil {
		return "", fmt.Errorf("read key file: %w", err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("key file %s is empty", h.KeyFile)
	}
	return v, nil
}

// TeamForKey finds the team whose integration key is key. Every key is
// compared, in constant time, so timing tells nothing about near misses.
func (r *Rota) TeamForKey(key string) (string, bool) {
	sum := sha256.Sum256([]byte(key))
	team, found := "", 0
	for _, k := range r.keys {
		if subtle.ConstantTimeCompare(sum[:], k.sum[:]) == 1 {
			team, found = k.team, 1
		}
	}
	return team, found == 1 && key != ""
}

// PersonByNumber finds whose phone number n is.
func (r *Rota) PersonByNumber(n string) (string, bool) {
	id := r.numbers[n]
	return id, id != ""
}

// Env is the escalation machine's view of the world for one team.
type Env struct {
	Rota *Rota
	Team *rotafile.Team
}

// Resolve answers who a target is at an instant: a role's holder and its
// shadows, or a person.
func (e Env) Resolve(t escalation.Target, at time.Time) []escalation.Recipient {
	if t.Person != "" {
		if _, ok := e.Rota.People[t.Person]; !ok {
			return nil
		}
		return []escalation.Recipient{{Person: t.Person}}
	}
	var out []escalation.Recipient
	if h, ok := e.Team.Schedule.Holder(t.Role, at); ok {
		out = append(out, escalation.Recipient{Person: h.Person, Role: t.Role})
	}
	for _, s := range e.Team.Schedule.ShadowsAt(t.Role, at) {
		out = append(out, escalation.Recipient{Person: s.Person, Role: t.Role, Shadow: true, Reverse: s.Reverse})
	}
	return out
}

// Rules are a person's notification rules.
func (e Env) Rules(person string) []escalation.Rule {
	p, ok := e.Rota.People[person]
	if !ok {
		return nil
	}
	out := make([]escalation.Rule, len(p.Notify))
	for i, r := range p.Notify {
		out[i] = escalation.Rule{Method: escalation.Method(r.Method), After: r.After}
	}
	return out
}

// BusinessHours answers the machine's question about the team's business
// hours (escalation.Hours), for low-urgency alerts.
func (e Env) BusinessHours(at time.Time) (bool, time.Time) {
	open, next, err := e.Team.Calendar().Open(at)
	if err != nil {
		// The loader checked the calendar, so this can't happen; should it,
		// paging beats holding an alert for hours nobody can compute.
		return true, time.Time{}
	}
	return open, next
}

var _ escalation.Hours = Env{}

// Current is the rota in force on this node, swapped atomically when a new
// revision is published.
type Current struct {
	p       atomic.Pointer[Rota]
	mu      sync.Mutex
	changed chan struct{} // closed by the next Set
}

// Get returns the rota in force, or nil before the first one.
func (c *Current) Get() *Rota { return c.p.Load() }

// Set puts r in force.
func (c *Current) Set(r *Rota) {
	c.p.Store(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// Changed is closed when the next rota is put in force: work planned
// from the rota (handoff notices) plans again. Take it before Get, so a
// Set between the two is not missed.
func (c *Current) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	return c.changed
}
