package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Role is what an operator may do. Each role may do what the ones before
// it may.
type Role int

// The roles, weakest first.
const (
	RoleReadOnly  Role = iota + 1 // read alerts, who is on call, pay reports
	RoleResponder                 // and ack, resolve, escalate; raise alerts naming a team
	RoleAdmin                     // and snapshots, ledger corrections, calendar URLs
)

var roleNames = map[Role]string{RoleReadOnly: "read-only", RoleResponder: "responder", RoleAdmin: "admin"}

func (r Role) String() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return fmt.Sprintf("role(%d)", int(r))
}

// ParseRole reads a role's name.
func ParseRole(s string) (Role, bool) {
	for r, n := range roleNames {
		if n == s {
			return r, true
		}
	}
	return 0, false
}

// Operator is someone (or something: a script, a CI job) that uses the
// operator API with a token of their own. Their name is the actor on every
// timeline entry and ledger correction they make.
type Operator struct {
	Name string
	Role Role
	sum  [32]byte // SHA-256 of the token: the token itself is never kept
}

// NewOperator is an operator authenticated by token.
func NewOperator(name string, role Role, token string) Operator {
	return Operator{Name: name, Role: role, sum: sha256.Sum256([]byte(token))}
}

// SharedTokenName is the operator name of the single --api-token-file
// token: who used it can't be told apart, so the name says so.
const SharedTokenName = "api-token"

// Anonymous is the actor when no token is configured at all: pagerd then
// listens on loopback only (or was told --insecure-no-auth), and nobody
// is authenticated.
const Anonymous = "anonymous"

// MinTokenLen is the least length of a token written in a tokens file:
// shorter ones can be guessed.
const MinTokenLen = 16

var (
	operatorNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	sha256RE       = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// ParseOperators reads a tokens file: a YAML list of operators, each with
// a name, a role and either the token or its SHA-256 in hex (printf %s
// "$TOKEN" | sha256sum):
//
//   - {name: alice, role: responder, token_sha256: 5e8848...}
//   - {name: nightly-report, role: read-only, token: kq3...}
//
// Errors name the entry and never quote a token.
func ParseOperators(data []byte) ([]Operator, error) {
	type entry struct {
		Name        string `yaml:"name"`
		Role        string `yaml:"role"`
		Token       string `yaml:"token"`
		TokenSHA256 string `yaml:"token_sha256"`
	}
	var entries []entry
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&entries); err != nil && !errors.Is(err, io.EOF) {
		// yaml.v3's messages quote keys and types, not values.
		return nil, fmt.Errorf("tokens file: want a list of {name, role, token or token_sha256}: %w", err)
	}
	if len(entries) == 0 {
		return nil, errors.New("tokens file names no operator")
	}
	var ops []Operator
	names := map[string]bool{}
	sums := map[[32]byte]string{}
	for i, e := range entries {
		where := fmt.Sprintf("tokens file entry %d", i+1)
		if !operatorNameRE.MatchString(e.Name) {
			return nil, fmt.Errorf("%s: name %q: use lower-case letters, digits, '.', '_' or '-'", where, e.Name)
		}
		where += " (" + e.Name + ")"
		if names[e.Name] || e.Name == SharedTokenName || e.Name == Anonymous {
			return nil, fmt.Errorf("%s: the name is taken", where)
		}
		names[e.Name] = true
		role, ok := ParseRole(e.Role)
		if !ok {
			return nil, fmt.Errorf("%s: role %q: want read-only, responder or admin", where, e.Role)
		}
		op := Operator{Name: e.Name, Role: role}
		token, hash := strings.TrimSpace(e.Token), strings.ToLower(strings.TrimSpace(e.TokenSHA256))
		switch {
		case (token == "") == (hash == ""):
			return nil, fmt.Errorf("%s: give exactly one of token or token_sha256", where)
		case token != "" && len(token) < MinTokenLen:
			return nil, fmt.Errorf("%s: the token is shorter than %d characters", where, MinTokenLen)
		case token != "":
			op.sum = sha256.Sum256([]byte(token))
		case !sha256RE.MatchString(hash):
			return nil, fmt.Errorf("%s: token_sha256 is not 64 hex digits", where)
		default:
			if _, err := hex.Decode(op.sum[:], []byte(hash)); err != nil {
				return nil, fmt.Errorf("%s: token_sha256: %w", where, err)
			}
		}
		if other, dup := sums[op.sum]; dup {
			return nil, fmt.Errorf("%s has the same token as %s: give each operator their own", where, other)
		}
		sums[op.sum] = e.Name
		ops = append(ops, op)
	}
	return ops, nil
}

// auth holds who may use the operator API. With nobody configured, every
// request is the Anonymous admin.
type auth struct{ ops []Operator }

func (s *Server) auth() auth {
	ops := s.Operators
	if s.APIToken != "" {
		ops = append(ops[:len(ops):len(ops)], NewOperator(SharedTokenName, RoleAdmin, s.APIToken))
	}
	return auth{ops: ops}
}

// open reports whether no token is configured.
func (a auth) open() bool { return len(a.ops) == 0 }

// who finds the operator whose token the request carries. Every operator
// is compared, in constant time, so timing tells nothing about which
// token came close.
func (a auth) who(r *http.Request) (Operator, bool) {
	if a.open() {
		return Operator{Name: Anonymous, Role: RoleAdmin}, true
	}
	return a.byToken(bearer(r))
}

// byToken finds the operator whose token is tok (never Anonymous).
func (a auth) byToken(tok string) (Operator, bool) {
	if tok == "" {
		return Operator{}, false
	}
	sum := sha256.Sum256([]byte(tok))
	var found Operator
	n := 0
	for _, op := range a.ops {
		if subtle.ConstantTimeCompare(sum[:], op.sum[:]) == 1 {
			found = op
			n++
		}
	}
	return found, n == 1
}

type operatorKey struct{}

// operatorOf is the authenticated operator of a request that passed
// require.
func operatorOf(r *http.Request) Operator {
	op, _ := r.Context().Value(operatorKey{}).(Operator)
	return op
}

// require serves h only to an operator with at least role: 401 without a
// known token, 403 with a token whose role is too weak. h finds the
// operator with operatorOf.
func (s *Server) require(role Role, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		op, ok := s.authn.who(r)
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong API token (Authorization: Bearer ...)"})
			return
		}
		if op.Role < role {
			s.Log.Warn("operator refused: role too weak", "operator", op.Name, "role", op.Role.String(), "needs", role.String(), "method", r.Method, "path", r.URL.Path)
			writeJSON(w, http.StatusForbidden, map[string]string{"error": fmt.Sprintf("this needs the %s role; %s is %s", role, op.Name, op.Role)})
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), operatorKey{}, op)))
	}
}

// operator serves h to any authenticated operator (read-only and up).
func (s *Server) operator(h http.HandlerFunc) http.HandlerFunc { return s.require(RoleReadOnly, h) }

// responder serves h to responders and admins.
func (s *Server) responder(h http.HandlerFunc) http.HandlerFunc { return s.require(RoleResponder, h) }

// admin serves h to admins only.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc { return s.require(RoleAdmin, h) }

// Tokens checks operator tokens at a door other than the API's (the web
// console's sign-in), with the same operators and the same rules.
type Tokens struct{ a auth }

// Tokens returns the operators this server was configured with.
func (s *Server) Tokens() Tokens { return Tokens{s.auth()} }

// Open reports whether no token is configured: everyone is the Anonymous
// admin.
func (t Tokens) Open() bool { return t.a.open() }

// Check finds the operator whose token is token. It is false when no
// token is configured: there is nobody to sign in as.
func (t Tokens) Check(token string) (Operator, bool) { return t.a.byToken(token) }

// Lookup finds an operator by name, with a key for signing what is issued
// to them (web sessions). The key is derived from their token, so a new
// token, or the operator's removal, ends everything signed with the old
// one; it reveals nothing about the token.
func (t Tokens) Lookup(name string) (op Operator, key []byte, ok bool) {
	for _, o := range t.a.ops {
		if o.Name == name {
			m := hmac.New(sha256.New, o.sum[:])
			m.Write([]byte("pagerd web session v1"))
			return o, m.Sum(nil), true
		}
	}
	return Operator{}, nil, false
}
