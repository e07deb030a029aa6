// Package mail turns a raw email from a monitoring system into a normalised
// Message and finds the team route it belongs to. Monitors send every shape
// of mail (plain Nagios text, base64 Zabbix, HTML in legacy charsets), so
// parsing is lenient: only a mail whose header can't be read at all is an
// error; a broken part just yields less body.
package mail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // non-UTF-8 bodies and RFC 2047 words (ISO-8859-1, Windows-1252, ...)
	gomail "github.com/emersion/go-message/mail"
)

// DefaultMaxBody is the body limit used when Parse is given maxBody <= 0.
const DefaultMaxBody = 64 << 10

// Bounds on the MIME tree, so a hostile or broken mail can't make Parse
// walk forever; alert mails have one to three parts.
const (
	maxDepth = 8
	maxParts = 64
)

// Message is an email reduced to what routing and alerting need.
type Message struct {
	MessageID string   // without <>
	From      string   // the address, lower-case (e.g. alerts@monitor.example.com)
	To        []string // addresses (To, Cc, Delivered-To, X-Original-To), lower-case
	Subject   string   // decoded (RFC 2047), one line
	Body      string   // plain text, UTF-8; text/plain preferred, else text/html reduced to text
	Truncated bool     // the body was cut at the limit
	// AuthResults are the Authentication-Results header values, topmost
	// (added last, by the receiving server) first. See Authenticated.
	AuthResults []string
	// Arrived is when the mail reached the mailbox (IMAP INTERNALDATE),
	// set by the watcher; zero when unknown (a saved file).
	Arrived time.Time
}

// Parse reads a raw email. The body is cut to at most maxBody bytes (at a
// UTF-8 boundary) and Truncated set, so a huge mail still raises its alert.
// Only a mail whose header can't be read is an error; an unknown charset or
// transfer encoding, or a broken part, keeps whatever could be read.
func Parse(raw []byte, maxBody int) (Message, error) {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return Message{}, fmt.Errorf("mail: reading header: %w", err)
	}
	if e == nil || e.Header.Len() == 0 {
		return Message{}, errors.New("mail: no header fields: not an email")
	}
	h := gomail.Header{Header: e.Header}

	var m Message
	m.MessageID = messageID(h)
	if from := addresses(h, "From"); len(from) > 0 {
		m.From = from[0]
	}
	// The envelope recipients the receiving server recorded count too:
	// mail that came by Bcc or through an alias names the mailbox only
	// there.
	m.To = append(addresses(h, "To"), addresses(h, "Cc")...)
	m.To = append(m.To, addresses(h, "Delivered-To")...)
	m.To = append(m.To, addresses(h, "X-Original-To")...)
	m.To = dedup(m.To)
	_, params, _ := e.Header.ContentType()
	m.Subject = oneLine(headerText(h, "Subject", params["charset"]))
	m.AuthResults = h.Values("Authentication-Results")

	// Read a bounded amount of decoded text: enough to fill maxBody after
	// normalising (HTML shrinks a lot when reduced to text), never the
	// whole of a giant part.
	bc := bodyCollector{readLimit: 16*maxBody + 64<<10}
	bc.walk(e, 0)
	body, cut := bc.plain, bc.plainCut
	if strings.TrimSpace(body) == "" {
		body, cut = htmlToText(bc.html), bc.htmlCut
	} else {
		body = normalizeText(body)
	}
	if len(body) > maxBody {
		body = cutUTF8(body, maxBody)
		cut = true
	}
	m.Body, m.Truncated = body, cut
	return m, nil
}

// fallbackCharsets are tried, in order, on a header of raw 8-bit bytes
// that aren't UTF-8 when the message declares no charset (or a wrong
// one): Windows-1252 is what such mailers almost always mean, and as a
// superset of ISO-8859-1 it reads Latin-1 too.
var fallbackCharsets = []string{"windows-1252"}

// headerText decodes a header for people and patterns: RFC 2047 encoded
// words, and raw 8-bit bytes (no encoded word, against RFC 5322, but
// common from old monitors) read in the message's declared charset, else
// the fallbacks, rather than turned into U+FFFD.
func headerText(h gomail.Header, key, declared string) string {
	raw := h.Get(key)
	if !utf8.ValidString(raw) {
		raw = decode8bit(raw, declared)
	}
	dec := mime.WordDecoder{CharsetReader: message.CharsetReader}
	text, err := dec.DecodeHeader(raw)
	if err != nil {
		// An undecodable encoded word: the raw text beats nothing.
		return raw
	}
	return text
}

// decode8bit reads s in the first of declared and fallbackCharsets that
// decodes it to valid UTF-8; s as it is when none does.
func decode8bit(s, declared string) string {
	for _, cs := range append([]string{declared}, fallbackCharsets...) {
		cs = strings.ToLower(strings.TrimSpace(cs))
		if cs == "" || cs == "utf-8" || cs == "us-ascii" {
			continue
		}
		r, err := message.CharsetReader(cs, strings.NewReader(s))
		if err != nil {
			continue
		}
		b, err := io.ReadAll(r)
		if err == nil && utf8.Valid(b) {
			return string(b)
		}
	}
	return s
}

// messageID returns the Message-ID without angle brackets; a malformed one
// (common from home-grown scripts) is kept as written, minus the brackets.
func messageID(h gomail.Header) string {
	if id, err := h.MessageID(); err == nil {
		return oneLine(id)
	}
	return oneLine(strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>"))
}

// addresses parses an address header into lower-case addresses. Monitors
// often write malformed headers (bare names, unquoted dots), so when strict
// parsing fails each comma-separated item is salvaged if it holds an
// address in <...> or is one bare word with an @.
func addresses(h gomail.Header, key string) []string {
	var out []string
	if list, err := h.AddressList(key); err == nil {
		for _, a := range list {
			if a.Address != "" {
				out = append(out, strings.ToLower(a.Address))
			}
		}
		return out
	}
	for _, item := range strings.Split(h.Get(key), ",") {
		item = strings.TrimSpace(item)
		if i, j := strings.LastIndexByte(item, '<'), strings.LastIndexByte(item, '>'); i >= 0 && j > i {
			item = strings.TrimSpace(item[i+1 : j])
		}
		if strings.Contains(item, "@") && !strings.ContainsFunc(item, unicode.IsSpace) {
			out = append(out, strings.ToLower(strings.ToValidUTF8(item, "")))
		}
	}
	return out
}

func dedup(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// oneLine makes header text safe to show and match with ^...$: valid UTF-8,
// whitespace runs (folding, stray CR/LF from decoded words) as one space,
// other control characters dropped.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
		case unicode.IsControl(r):
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// bodyCollector finds the first text/plain and the first text/html part
// that aren't attachments.
type bodyCollector struct {
	readLimit         int
	parts             int
	plain, html       string
	havePlain         bool
	haveHTML          bool
	plainCut, htmlCut bool
}

func (bc *bodyCollector) walk(e *message.Entity, depth int) {
	bc.parts++
	if depth > maxDepth || bc.parts > maxParts {
		return
	}
	mediaType, _, err := e.Header.ContentType()
	if err != nil || mediaType == "" {
		// RFC 2045 5.2: a missing or broken Content-Type means text/plain.
		mediaType = "text/plain"
	}
	if mr := e.MultipartReader(); mr != nil {
		for !bc.havePlain && bc.parts <= maxParts {
			p, err := mr.NextPart()
			if p == nil || (err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
				return // io.EOF or a broken boundary: keep what we have
			}
			bc.walk(p, depth+1)
		}
		return
	}
	if disp, _, _ := e.Header.ContentDisposition(); disp == "attachment" {
		return
	}
	switch {
	case mediaType == "text/plain" && !bc.havePlain:
		text, cut := readBounded(e.Body, bc.readLimit)
		if strings.TrimSpace(text) != "" {
			bc.plain, bc.plainCut, bc.havePlain = text, cut, true
		}
	case mediaType == "text/html" && !bc.haveHTML:
		bc.html, bc.htmlCut = readBounded(e.Body, bc.readLimit)
		bc.haveHTML = strings.TrimSpace(bc.html) != ""
	}
}

// readBounded reads at most limit bytes; a read error (bad base64, a cut
// mail) ends the text where it broke rather than losing it.
func readBounded(r io.Reader, limit int) (string, bool) {
	b, _ := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	cut := len(b) > limit
	if cut {
		b = b[:limit]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), cut
}

// normalizeText gives plain text LF line ends, no trailing spaces on lines
// and no blank lines at either end, so patterns see the same text whatever
// the mailer did.
func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(stripControl(l), unicode.IsSpace)
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// stripControl drops control characters other than tab, which some
// monitors use to align columns.
func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\t' {
			return -1
		}
		return r
	}, s)
}

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
