package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/metrics"
	"github.com/pagerd/pagerd/store"
)

const testPeople = `people:
  - {id: ann, name: Ann, timezone: UTC, contacts: {sms: "+447700900101"}}
  - {id: ben, name: Ben, timezone: UTC, contacts: {sms: "+447700900102"}}
  - {id: cat, name: Cat, timezone: UTC, contacts: {sms: "+447700900103"}}
  - {id: dan, name: Dan, timezone: UTC, contacts: {sms: "+447700900104"}}
`

// testTeam is a rota whose on-call doesn't depend on today's date.
func testTeam(members string) string {
	return fmt.Sprintf(`team: core
timezone: UTC
rotations:
  primary:
    members: [%s]
    handoff: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    start: 2020-01-06T09:00
  secondary:
    follows: primary
escalation:
  steps:
    - {notify: [primary], ack_timeout: 10m}
    - {notify: [secondary], ack_timeout: 10m}
`, members)
}

func writeRotaDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "people.yaml"), testPeople)
	writeFile(t, filepath.Join(dir, "core.yaml"), testTeam("ann, ben, cat, dan"))
	return dir
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

// scrape reads h's metrics as "name,label=value" -> value.
func scrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("metrics don't parse: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.Metric {
			key := name
			for _, l := range m.Label {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[strings.Replace(key, name, name+"_count", 1)] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

func reloads(t *testing.T, m *metrics.Metrics) map[metrics.RotaReloadResult]float64 {
	t.Helper()
	got := scrape(t, m.Handler())
	out := map[metrics.RotaReloadResult]float64{}
	for _, r := range []metrics.RotaReloadResult{metrics.RotaPublished, metrics.RotaUnchanged, metrics.RotaInvalid, metrics.RotaFailed} {
		v, ok := got["pagerd_rota_reloads_total,result="+string(r)]
		if !ok {
			t.Fatalf("pagerd_rota_reloads_total{result=%q} is not exported", r)
		}
		out[r] = v
	}
	return out
}

func rotaRev(t *testing.T, st *store.Store) int64 {
	t.Helper()
	rec, ok, err := st.Rota(context.Background())
	if err != nil || !ok {
		t.Fatalf("cluster rota: %v %v", ok, err)
	}
	return rec.Rev
}

func TestRotaReload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t)
	dir := writeRotaDir(t)
	log, logs := newLog()
	m := metrics.New()
	src := &rotaSource{dir: dir, node: "n1", clk: clock.NewFake(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)), log: log, m: m}
	files := src.check()
	if files == nil {
		t.Fatal("the test rota has errors")
	}
	if _, err := src.publish(ctx, st, files); err != nil {
		t.Fatal(err)
	}
	diskErrors := func() float64 { return scrape(t, m.Handler())["pagerd_rota_disk_errors"] }
	if rotaRev(t, st) != 1 || diskErrors() != 0 {
		t.Fatalf("start: rev %d, disk errors %v", rotaRev(t, st), diskErrors())
	}

	// A broken edit (two unknown members): shown on /metrics, and the
	// cluster keeps its rota.
	writeFile(t, filepath.Join(dir, "core.yaml"), testTeam("ann, bne, cat, dna"))
	if got := src.reload(ctx, st, "test"); got != metrics.RotaInvalid {
		t.Fatalf("broken edit: %s", got)
	}
	if diskErrors() != 2 {
		t.Errorf("disk errors after a broken edit: %v, want 2", diskErrors())
	}
	if rotaRev(t, st) != 1 {
		t.Errorf("a broken edit was published: rev %d", rotaRev(t, st))
	}
	if n := len(logs.find(`rota: member "dna" is not a person in the rota`)); n != 1 {
		t.Errorf("the error is logged %d times", n)
	}

	// Fixed: the gauge goes back to 0 and the rota is published.
	writeFile(t, filepath.Join(dir, "core.yaml"), testTeam("ben, ann, cat, dan"))
	if got := src.reload(ctx, st, "test"); got != metrics.RotaPublished {
		t.Fatalf("fixed: %s", got)
	}
	if diskErrors() != 0 || rotaRev(t, st) != 2 {
		t.Errorf("after the fix: disk errors %v, rev %d", diskErrors(), rotaRev(t, st))
	}

	// Reloaded with nothing changed: said at INFO, with the revision.
	if got := src.reload(ctx, st, "test"); got != metrics.RotaUnchanged {
		t.Fatalf("unchanged: %s", got)
	}
	unchanged := logs.find("rota unchanged")
	if len(unchanged) != 1 || unchanged[0]["level"] != "INFO" || unchanged[0]["rev"] != float64(2) {
		t.Errorf("unchanged reload logged as %v", unchanged)
	}

	// A publish that fails (here: its context is cancelled, as when etcd
	// can't be reached in time) is an ERROR with the reason, and counted.
	writeFile(t, filepath.Join(dir, "core.yaml"), testTeam("cat, ann, ben, dan"))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if got := src.reload(cctx, st, "test"); got != metrics.RotaFailed {
		t.Fatalf("failed publish: %s", got)
	}
	failed := logs.find("rota not published; the cluster keeps the rota in force until the next reload")
	if len(failed) != 1 || failed[0]["level"] != "ERROR" || !strings.Contains(fmt.Sprint(failed[0]["err"]), "context canceled") {
		t.Errorf("failed publish logged as %v", failed)
	}
	if rotaRev(t, st) != 2 || diskErrors() != 0 {
		t.Errorf("after a failed publish: rev %d, disk errors %v", rotaRev(t, st), diskErrors())
	}
	want := map[metrics.RotaReloadResult]float64{metrics.RotaPublished: 1, metrics.RotaUnchanged: 1, metrics.RotaInvalid: 1, metrics.RotaFailed: 1}
	if got := reloads(t, m); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("reloads = %v, want %v", got, want)
	}
	// The next reload tries again, and publishes.
	if got := src.reload(ctx, st, "test"); got != metrics.RotaPublished || rotaRev(t, st) != 3 {
		t.Errorf("retry after a failure: %s, rev %d", got, rotaRev(t, st))
	}
}

func TestRotaReloadOfAMissingDirectory(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	log, logs := newLog()
	m := metrics.New()
	src := &rotaSource{dir: filepath.Join(t.TempDir(), "gone"), node: "n1", clk: clock.Real{}, log: log, m: m}
	if got := src.reload(context.Background(), st, "test"); got != metrics.RotaInvalid {
		t.Fatalf("missing directory: %s", got)
	}
	if v := scrape(t, m.Handler())["pagerd_rota_disk_errors"]; v != 1 {
		t.Errorf("disk errors for a missing directory: %v", v)
	}
	if len(logs.find("rota not loaded")) != 1 {
		t.Error("a missing directory is not logged")
	}
}

// TestRotaReloadsOnRotaFilesOnly (issue 19, finding 6): other files in the
// rota directory (notes, an editor's swap file, a data directory's
// writes) trigger nothing; a rota file's change triggers a reload that
// names it.
func TestRotaReloadsOnRotaFilesOnly(t *testing.T) {
	t.Parallel()
	dir := writeRotaDir(t)
	st := openStore(t)
	src := &rotaSource{dir: dir, node: "n1", clk: clock.Real{}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), m: metrics.New()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	whys := make(chan string, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		src.watchEvents(ctx, st, func(why string) { whys <- why })
	}()
	defer func() { cancel(); <-done }()
	// The watch is set up when a rota edit is seen; until then, edit
	// again, less often than the reload's 500 ms wait for quiet.
	deadline := time.After(20 * time.Second)
	first := ""
	for first == "" {
		writeFile(t, filepath.Join(dir, "core.yaml"), testTeam("ann, ben, cat, dan"))
		select {
		case first = <-whys:
		case <-time.After(2 * time.Second):
		case <-deadline:
			t.Fatal("no reload after editing core.yaml")
		}
	}
	if first != "files changed: core.yaml" {
		t.Fatalf("first reload: %q", first)
	}
	for _, next := range []struct{ noise, file string }{{"notes.txt", "people.yaml"}, {".core.yaml.swp", "core.yaml"}} {
		for i := 0; i < 3; i++ {
			writeFile(t, filepath.Join(dir, next.noise), fmt.Sprint(i))
		}
		data, err := os.ReadFile(filepath.Join(dir, next.file))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, next.file), string(data)+"\n")
		for got := false; !got; {
			select {
			case why := <-whys:
				if why == first && next.file != "core.yaml" {
					continue // a late reload of the edits above
				}
				got = true
				if why != "files changed: "+next.file {
					t.Errorf("after writing %s and %s: reload %q, want only %s", next.noise, next.file, why, next.file)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("no reload after editing %s", next.file)
			}
		}
	}
}

// TestServeRefusesADataDirectoryInsideTheRota (issue 19, finding 6): an
// embedded etcd's data directory inside the rota directory, or the rota
// inside the data directory, is refused with a one-line reason.
func TestServeRefusesADataDirectoryInsideTheRota(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		rota, data string
		endpoints  []string
		refused    bool
	}{
		{dir + "/x", dir + "/x/data", nil, true},
		{dir + "/x", dir + "/x", nil, true},
		{dir + "/x/rota", dir + "/x", nil, true},
		{dir + "/x/../x", dir + "/x/./data", nil, true},
		{dir + "/rota", dir + "/data", nil, false},
		{dir + "/x", dir + "/x2", nil, false},
		{dir + "/x", dir + "/x/data", []string{"http://127.0.0.1:2379"}, false}, // the data dir is unused
	} {
		cfg := Defaults()
		cfg.RotaDir, cfg.DataDir, cfg.Etcd.Endpoints = c.rota, c.data, c.endpoints
		err := cfg.Validate()
		if (err != nil) != c.refused {
			t.Errorf("rota %s, data %s, endpoints %v: %v, want refused %v", c.rota, c.data, c.endpoints, err, c.refused)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("not one line: %q", err)
		}
	}
}
