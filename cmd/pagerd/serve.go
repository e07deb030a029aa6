package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/pagerd/pagerd/app"
)

// cmdServe is pagerd serve: its settings from flags and the daemon config
// file into an app.Config, then app.Run until SIGTERM or SIGINT.
func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "serve --config DIR [flags]", stderr)
	daemonFile := fs.String("daemon-config", "", "YAML `FILE` with daemon settings (flags given on the command line win over it)")
	flags := app.BindFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: pagerd serve --config DIR [flags]")
		flags.PrintDefaults(stderr)
	}
	if pos, err := parseInterleaved(fs, args); err != nil {
		return 2
	} else if len(pos) > 0 {
		fmt.Fprintf(stderr, "pagerd serve: unexpected argument %q (the rota directory goes after --config)\n", pos[0])
		return 2
	}
	c, err := flags.Config(*daemonFile)
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		fmt.Fprintf(stderr, "pagerd serve: %v\n", err)
		return 2
	}
	level, _ := c.Level() // checked by Validate above
	log := newLogger(stderr, level)
	if limit, set := memoryLimit(); set {
		log.Info("Go memory limit", "bytes", limit, "from", "GOMEMLIMIT")
	}
	if percent, set := gcPercent(); set {
		log.Info("Go collector target", "percent", percent, "from", "GOGC")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := app.Run(ctx, c, log, nil); err != nil {
		log.Error("pagerd stopped", "err", err)
		return 1
	}
	return 0
}

// newLogger logs at level and above: text for a person at a terminal,
// JSON for journald and collectors. Durations are written as text ("1.5s"),
// not as JSON's nanosecond integers, so a reader sees the unit.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: durationText}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, opts))
		}
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// durationText writes a time.Duration attribute as its String.
func durationText(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}

// defaultMemoryLimit is pagerd serve's soft limit on the Go runtime's
// memory when GOMEMLIMIT is not set: a ceiling for a storm far beyond the
// usual, not a size to run at. Near the limit the collector runs more and
// more often (up to half the CPU; it is a soft limit, never an
// out-of-memory kill), and a limit close to what a storm keeps live
// (192 MiB once, against some 130 MB live while a 60,000-alert storm's
// pages waited in mailboxes) starved the daemon for seconds. What a storm
// leaves behind is returned to the system by the heap trimmer (package
// heaptrim) once it is over. Embedded etcd's database file is mapped, not
// heap: it adds to RSS beyond this.
const defaultMemoryLimit = 512 << 20

// memoryLimit sets defaultMemoryLimit unless GOMEMLIMIT is set (the
// runtime has read that already), and reports the limit in force and
// whether it came from GOMEMLIMIT.
func memoryLimit() (int64, bool) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1), true
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	return defaultMemoryLimit, false
}

// defaultGCPercent is pagerd serve's GOGC when GOGC is not set: the heap
// may grow to three times what is live before a collection, not twice.
// Under a storm the collector took about a quarter of the CPU at the
// runtime's 100; at 200 the daemon took some 25% more alerts a second
// (30,000 alerts, 64 clients, 2 cores). The extra memory is a storm's
// alone: the heap trimmer returns it when the storm is over, and the
// memory limit caps it.
const defaultGCPercent = 200

// gcPercent sets defaultGCPercent unless GOGC is set, and reports the
// percentage in force and whether it came from GOGC.
func gcPercent() (int, bool) {
	if os.Getenv("GOGC") != "" {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p, true
	}
	debug.SetGCPercent(defaultGCPercent)
	return defaultGCPercent, false
}
