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
