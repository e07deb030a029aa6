package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/api"
)

// The CLI sends the token from --token-file or from PAGERD_TOKEN; an empty
// token file is an error, not "no token". Not parallel: it sets the
// environment.
func TestCLITokenFromFileOrEnvironment(t *testing.T) {
	const token = "rob-token-0123456789"
	_, srv := inProcessAPI(t)
	srv.Operators = []api.Operator{api.NewOperator("rob", api.RoleResponder, token)}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	alerts := func(extra ...string) (int, string) {
		var out, errb strings.Builder
		code := run(append([]string{"alerts", "--server", hs.URL}, extra...), &out, &errb, timeNow)
		return code, errb.String()
	}
	t.Setenv("PAGERD_TOKEN", "")
	t.Setenv("PAGERD_TOKEN_FILE", "")
	if code, errb := alerts(); code != 1 || !strings.Contains(errb, "missing or wrong API token") {
		t.Errorf("no token: exit %d: %s", code, errb)
	}
	t.Setenv("PAGERD_TOKEN", token)
	if code, errb := alerts(); code != 0 {
		t.Errorf("PAGERD_TOKEN: exit %d: %s", code, errb)
	}
	t.Setenv("PAGERD_TOKEN", "")
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	os.WriteFile(file, []byte(token+"\n"), 0o600)
	if code, errb := alerts("--token-file", file); code != 0 {
		t.Errorf("--token-file: exit %d: %s", code, errb)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if code, errb := alerts("--token-file", empty); code != 2 || !strings.Contains(errb, "is empty") {
		t.Errorf("an empty --token-file: exit %d: %s", code, errb)
	}
}
