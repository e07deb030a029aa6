// Package twilio sends pages by SMS and voice call through Twilio, builds
// the TwiML that Twilio's webhooks answer with, and checks and parses the
// webhooks Twilio sends back (status callbacks, SMS replies, keypresses).
//
// It talks to Twilio with the real twilio-go client (its client and
// rest/api/v2010 packages only: the root twilio package pulls in every
// product API and doubles the build).
//
// Callback URLs. Every URL given to Twilio is PublicURL plus one of
//
//	/twilio/status?alert=<id>&page=<page id>[&alerts=<ids>]
//	/twilio/voice/gather?alert=<id>&page=<page id>[&alerts=<ids>]
//
// (alerts is present for a message or call about several alerts; ids are
// listed with runs as ranges, "23-121,130", so a storm's call fits Twilio's
// limits). ParseCallback reads the query back.
package twilio

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/notifier/message"
)

// Provider is the provider name on receipts and timelines.
const Provider = "twilio"

// DefaultTimeout bounds each request to the Twilio API when Config.Timeout
// is zero. It is long on purpose: a request that hangs may still be
// accepted, and waiting for its answer is the one way never to page twice;
// giving up early and asking again (after a look-up that can't yet see it)
// turned a 30 s hang into three texts.
const DefaultTimeout = 45 * time.Second

// Paths of the webhooks whose URLs this package hands to Twilio; the HTTP
// server must route them (relative to PublicURL).
const (
	StatusPath = "/twilio/status"
	GatherPath = "/twilio/voice/gather"
)

// Twilio's limits on what it accepts: longer values are a 400 (permanent),
// so they are cut to fit instead.
const (
	maxBodyUTF16 = 1600 // SMS Body, in characters (UTF-16 code units)
	maxTwiML     = 4000 // Twiml parameter of a call
	maxSpeech    = 1000 // runes of speech before the TwiML is even built
)

// Config configures a Notifier. Secrets come from the daemon's own config or
// environment, never from rota files.
type Config struct {
	// AccountSID is the account ("AC…"). Requests are authenticated with
	// AccountSID:AuthToken, or with APIKey:APISecret when APIKey is set.
	AccountSID string
	// AuthToken is always required, even with an API key: Twilio signs
	// webhooks (X-Twilio-Signature) with the account's auth token, never
	// with an API key secret, so Valid needs it.
	AuthToken string
	// APIKey ("SK…") and APISecret, optional, used for the REST API
	// instead of the auth token when set (both or neither).
	APIKey, APISecret string
	// SMSFrom and VoiceFrom are E.164 numbers owned by the account.
	// VoiceFrom defaults to SMSFrom.
	SMSFrom, VoiceFrom string
	// MessagingServiceSID ("MG…") is an alternative to SMSFrom for SMS;
	// when both are set both are sent (Twilio then uses SMSFrom from the
	// service's sender pool).
	MessagingServiceSID string
	// PublicURL is the base of every callback URL Twilio is given, for
	// example https://pagerd.example.com (a path prefix is allowed; the HTTP
	// server must then see paths with that prefix stripped). It must be
	// absolute https; http is allowed for 127.0.0.1 and localhost, for tests.
	PublicURL string
	// HTTPClient supplies the Transport (and Jar) for requests to the
	// Twilio API; nil means a private clone of http.DefaultTransport. Tests
	// pass a client whose Transport sends api.twilio.com requests to a fake
	// (see package twiliotest). It is not modified.
	HTTPClient *http.Client
	// Timeout bounds each request to the Twilio API. Zero means
	// HTTPClient.Timeout if that is set, else DefaultTimeout.
	Timeout time.Duration
	// Speech turns a voice page into the sentence read out before the
	// keypress options; nil means a simple built-in sentence.
	Speech func(notifier.Page) string

	// APIURL and CAFile are testing aids, for a fake Twilio API in another
	// process (the fault-injection suite). APIURL, an absolute https URL
	// (http only on loopback), replaces the scheme and host of every
	// request twilio-go makes to api.twilio.com or any other *.twilio.com
	// host, and prefixes its path with APIURL's path; requests to other
	// hosts are refused. CAFile names a PEM file of CA certificates trusted
	// for the API instead of the system's. Neither goes with HTTPClient,
	// which brings its own transport.
	APIURL string
	CAFile string
}

// Notifier sends pages through Twilio. It is safe for concurrent use and
// holds no mutable state.
type Notifier struct {
	accountSID          string
	user, pass          string // REST API basic auth
	authToken           string // webhook signatures
	smsFrom, voiceFrom  string
	messagingServiceSID string
	public              string // PublicURL without a trailing slash
	transport           http.RoundTripper
	jar                 http.CookieJar
	timeout             time.Duration
	speech              func(notifier.Page) string
}

var _ notifier.Notifier = (*Notifier)(nil)

var (
	e164RE = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	// twilio-go refuses (with a fake 400, before any request) credentials
	// that aren't alphanumeric, so New checks that up front.
	alnumRE = regexp.MustCompile(`^[A-Za-z0-9]+$`)
)

// New checks cfg and returns a Notifier. It needs AccountSID and AuthToken
// (and APIKey with APISecret if used), an E.164 SMSFrom or a
// MessagingServiceSID, E.164 from-numbers, and an absolute https PublicURL
// (http only for 127.0.0.1 or localhost).
func New(cfg Config) (*Notifier, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if !strings.HasPrefix(cfg.AccountSID, "AC") || !alnumRE.MatchString(cfg.AccountSID) {
		bad("AccountSID %q: want the account SID, AC followed by letters and digits", cfg.AccountSID)
	}
	if cfg.AuthToken == "" {
		bad("AuthToken is required (even with an API key: Twilio signs webhooks with the account's auth token)")
	} else if !alnumRE.MatchString(cfg.AuthToken) {
		bad("AuthToken: want letters and digits only")
	}
	user, pass := cfg.AccountSID, cfg.AuthToken
	switch {
	case cfg.APIKey == "" && cfg.APISecret == "":
	case cfg.APIKey == "" || cfg.APISecret == "":
		bad("APIKey and APISecret go together: set both or neither")
	case !strings.HasPrefix(cfg.APIKey, "SK") || !alnumRE.MatchString(cfg.APIKey):
		bad("APIKey %q: want an API key SID, SK followed by letters and digits", cfg.APIKey)
	case !alnumRE.MatchString(cfg.APISecret):
		bad("APISecret: want letters and digits only")
	default:
		user, pass = cfg.APIKey, cfg.APISecret
	}

	if cfg.SMSFrom == "" && cfg.MessagingServiceSID == "" {
		bad("SMSFrom or MessagingServiceSID is required")
	}
	if cfg.SMSFrom != "" && !e164RE.MatchString(cfg.SMSFrom) {
		bad("SMSFrom %q is not an E.164 number (like +447700900123)", cfg.SMSFrom)
	}
	if cfg.MessagingServiceSID != "" && (!strings.HasPrefix(cfg.MessagingServiceSID, "MG") || !alnumRE.MatchString(cfg.MessagingServiceSID)) {
		bad("MessagingServiceSID %q: want MG followed by letters and digits", cfg.MessagingServiceSID)
	}
	voiceFrom := cfg.VoiceFrom
	if voiceFrom == "" {
		voiceFrom = cfg.SMSFrom
	} else if !e164RE.MatchString(voiceFrom) {
		bad("VoiceFrom %q is not an E.164 number (like +447700900123)", voiceFrom)
	}

	public, err := checkPublicURL(cfg.PublicURL)
	if err != nil {
		errs = append(errs, err)
	}
	if cfg.Timeout < 0 {
		bad("Timeout %v is negative", cfg.Timeout)
	}
	var apiURL *url.URL
	if cfg.APIURL != "" {
		if apiURL, err = checkAPIURL(cfg.APIURL); err != nil {
			errs = append(errs, err)
		}
	}
	var roots *x509.CertPool
	if cfg.CAFile != "" {
		if roots, err = loadCAs(cfg.CAFile); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.HTTPClient != nil && (cfg.APIURL != "" || cfg.CAFile != "") {
		bad("APIURL and CAFile don't go with HTTPClient, whose transport is used as it is")
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("twilio config: %w", errors.Join(errs...))
	}

	n := &Notifier{
		accountSID:          cfg.AccountSID,
		user:                user,
		pass:                pass,
		authToken:           cfg.AuthToken,
		smsFrom:             cfg.SMSFrom,
		voiceFrom:           voiceFrom,
		messagingServiceSID: cfg.MessagingServiceSID,
		public:              public,
		timeout:             cfg.Timeout,
		speech:              cfg.Speech,
	}
	if cfg.HTTPClient != nil {
		n.transport = cfg.HTTPClient.Transport
		n.jar = cfg.HTTPClient.Jar
		if n.timeout == 0 {
			n.timeout = cfg.HTTPClient.Timeout
		}
	}
	if n.transport == nil {
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			dt = dt.Clone()
			if roots != nil {
				dt.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
			}
			n.transport = dt
		} else {
			n.transport = http.DefaultTransport
		}
	}
	if apiURL != nil {
		n.transport = &apiRewrite{base: n.transport, target: apiURL}
	}
	if n.timeout == 0 {
		n.timeout = DefaultTimeout
	}
	if n.speech == nil {
		n.speech = DefaultSpeech
	}
	return n, nil
}

func checkAPIURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("APIURL %q: %w", s, err)
	}
	if !u.IsAbs() || u.Host == "" || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("APIURL %q: want an absolute URL with no query, like https://127.0.0.1:8443", s)
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !isLoopback(u.Hostname())) {
		return nil, fmt.Errorf("APIURL %q: want https (http only on loopback)", s)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

func loadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CAFile: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CAFile %s: no PEM certificate in it", path)
	}
	return pool, nil
}

// apiRewrite sends twilio-go's requests for *.twilio.com to the APIURL.
type apiRewrite struct {
	base   http.RoundTripper
	target *url.URL
}

func (rt *apiRewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	h := req.URL.Hostname()
	if h != "twilio.com" && !strings.HasSuffix(h, ".twilio.com") {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("twilio: refusing to send a request for %s to APIURL: only *.twilio.com goes there", req.URL.Host)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme = rt.target.Scheme
	out.URL.Host = rt.target.Host
	out.URL.Path = rt.target.Path + req.URL.Path
	out.URL.RawPath = ""
	out.Host = req.URL.Host // the Host header still names Twilio's host, as the fake records it
	return rt.base.RoundTrip(out)
}

func checkPublicURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("PublicURL %q: %w", s, err)
	}
	if !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("PublicURL %q: want an absolute URL like https://pagerd.example.com", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("PublicURL %q: want no query, fragment or user info", s)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("PublicURL %q: Twilio must reach pagerd over https (http only for localhost tests)", s)
		}
	default:
		return "", fmt.Errorf("PublicURL %q: want an https URL", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// Name is the provider name shown on timelines.
func (n *Notifier) Name() string { return Provider }

// Send sends p as an SMS (Messages.Create) or a voice call (Calls.Create)
// and returns once Twilio has accepted it; the receipt's ID is the message
// or call SID. Errors Twilio answers with a 4xx other than 408 and 429 (a bad
// or unverified number, wrong credentials) are notifier.Permanent; 408, 429,
// 5xx, timeouts and connection errors are retryable.
//
// twilio-go takes no context, so Send runs the request under ctx and the
// Timeout through its own http.Client, and returns as soon as either ends.
// The request may already have reached Twilio by then, so a retry after a
// timeout can page twice; the engine's at-most-one-duplicate rule covers it.
func (n *Notifier) Send(ctx context.Context, p notifier.Page) (notifier.Receipt, error) {
	what := fmt.Sprintf("%s page %d/%s to %s", p.Method, p.AlertID, p.PageID, p.To)
	if err := ctx.Err(); err != nil {
		return notifier.Receipt{}, fmt.Errorf("twilio: %s: %w", what, err)
	}
	if !e164RE.MatchString(p.To) {
		return notifier.Receipt{}, notifier.Permanent(fmt.Errorf("twilio: %s: %q is not an E.164 number", what, p.To))
	}
	var call func(*openapi.ApiService) (string, error)
	switch p.Method {
	case "sms":
		params := n.messageParams(p)
		call = func(api *openapi.ApiService) (string, error) {
			m, err := api.CreateMessage(params)
			if err != nil || m == nil || m.Sid == nil {
				return "", err
			}
			return *m.Sid, nil
		}
	case "voice":
		if n.voiceFrom == "" {
			return notifier.Receipt{}, notifier.Permanent(fmt.Errorf("twilio: %s: no VoiceFrom number configured", what))
		}
		params, err := n.callParams(p)
		if err != nil {
			return notifier.Receipt{}, notifier.Permanent(fmt.Errorf("twilio: %s: %w", what, err))
		}
		call = func(api *openapi.ApiService) (string, error) {
			c, err := api.CreateCall(params)
			if err != nil || c == nil || c.Sid == nil {
				return "", err
			}
			return *c.Sid, nil
		}
	default:
		return notifier.Receipt{}, notifier.Permanent(fmt.Errorf("twilio: %s: unsupported method %q (want sms or voice)", what, p.Method))
	}
	sid, err := n.do(ctx, call)
	if err != nil {
		return notifier.Receipt{}, fmt.Errorf("twilio: %s: %w", what, err)
	}
	return notifier.Receipt{Provider: Provider, ID: sid}, nil
}

func (n *Notifier) messageParams(p notifier.Page) *openapi.CreateMessageParams {
	body := p.Text
	if body == "" {
		body = notifier.Text(p)
	}
	params := &openapi.CreateMessageParams{}
	params.SetTo(p.To)
	if n.smsFrom != "" {
		params.SetFrom(n.smsFrom)
	}
	if n.messagingServiceSID != "" {
		params.SetMessagingServiceSid(n.messagingServiceSID)
	}
	params.SetBody(cutUTF16(body, maxBodyUTF16))
	params.SetStatusCallback(n.callbackURL(StatusPath, p))
	return params
}

func (n *Notifier) callParams(p notifier.Page) (*openapi.CreateCallParams, error) {
	speech := []rune(cleanText(n.speech(p)))
	if len(speech) > maxSpeech {
		speech = append(speech[:maxSpeech-1], '…')
	}
	action := n.callbackURL(GatherPath, p)
	var tw string
	for {
		var err error
		tw, err = GatherTwiML(string(speech), action)
		if err != nil {
			return nil, err
		}
		if len(tw) <= maxTwiML || len(speech) == 0 {
			break
		}
		speech = speech[:len(speech)*3/4]
	}
	if len(tw) > maxTwiML {
		return nil, fmt.Errorf("TwiML is %d characters even without speech (Twilio takes %d): PublicURL too long?", len(tw), maxTwiML)
	}
	params := &openapi.CreateCallParams{}
	params.SetTo(p.To)
	params.SetFrom(n.voiceFrom)
	params.SetTwiml(tw)
	params.SetStatusCallback(n.callbackURL(StatusPath, p))
	params.SetStatusCallbackEvent([]string{"completed"})
	params.SetStatusCallbackMethod(http.MethodPost)
	params.SetMachineDetection("Enable")
	return params, nil
}

// callbackURL is PublicURL+path with the page's ids in the query.
func (n *Notifier) callbackURL(path string, p notifier.Page) string {
	var b strings.Builder
	b.WriteString(n.public)
	b.WriteString(path)
	b.WriteString("?alert=")
	b.WriteString(strconv.FormatInt(p.AlertID, 10))
	b.WriteString("&page=")
	b.WriteString(url.QueryEscape(p.PageID))
	if len(p.Bundled) > 0 { // a keypress or a status report is about every alert in the bundle
		b.WriteString("&alerts=")
		b.WriteString(idRanges(p.Bundled))
	}
	return b.String()
}

// idRanges writes ids, in order, with runs of consecutive ids as ranges:
// 1,2,3,5 is "1-3,5".
func idRanges(ids []int64) string {
	var b strings.Builder
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(ids[i], 10))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.FormatInt(ids[j], 10))
		}
		i = j + 1
	}
	return b.String()
}

// do runs one twilio-go call that creates a message or a call and returns
// its sid, classifying a failure.
func (n *Notifier) do(ctx context.Context, call func(*openapi.ApiService) (string, error)) (string, error) {
	var sid string
	err := n.run(ctx, func(api *openapi.ApiService) error {
		var err error
		sid, err = call(api)
		if err == nil && sid == "" {
			return errors.New("the Twilio API answered without a sid")
		}
		return err
	})
	if err != nil {
		// Not sid: after a timeout the call may still be running and
		// writing it.
		return "", err
	}
	return sid, nil
}

// run runs twilio-go calls with a client of its own whose transport puts
// every request under ctx and the timeout, and classifies the result.
func (n *Notifier) run(ctx context.Context, call func(*openapi.ApiService) error) error {
	cctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()

	rt := &sendTransport{ctx: cctx, base: n.transport}
	c := &client.Client{
		Credentials: client.NewCredentials(n.user, n.pass),
		HTTPClient: &http.Client{
			Transport: rt,
			Jar:       n.jar,
			// As twilio-go's default client: a redirect is an answer.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			// The deadline lives in cctx, which the transport applies.
		},
	}
	c.SetAccountSid(n.accountSID)
	// Built by hand rather than with client.NewRequestHandler, which reads
	// TWILIO_EDGE and TWILIO_REGION from the environment and would move the
	// requests to another host behind our back.
	api := openapi.NewApiService(&client.RequestHandler{Client: c})

	done := make(chan error, 1) // buffered: the goroutine never blocks
	go func() { done <- call(api) }()

	var err error
	select {
	case err = <-done:
	case <-cctx.Done():
		// The transport aborts the request with cctx, so the goroutine
		// ends soon; this return doesn't wait for a transport that
		// ignores contexts.
		return n.ctxError(ctx)
	}
	if err == nil {
		return nil
	}
	if cctx.Err() != nil {
		return n.ctxError(ctx)
	}
	// rt.status is safe to read: the goroutine wrote it before sending on done.
	return classify(err, rt.status)
}

func (n *Notifier) ctxError(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return notifier.Ambiguous(fmt.Errorf("gave up waiting for Twilio (it may still have accepted the request): %w", err))
	}
	return notifier.Ambiguous(fmt.Errorf("no answer from Twilio within %v (it may still have accepted the request): %w", n.timeout, context.DeadlineExceeded))
}

// classify wraps a twilio-go error, marking it permanent when retrying the
// same request can't help. status is the HTTP status seen on the wire (0 if
// none): twilio-go takes a REST error's status from the JSON body, and
// reports a body that isn't JSON without any status at all.
func classify(err error, status int) error {
	var rest *client.TwilioRestError
	var v1 *client.RestErrorV1
	code, msg, info := 0, "", ""
	switch {
	case errors.As(err, &rest):
		code, msg, info = rest.Code, rest.Message, rest.MoreInfo
		if status == 0 {
			status = rest.Status
		}
	case errors.As(err, &v1):
		code, msg = v1.Code, v1.Message
		if status == 0 {
			status = v1.HttpStatusCode
		}
	default:
		if status != 0 {
			// An error status whose body isn't Twilio's JSON: something
			// between us and Twilio (a proxy, a load balancer), which may
			// have passed the request on. Look before retrying.
			return notifier.Ambiguous(fmt.Errorf("HTTP %d from the Twilio API (not a Twilio error body): %w", status, err))
		}
		// A connection refused never reached Twilio; one reset after the
		// request was written may have: look before retrying either way.
		return notifier.Ambiguous(fmt.Errorf("calling the Twilio API: %w", err))
	}

	text := fmt.Sprintf("Twilio error %d (HTTP %d): %s", code, status, msg)
	if info != "" {
		text += " (" + info + ")"
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return notifier.Permanent(fmt.Errorf("%s; check TWILIO credentials (account SID, auth token or API key): %w", text, err))
	case status == http.StatusTooManyRequests || status == http.StatusRequestTimeout:
		return fmt.Errorf("%s; will retry: %w", text, err)
	case status >= 400 && status < 500:
		return notifier.Permanent(fmt.Errorf("%s: %w", text, err))
	default:
		return fmt.Errorf("%s: %w", text, err)
	}
}

// sendTransport is the transport of one Send's private http.Client.
type sendTransport struct {
	ctx    context.Context // the Send's ctx with its timeout
	base   http.RoundTripper
	status int // HTTP status of the last error response; read after the call returns
}

// maxErrorBody bounds how much of an error response is kept.
const maxErrorBody = 1 << 20

// RoundTrip sends req under t.ctx: twilio-go builds its requests with
// context.Background(), so this is where cancellation and the deadline
// come in. It also reads an error response's body into memory and closes
// it, because twilio-go decodes error bodies without closing them: one it
// doesn't read to the end (an HTML error page from a proxy, which fails to
// decode at its first byte) would hold its connection for good.
func (t *sendTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req.WithContext(t.ctx))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return resp, nil
	}
	t.status = resp.StatusCode
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading HTTP %d response: %w", resp.StatusCode, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// DefaultSpeech is the sentence read out on a voice page when Config.Speech
// is nil: notifier/message's announcement, which says how many alerts a
// call about a bundle covers (a key pressed answers them all).
func DefaultSpeech(p notifier.Page) string {
	a := message.Alert{ID: p.AlertID, Team: p.Team, Summary: p.Summary, Shadow: p.Shadow, Late: p.Late}
	return message.AnnounceAll(a, len(p.Bundled))
}

// cutUTF16 cuts s to at most max UTF-16 code units (how Twilio counts an
// SMS body), ending it with an ellipsis when cut.
func cutUTF16(s string, max int) string {
	if len(s) <= max { // bytes >= UTF-16 units
		return s
	}
	units, cut := 0, -1
	for i, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if cut < 0 && units+w > max-1 { // room for the ellipsis
			cut = i
		}
		units += w
	}
	if units <= max {
		return s
	}
	return strings.TrimRightFunc(s[:cut], unicode.IsSpace) + "…"
}

// isLoopback reports whether host is a loopback name or address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
