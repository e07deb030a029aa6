// Package ingest parses alerts arriving over HTTP: pagerd's native JSON, the
// Prometheus Alertmanager webhook and the PagerDuty Events API v2 shape.
// Each parser is a pure function of the request body that returns
// alerts.Events for the alerts service, so the HTTP handlers stay thin and
// the fuzzers reach every branch. Email arrives beside it, in ingest/mail.
package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/pagerd/pagerd/alerts"
)

// Checks and clean-up shared by the parsers.

// checkBody checks the size and that there is something to parse, and
// returns the first byte of the value.
func checkBody(body []byte) (byte, error) {
	if len(body) > MaxBody {
		return 0, badf("body is %d bytes; the limit is %d", len(body), MaxBody)
	}
	first := firstByte(body)
	if first == 0 {
		return 0, badf("body is empty; send a JSON object")
	}
	return first, nil
}

// syntaxError returns the body's JSON syntax error, or nil. It asks
// json.Unmarshal because, unlike json.Decoder, its SyntaxError offsets count
// from the start of the body.
func syntaxError(body []byte) error {
	if json.Valid(body) {
		return nil
	}
	var raw json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return decodeError(err, 0)
	}
	return nil
}

// decodeError turns an encoding/json error into a BadRequestError naming the
// field and the byte offset (base is where the decoded value starts in the
// body).
func decodeError(err error, base int64) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return badf("body is not JSON: %s at byte %d", se.Error(), base+se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return badf("%q must be %s, not %s (at byte %d)", field, goKind(te), article(te.Value), base+te.Offset)
	default:
		return badf("body is not valid: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
}

// goKind names the JSON kind a Go type wants.
func goKind(te *json.UnmarshalTypeError) string {
	if te.Type == nil {
		return "a different type"
	}
	if te.Type == reflect.TypeFor[json.Number]() {
		return "a number"
	}
	switch te.Type.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a different type"
}

func article(jsonValue string) string {
	switch {
	case jsonValue == "":
		return "that"
	case strings.HasPrefix(jsonValue, "array"), strings.HasPrefix(jsonValue, "object"):
		return "an " + jsonValue
	default:
		return "a " + jsonValue
	}
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func jsonKind(first byte) string {
	switch first {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "nothing"
	default:
		return "a number"
	}
}

// quote echoes user input in an error message, shortened so a hostile
// payload can't make the error huge.
func quote(s string) string {
	if len(s) > echoCap {
		return strconv.Quote(alerts.Cut(s, echoCap, alerts.SummaryMarker))
	}
	return strconv.Quote(s)
}

// checkToken validates a key-like value: trimmed, no spaces or control
// characters, at most max bytes. "" is returned as "" without error.
func checkToken(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > max {
		return "", badf("%q is %d bytes; at most %d are allowed", field, len(s), max)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", badf("%q must not contain spaces or control characters", field)
	}
	return s, nil
}

// checkDedupKey keeps the key as sent (it is the sender's identifier and a
// later resolve must match it byte for byte) but refuses an over-long one:
// cutting it would merge different alerts.
func checkDedupKey(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	if len(s) > alerts.MaxDedupKey {
		return "", badf(`"dedup_key" is %d bytes; at most %d are allowed`, len(s), alerts.MaxDedupKey)
	}
	return s, nil
}

func validSeverity(s string) bool {
	switch s {
	case alerts.SeverityCritical, alerts.SeverityError, alerts.SeverityWarning, alerts.SeverityInfo:
		return true
	}
	return false
}

// anyText renders a free-form JSON value: a string as itself, an object or
// array indented, null as nothing, anything else as its JSON text.
func anyText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch firstByte(raw) {
	case 0, 'n':
		return ""
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '{', '[':
		var b bytes.Buffer
		if json.Indent(&b, raw, "", "  ") == nil {
			return b.String()
		}
	}
	return string(raw)
}

// cleanLink returns s trimmed if it is an absolute http(s) URL with a host,
// without spaces, of at most alerts.MaxLink bytes.
func cleanLink(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > alerts.MaxLink || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || alerts.Unsafe(r) }) {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", false
	}
	if scheme := strings.ToLower(u.Scheme); scheme != "http" && scheme != "https" {
		return "", false
	}
	return s, true
}

// appendLink adds u unless it is already there or the list is full.
func appendLink(links []string, u string) []string {
	if len(links) >= alerts.MaxLinks || slices.Contains(links, u) {
		return links
	}
	return append(links, u)
}

// Limits of a request, beyond those of an alert (alerts.Max*).
const (
	MaxBody       = 1 << 20 // bytes of request body
	MaxRoutingKey = 128     // bytes of a routing key (PagerDuty's are 32)
	MaxBatch      = 100     // native alerts in one request
	// MaxAlertmanagerBatch is the most alerts one Alertmanager notification
	// may carry. Alertmanager groups alerts, and a real outage can group
	// hundreds, so it is larger than MaxBatch; its webhook_config's
	// max_alerts keeps a notification under it.
	MaxAlertmanagerBatch = 1000
)

// TooManyError is a request carrying more alerts than its format takes at
// once; the handler answers 413 with Msg, which names the cap. Nothing of
// the request is stored.
type TooManyError struct {
	Max int
	Msg string
}

func (e *TooManyError) Error() string { return e.Msg }

const (
	detailLineCap  = 1024 // bytes of one "key: value" line in Details
	echoCap        = 64   // bytes of user input quoted back in an error
	nativeFieldSet = "routing_key, team, action, summary, details, dedup_key, severity, links"
)

// BadRequestError is a problem with the request body; the handler answers
// 400 with Msg. Every error the parsers return is one of these, or a
// *TooManyError.
type BadRequestError struct{ Msg string }

func (e *BadRequestError) Error() string { return e.Msg }

func badf(format string, args ...any) error {
	return &BadRequestError{Msg: fmt.Sprintf(format, args...)}
}

// prefixed puts where (a batch item, an alert) in front of a parser error.
func prefixed(where string, err error) error {
	var br *BadRequestError
	if errors.As(err, &br) {
		return &BadRequestError{Msg: where + ": " + br.Msg}
	}
	return &BadRequestError{Msg: where + ": " + err.Error()}
}
