package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/pagerd/pagerd/store"
)

// cmdSnapshot saves an etcd snapshot from a running daemon, or restores one
// into a new data directory for an embedded pagerd.
func cmdSnapshot(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "save" && args[0] != "restore") {
		fmt.Fprintln(stderr, "Usage: pagerd snapshot save FILE [--server URL] [--token-file F] | pagerd snapshot restore FILE --data-dir DIR")
		return 2
	}
	verb := args[0]
	fs := newFlagSet("snapshot "+verb, "snapshot "+verb+" FILE", stderr)
	server := fs.String("server", envOr("PAGERD_SERVER", "http://127.0.0.1:8080"), "pagerd API URL (save)")
	tokenFile := tokenFileFlag(fs)
	dataDir := fs.String("data-dir", "", "new data directory to restore into (restore)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil || len(pos) != 1 {
		fs.Usage()
		return 2
	}
	file := pos[0]
	if verb == "restore" {
		if *dataDir == "" {
			fmt.Fprintln(stderr, "pagerd snapshot restore: --data-dir is required (a new directory)")
			return 2
		}
		if err := store.RestoreSnapshot(file, *dataDir); err != nil {
			fmt.Fprintf(stderr, "pagerd snapshot restore: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "restored %s into %s; start pagerd serve --data-dir %s\n", file, *dataDir, *dataDir)
		return 0
	}
	token, err := clientToken(*tokenFile)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd snapshot save: %v\n", err)
		return 2
	}
	req, _ := http.NewRequest("GET", strings.TrimRight(*server, "/")+"/api/v1/admin/snapshot", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd snapshot save: is pagerd running at %s? %v\n", *server, err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		hint := ""
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			hint = " (a snapshot needs an admin's token: --token-file F, PAGERD_TOKEN_FILE or PAGERD_TOKEN)"
		}
		fmt.Fprintf(stderr, "pagerd snapshot save: %s: %s%s\n", resp.Status, strings.TrimSpace(string(b)), hint)
		return 1
	}
	// Written beside the target and renamed, so a failed save never leaves
	// a truncated snapshot under the name.
	tmp := file + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd snapshot save: %v\n", err)
		return 1
	}
	n, err := io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		os.Remove(tmp)
		fmt.Fprintf(stderr, "pagerd snapshot save: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "saved %d bytes to %s\n", n, file)
	return 0
}
