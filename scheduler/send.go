package scheduler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/notifier/message"
	"github.com/pagerd/pagerd/store"
)

// Sending one message (one page, or a bundle for one person and method)
// is a chain of small steps, each returning its error:
//
//	wanted   - drop pages whose alert was answered or moved on (recorded as skipped)
//	compose  - the notifier.Page: number, text, bundle
//	look     - a page that carries a send intent may have gone out: ask the provider
//	intend   - record the intent (fenced) just before handing it over
//	deliver  - the provider call, retried with backoff; an ambiguous failure is looked up, not repeated
//	record   - the outcome on every alert's timeline, and the page out of the outbox
//
// A page stays in the outbox until its outcome is recorded; whatever fails
// returns an error, the lead loop logs it with the page's ids, and a sweep
// offers the page again.

// tick handles an alert's due timer.
func (e *Engine) tick(ctx context.Context, fence *store.Fence, id int64, due time.Time) error {
	if e.Observer != nil {
		e.Observer.TimerFired(e.Clock.Now().Sub(due))
	}
	ctx, cancel := context.WithTimeout(ctx, 2*e.RequestTimeout)
	defer cancel()
	return e.Alerts.TimerFired(ctx, fence, id, due)
}

// send delivers one message and records its outcome on every alert
// concerned.
func (e *Engine) send(ctx context.Context, fence *store.Fence, msg outgoing) error {
	pages, err := e.wanted(ctx, msg.pages)
	if err != nil || len(pages) == 0 {
		return err
	}
	held := msg.held
	page, err := e.compose(ctx, pages, held)
	if err != nil || page == nil {
		return err
	}
	if in := intentOf(pages); in != nil {
		if err := e.settle(ctx, fence, in); err != nil {
			return err
		}
		done, err := e.look(ctx, *page, pages, in)
		if err != nil || done {
			return err
		}
	}
	what := fmt.Sprintf("%s to %s", page.Method, page.Person)
	backoff := e.Backoff
	// After an ambiguous failure (a timeout, a dropped connection) the
	// provider may have the message: before any further attempt, and
	// before giving up on the method, it is looked up, after the backoff
	// wait so that a request still on its way has arrived.
	var lookSince time.Time
	var lastErr error
	look := func(attempt int) (bool, error) {
		found, rec, lerr := e.find(ctx, *page, lookSince)
		lookSince = time.Time{}
		switch {
		case lerr != nil:
			return false, e.noteAll(ctx, pages, fmt.Sprintf("lookup-%d", attempt), "retry",
				"%s: %v; could not ask %s whether it arrived (%v), so it is sent again", what, lastErr, e.Notifier.Name(), lerr)
		case found:
			return true, e.recordSent(ctx, *page, pages, rec, fmt.Sprintf(" (the request failed: %v; %s has it, so it is not sent again)", lastErr, e.Notifier.Name()))
		}
		return false, nil
	}
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return ctx.Err() // leadership lost before sending: the next leader sends it
		}
		if !lookSince.IsZero() {
			if done, err := look(attempt); done || err != nil {
				return err
			}
		}
		in := store.Intent{Term: fenceRev(fence), Node: e.Node, Attempt: attempt, At: e.Clock.Now(), Message: pages[len(pages)-1].Key()}
		if page.Method == "sms" {
			in.Text = notifier.Text(*page)
		}
		live, err := e.intend(ctx, fence, pages, in)
		if err != nil {
			return err
		}
		if len(live) < len(pages) {
			// Some were recorded meanwhile (by an earlier leader's late
			// record): the message goes without them.
			if len(live) == 0 {
				return nil
			}
			pages = live
			if page, err = e.compose(ctx, pages, held); err != nil || page == nil {
				return err
			}
		}
		if e.afterIntent != nil {
			e.afterIntent()
		}
		// The intent tells a new leader to look this message up 2 s after
		// it (settle). A request that leaves much later than its intent (the
		// process was paused, or starved of CPU) could reach Twilio after
		// such a look-up found nothing, and go twice. A new leader exists
		// only if this term's lease expired: so after a long gap the
		// leadership is checked first, and the request goes only if it holds.
		if took := e.Clock.Now().Sub(in.At); took > intentSettle/2 {
			hctx, cancel := context.WithTimeout(ctx, e.RequestTimeout)
			ok, err := e.Store.Holds(hctx, fence)
			cancel()
			switch {
			case err != nil:
				if nerr := e.noteAll(ctx, pages, fmt.Sprintf("stale-%d-%d", in.Term, attempt), "retry",
					"%s held back: %s passed between its send intent and the request (was pagerd paused?), and leadership could not be confirmed (%v); it is looked up before it goes", what, took.Round(time.Millisecond), err); nerr != nil {
					return nerr
				}
				return fmt.Errorf("%s, %s after its intent: %w", what, took.Round(time.Millisecond), err)
			case !ok:
				// The next leader looks it up, after its settle.
				return fmt.Errorf("%s, %s after its intent: %w", what, took.Round(time.Millisecond), store.ErrFenced)
			}
		}
		// A send under way is allowed to finish even if leadership ends, so
		// its outcome is known and recorded rather than repeated.
		// The bound is the notifier's (Twilio's: 45 s, waiting out a hang
		// rather than asking twice) with a little to spare.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		rec, err := e.Notifier.Send(sctx, *page)
		cancel()
		if e.Observer != nil {
			for _, q := range pages {
				e.Observer.PageSent(q, e.Clock.Now(), err)
			}
		}
		if err == nil {
			return e.recordSent(ctx, *page, pages, rec, "")
		}
		lastErr = err
		if notifier.IsAmbiguous(err) {
			lookSince = in.At
		}
		if ctx.Err() != nil {
			return ctx.Err() // leadership lost: the next leader looks it up
		}
		if notifier.IsPermanent(err) || attempt >= e.Attempts {
			if !lookSince.IsZero() {
				if done, err := look(attempt + 1); done || err != nil {
					return err
				}
			}
			return e.failedAll(ctx, pages, err, attempt)
		}
		wait := backoff + time.Duration(rand.Int64N(int64(backoff)/2+1))
		backoff *= 2
		// Arm the wait before saying so, so whoever reads the note (a
		// test driving the clock) finds the timer already running.
		t := e.Clock.NewTimer(wait)
		if err := e.noteAll(ctx, pages, fmt.Sprintf("retry-%d", attempt), "retry",
			"%s failed (attempt %d of %d): %v; retrying in %s", what, attempt, e.Attempts, err, wait.Round(time.Millisecond)); err != nil {
			t.Stop()
			return err
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}

func fenceRev(f *store.Fence) int64 {
	if f == nil {
		return 0
	}
	return f.Rev
}

// intentOf returns the send intent a message's pages carry, if any.
func intentOf(pages []store.OutboxPage) *store.Intent {
	for _, pg := range pages {
		if pg.Intent != nil {
			return pg.Intent
		}
	}
	return nil
}

// wanted drops pages nobody needs any more: the alert was acknowledged or
// resolved, or its escalation started a new pass since (a leader died, or
// the page waited in a mailbox). Each is recorded as
// skipped, with the reason. Fresh pages skip the read: they were just
// decided.
func (e *Engine) wanted(ctx context.Context, pages []store.OutboxPage) ([]store.OutboxPage, error) {
	// Decided once per page, so the read and the loop below agree.
	now := e.Clock.Now()
	fresh := func(pg store.OutboxPage) bool { return pg.Intent == nil && now.Sub(pg.Queued) <= staleAfter }
	var check []int64
	for _, pg := range pages {
		if !fresh(pg) {
			check = append(check, pg.AlertID)
		}
	}
	var records map[int64]store.Progress
	if len(check) > 0 {
		rctx, cancel := context.WithTimeout(ctx, e.RequestTimeout)
		var err error
		records, err = e.Store.Progresses(rctx, check)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("check %d page(s) still wanted: %w", len(check), err)
		}
	}
	var out []store.OutboxPage
	for _, pg := range pages {
		if fresh(pg) {
			out = append(out, pg)
			continue
		}
		a, ok := records[pg.AlertID]
		if !ok {
			continue // retired: nothing to page about
		}
		why := ""
		switch {
		case a.Status != escalation.StatusTriggered:
			why = "alert is " + string(a.Status)
		case a.Pass > pg.Pass:
			// A later step of the same pass is no reason: the person of an
			// earlier step never had the page, and still holds the role,
			// so it goes, late. A new pass pages them afresh.
			why = fmt.Sprintf("its pass (%d) ended before it could go; pass %d pages afresh", pg.Pass+1, a.Pass+1)
		}
		if why == "" {
			out = append(out, pg)
			continue
		}
		if err := e.finish(ctx, pg, "skipped", "%s to %s not sent: %s", pg.Method, pg.Person, why); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// staleAfter is how old a queued page may be before send checks that its
// alert is still unacknowledged.
const staleAfter = time.Second

// lateShown is how late a page must be before its message says so.
const lateShown = 2 * time.Second

// compose builds the message for pages, all for one person and method: the
// newest page speaks for a bundle. held is how long the rate limit held
// them back (said apart from lateness). A person with no number for the
// method fails the pages at once (nil page).
func (e *Engine) compose(ctx context.Context, pages []store.OutboxPage, held time.Duration) (*notifier.Page, error) {
	pg := pages[len(pages)-1]
	r := e.Rota.Get()
	p, ok := r.People[pg.Person]
	to := ""
	if ok {
		to = p.SMS
		if pg.Method == "voice" {
			to = p.Voice
		}
	}
	if to == "" {
		return nil, e.failedAll(ctx, pages, fmt.Errorf("%s has no %s number in rota r%d", pg.Person, pg.Method, r.Rev), 0)
	}
	page := &notifier.Page{
		AlertID: pg.AlertID, PageID: pg.PageID, Team: pg.Team, Summary: pg.Summary, Severity: pg.Severity,
		Person: p.ID, PersonName: p.Name, Method: string(pg.Method), To: to, Role: pg.Role,
		Shadow: pg.Shadow,
	}
	for _, q := range pages {
		if q.Late > lateShown {
			page.Late = max(page.Late, q.Late)
		}
	}
	if held >= time.Second {
		page.Held = held
	}
	if len(pages) > 1 {
		for _, q := range pages {
			page.Bundled = append(page.Bundled, q.AlertID)
			page.BundledPages = append(page.BundledPages, q.PageID)
		}
	}
	compose := e.Compose
	if compose == nil {
		compose = ComposeSMS
	}
	page.Text = compose(*page, pages)
	return page, nil
}

// ComposeSMS is the text of a message about pages: one alert, or a
// bundle, with each page's lateness and the rate limit's hold.
func ComposeSMS(p notifier.Page, pages []store.OutboxPage) string {
	alerts := make([]message.Alert, len(pages))
	for i, q := range pages {
		alerts[i] = message.Alert{ID: q.AlertID, Team: q.Team, Summary: q.Summary, Shadow: q.Shadow}
		if q.Late > lateShown {
			alerts[i].Late = q.Late
		}
	}
	return message.ComposeHeld(alerts, p.Held)
}

// look asks the provider about a message that an earlier attempt (this
// leader's, or a predecessor's that died before recording it) may have
// sent. done is true when the provider has it: the pages are recorded as
// sent and nothing goes out again. When the provider can't be asked the
// message is sent again: a page is never dropped, and the timeline says so.
func (e *Engine) look(ctx context.Context, page notifier.Page, pages []store.OutboxPage, in *store.Intent) (done bool, err error) {
	if in.Text != "" {
		page.Text = in.Text // find what was sent then, not what would be sent now
	}
	found, rec, lerr := e.find(ctx, page, in.At)
	who := fmt.Sprintf("%s (attempt %d, %s)", in.Node, in.Attempt, in.At.UTC().Format(time.RFC3339))
	switch {
	case lerr != nil:
		return false, e.noteAll(ctx, pages, fmt.Sprintf("look-%d-%d", in.Term, in.Attempt), "retry",
			"%s to %s may have been sent by %s, but %s could not be asked (%v): sending it again", page.Method, page.Person, who, e.Notifier.Name(), lerr)
	case found:
		return true, e.recordSent(ctx, page, pages, rec, fmt.Sprintf(" by %s; found at %s after it went unrecorded, not sent again", who, e.Notifier.Name()))
	default:
		return false, e.noteAll(ctx, pages, fmt.Sprintf("look-%d-%d", in.Term, in.Attempt), "retry",
			"%s to %s was begun by %s but never reached %s: sending it now", page.Method, page.Person, who, e.Notifier.Name())
	}
}

// intentSettle is how long after another term's send intent a new leader
// waits before asking the provider whether that message went: the lease
// of a leader cut off from etcd can expire while its request is on the
// wire, and the provider lists a message only once it has taken it (the
// fake Twilio of the fault suite after 200 ms; Twilio within a second or
// two). Asked sooner, it has nothing to show and the page goes twice. A
// request that takes longer is the ambiguous case pagerd can't settle.
const intentSettle = 2 * time.Second

// settle waits out intentSettle from a send intent of an earlier term,
// by the intent's own time, but never longer than intentSettle: the
// intent's time is another machine's clock. Its own term's intents are
// its own sends, looked after by send itself.
func (e *Engine) settle(ctx context.Context, fence *store.Fence, in *store.Intent) error {
	if in.Term == fenceRev(fence) {
		return nil
	}
	wait := min(in.At.Add(intentSettle).Sub(e.Clock.Now()), intentSettle)
	if wait <= 0 {
		return nil
	}
	t := e.Clock.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err() // leadership lost: the next leader looks it up
	case <-t.C():
		return nil
	}
}

// find asks the notifier, when it can be asked, whether it holds a message
// or call for page created since.
func (e *Engine) find(ctx context.Context, page notifier.Page, since time.Time) (bool, notifier.Receipt, error) {
	f, ok := e.Notifier.(notifier.Finder)
	if !ok {
		return false, notifier.Receipt{}, fmt.Errorf("%s keeps no record to look in", e.Notifier.Name())
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	rec, found, err := f.Find(fctx, page, since)
	return found, rec, err
}

// intend records the send intent on the pages, fenced.
func (e *Engine) intend(ctx context.Context, fence *store.Fence, pages []store.OutboxPage, in store.Intent) ([]store.OutboxPage, error) {
	rctx, cancel := context.WithTimeout(ctx, e.RequestTimeout)
	defer cancel()
	return e.Store.MarkSending(rctx, fence, pages, in)
}

// recordSent records a message that went out on every alert it covers.
func (e *Engine) recordSent(ctx context.Context, page notifier.Page, pages []store.OutboxPage, rec notifier.Receipt, extra string) error {
	late := ""
	if page.Late > 0 {
		late = fmt.Sprintf(", %s late", page.Late.Round(time.Second))
	}
	if page.Held > 0 {
		late += fmt.Sprintf(", held %s (rate limit)", page.Held.Round(time.Second))
	}
	covers := make([]int64, len(pages))
	for i, q := range pages {
		covers[i] = q.AlertID
	}
	bundle := ""
	if len(pages) > 1 {
		bundle = fmt.Sprintf(" in one message about %d alerts", len(pages))
	}
	at := e.Clock.Now()
	sent := make([]store.Sent, len(pages))
	for i, q := range pages {
		shadow := ""
		if q.Shadow {
			shadow = " (shadow copy)"
		}
		sent[i] = store.Sent{Page: q, Entry: store.Entry{At: at, Kind: "sent",
			Text: fmt.Sprintf("%s%s to %s (%s) sent via %s [%s]%s%s%s", q.Method, shadow, q.Person, page.To, rec.Provider, rec.ID, bundle, late, extra)}}
	}
	// Not fenced, and outlives the term: that a page went out is a fact
	// whoever leads, and recording it even as leadership is lost keeps the
	// next leader from sending it again. A storm's bundle is many
	// transactions (64 pages each): each gets a request's time, as each
	// page had its own 15 s when pages were recorded one by one.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second+time.Duration(len(pages)/64)*e.RequestTimeout)
	defer cancel()
	return e.Store.RecordSent(rctx, sent, covers)
}

// noteAll puts one timeline line on every alert of a message; key makes it
// unique per page.
func (e *Engine) noteAll(ctx context.Context, pages []store.OutboxPage, key, kind, format string, args ...any) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.RequestTimeout)
	defer cancel()
	entry := store.Entry{At: e.Clock.Now(), Kind: kind, Text: fmt.Sprintf(format, args...)}
	var errs []error
	for _, q := range pages {
		errs = append(errs, e.Store.RecordEvent(rctx, q.AlertID, q.PageID+"-"+key, entry))
	}
	return errors.Join(errs...)
}

// failedAll records that a message could not be sent and moves its
// person on to their next contact method (or the alerts on to their next
// step), as one decision: a bundle that fails as a text becomes one call.
// The record outlives the term, like finish.
func (e *Engine) failedAll(ctx context.Context, pages []store.OutboxPage, cause error, attempts int) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second+time.Duration(len(pages))*e.RequestTimeout)
	defer cancel()
	return e.Alerts.SendFailed(rctx, pages, cause, attempts)
}

// finish removes a page from the outbox, noting why on the timeline. It
// is not fenced and outlives the term: that a page went out is a fact
// whoever leads, and recording it even as leadership is lost keeps the next
// leader from sending it again.
func (e *Engine) finish(ctx context.Context, pg store.OutboxPage, kind, format string, args ...any) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	entry := store.Entry{At: e.Clock.Now(), Kind: kind, Text: fmt.Sprintf(format, args...)}
	return e.Store.RecordEvent(rctx, pg.AlertID, pg.PageID+"-"+kind, entry, pg)
}
