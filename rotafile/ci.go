package rotafile

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
)

// RuleInvalid is the rule of every error: the rota won't load.
const RuleInvalid = "invalid-rota"

// RuleUnreadable is the rule of a directory that can't be read at all.
const RuleUnreadable = "unreadable"

// rules describes every rule a diagnostic can carry, in a fixed order, for
// tools that list them (SARIF's rules).
var rules = []struct{ id, level, text string }{
	{RuleInvalid, "error", "The rota has an error: pagerd will not load it until it is fixed."},
	{RuleUnreadable, "error", "The rota directory can't be read."},
	{RuleNoSecondary, "warning", "A team has no secondary rotation, so a page the primary misses reaches nobody else on the rota."},
	{RuleSingleLastStep, "warning", "The escalation policy ends with a single target: if that person misses the page, the policy runs out."},
	{RuleSmallRotation, "warning", "A member list has fewer than 4 people, so nobody gets three shifts off between turns."},
	{RuleLongStretch, "warning", "Someone holds a role for more than 7 days in a row."},
	{RuleShortRest, "warning", "Someone gets less than three weeks off between two turns of a role."},
}

// rule is d's rule, RuleInvalid for an error without one.
func (d Diagnostic) rule() string {
	if d.Rule != "" {
		return d.Rule
	}
	if d.Severity == Error {
		return RuleInvalid
	}
	return "warning"
}

// GitHub formats the diagnostic as a GitHub Actions workflow command, which
// the runner shows as an annotation on the file and line:
// "::error file=F,line=L,col=C,title=pagerd check::message".
func (d Diagnostic) GitHub() string {
	cmd := "error"
	if d.Severity == Warning {
		cmd = "warning"
	}
	msg := d.Msg
	if d.Hint != "" {
		msg += "\nhint: " + d.Hint
	}
	return fmt.Sprintf("::%s file=%s,line=%d,col=%d,title=%s::%s", cmd, ghProperty(filepath.ToSlash(d.File)), d.Line, d.Col,
		ghProperty("pagerd check: "+d.rule()), ghData(msg))
}

// ghData escapes a workflow command's message, as the Actions toolkit does.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a workflow command's property value, which also may
// not hold the separators ':' and ','.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// SARIFSchema is the URI of the SARIF 2.1.0 schema a log names.
const SARIFSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name  string      `json:"name"`
	Rules []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	ShortDescription     sarifText    `json:"shortDescription"`
	DefaultConfiguration sarifDefault `json:"defaultConfiguration"`
}

type sarifDefault struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
}

// WriteSARIF writes the diagnostics as a SARIF 2.1.0 log of one run of
// pagerd check, for code-scanning tools. File names become relative URIs
// as written (run check from the repository's root so they resolve); a
// diagnostic with no file (readErr, a directory that can't be read) has no
// location.
func WriteSARIF(w io.Writer, ds Diagnostics, readErr error) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "pagerd"}}, Results: []sarifResult{}}
	index := map[string]int{}
	for i, r := range rules {
		index[r.id] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: r.id, ShortDescription: sarifText{r.text}, DefaultConfiguration: sarifDefault{r.level}})
	}
	if readErr != nil {
		run.Results = append(run.Results, sarifResult{RuleID: RuleUnreadable, RuleIndex: index[RuleUnreadable], Level: "error", Message: sarifText{readErr.Error()}})
	}
	for _, d := range ds {
		id := d.rule()
		i, known := index[id]
		if !known {
			// A rule added without a description: still reported, with no
			// index into the rules.
			i = -1
		}
		msg := d.Msg
		if d.Hint != "" {
			msg += "\nhint: " + d.Hint
		}
		res := sarifResult{RuleID: id, RuleIndex: i, Level: string(d.Severity), Message: sarifText{msg}}
		res.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: (&url.URL{Path: filepath.ToSlash(d.File)}).String()},
			Region:           sarifRegion{StartLine: max(d.Line, 1), StartColumn: max(d.Col, 1)},
		}}}
		run.Results = append(run.Results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}
