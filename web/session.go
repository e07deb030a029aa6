package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pagerd/pagerd/api"
)

// Sessions are signed cookies, not server state: any node of the cluster
// can check one (the key is the cluster's, store.WebKey), and a restart
// signs nobody out. A session names its operator, whose role is read from
// the tokens in force at each request, so a role change applies at once;
// the signature also covers a key derived from the operator's token
// (api.Tokens.Lookup), so a new token or a removed operator ends their
// sessions. Signing out clears the cookie on that browser; a stolen cookie
// is ended by giving the operator a new token.

const (
	sessionCookie = "pagerd_session"
	// signinCookie carries the sign-in form's CSRF token before there is
	// a session (double submit: the form's field must equal it).
	signinCookie = "pagerd_signin"
	// SessionTTL is how long a sign-in lasts. On-call people open the
	// console on a phone at night: asking for a 32-character token every
	// morning would send them back to the CLI.
	SessionTTL = 7 * 24 * time.Hour
)

// session is a signed-in browser.
type session struct {
	op      api.Operator
	csrf    string // the CSRF token of its forms, bound to its cookie
	expires time.Time
}

// keys fetches the cluster's signing key once it can, and keeps it.
type keys struct {
	mu  sync.Mutex
	key []byte
}

func (k *keys) get(ctx context.Context, c *Console) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key != nil {
		return k.key, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	key, err := c.Store.WebKey(ctx)
	if err != nil {
		return nil, err
	}
	k.key = key
	return key, nil
}

// sign is the MAC of a session's fields, under the cluster key and the
// operator's own key.
func sign(clusterKey, opKey []byte, name string, exp int64, nonce string) string {
	m := hmac.New(sha256.New, clusterKey)
	m.Write(opKey)
	m.Write([]byte{0})
	m.Write([]byte(name + "\x00" + strconv.FormatInt(exp, 10) + "\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// operatorKey is the operator's own signing key; Anonymous (no token
// configured at all) has none.
func (c *Console) operatorKey(name string) (api.Operator, []byte, bool) {
	if c.Tokens.Open() {
		if name != api.Anonymous {
			return api.Operator{}, nil, false
		}
		return api.Operator{Name: api.Anonymous, Role: api.RoleAdmin}, nil, true
	}
	if name == api.Anonymous {
		return api.Operator{}, nil, false
	}
	return c.Tokens.Lookup(name)
}

// newSession signs a session for op and sets its cookie.
func (c *Console) newSession(w http.ResponseWriter, r *http.Request, name string) (*session, error) {
	op, opKey, ok := c.operatorKey(name)
	if !ok {
		return nil, errors.New("no such operator")
	}
	ck, err := c.keys.get(r.Context(), c)
	if err != nil {
		return nil, err
	}
	nonce, err := randomToken()
	if err != nil {
		return nil, err
	}
	exp := c.Clock.Now().Add(SessionTTL)
	value := strings.Join([]string{"v1", url.PathEscape(name), strconv.FormatInt(exp.Unix(), 10), nonce, sign(ck, opKey, name, exp.Unix(), nonce)}, ".")
	// Max-Age, not Expires: the browser counts from when it got the
	// cookie, whatever its clock says; the signed expiry is what counts.
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: value, Path: "/", MaxAge: int(SessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	return &session{op: op, csrf: csrfToken(ck, value), expires: exp}, nil
}

// session reads and checks the request's session cookie: nil when there
// is none, or it is forged, expired, or for an operator no longer there.
func (c *Console) session(r *http.Request) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, nil // no cookie: not signed in
	}
	parts := strings.Split(ck.Value, ".")
	if len(parts) != 5 || parts[0] != "v1" {
		return nil, nil
	}
	name, err := url.PathUnescape(parts[1])
	if err != nil {
		return nil, nil
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || !c.Clock.Now().Before(time.Unix(exp, 0)) {
		return nil, nil
	}
	op, opKey, ok := c.operatorKey(name)
	if !ok {
		return nil, nil
	}
	key, err := c.keys.get(r.Context(), c)
	if err != nil {
		return nil, err
	}
	want := sign(key, opKey, name, exp, parts[3])
	if subtle.ConstantTimeCompare([]byte(want), []byte(parts[4])) != 1 {
		return nil, nil
	}
	return &session{op: op, csrf: csrfToken(key, ck.Value), expires: time.Unix(exp, 0)}, nil
}

// csrfToken is the CSRF token of a session: an attacker's page can't read
// the cookie it derives from (HttpOnly, and another origin), so can't
// forge it.
func csrfToken(key []byte, cookie string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("csrf\x00" + cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF checks a POST: the form's csrf field must be the session's,
// and a browser that says where the request came from must say it came
// from here.
func checkCSRF(r *http.Request, s *session) bool {
	if !sameOrigin(r) {
		return false
	}
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}

// sameOrigin reports whether a request that names its origin (browsers
// send Origin on POST, and Sec-Fetch-Site) names this site.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

func randomToken() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
