package app

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pagerd.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// parse is pagerd serve's settings from args and the file at path.
func parse(t *testing.T, path string, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	flags := BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	return flags.Config(path)
}

func TestDaemonConfigFileAndFlags(t *testing.T) {
	path := writeConfig(t, `listen: 0.0.0.0:9000
data_dir: /var/lib/pagerd
rota_dir: /etc/pagerd/rota
etcd:
  endpoints: [https://etcd1:2379, https://etcd2:2379]
  ca_file: /etc/pagerd/ca.pem
`)
	// --config is given on the command line; --listen and --data-dir are
	// not, so the file's values stand.
	got, err := parse(t, path, "--config", "/srv/rota")
	if err != nil {
		t.Fatal(err)
	}
	if got.Listen != "0.0.0.0:9000" || got.DataDir != "/var/lib/pagerd" || got.RotaDir != "/srv/rota" {
		t.Errorf("merged = %+v", got)
	}
	if len(got.Etcd.Endpoints) != 2 || got.Etcd.CAFile != "/etc/pagerd/ca.pem" || got.Etcd.Prefix != "/pagerd/" {
		t.Errorf("merged etcd = %+v", got.Etcd)
	}
	// Keys the file leaves out keep their defaults.
	if got.SMSInterval != 30*time.Second || got.VoiceInterval != time.Minute || got.Retention != 720*time.Hour || got.HandoffNotice != time.Hour {
		t.Errorf("defaults under a file: %+v", got)
	}
	// A flag given on the command line wins, even when it says what the
	// default says.
	got, err = parse(t, path, "--listen", "127.0.0.1:8080", "--etcd-endpoints", "http://a:2379,http://b:2379,http://c:2379")
	if err != nil {
		t.Fatal(err)
	}
	if got.Listen != "127.0.0.1:8080" || len(got.Etcd.Endpoints) != 3 || got.Etcd.CAFile != "/etc/pagerd/ca.pem" {
		t.Errorf("flags over the file: %+v", got)
	}
}

func TestDaemonConfigZeroesTakeEffect(t *testing.T) {
	path := writeConfig(t, `sms_interval: 0s
handoff_notice: 0s
retention: 0
voice_interval: 0
imap:
  poll_every: 0
`)
	got, err := parse(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if got.SMSInterval != 0 || got.HandoffNotice != 0 || got.Retention != 0 || got.VoiceInterval != 0 || got.IMAP.PollEvery != 0 {
		t.Errorf("zeros in the file: sms %s, handoff %s, retention %s, voice %s, poll %s",
			got.SMSInterval, got.HandoffNotice, got.Retention, got.VoiceInterval, got.IMAP.PollEvery)
	}
	// A key with no value is no setting: the default stands.
	got, err = parse(t, writeConfig(t, "voice_interval:\netcd:\n"))
	if err != nil || got.VoiceInterval != time.Minute || got.Etcd.Prefix != "/pagerd/" {
		t.Errorf("empty values: %+v %v", got, err)
	}
	// The other way round: a zero flag over a file's value.
	path = writeConfig(t, "sms_interval: 10s\nhandoff_notice: 2h\n")
	got, err = parse(t, path, "--sms-interval", "0s", "--handoff-notice=0")
	if err != nil {
		t.Fatal(err)
	}
	if got.SMSInterval != 0 || got.HandoffNotice != 0 {
		t.Errorf("zero flags over the file: sms %s, handoff %s", got.SMSInterval, got.HandoffNotice)
	}
}

func TestDaemonConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"listen: x\nlisten_addr: y\n", `line 2: unknown key "listen_addr"`},
		{"etcd:\n  endpoint: [http://a:2379]\n", `line 2: unknown key "etcd.endpoint"`},
		{"twilio: {account_sid: AC1, token_file: /x}\n", `unknown key "twilio.token_file"`},
		{"sms_interval: 30\n", "sms_interval: 30 is a number without a unit"},
		{"imap:\n  poll_every: 5\n", "imap.poll_every: 5 is a number without a unit"},
		{"sms_interval: soon\n", "sms_interval"},
		{"listen: [a, b]\n", "listen"},
	} {
		_, err := parse(t, writeConfig(t, tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one saying %q", tc.yaml, err, tc.want)
		}
	}
	if _, err := parse(t, "", "--retention", "30"); err == nil || !strings.Contains(err.Error(), "not a duration") {
		t.Errorf("--retention 30: %v", err)
	}
	if _, err := parse(t, filepath.Join(t.TempDir(), "none.yaml")); err == nil {
		t.Error("a missing file was accepted")
	}
	// An empty file is no settings, not an error.
	got, err := parse(t, writeConfig(t, "# nothing yet\n"))
	if err != nil || !reflect.DeepEqual(got, Defaults()) {
		t.Errorf("empty file: %+v %v", got, err)
	}
}

// TestSettingsTable checks each row of the settings table against
// itself: its YAML key and its flag reach the field its Ptr names, and its
// default is what Defaults gives.
func TestSettingsTable(t *testing.T) {
	flags, keys := map[string]bool{}, map[string]bool{}
	for _, s := range settings {
		if flags[s.Flag] || keys[s.Key] {
			t.Errorf("%s (%s) is in the table twice", s.Flag, s.Key)
		}
		flags[s.Flag], keys[s.Key] = true, true

		// A value for the field, in flag syntax and in YAML.
		var flagVal, yamlVal string
		var want any
		switch s.Ptr(&Config{}).(type) {
		case *string:
			flagVal, yamlVal, want = "v-"+s.Flag, "v-"+s.Flag, "v-"+s.Flag
		case *time.Duration:
			flagVal, yamlVal, want = "7m", "7m", 7*time.Minute
		case *[]string:
			flagVal, yamlVal, want = "a,b", "[a, b]", []string{"a", "b"}
		case *bool:
			flagVal, yamlVal, want = "true", "true", true
		case *int:
			flagVal, yamlVal, want = "7", "7", 7
		case *float64:
			flagVal, yamlVal, want = "2.5", "2.5", 2.5
		default:
			t.Fatalf("%s: the test has no value for its type", s.Flag)
		}
		deref := func(c *Config) any { return reflect.ValueOf(s.Ptr(c)).Elem().Interface() }

		// The YAML key, nested under its block.
		parts := strings.Split(s.Key, ".")
		var y strings.Builder
		for i, p := range parts {
			fmt.Fprintf(&y, "%s%s:", strings.Repeat("  ", i), p)
			if i < len(parts)-1 {
				y.WriteString("\n")
			}
		}
		fmt.Fprintf(&y, " %s\n", yamlVal)
		got, err := parse(t, writeConfig(t, y.String()))
		if err != nil {
			t.Errorf("%s: %v", s.Key, err)
		} else if !reflect.DeepEqual(deref(&got), want) {
			t.Errorf("YAML %q set %v, want %v", y.String(), deref(&got), want)
		}

		got, err = parse(t, "", "--"+s.Flag, flagVal)
		if err != nil {
			t.Errorf("--%s: %v", s.Flag, err)
		} else if !reflect.DeepEqual(deref(&got), want) {
			t.Errorf("--%s %s set %v, want %v", s.Flag, flagVal, deref(&got), want)
		}

		def := Defaults()
		var fromDefault Config
		if err := s.set(&fromDefault, s.Default); err != nil {
			t.Errorf("%s: default %q: %v", s.Flag, s.Default, err)
		} else if !reflect.DeepEqual(deref(&def), deref(&fromDefault)) {
			t.Errorf("%s: Defaults has %v, the table says %q", s.Flag, deref(&def), s.Default)
		}
		_, isBool := s.Ptr(&Config{}).(*bool)
		if s.Help == "" || (s.Arg == "") != isBool {
			t.Errorf("%s has no help, or an argument name when it is a bare boolean flag or none when it is not", s.Flag)
		}
	}
	// Every top-level field of Config but the file-only blocks is a
	// setting; every field of the etcd and archive.s3 blocks is, too.
	ct := reflect.TypeFor[Config]()
	for i := 0; i < ct.NumField(); i++ {
		key, _, _ := strings.Cut(ct.Field(i).Tag.Get("yaml"), ",")
		if key == "twilio" || key == "imap" || key == "etcd" || key == "archive" {
			continue
		}
		if !keys[key] {
			t.Errorf("Config.%s (%s) is not in the settings table", ct.Field(i).Name, key)
		}
	}
	et := reflect.TypeFor[EtcdConfig]()
	for i := 0; i < et.NumField(); i++ {
		key, _, _ := strings.Cut(et.Field(i).Tag.Get("yaml"), ",")
		if !keys["etcd."+key] {
			t.Errorf("EtcdConfig.%s (etcd.%s) is not in the settings table", et.Field(i).Name, key)
		}
	}
	st := reflect.TypeFor[S3Config]()
	for i := 0; i < st.NumField(); i++ {
		key, _, _ := strings.Cut(st.Field(i).Tag.Get("yaml"), ",")
		if !keys["archive.s3."+key] {
			t.Errorf("S3Config.%s (archive.s3.%s) is not in the settings table", st.Field(i).Name, key)
		}
	}
	if d := Defaults(); d.Listen != "127.0.0.1:8080" || d.SMSInterval != 30*time.Second || d.Etcd.Prefix != "/pagerd/" || d.Etcd.Endpoints != nil {
		t.Errorf("Defaults = %+v", d)
	}
}

var updateREADME = flag.Bool("update", false, "rewrite README.md's pagerd serve table from the settings table")

// TestREADMEFlagsTable: the README's table under "## Running it" is the
// settings table. go test ./app -run TestREADMEFlagsTable -update
// rewrites it.
func TestREADMEFlagsTable(t *testing.T) {
	const path = "../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start, end, ok := runningItTable(readme)
	if !ok {
		t.Fatal(`README.md has no table under "## Running it"`)
	}
	want := flagsTable()
	if readme[start:end] == want {
		return
	}
	if *updateREADME {
		if err := os.WriteFile(path, []byte(readme[:start]+want+readme[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got := strings.Split(readme[start:end], "\n")
	for i, w := range strings.Split(want, "\n") {
		if i >= len(got) || got[i] != w {
			g := "(nothing)"
			if i < len(got) {
				g = got[i]
			}
			t.Errorf("README.md's pagerd serve table differs from the settings table (app/config.go) at row %d:\nREADME:   %s\nsettings: %s", i+1, g, w)
			break
		}
	}
	if len(got) > len(strings.Split(want, "\n")) {
		t.Errorf("README.md's pagerd serve table has rows the settings table hasn't: %q", got[len(strings.Split(want, "\n")):])
	}
	t.Log("go test ./app -run TestREADMEFlagsTable -update rewrites the README's table")
}

// runningItTable finds the first table after "## Running it": [start, end)
// spans its lines, the last newline included.
func runningItTable(readme string) (start, end int, ok bool) {
	sec := strings.Index(readme, "\n## Running it\n")
	if sec < 0 {
		return 0, 0, false
	}
	start = -1
	pos := sec + 1
	for pos < len(readme) {
		nl := strings.IndexByte(readme[pos:], '\n')
		if nl < 0 {
			nl = len(readme) - pos - 1
		}
		line := readme[pos : pos+nl+1]
		isRow := strings.HasPrefix(line, "|")
		switch {
		case isRow && start < 0:
			start = pos
		case !isRow && start >= 0:
			return start, pos, true
		case strings.HasPrefix(line, "## ") && pos > sec+1:
			return 0, 0, false // the next section, and no table
		}
		pos += nl + 1
	}
	return start, len(readme), start >= 0
}

// A listen address other machines can reach needs a token: without one,
// pagerd serve refuses to start, with a reason on one line.
func TestValidateRefusesToServeOpen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		listen, tokenFile, tokensFile string
		insecure                      bool
		want                          string // "" for valid
	}{
		{listen: "127.0.0.1:8080"},
		{listen: "localhost:8080"},
		{listen: "[::1]:8080"},
		{listen: "0.0.0.0:8080", want: "--listen 0.0.0.0:8080 is reachable from other machines and no API token is set"},
		{listen: ":8080", want: "no API token is set"},
		{listen: "[::]:8080", want: "no API token is set"},
		{listen: "pagerd.example.com:8080", want: "no API token is set"},
		{listen: "10.1.2.3:8080", want: "no API token is set"},
		{listen: "0.0.0.0:8080", tokenFile: "/run/credentials/pagerd.service/api-token"},
		{listen: "0.0.0.0:8080", tokensFile: "/run/credentials/pagerd.service/tokens"},
		{listen: "0.0.0.0:8080", insecure: true},
		{listen: "0.0.0.0:8080", insecure: true, tokenFile: "/x", want: "--insecure-no-auth and an API token are both set"},
	} {
		c := Defaults()
		c.Listen, c.APITokenFile, c.TokensFile, c.InsecureNoAuth = tc.listen, tc.tokenFile, tc.tokensFile, tc.insecure
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v, want one saying %q", tc, err, tc.want)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Errorf("%+v: the reason is not one line: %q", tc, err)
		}
	}
	c := Defaults()
	c.IntakeBurst = 0
	if err := c.Validate(); err == nil {
		t.Error("an intake rate with a burst of 0 was accepted")
	}
}

// A secret file that is named but empty is an error: an empty token file
// used to turn authentication off.
func TestEmptySecretFileIsAnError(t *testing.T) {
	t.Parallel()
	for _, content := range []string{"", " \n\t\n"} {
		path := writeTemp(t, content)
		if s, err := ReadSecret(path); err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("secret file %q: %q, %v; want an error", content, s, err)
		}
	}
	if s, err := ReadSecret(writeTemp(t, "s3cret\n")); err != nil || s != "s3cret" {
		t.Errorf("a good secret: %q, %v", s, err)
	}
	if s, err := ReadSecret(""); err != nil || s != "" {
		t.Errorf("no file named: %q, %v", s, err)
	}
}

// flagsTable is the README's table of pagerd serve's settings.
func flagsTable() string {
	var b strings.Builder
	b.WriteString("| flag | YAML key | default | meaning |\n|---|---|---|---|\n")
	for _, s := range settings {
		def := s.Computed
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		flag := "--" + s.Flag
		if s.Arg != "" {
			flag += " " + s.Arg
		}
		row := fmt.Sprintf("| `%s` | `%s` | %s | %s |\n", flag, s.Key, def, s.Help)
		b.WriteString(strings.Replace(row, "|  |", "| |", 1))
	}
	return b.String()
}

func TestLogLevelSetting(t *testing.T) {
	c := Defaults()
	if l, err := c.Level(); err != nil || l != slog.LevelInfo {
		t.Errorf("default level %v, %v; want info", l, err)
	}
	c.LogLevel = "debug"
	if l, err := c.Level(); err != nil || l != slog.LevelDebug {
		t.Errorf("debug: %v, %v", l, err)
	}
	c.LogLevel = "loud"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "log_level") {
		t.Errorf("Validate(log_level: loud) = %v; want an error naming log_level", err)
	}
}
