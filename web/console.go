// Package web is pagerd's web console, served by pagerd serve at / beside
// the HTTP API (which stays under /api/): who is on call now and next, the
// alerts with their live timelines and buttons, shifts by week and month,
// the pay report, and the rota in force. Pages are rendered on the server
// with html/template; the stylesheet and one small script (live updates,
// buttons without a reload) are embedded in the binary. Nothing is loaded
// from anywhere else.
//
// Sign-in is with an operator token (the same tokens and roles as the
// API), which buys a signed session cookie (HttpOnly, SameSite=Strict);
// every POST carries a CSRF token bound to it. When the API asks for no
// token (loopback, or --insecure-no-auth), nor does the console: everyone
// is the anonymous admin.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Console serves the web console. Set its fields, then call Handler once.
type Console struct {
	Store  *store.Store
	Alerts *alerts.Service
	Rota   *inforce.Current
	// Tokens are the operators who may sign in (api.Server.Tokens): the
	// API's own, so a token works at both doors with the same role.
	Tokens api.Tokens
	Clock  clock.Clock
	Log    *slog.Logger
	// CalendarSecret, if set, gives the Shifts page links to the
	// iCalendar feeds the API serves (api.Server.CalendarSecret).
	CalendarSecret []byte
	// Disk, if set, tells what this node last found in its rota directory
	// (nil: it publishes none; it follows the cluster's rota).
	Disk func() *DiskCheck
	// Reports are further reports shown on the Reports page below the pay
	// report: the hook for the health report.
	Reports []Report
	// Poll is how often a live part of a page asks for news (2 s if 0).
	Poll time.Duration

	keys  keys
	pages map[string]*template.Template
}

// DiskCheck is what a node found when it last read its rota directory.
type DiskCheck struct {
	Dir string
	At  time.Time
	// Err is set when the directory could not be read at all.
	Err error
	// Diags are the problems found, errors and warnings; with any error
	// the rota on disk was refused and the one in force kept.
	Diags rotafile.Diagnostics
}

// Report is a report the Reports page shows for the range asked for,
// beside the pay report (the health report plugs in here).
type Report struct {
	// Name is a short id, used in the CSV's path: /reports/{Name}.csv.
	Name  string
	Title string
	// HTML renders the report for [from, to), narrowed to team if set.
	HTML func(ctx context.Context, rt *inforce.Rota, from, to time.Time, team string) (template.HTML, error)
	// CSV, if set, writes it as CSV, offered as a download.
	CSV func(ctx context.Context, w io.Writer, rt *inforce.Rota, from, to time.Time, team string) error
}

// Handler serves the console, and passes every other path (/api/...,
// /healthz, /metrics, Twilio's webhooks) to next.
func (c *Console) Handler(next http.Handler) http.Handler {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Poll <= 0 {
		c.Poll = 2 * time.Second
	}
	c.pages = parsePages()
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	mux.Handle("/", next)
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(static)))
	mux.HandleFunc("GET /signin", c.signinPage)
	mux.HandleFunc("POST /signin", c.signin)
	mux.HandleFunc("POST /signout", c.page(api.RoleReadOnly, c.signout))
	mux.HandleFunc("GET /{$}", c.page(api.RoleReadOnly, c.now))
	mux.HandleFunc("GET /alerts", c.page(api.RoleReadOnly, c.alertList))
	mux.HandleFunc("GET /alerts/{id}", c.page(api.RoleReadOnly, c.alert))
	mux.HandleFunc("GET /alerts/{id}/live", c.page(api.RoleReadOnly, c.alertLive))
	mux.HandleFunc("POST /alerts/{id}/act", c.page(api.RoleResponder, c.act))
	mux.HandleFunc("GET /shifts", c.page(api.RoleReadOnly, c.shifts))
	mux.HandleFunc("GET /reports", c.page(api.RoleReadOnly, c.reports))
	mux.HandleFunc("GET /reports/{file}", c.page(api.RoleReadOnly, c.reportCSV))
	mux.HandleFunc("GET /rota", c.page(api.RoleReadOnly, c.rota))
	return mux
}

// staticHandler serves the embedded assets. They are public (the sign-in
// page needs them) and hold no data.
func staticHandler(static fs.FS) http.Handler {
	files := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	pages := map[string]*template.Template{}
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		name := strings.TrimPrefix(e, "templates/")
		if name == "layout.html" {
			continue
		}
		pages[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, e))
	}
	return pages
}

// view is what every page's template gets.
type view struct {
	Title    string
	Nav      string // which tab is current
	Op       api.Operator
	Role     string
	CanAct   bool // responders and admins see buttons
	SignedIn bool // false on the sign-in page, and when no token exists
	Open     bool // no token configured: nobody signs in
	CSRF     string
	Poll     int64 // ms
	Flash    string
	Error    string
	Body     any
}

type handler func(w http.ResponseWriter, r *http.Request, s *session) error

// page serves h to a signed-in operator with at least role. Without a
// session it sends a browser to sign in (a script asking for a live part
// gets 401 instead, and reloads into the sign-in page). Every POST must
// carry the session's CSRF token.
func (c *Console) page(role api.Role, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		s, err := c.session(r)
		if err != nil {
			c.fail(w, r, nil, err)
			return
		}
		if s == nil && c.Tokens.Open() {
			// Nobody signs in, but forms still need a CSRF token: an
			// anonymous session carries it.
			if s, err = c.newSession(w, r, api.Anonymous); err != nil {
				c.fail(w, r, nil, err)
				return
			}
		}
		if s == nil {
			if r.Method != http.MethodGet || r.Header.Get("X-Pagerd-Live") != "" {
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := r.ParseForm(); err != nil || !checkCSRF(r, s) {
				c.Log.Warn("web: POST refused: CSRF token missing or wrong", "operator", s.op.Name, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
				c.render(w, r, http.StatusForbidden, "error.html", c.viewOf(s, "Refused", ""), errors.New("this form has expired or did not come from this console: reload the page and try again"))
				return
			}
		}
		if s.op.Role < role {
			c.Log.Warn("web: operator refused: role too weak", "operator", s.op.Name, "role", s.op.Role.String(), "needs", role.String(), "method", r.Method, "path", r.URL.Path)
			c.render(w, r, http.StatusForbidden, "error.html", c.viewOf(s, "Refused", ""), errors.New("this needs the "+role.String()+" role; "+s.op.Name+" is "+s.op.Role.String()))
			return
		}
		if err := h(w, r, s); err != nil {
			c.fail(w, r, s, err)
		}
	}
}

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

func (c *Console) viewOf(s *session, title, nav string) view {
	v := view{Title: title, Nav: nav, Poll: c.Poll.Milliseconds(), Open: c.Tokens.Open()}
	if s != nil {
		v.Op, v.Role, v.CanAct, v.CSRF = s.op, s.op.Role.String(), s.op.Role >= api.RoleResponder, s.csrf
		v.SignedIn = !v.Open
	}
	return v
}

// httpError is an error a person can act on, with its status.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(msg string) error { return &httpError{http.StatusBadRequest, msg} }

// fail shows err: its own words when it is the request's fault, a
// general message (and a log line) when it is pagerd's.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	var he *httpError
	code := http.StatusServiceUnavailable
	switch {
	case errors.As(err, &he):
		code = he.code
	case errors.Is(err, store.ErrNotFound):
		code, err = http.StatusNotFound, errors.New("no such alert (it may have been retired after its retention)")
	default:
		c.Log.Error("web: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		err = errors.New("pagerd could not answer (" + err.Error() + "); try again in a moment")
	}
	c.render(w, r, code, "error.html", c.viewOf(s, http.StatusText(code), ""), err)
}

// render executes a page into a buffer first, so a template error is a
// clean 500 rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, code int, page string, v view, err error) {
	if err != nil {
		v.Error = err.Error()
		if r.Header.Get("X-Pagerd-Live") != "" {
			// The page's script shows the words, not a page.
			http.Error(w, v.Error, code)
			return
		}
	}
	var buf bytes.Buffer
	name := "layout.html"
	if strings.HasSuffix(page, ".part") {
		page, name = strings.TrimSuffix(page, ".part"), "part"
	}
	if terr := c.pages[page].ExecuteTemplate(&buf, name, v); terr != nil {
		c.Log.Error("web: rendering a page", "page", page, "path", r.URL.Path, "err", terr)
		http.Error(w, "pagerd could not render this page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if _, werr := w.Write(buf.Bytes()); werr != nil {
		// The browser went away; nothing to tell it.
		c.Log.Debug("web: writing a page", "path", r.URL.Path, "err", werr)
	}
}

func (c *Console) rotaInForce() (*inforce.Rota, error) {
	rt := c.Rota.Get()
	if rt == nil {
		return nil, errors.New("no rota loaded yet")
	}
	return rt, nil
}

// signinPage shows the sign-in form, with a fresh pre-session CSRF token
// in a cookie and in the form.
func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	next := localPath(r.URL.Query().Get("next"))
	if c.Tokens.Open() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	c.showSignin(w, r, http.StatusOK, next, nil)
}

func (c *Console) showSignin(w http.ResponseWriter, r *http.Request, code int, next string, err error) {
	tok, terr := randomToken()
	if terr != nil {
		c.fail(w, r, nil, terr)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: tok, Path: "/signin", MaxAge: 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	v := c.viewOf(nil, "Sign in", "")
	v.CSRF = tok
	v.Body = struct{ Next string }{next}
	c.render(w, r, code, "signin.html", v, err)
}

// signin checks a token and starts a session.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		c.showSignin(w, r, http.StatusBadRequest, "/", errors.New("the form could not be read"))
		return
	}
	next := localPath(r.PostFormValue("next"))
	ck, err := r.Cookie(signinCookie)
	if err != nil || !sameOrigin(r) || ck.Value == "" || r.PostFormValue("csrf") != ck.Value {
		c.showSignin(w, r, http.StatusForbidden, next, errors.New("the sign-in form expired or did not come from this console: try again"))
		return
	}
	op, ok := c.Tokens.Check(strings.TrimSpace(r.PostFormValue("token")))
	if !ok {
		c.Log.Warn("web: sign-in refused: unknown token", "remote", r.RemoteAddr)
		c.showSignin(w, r, http.StatusUnauthorized, next, errors.New("that token is not one of this pagerd's operators"))
		return
	}
	if _, err := c.newSession(w, r, op.Name); err != nil {
		c.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Path: "/signin", MaxAge: -1})
	c.Log.Info("web: signed in", "operator", op.Name, "role", op.Role.String(), "remote", r.RemoteAddr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request, s *session) error {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	c.Log.Info("web: signed out", "operator", s.op.Name)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

// localPath keeps a redirect on this site: a path, never another host
// ("//evil.example" or "/\evil.example" are hosts to a browser).
func localPath(p string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return "/"
	}
	return p
}
