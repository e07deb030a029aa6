package main

import (
	"testing"

	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/store"
)

// inProcessAPI is the API on a real embedded etcd with the example rota,
// for tests that need no child process.
func inProcessAPI(t *testing.T) (*store.Store, *api.Server) {
	t.Helper()
	env := testenv.New(t, "../../configs/example", nil)
	return env.Store, env.API
}
