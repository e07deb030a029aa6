package metrics

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// External families the rules may name that this package does not
// register: pagerd_imap_connected{mailbox} is the IMAP watcher's (added
// beside it).
var externalFamilies = map[string]bool{"pagerd_imap_connected": true}

// TestPrometheusRules checks docs/prometheus-rules.yaml: promtool accepts
// it; promtool's unit tests (docs/prometheus-rules.test.yaml) pass; every
// alert has a test where it fires and one where it stays quiet; and every
// pagerd family an expression names is one pagerd exports.
func TestPrometheusRules(t *testing.T) {
	t.Parallel()
	const rulesFile, testsFile = "../docs/prometheus-rules.yaml", "../docs/prometheus-rules.test.yaml"
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, rulesFile, &rules)
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	readYAML(t, testsFile, &tests)
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	exported := map[string]bool{}
	fams, err := New().reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		exported[f.GetName()] = true
	}
	family := regexp.MustCompile(`\bpagerd_[a-z_]+`)
	alerts := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if !fires[r.Alert] || !quiet[r.Alert] {
				t.Errorf("alert %s: tests where it fires %v, where it stays quiet %v; want both", r.Alert, fires[r.Alert], quiet[r.Alert])
			}
			for _, name := range family.FindAllString(r.Expr, -1) {
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
				if !exported[base] && !externalFamilies[base] {
					t.Errorf("alert %s names %s, which pagerd does not export", r.Alert, name)
				}
			}
		}
	}
	if alerts < 6 {
		t.Fatalf("%d alerts in %s", alerts, rulesFile)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is missing (Debian: apt-get install prometheus); .ci/run installs it")
		}
		t.Skip("promtool not installed (Debian: apt-get install prometheus)")
	}
	for _, args := range [][]string{{"check", "rules", rulesFile}, {"test", "rules", testsFile}} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
