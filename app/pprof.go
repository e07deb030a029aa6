package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"
)

// servePprof serves Go's profiles at addr (a loopback address, checked
// by Validate) as a part of comps. Block and mutex profiling cost a
// little on every contended lock and blocking channel operation, so they
// are on only while profiles are served: every event of either kind is
// recorded (rate 1 ns, fraction 1/1), what a profile of the saturated
// daemon needs to show what serialises it.
func servePprof(comps *components, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--pprof-listen %s: %w", addr, err)
	}
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// No write timeout: a CPU profile or trace answers after its seconds.
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Warn("serving Go profiles (block and mutex profiling on): for performance work, not production", "pprof_listen", ln.Addr().String())
	comps.GoStop("pprof server", func() error {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}, func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		// A profile being taken is cut short: nothing waits on it.
		if err := hs.Shutdown(ctx); err != nil {
			log.Debug("pprof server: closing profiles in flight", "err", err)
			if err := hs.Close(); err != nil {
				log.Debug("pprof server close", "err", err)
			}
		}
	})
	return nil
}
