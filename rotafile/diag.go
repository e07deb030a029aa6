package rotafile

import (
	"fmt"
	"strings"
)

// Severity of a diagnostic.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Diagnostic is one problem found in a rota file, with its position.
type Diagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Severity Severity `json:"severity"`
	Msg      string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
	// Rule names the kind of warning (RuleNoSecondary, ...), so tools that
	// group findings (SARIF viewers, the diff) can tell them apart; errors
	// leave it empty.
	Rule string `json:"rule,omitempty"`
}

// The kinds of warning.
const (
	RuleNoSecondary    = "no-secondary"     // a team without a secondary rotation
	RuleSingleLastStep = "single-last-step" // escalation ends with one target
	RuleSmallRotation  = "small-rotation"   // fewer than 4 people in a member list
	RuleLongStretch    = "long-stretch"     // more than 7 days on call in a row
	RuleShortRest      = "short-rest"       // less than three weeks between turns
)

// String formats the diagnostic the way compilers do, so editors and
// terminals can jump to it: "file:line:col: error: message (hint)".
func (d Diagnostic) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: %s: %s", d.File, d.Line, d.Col, d.Severity, d.Msg)
	if d.Hint != "" {
		fmt.Fprintf(&b, "\n\thint: %s", d.Hint)
	}
	return b.String()
}

// Diagnostics is a list of problems, errors and warnings mixed.
type Diagnostics []Diagnostic

// Errors returns only the errors.
func (ds Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Warnings returns only the warnings.
func (ds Diagnostics) Warnings() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == Warning {
			out = append(out, d)
		}
	}
	return out
}

// Err returns nil when there are no errors, and otherwise an error whose
// text lists every error, one per line.
func (ds Diagnostics) Err() error {
	errs := ds.Errors()
	if len(errs) == 0 {
		return nil
	}
	return &LoadError{Diags: errs}
}

// LoadError carries every error found in a rota directory.
type LoadError struct{ Diags Diagnostics }

func (e *LoadError) Error() string {
	lines := make([]string, len(e.Diags))
	for i, d := range e.Diags {
		lines[i] = d.String()
	}
	return fmt.Sprintf("%d error(s) in rota:\n%s", len(e.Diags), strings.Join(lines, "\n"))
}

// suggest returns the candidate closest to s by edit distance, if it is
// close enough to be a plausible typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(s) > 8 {
		limit = 3
	}
	if bestD <= limit && bestD < len(s) {
		return best
	}
	return ""
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each cost one, since a
// swapped pair ("dna" for "dan") is the commonest typo.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
