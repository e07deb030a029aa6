package rotafile

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRepo makes a repository in a temp dir with the example rota committed
// under configs/rota, and returns its root.
func gitRepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	rota := filepath.Join(root, "configs", "rota")
	if err := os.MkdirAll(filepath.Join(rota, ".hidden"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(path, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(rota, path), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("people.yaml", peopleYAML)
	write("ops.yaml", goodTeam)
	write(".hidden/x.yaml", "not: [valid")
	write("README.md", "not yaml")
	runGit(t, root, "init", "-q")
	runGit(t, root, "add", ".")
	runGit(t, root, "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "rota")
	return root
}

func runGit(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestReadGitDir(t *testing.T) {
	t.Parallel()
	root := gitRepo(t)
	dir := filepath.Join(root, "configs", "rota")
	// The working tree moves on; HEAD still has the committed rota.
	if err := os.WriteFile(filepath.Join(dir, "ops.yaml"), []byte("team: [broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := ReadGitDir(context.Background(), "HEAD", dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Name != "HEAD:"+filepath.Join(dir, "ops.yaml") || files[1].Name != "HEAD:"+filepath.Join(dir, "people.yaml") {
		t.Fatalf("files = %v", names(files))
	}
	if string(files[0].Data) != goodTeam || string(files[1].Data) != peopleYAML {
		t.Errorf("contents differ from what was committed")
	}
	if r, diags := Load(files); r == nil {
		t.Fatalf("committed rota: %v", diags)
	}

	// A subdirectory of the rota reads only its part.
	if _, err := ReadGitDir(context.Background(), "HEAD", filepath.Join(root, "configs")); err != nil {
		t.Errorf("parent dir: %v", err)
	}
	if _, err := ReadGitDir(context.Background(), "no-such-branch", dir); err == nil || !strings.Contains(err.Error(), `"no-such-branch" is not a revision`) {
		t.Errorf("unknown revision: err = %v", err)
	}
	if _, err := ReadGitDir(context.Background(), "--output=/tmp/x", dir); err == nil || !strings.Contains(err.Error(), "is not a git revision") {
		t.Errorf("option as revision: err = %v", err)
	}
	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadGitDir(context.Background(), "HEAD", empty); err == nil || !strings.Contains(err.Error(), "no .yaml or .yml files") {
		t.Errorf("dir not in the revision: err = %v", err)
	}
}

func TestReadGitDirOutsideARepository(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ops.yaml"), []byte(goodTeam), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadGitDir(context.Background(), "HEAD", dir)
	if err == nil || !strings.Contains(err.Error(), "is not in a git repository") {
		t.Errorf("err = %v", err)
	}
}

func names(fs []File) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}
