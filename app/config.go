package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is everything pagerd serve needs, kept apart from the rota: the
// settings table below gives each its flag, YAML key and default; the
// twilio and imap blocks exist only in the file (they hold names of secret
// files and are too many to be flags).
type Config struct {
	Listen       string `yaml:"listen"`
	DataDir      string `yaml:"data_dir"`
	RotaDir      string `yaml:"rota_dir"`
	PublicURL    string `yaml:"public_url"`
	Node         string `yaml:"node"` // "" is host/listen
	APITokenFile string `yaml:"api_token_file"`
	// TokensFile names the operators, each with a role and a token (or
	// its SHA-256): the authenticated name is the actor on the timeline.
	TokensFile string `yaml:"tokens_file"`
	// InsecureNoAuth lets a non-loopback listen address serve without any
	// token: a choice, warned about at every start.
	InsecureNoAuth bool       `yaml:"insecure_no_auth"`
	Etcd           EtcdConfig `yaml:"etcd"`
	// IntakeRate and IntakeBurst are each integration key's (and each
	// operator's) token bucket for alerts in: alerts per second, and how
	// many may come at once. 0 turns the limit off.
	IntakeRate  float64 `yaml:"intake_rate"`
	IntakeBurst int     `yaml:"intake_burst"`
	// MaxOpenPerTeam caps a team's open alerts; new alerts beyond it are
	// counted into one open storm alert. 0 turns the cap off.
	MaxOpenPerTeam int `yaml:"max_open_alerts_per_team"`
	// Retention of resolved alerts in full in etcd before their summary
	// and compressed archive replace them; 0 keeps them. The archive stays
	// ArchiveRetention after that, the summary HistoryRetention (0:
	// forever). ArchiveFile ("" is DataDir/archive.jsonl) is an export:
	// the node that retires an alert appends it there too.
	Retention        time.Duration `yaml:"retention"`
	ArchiveRetention time.Duration `yaml:"archive_retention"`
	HistoryRetention time.Duration `yaml:"history_retention"`
	ArchiveFile      string        `yaml:"archive_file"`
	// Archive.S3, when its bucket is set, keeps retired alerts' full
	// records in an S3-compatible bucket instead of in etcd.
	Archive ArchiveConfig `yaml:"archive"`
	// HandoffNotice: a text this long before a shift to whoever takes it
	// (and its shadows); 0 sends none.
	HandoffNotice time.Duration `yaml:"handoff_notice"`
	// CalendarSecretFile holds the secret calendar feed tokens derive
	// from; without it there are no feeds.
	CalendarSecretFile string `yaml:"calendar_secret_file"`
	// The least time between two messages to one person by one method;
	// pages due sooner are bundled into the next message. 0: no bundling.
	SMSInterval   time.Duration `yaml:"sms_interval"`
	VoiceInterval time.Duration `yaml:"voice_interval"`

	// LogLevel is the least level logged: debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// PprofListen serves Go's profiles (net/http/pprof, with block and
	// mutex profiling on) at this loopback address; "" serves none.
	PprofListen string `yaml:"pprof_listen"`

	Twilio TwilioConfig `yaml:"twilio"`
	IMAP   IMAPConfig   `yaml:"imap"`
}

// EtcdConfig says how to reach an existing etcd cluster; no endpoints
// starts an embedded etcd in DataDir.
type EtcdConfig struct {
	Endpoints    []string `yaml:"endpoints"`
	CAFile       string   `yaml:"ca_file"`
	CertFile     string   `yaml:"cert_file"`
	KeyFile      string   `yaml:"key_file"`
	Username     string   `yaml:"username"`
	PasswordFile string   `yaml:"password_file"`
	Prefix       string   `yaml:"prefix"`
}

// ArchiveConfig says where retired alerts' full records go besides etcd.
type ArchiveConfig struct {
	S3 S3Config `yaml:"s3"`
}

// S3Config is an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Garage).
// The keys come from files (systemd credentials) or, without them, from
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
type S3Config struct {
	Endpoint      string `yaml:"endpoint"` // host[:port], no scheme
	Bucket        string `yaml:"bucket"`
	Prefix        string `yaml:"prefix"`
	Region        string `yaml:"region"`
	AccessKeyFile string `yaml:"access_key_file"`
	SecretKeyFile string `yaml:"secret_key_file"`
	Insecure      bool   `yaml:"insecure"` // plain HTTP
	CAFile        string `yaml:"ca_file"`
}

// TwilioConfig says how to reach Twilio. Every value may instead come from
// the environment (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_KEY,
// TWILIO_API_SECRET, TWILIO_SMS_FROM, TWILIO_VOICE_FROM,
// TWILIO_MESSAGING_SERVICE_SID); secrets from files named here, which is
// how systemd credentials arrive.
type TwilioConfig struct {
	AccountSID          string `yaml:"account_sid"`
	AuthTokenFile       string `yaml:"auth_token_file"`
	APIKey              string `yaml:"api_key"`
	APISecretFile       string `yaml:"api_secret_file"`
	SMSFrom             string `yaml:"sms_from"`
	VoiceFrom           string `yaml:"voice_from"`
	MessagingServiceSID string `yaml:"messaging_service_sid"`
	// APIURL and CAFile are testing aids: the Twilio API requests go to
	// APIURL (a local fake) instead of api.twilio.com, trusting the CA in
	// CAFile. Unset in production.
	APIURL string `yaml:"api_url"`
	CAFile string `yaml:"ca_file"`
}

// IMAPConfig is the watched mailbox. The password comes from a file
// (systemd credentials), read again before every login, or
// PAGERD_IMAP_PASSWORD, never from rota files.
type IMAPConfig struct {
	Addr         string        `yaml:"addr"`
	TLS          string        `yaml:"tls"` // implicit (default), starttls; plain only with allow_plain
	AllowPlain   bool          `yaml:"allow_plain"`
	Username     string        `yaml:"username"`
	PasswordFile string        `yaml:"password_file"`
	Mailboxes    []string      `yaml:"mailboxes"`
	Keyword      string        `yaml:"keyword"`
	MoveTo       string        `yaml:"move_to"`
	PollEvery    time.Duration `yaml:"poll_every"`
	// CAFile is the CA (PEM) the server's certificate must chain to,
	// instead of the system's; ServerName is the name the certificate
	// must carry, when it isn't addr's host (an IP, a tunnel).
	CAFile     string `yaml:"ca_file"`
	ServerName string `yaml:"server_name"`
	// RejudgeWithin: after a rota change, mail no route matched that
	// arrived this recently is judged again (default 1h).
	RejudgeWithin time.Duration `yaml:"rejudge_within"`
}

// setting is one flag-and-key of Config, written once: it registers the
// flag, gives the default, merges a set flag over the file, and is a row of
// the README's table.
type setting struct {
	Flag string // without dashes
	Key  string // YAML key, dotted under a block: etcd.ca_file
	Arg  string // what the flag's value is called in help: DIR, ADDR, D
	// Default as it is typed on the command line ("" for none); Computed
	// says, for the README, what an empty value turns into at run time.
	Default  string
	Computed string
	Help     string
	// Ptr points into a Config: a *string, *time.Duration, *bool, *int,
	// *float64, or a *[]string given as a comma-separated flag.
	Ptr func(*Config) any
}

// settings is every setting of pagerd serve, in the README's order.
var settings = []setting{
	{Flag: "config", Key: "rota_dir", Arg: "DIR", Help: "rota directory: checked, then published to the cluster with a revision",
		Ptr: func(c *Config) any { return &c.RotaDir }},
	{Flag: "listen", Key: "listen", Arg: "ADDR", Default: "127.0.0.1:8080", Help: "HTTP API",
		Ptr: func(c *Config) any { return &c.Listen }},
	{Flag: "data-dir", Key: "data_dir", Arg: "DIR", Default: "./pagerd-data", Help: "embedded etcd's data, when no endpoints are given",
		Ptr: func(c *Config) any { return &c.DataDir }},
	{Flag: "etcd-endpoints", Key: "etcd.endpoints", Arg: "URLS", Help: "use an existing etcd cluster instead (comma-separated; a list in the file)",
		Ptr: func(c *Config) any { return &c.Etcd.Endpoints }},
	{Flag: "etcd-ca", Key: "etcd.ca_file", Arg: "F", Help: "TLS to etcd: the CA certificate",
		Ptr: func(c *Config) any { return &c.Etcd.CAFile }},
	{Flag: "etcd-cert", Key: "etcd.cert_file", Arg: "F", Help: "TLS to etcd: the client certificate",
		Ptr: func(c *Config) any { return &c.Etcd.CertFile }},
	{Flag: "etcd-key", Key: "etcd.key_file", Arg: "F", Help: "TLS to etcd: the client key",
		Ptr: func(c *Config) any { return &c.Etcd.KeyFile }},
	{Flag: "etcd-user", Key: "etcd.username", Arg: "NAME", Help: "etcd authentication: the user",
		Ptr: func(c *Config) any { return &c.Etcd.Username }},
	{Flag: "etcd-password-file", Key: "etcd.password_file", Arg: "F", Help: "etcd authentication: the file holding the password",
		Ptr: func(c *Config) any { return &c.Etcd.PasswordFile }},
	{Flag: "etcd-prefix", Key: "etcd.prefix", Arg: "P", Default: "/pagerd/", Help: "key prefix, so clusters can share an etcd",
		Ptr: func(c *Config) any { return &c.Etcd.Prefix }},
	{Flag: "node", Key: "node", Arg: "NAME", Computed: "host/listen", Help: "this node's name in the cluster",
		Ptr: func(c *Config) any { return &c.Node }},
	{Flag: "api-token-file", Key: "api_token_file", Arg: "F", Help: "one admin token (`Authorization: Bearer <token>`), recorded as operator api-token; prefer --tokens-file",
		Ptr: func(c *Config) any { return &c.APITokenFile }},
	{Flag: "tokens-file", Key: "tokens_file", Arg: "F", Help: "named operators, each with a role (read-only, responder, admin) and a token or its SHA-256; the name is the actor on the timeline",
		Ptr: func(c *Config) any { return &c.TokensFile }},
	{Flag: "insecure-no-auth", Key: "insecure_no_auth", Default: "false", Help: "serve a non-loopback --listen with no token at all (logged at WARN at every start)",
		Ptr: func(c *Config) any { return &c.InsecureNoAuth }},
	{Flag: "intake-rate", Key: "intake_rate", Arg: "N", Default: "100", Help: "alerts per second each integration key (or operator) may send; beyond the burst: 429 with Retry-After (0: no limit)",
		Ptr: func(c *Config) any { return &c.IntakeRate }},
	{Flag: "intake-burst", Key: "intake_burst", Arg: "N", Default: "1000", Help: "alerts each integration key (or operator) may send at once before --intake-rate applies",
		Ptr: func(c *Config) any { return &c.IntakeBurst }},
	{Flag: "max-open-alerts-per-team", Key: "max_open_alerts_per_team", Arg: "N", Default: "1000", Help: "beyond this many open alerts, a team's new alerts are counted into one open storm alert (0: no cap)",
		Ptr: func(c *Config) any { return &c.MaxOpenPerTeam }},
	{Flag: "public-url", Key: "public_url", Arg: "URL", Help: "how Twilio reaches this node (callbacks)",
		Ptr: func(c *Config) any { return &c.PublicURL }},
	{Flag: "retention", Key: "retention", Arg: "D", Default: "720h", Help: "resolved alerts are replaced by their summary and compressed archive (in etcd, or the archive in a bucket) after this (0: they stay in full)",
		Ptr: func(c *Config) any { return &c.Retention }},
	{Flag: "archive-retention", Key: "archive_retention", Arg: "D", Default: "2160h", Help: "a retired alert's full timeline stays in the archive, in etcd or the --archive-s3-bucket (`pagerd archive search`), this long after retirement (0: no archive)",
		Ptr: func(c *Config) any { return &c.ArchiveRetention }},
	{Flag: "history-retention", Key: "history_retention", Arg: "D", Default: "8784h", Help: "a retired alert's summary (`pagerd alert N`, `pagerd history`) stays this long after retirement (0: forever)",
		Ptr: func(c *Config) any { return &c.HistoryRetention }},
	{Flag: "archive-file", Key: "archive_file", Arg: "F", Computed: "DATA_DIR/archive.jsonl with an embedded etcd, else none", Help: "JSON-lines export: this node appends each alert it retires (the archive of record is in etcd or the bucket)",
		Ptr: func(c *Config) any { return &c.ArchiveFile }},
	{Flag: "archive-s3-endpoint", Key: "archive.s3.endpoint", Arg: "HOST:PORT", Help: "keep archives in an S3-compatible bucket at this server (no scheme) instead of in etcd; needs --archive-s3-bucket",
		Ptr: func(c *Config) any { return &c.Archive.S3.Endpoint }},
	{Flag: "archive-s3-bucket", Key: "archive.s3.bucket", Arg: "NAME", Help: "the bucket for archives (it must exist); each retired alert is an object PREFIX/YYYY/MM/ID.json.gz",
		Ptr: func(c *Config) any { return &c.Archive.S3.Bucket }},
	{Flag: "archive-s3-prefix", Key: "archive.s3.prefix", Arg: "P", Default: "pagerd/", Help: "object name prefix, so clusters can share a bucket",
		Ptr: func(c *Config) any { return &c.Archive.S3.Prefix }},
	{Flag: "archive-s3-region", Key: "archive.s3.region", Arg: "R", Computed: "asked of the server", Help: "the bucket's region",
		Ptr: func(c *Config) any { return &c.Archive.S3.Region }},
	{Flag: "archive-s3-access-key-file", Key: "archive.s3.access_key_file", Arg: "F", Computed: "$AWS_ACCESS_KEY_ID", Help: "the file holding the bucket's access key id",
		Ptr: func(c *Config) any { return &c.Archive.S3.AccessKeyFile }},
	{Flag: "archive-s3-secret-key-file", Key: "archive.s3.secret_key_file", Arg: "F", Computed: "$AWS_SECRET_ACCESS_KEY", Help: "the file holding the bucket's secret access key",
		Ptr: func(c *Config) any { return &c.Archive.S3.SecretKeyFile }},
	{Flag: "archive-s3-insecure", Key: "archive.s3.insecure", Default: "false", Help: "plain HTTP to the bucket's server (loopback or a private network only)",
		Ptr: func(c *Config) any { return &c.Archive.S3.Insecure }},
	{Flag: "archive-s3-ca", Key: "archive.s3.ca_file", Arg: "F", Help: "TLS to the bucket's server: the CA certificate, instead of the system's",
		Ptr: func(c *Config) any { return &c.Archive.S3.CAFile }},
	{Flag: "handoff-notice", Key: "handoff_notice", Arg: "D", Default: "1h", Help: "text people this long before their shift (0: never)",
		Ptr: func(c *Config) any { return &c.HandoffNotice }},
	{Flag: "calendar-secret-file", Key: "calendar_secret_file", Arg: "F", Help: "enables `/api/v1/calendar/{person,team}/ID.ics?token=...` feeds",
		Ptr: func(c *Config) any { return &c.CalendarSecretFile }},
	{Flag: "sms-interval", Key: "sms_interval", Arg: "D", Default: "30s", Help: "least time between two texts to one person; pages due sooner are bundled (0: no bundling)",
		Ptr: func(c *Config) any { return &c.SMSInterval }},
	{Flag: "voice-interval", Key: "voice_interval", Arg: "D", Default: "60s", Help: "least time between two calls to one person; pages due sooner are bundled (0: no bundling)",
		Ptr: func(c *Config) any { return &c.VoiceInterval }},
	{Flag: "log-level", Key: "log_level", Arg: "LEVEL", Default: "info", Help: "least level logged: debug, info, warn or error",
		Ptr: func(c *Config) any { return &c.LogLevel }},
	{Flag: "pprof-listen", Key: "pprof_listen", Arg: "ADDR", Help: "serve Go's CPU, heap, block and mutex profiles at this loopback address (`/debug/pprof/`), for performance work",
		Ptr: func(c *Config) any { return &c.PprofListen }},
}

// set parses v, as typed on the command line, into the setting's field.
func (s setting) set(c *Config, v string) error {
	switch p := s.Ptr(c).(type) {
	case *string:
		*p = v
	case *time.Duration:
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("not a duration (like 30s, 5m, 1h): %q", v)
		}
		*p = d
	case *bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("not true or false: %q", v)
		}
		*p = b
	case *int:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("not a whole number of at least 0: %q", v)
		}
		*p = n
	case *float64:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("not a number of at least 0: %q", v)
		}
		*p = f
	case *[]string:
		*p = nil
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				*p = append(*p, e)
			}
		}
	default:
		// A programming error in the table, caught by every test.
		panic(fmt.Sprintf("setting %s: unsupported field type %T", s.Flag, p))
	}
	return nil
}

// Defaults is the Config of a pagerd serve given no file and no flags.
func Defaults() Config {
	var c Config
	for _, s := range settings {
		if err := s.set(&c, s.Default); err != nil {
			panic(fmt.Sprintf("setting %s: default: %v", s.Flag, err)) // the table is wrong
		}
	}
	return c
}

// LoadFile reads a daemon config file over the defaults: a key in the file
// wins over the default, even when its value is zero (sms_interval: 0s
// turns bundling off). A duration may be a bare 0; an unknown key is an
// error, so a typo doesn't silently leave a default in force.
func LoadFile(path string) (Config, error) {
	c := Defaults()
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read daemon config: %w", err)
	}
	if err := decodeYAML(data, &c); err != nil {
		return c, fmt.Errorf("daemon config %s: %w", path, err)
	}
	return c, nil
}

var durationType = reflect.TypeFor[time.Duration]()

// decodeYAML decodes data over c, after checking every key against
// Config's fields and accepting a bare 0 for a duration.
func decodeYAML(data []byte, c *Config) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // an empty file: every default stands
	}
	if err := checkNode(doc.Content[0], reflect.TypeFor[Config](), ""); err != nil {
		return err
	}
	return doc.Decode(c)
}

// checkNode walks n as it will decode into a t: a key t has no field for is
// an error, and a duration written as a bare 0 becomes "0s" (yaml.v3 takes
// only strings for durations). Any other bare number for a duration is an
// error: 30 could mean seconds or nanoseconds.
func checkNode(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil // "key:" with no value leaves the default
	}
	want := map[reflect.Kind]yaml.Kind{reflect.Struct: yaml.MappingNode, reflect.Slice: yaml.SequenceNode}[t.Kind()]
	if want == 0 {
		want = yaml.ScalarNode
	}
	if n.Kind != want {
		where := path
		if where == "" {
			where = "the file"
		}
		return fmt.Errorf("line %d: %s: want %s", n.Line, where, map[yaml.Kind]string{
			yaml.MappingNode: "a block of keys", yaml.SequenceNode: "a list", yaml.ScalarNode: "a single value"}[want])
	}
	switch {
	case t == durationType:
		if n.ShortTag() == "!!int" {
			var v int64
			if err := n.Decode(&v); err != nil || v != 0 {
				return fmt.Errorf("line %d: %s: %s is a number without a unit: write a duration, like 30s, 5m or 1h", n.Line, path, n.Value)
			}
			n.Tag, n.Value = "!!str", "0s"
		} else if _, err := time.ParseDuration(n.Value); err != nil {
			return fmt.Errorf("line %d: %s: %q is not a duration (like 30s, 5m or 1h)", n.Line, path, n.Value)
		}
	case t.Kind() == reflect.Struct:
		fields := map[string]reflect.Type{}
		var known []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			fields[name] = f.Type
			known = append(known, name)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := k.Value
			if path != "" {
				key = path + "." + k.Value
			}
			ft, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("line %d: unknown key %q (known here: %s)", k.Line, key, strings.Join(known, ", "))
			}
			if err := checkNode(v, ft, key); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice:
		for i, e := range n.Content {
			if err := checkNode(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Flags is pagerd serve's settings bound to a flag set.
type Flags struct {
	fs     *flag.FlagSet
	values map[string]*flagValue
}

// flagValue holds a flag as typed, checked by parsing it into a scratch
// Config: it is applied to the real one only after the file is read.
type flagValue struct {
	s   setting
	raw string
}

func (v *flagValue) String() string {
	if v == nil {
		return ""
	}
	return v.raw
}

// IsBoolFlag lets a boolean setting be given as a bare --flag.
func (v *flagValue) IsBoolFlag() bool {
	_, ok := v.s.Ptr(&Config{}).(*bool)
	return ok
}

func (v *flagValue) Set(s string) error {
	var scratch Config
	if err := v.s.set(&scratch, s); err != nil {
		return err
	}
	v.raw = s
	return nil
}

// BindFlags registers every setting as a flag on fs. After fs.Parse,
// Config gives the settings in force.
func BindFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs, values: map[string]*flagValue{}}
	for _, s := range settings {
		v := &flagValue{s: s, raw: s.Default}
		f.values[s.Flag] = v
		fs.Var(v, s.Flag, s.Help)
	}
	return f
}

// Config is the defaults, then the file at path (none if path is ""),
// then every flag given on the command line: only those, so a flag left at
// its default doesn't undo the file.
func (f *Flags) Config(path string) (Config, error) {
	c := Defaults()
	if path != "" {
		var err error
		if c, err = LoadFile(path); err != nil {
			return c, err
		}
	}
	var err error
	f.fs.Visit(func(fl *flag.Flag) {
		v, ok := f.values[fl.Name]
		if !ok || err != nil {
			return // not a setting (--daemon-config)
		}
		if serr := v.s.set(&c, v.raw); serr != nil {
			err = fmt.Errorf("--%s: %w", fl.Name, serr)
		}
	})
	return c, err
}

// PrintDefaults writes the flags' help, each with its value's name.
func (f *Flags) PrintDefaults(w io.Writer) {
	f.fs.VisitAll(func(fl *flag.Flag) {
		arg, usage := "", fl.Usage
		if v, ok := f.values[fl.Name]; ok {
			if v.s.Arg != "" {
				arg = " " + v.s.Arg
			}
		} else if name, u := flag.UnquoteUsage(fl); name != "" {
			arg, usage = " "+name, u
		}
		fmt.Fprintf(w, "  --%s%s\n    \t%s", fl.Name, arg, usage)
		if fl.DefValue != "" {
			fmt.Fprintf(w, " (default %s)", fl.DefValue)
		} else if v, ok := f.values[fl.Name]; ok && v.s.Computed != "" {
			fmt.Fprintf(w, " (default %s)", v.s.Computed)
		}
		fmt.Fprintln(w)
	})
}

// Validate refuses settings that would run pagerd open or can't work: a
// listen address other machines can reach needs an API token (or tokens
// file), unless --insecure-no-auth says running open is meant. The error
// is one line, for the terminal or the journal.
func (c Config) Validate() error {
	authed := c.APITokenFile != "" || c.TokensFile != ""
	if c.InsecureNoAuth && authed {
		return errors.New("--insecure-no-auth and an API token are both set: remove one")
	}
	if !authed && !c.InsecureNoAuth && !Loopback(c.Listen) {
		return fmt.Errorf("--listen %s is reachable from other machines and no API token is set: give --api-token-file or --tokens-file (or --insecure-no-auth to serve open on purpose)", c.Listen)
	}
	if c.PprofListen != "" && !Loopback(c.PprofListen) {
		return fmt.Errorf("--pprof-listen %s: profiles are served on a loopback address only", c.PprofListen)
	}
	if c.IntakeRate > 0 && c.IntakeBurst < 1 {
		return errors.New("--intake-burst must be at least 1 while --intake-rate is set")
	}
	if _, err := c.Level(); err != nil {
		return err
	}
	if c.IMAP.Addr != "" {
		if _, err := c.IMAP.check(); err != nil {
			return err
		}
	}
	if s3 := c.Archive.S3; s3.Endpoint != "" || s3.Bucket != "" {
		switch {
		case s3.Endpoint == "" || s3.Bucket == "":
			return errors.New("--archive-s3-endpoint and --archive-s3-bucket go together: give both, or neither to keep the archive in etcd")
		case strings.Contains(s3.Endpoint, "://"):
			return fmt.Errorf("--archive-s3-endpoint %s: give host[:port] without a scheme (--archive-s3-insecure for plain HTTP)", s3.Endpoint)
		case c.ArchiveRetention <= 0:
			return errors.New("--archive-s3-bucket is set but --archive-retention is 0, which keeps no archive: set a retention, or drop the bucket")
		}
	}
	if c.RotaDir != "" && c.DataDir != "" && len(c.Etcd.Endpoints) == 0 {
		// etcd writes its data directory all the time: inside the rota
		// directory, every write would look like a rota edit.
		data, rota := realPath(c.DataDir), realPath(c.RotaDir)
		switch {
		case within(data, rota):
			return fmt.Errorf("--data-dir %s is inside the rota directory %s (--config): keep them apart, e.g. --data-dir /var/lib/pagerd", c.DataDir, c.RotaDir)
		case within(rota, data):
			return fmt.Errorf("the rota directory %s (--config) is inside --data-dir %s: keep them apart", c.RotaDir, c.DataDir)
		}
	}
	return nil
}

// Level is LogLevel as a slog.Level ("" is info).
func (c Config) Level() (slog.Level, error) {
	var l slog.Level
	if c.LogLevel == "" {
		return slog.LevelInfo, nil
	}
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("--log-level (log_level) %q: want debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// realPath is p absolute, its symlinks resolved as far as it exists.
func realPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	rest := ""
	for dir := abs; ; dir = filepath.Dir(dir) {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(real, rest)
		}
		if dir == filepath.Dir(dir) {
			return abs
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Loopback reports whether a listen address is reachable only from this
// machine: a loopback IP or "localhost". An empty host (":8080") is every
// interface; any other name may resolve to anything.
func Loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
