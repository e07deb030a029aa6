package app

import (
	"context"
	"fmt"
	"log/slog"

	"golang.org/x/sync/errgroup"
)

// components starts the daemon's parts in dependency order and stops them
// in reverse, waiting for each to end before asking the next: what a part
// uses is still there while it stops.
type components struct {
	g      *errgroup.Group
	failed context.Context // done when a part returned an error
	base   context.Context // values for the parts' contexts, never cancelled
	log    *slog.Logger
	stack  []component
}

type component struct {
	name string
	stop func()        // asks the part to stop; may block until it has
	done chan struct{} // closed when its goroutine has returned; nil if it has none
}

func newComponents(ctx context.Context, log *slog.Logger) *components {
	g, failed := errgroup.WithContext(context.WithoutCancel(ctx))
	return &components{g: g, failed: failed, base: context.WithoutCancel(ctx), log: log}
}

// Go runs run in the group with a context of its own, cancelled only when
// the part's turn to stop comes (not when Run's context ends: the order of
// shutdown is the point). An error from run stops the daemon.
func (c *components) Go(name string, run func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(c.base)
	c.GoStop(name, func() error { return run(ctx) }, cancel)
}

// GoStop is Go for a part with its own way of stopping.
func (c *components) GoStop(name string, run func() error, stop func()) {
	done := make(chan struct{})
	c.stack = append(c.stack, component{name: name, stop: stop, done: done})
	c.g.Go(func() error {
		defer close(done)
		if err := run(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
}

// OnStop adds a step to the shutdown, in its place in the order, for a
// part that runs no goroutine of its own.
func (c *components) OnStop(name string, stop func()) {
	c.stack = append(c.stack, component{name: name, stop: stop})
}

// Failed is done when a part has returned an error.
func (c *components) Failed() <-chan struct{} { return c.failed.Done() }

// Stop stops every part, last started first, and returns the first error
// any part returned. When it returns, no goroutine of any part is left.
// A second call does nothing.
func (c *components) Stop() error {
	for i := len(c.stack) - 1; i >= 0; i-- {
		p := c.stack[i]
		p.stop()
		if p.done != nil {
			<-p.done
		}
		c.log.Debug("stopped", "component", p.name)
	}
	c.stack = nil
	return c.g.Wait()
}
