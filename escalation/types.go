package escalation

import (
	"errors"
	"fmt"
	"time"
)

// Recipient is one person a target resolved to at an instant.
type Recipient struct {
	Person string `json:"person"`
	Role   string `json:"role,omitempty"` // "" for a person target
	// Shadow: a copy of the role's pages. A shadow's ack is only noted,
	// unless Reverse (an experienced person watching a new on-call).
	Shadow  bool `json:"shadow,omitempty"`
	Reverse bool `json:"reverse,omitempty"`
}

// Method is a contact method ("sms", "voice"); opaque to this package.
type Method string

// Rule is one of a person's notification rules: use Method, After this long
// after being paged, while the alert is unacknowledged.
type Rule struct {
	Method Method        `json:"method"`
	After  time.Duration `json:"after"`
}

// Env is how the machine asks about the world. The alerts service
// implements it from the rota in force. Its methods must be deterministic
// for Step to be.
type Env interface {
	// Resolve returns the holder of a role plus its active shadows
	// (Shadow=true, Reverse as configured), or the person of a person
	// target; empty when nobody is on call.
	Resolve(t Target, at time.Time) []Recipient
	// Rules returns a person's notification rules in order; empty means
	// the person cannot be reached (the timeline says so).
	Rules(person string) []Rule
}

// Hours is implemented by an Env that knows the team's business hours.
// Without it every instant counts as business hours, so low urgency pages
// like high.
type Hours interface {
	// BusinessHours reports whether at is within the team's business
	// hours and, when it is not, the instant they next begin, in the team's
	// zone (the zero time if none lies ahead).
	BusinessHours(at time.Time) (open bool, next time.Time)
}

// Urgency says how urgently an alert pages. High urgency pages at once, day
// or night; low urgency outside business hours does what the policy's Low
// says. The zero value is high: a record from before urgency existed pages
// as it always did.
type Urgency string

// Urgencies.
const (
	High Urgency = "high"
	Low  Urgency = "low"
)

// Status is where an alert stands.
type Status string

// Statuses. The zero Status is an alert not yet triggered.
const (
	StatusTriggered    Status = "triggered"
	StatusAcknowledged Status = "acknowledged"
	StatusResolved     Status = "resolved"
)

// State is one alert's escalation state; the scheduler stores it as JSON.
// All times Step writes are UTC, so a JSON round trip gives a value that is
// reflect.DeepEqual to the original.
type State struct {
	Status Status `json:"status,omitempty"`

	// Pass and Step are the current position in the policy, 0-based.
	Pass int `json:"pass"`
	Step int `json:"step"`
	// StepStarted is when the current step was (nominally) paged;
	// StepDeadline when it times out. Zero once acknowledged, resolved or
	// exhausted: no step timer runs then.
	StepStarted  time.Time `json:"step_started,omitzero"`
	StepDeadline time.Time `json:"step_deadline,omitzero"`

	// Urgency is the alert's urgency; "" is high.
	Urgency Urgency `json:"urgency,omitempty"`
	// HeldUntil is set while a low-urgency alert waits for business hours:
	// nobody is paged until then, when step 1 starts.
	HeldUntil time.Time `json:"held_until,omitzero"`

	// Exhausted: the policy ran out with nobody acknowledging. It is the
	// reported final state; the alert stays open and pending notifications
	// still go out. It stays true after a later ack or resolve, as history.
	Exhausted bool `json:"exhausted,omitempty"`

	AckedBy    string    `json:"acked_by,omitempty"`
	AckedAt    time.Time `json:"acked_at,omitzero"`
	ResolvedBy string    `json:"resolved_by,omitempty"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`

	// Timer is the instant the alert's one timer is armed for (zero: none).
	// A newly elected leader re-arms timers from it without stepping.
	Timer time.Time `json:"timer,omitzero"`

	// Pending are notifications still to send, sorted by Due, Person,
	// Method (then Pass, Step, Rule, Role, Shadow).
	Pending []Pending `json:"pending,omitempty"`
	// Paged is everyone paged so far in this alert, each distinct
	// appearance once; it tells a learning shadow's ack apart.
	Paged []Recipient `json:"paged,omitempty"`
	// Seq counts pages sent; page IDs are "p<Seq>". It never decreases.
	Seq int `json:"seq"`

	// StepPeople are the people the current step paged who may ack (not
	// learning shadows), in the order paged: whom an answer names as
	// being paged.
	StepPeople []string `json:"step_people,omitempty"`
	// StepSends are the pages sent at the current step, with whether each
	// was reported failed: when every person of the step has no method
	// left that did not fail, the step is over at once.
	StepSends []Send `json:"step_sends,omitempty"`
	// TextsOnly: the current step was paged by Policy.Low.Methods only (a
	// low-urgency alert outside business hours). Raising the alert to
	// high urgency pages the step again with every method.
	TextsOnly bool `json:"texts_only,omitempty"`
}

// Held reports whether the alert waits for business hours.
func (s State) Held() bool { return !s.HeldUntil.IsZero() }

// Send is one page sent at the current step.
type Send struct {
	Page   string `json:"page"`
	Person string `json:"person"`
	Method Method `json:"method"`
	Failed bool   `json:"failed,omitempty"`
}

// Pending is one notification still to send.
type Pending struct {
	Person string    `json:"person"`
	Role   string    `json:"role,omitempty"`
	Shadow bool      `json:"shadow,omitempty"`
	Method Method    `json:"method"`
	Due    time.Time `json:"due"`
	Pass   int       `json:"pass"`
	Step   int       `json:"step"`
	Rule   int       `json:"rule"` // index into the person's rules when paged
}

// Event is an input to Step.
type Event interface{ isEvent() }

// Trigger creates the alert: page step 0 of pass 0, or, for a low-urgency
// alert outside business hours under a policy that holds them, wait for
// business hours.
type Trigger struct {
	Urgency Urgency // "" is high
}

// Tick is the alert's timer firing, possibly late.
type Tick struct{}

// Ack acknowledges the alert; By is a person id or an operator name.
type Ack struct{ By string }

// Resolve closes the alert.
type Resolve struct{ By string }

// EscalateNow skips to the next step now. On an acknowledged alert it
// re-opens the alert: whoever acked wants help.
type EscalateNow struct{ By string }

// Raise makes the alert high urgency: a held alert is paged now, and a
// step paged by texts only is paged again with every method.
type Raise struct{ By string }

// DeliveryFailed reports that a page could not be delivered; the person's
// next other method becomes due now. When no person of the current step is
// left with a method that has not failed, the next step starts at once
// (unless the policy says to wait for the ack timeout).
type DeliveryFailed struct {
	Person string
	Method Method
	Reason string
	// Page is the failed page's ID when known; else the person's oldest
	// unfailed send by Method at the current step is taken to be it.
	Page string
}

func (Trigger) isEvent()        {}
func (Tick) isEvent()           {}
func (Ack) isEvent()            {}
func (Resolve) isEvent()        {}
func (EscalateNow) isEvent()    {}
func (DeliveryFailed) isEvent() {}
func (Raise) isEvent()          {}

// Action is an output of Step, for the scheduler to perform in order.
type Action interface{ isAction() }

// Page asks the notifier to contact Person by Method. ID is unique within
// the alert and stable across retries, so the notifier can de-duplicate.
type Page struct {
	ID     string        `json:"id"`
	Person string        `json:"person"`
	Role   string        `json:"role,omitempty"`
	Shadow bool          `json:"shadow,omitempty"`
	Method Method        `json:"method"`
	Pass   int           `json:"pass"`
	Step   int           `json:"step"`
	Due    time.Time     `json:"due"`
	Late   time.Duration `json:"late,omitempty"` // now-Due when positive
}

// SetTimer (re)arms the alert's one timer; emitted only when it changes.
type SetTimer struct {
	At time.Time `json:"at"`
}

// CancelTimer disarms the alert's timer.
type CancelTimer struct{}

// Note is one human-readable timeline line.
type Note struct {
	Text string `json:"text"`
}

// Exhausted is emitted once, when the policy runs out unacknowledged.
type Exhausted struct{}

func (Page) isAction()        {}
func (SetTimer) isAction()    {}
func (CancelTimer) isAction() {}
func (Note) isAction()        {}
func (Exhausted) isAction()   {}

// Errors returned by Step. Whenever Step returns an error, the state it
// returns is the one passed in and there are no actions.
var (
	ErrNotTriggered        = errors.New("escalation: alert not triggered")
	ErrAlreadyTriggered    = errors.New("escalation: alert already triggered")
	ErrAlreadyAcknowledged = errors.New("escalation: alert already acknowledged")
	ErrAlreadyResolved     = errors.New("escalation: alert already resolved")
	ErrNoFurtherStep       = errors.New("escalation: nobody further to escalate to")
	ErrAlreadyHigh         = errors.New("escalation: alert already high urgency")
	ErrNoActor             = errors.New("escalation: event names nobody (By or Person empty)")
	ErrInvalidPolicy       = errors.New("escalation: invalid policy")
	ErrInvalidState        = errors.New("escalation: invalid state")
	ErrUnknownEvent        = errors.New("escalation: unknown event")
	ErrNoEnv               = errors.New("escalation: no Env")
)

// AlreadyError says the alert was already acknowledged or resolved, by whom
// and when, so the caller can answer "already acknowledged by bob at 03:12"
// in the team's zone. errors.Is matches ErrAlreadyAcknowledged or
// ErrAlreadyResolved.
type AlreadyError struct {
	Status Status // StatusAcknowledged or StatusResolved
	By     string
	At     time.Time
}

func (e *AlreadyError) Error() string {
	return fmt.Sprintf("escalation: alert already %s by %s at %s", e.Status, e.By, e.At.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrAlreadyAcknowledged) and friends work.
func (e *AlreadyError) Is(target error) bool {
	switch target {
	case ErrAlreadyAcknowledged:
		return e.Status == StatusAcknowledged
	case ErrAlreadyResolved:
		return e.Status == StatusResolved
	}
	return false
}
