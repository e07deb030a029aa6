package scheduler

// SetAfterIntent lets the external tests stand in for a pause of the
// process between a send's intent and its request.
func SetAfterIntent(e *Engine, f func()) { e.afterIntent = f }
