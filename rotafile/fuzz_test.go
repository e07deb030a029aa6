package rotafile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoad feeds arbitrary bytes as a team file (beside a valid people file)
// and as a people file. The loader must never panic, and must either return
// a rota or at least one error.
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{exampleDir, "testdata/broken"} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(goodTeam))
	f.Add([]byte("team: x\ntimezone: UTC\nrotations: {primary: &a {follows: primary}, secondary: *a}\n"))
	f.Add([]byte("people: [{id: a, name: *x}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fs := range [][]File{
			{{Name: "people.yaml", Data: []byte(peopleYAML)}, {Name: "team.yaml", Data: data}},
			{{Name: "people.yaml", Data: data}, {Name: "team.yaml", Data: []byte(goodTeam)}},
		} {
			r, diags := Load(fs)
			if r == nil && len(diags.Errors()) == 0 {
				t.Fatalf("no rota and no error for %q", data)
			}
			if r != nil {
				if len(diags.Errors()) != 0 {
					t.Fatalf("a rota and errors for %q", data)
				}
				// A rota that loads must answer questions without panicking.
				at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
				for _, team := range r.Teams {
					team.Schedule.Who(at)
					team.Schedule.Shifts(at, at.Add(30*24*time.Hour))
					team.HealthIn(at, at.Add(84*24*time.Hour))
				}
				Health(r, at)
			}
		}
	})
}

// BenchmarkLoadExample is how long `pagerd check` takes on the example.
func BenchmarkLoadExample(b *testing.B) {
	files, err := ReadDir(exampleDir)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		r, diags := Load(files)
		if r == nil {
			b.Fatal(diags)
		}
		Health(r, at)
	}
}
