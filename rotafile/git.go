package rotafile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ReadGitDir reads the rota directory dir as it was at revision rev of the
// git repository dir is in: the files ReadDir would read from a checkout of
// rev (.yaml and .yml, hidden files and folders skipped). Each file is
// named "rev:path", path as dir's files are named on disk, so diagnostics
// say which version they are about. It runs the git command; dir must
// exist in the working tree.
func ReadGitDir(ctx context.Context, rev, dir string) ([]File, error) {
	if rev == "" || strings.HasPrefix(rev, "-") {
		return nil, fmt.Errorf("read rota directory %s: %q is not a git revision", dir, rev)
	}
	git := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			msg := strings.TrimSpace(stderr.String())
			if errors.Is(err, exec.ErrNotFound) {
				msg = "git is not installed (or not on PATH)"
			}
			if msg == "" {
				msg = err.Error()
			}
			return nil, fmt.Errorf("git %s: %s", args[0], msg)
		}
		return out, nil
	}
	prefix, err := git("rev-parse", "--show-prefix")
	if err != nil {
		if strings.Contains(err.Error(), "not a git repository") {
			return nil, fmt.Errorf("read rota directory %s at %s: %s is not in a git repository", dir, rev, dir)
		}
		return nil, fmt.Errorf("read rota directory %s at %s: %w", dir, rev, err)
	}
	if _, err := git("rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}"); err != nil {
		return nil, fmt.Errorf("read rota directory %s: %q is not a revision of this repository (a branch, tag or commit)", dir, rev)
	}
	list, err := git("ls-tree", "-r", "-z", "-l", "--full-name", rev, "--", ".")
	if err != nil {
		return nil, fmt.Errorf("read rota directory %s at %s: %w", dir, rev, err)
	}
	pre := strings.TrimSpace(string(prefix))
	var files []File
	for _, entry := range strings.Split(string(list), "\x00") {
		if entry == "" {
			continue
		}
		// "<mode> SP <type> SP <object> SP+ <size> TAB <path>"
		meta, path, ok := strings.Cut(entry, "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 4 {
			return nil, fmt.Errorf("read rota directory %s at %s: unexpected git ls-tree line %q", dir, rev, entry)
		}
		mode, typ, oid := fields[0], fields[1], fields[2]
		rel, inDir := strings.CutPrefix(path, pre)
		// Only files, as ReadDir reads them; a symbolic link's blob is the
		// link's target, not a rota file.
		if !inDir || typ != "blob" || mode == "120000" || !isRotaFile(rel) {
			continue
		}
		name := rev + ":" + filepath.Join(dir, filepath.FromSlash(rel))
		size, err := strconv.ParseInt(fields[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("read rota directory %s at %s: size of %s: %w", dir, rev, path, err)
		}
		if size > MaxFileSize {
			// Load reports the size; the content would only be thrown away.
			files = append(files, File{Name: name, Data: make([]byte, MaxFileSize+1)})
			continue
		}
		data, err := git("cat-file", "blob", oid)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		files = append(files, File{Name: name, Data: data})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("read rota directory %s at %s: no .yaml or .yml files", dir, rev)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// isRotaFile says whether ReadDir would read the file at rel (a slash path
// inside the directory): a .yaml or .yml file with no hidden part.
func isRotaFile(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") {
			return false
		}
	}
	return strings.HasSuffix(rel, ".yaml") || strings.HasSuffix(rel, ".yml")
}
