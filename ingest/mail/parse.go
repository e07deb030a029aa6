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
	To        []string // addresses (To and Cc), lower-case
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
	m.To = append(addresses(h, "To"), addresses(h, "Cc")...)
	m.To = dedup(m.To)
	subj, err := h.Subject()
	if err != nil {
		// An undecodable encoded word: the raw text beats nothing.
		subj = h.Get("Subject")
	}
	m.Subject = oneLine(subj)
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
