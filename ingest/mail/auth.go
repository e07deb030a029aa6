package mail

import (
	"fmt"
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// Authenticated checks that m passed every method (dkim, spf, dmarc) for
// its sender's domain, by the Authentication-Results header (RFC 8601) the
// receiving server authservID wrote. It does no DNS or signature work of
// its own: it trusts that server, and only that one.
//
// Of the headers carrying authservID only the topmost counts: the
// receiving server adds its own above whatever the sender wrote, so one
// forged lower down (with the same id, by a sender hoping the server
// doesn't strip it, as RFC 8601 section 5 asks) is never read.
//
// A result counts only when it is about the From domain: DMARC's
// header.from is that domain; DKIM's signing domain (header.d, else the
// domain of header.i) and SPF's smtp.mailfrom (else smtp.helo) are that
// domain or one of them is a subdomain of the other (relaxed alignment,
// as DMARC has it, without a public suffix list: a parent domain such as
// "com" can't sign or publish SPF for anyone else's name). why says what
// failed, for the log.
func Authenticated(m Message, methods []string, authservID string) (ok bool, why string) {
	from := domainOf(m.From)
	if from == "" {
		return false, "the mail has no From address"
	}
	var results []authres.Result
	found := false
	for _, h := range m.AuthResults {
		h = stripComments(h)
		if !strings.EqualFold(authservIDOf(h), authservID) {
			continue
		}
		_, rs, err := authres.Parse(h)
		if err != nil {
			return false, fmt.Sprintf("the Authentication-Results header of %s can't be read: %v", authservID, err)
		}
		results, found = rs, true
		break
	}
	if !found {
		return false, fmt.Sprintf("no Authentication-Results header from %s", authservID)
	}
	for _, method := range methods {
		if !passed(results, method, from) {
			return false, fmt.Sprintf("%s did not pass for %s at %s", method, from, authservID)
		}
	}
	return true, ""
}

// authservIDOf is the authserv-id an Authentication-Results value starts
// with, read here rather than by authres, which gives none for a header it
// can't parse: the topmost header of the trusted server must stop the
// search even then.
func authservIDOf(h string) string {
	head, _, _ := strings.Cut(h, ";")
	if f := strings.Fields(head); len(f) > 0 {
		return f[0]
	}
	return ""
}

// passed reports whether results hold a pass of method about domain.
func passed(results []authres.Result, method, domain string) bool {
	for _, r := range results {
		switch r := r.(type) {
		case *authres.DKIMResult:
			signer := r.Domain
			if signer == "" {
				signer = domainOf(r.Identifier)
			}
			if method == "dkim" && r.Value == authres.ResultPass && aligned(signer, domain) {
				return true
			}
		case *authres.SPFResult:
			sender := domainOf(r.From)
			if sender == "" {
				sender = domainOf(r.Helo)
			}
			if method == "spf" && r.Value == authres.ResultPass && aligned(sender, domain) {
				return true
			}
		case *authres.DMARCResult:
			if method == "dmarc" && r.Value == authres.ResultPass && strings.EqualFold(strings.TrimSuffix(r.From, "."), domain) {
				return true
			}
		}
	}
	return false
}

// domainOf is the domain of an address ("a@b.example" or "@b.example"),
// or the value itself when it is a bare domain; lower case, without a
// trailing dot.
func domainOf(s string) string {
	s = strings.Trim(strings.TrimSpace(s), "<>")
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

// aligned reports whether a and b are the same domain, or one is a
// subdomain of the other.
func aligned(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if a == "" || b == "" {
		return false
	}
	return a == b || strings.HasSuffix(a, "."+b) || strings.HasSuffix(b, "."+a)
}

// stripComments removes RFC 5322 comments, (nested (ones)), from a header
// value, keeping quoted strings whole. authres reads "key=value" words
// wherever they are, and a comment is free text: "spf=pass (sender
// header.from=victim.example)" must not be read as a DMARC result.
func stripComments(s string) string {
	var b strings.Builder
	depth, quoted, escaped := 0, false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
			if depth == 0 {
				b.WriteRune(r)
			}
			continue
		case r == '\\' && (quoted || depth > 0):
			escaped = true
			if depth == 0 {
				b.WriteRune(r)
			}
			continue
		case quoted:
			quoted = r != '"'
		case r == '"' && depth == 0:
			quoted = true
		case r == '(':
			depth++
			continue
		case r == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteRune(' ')
			}
			continue
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\t", " ").Replace(b.String())
}
