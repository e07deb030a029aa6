package rotation

import "time"

// Source says where a shift comes from.
type Source string

const (
	SourceRotation Source = "rotation"
	SourceOverride Source = "override"
	SourceShadow   Source = "shadow"
)

// Schedule is one team's on-call schedule. Build it with the loader (package
// rota) or by hand and call Compile before use.
type Schedule struct {
	Team      string
	Location  *time.Location // the team's zone; handoff rules are evaluated in it
	Rotations []*Rotation    // declaration order; Role names are unique
	Overrides []Override     // any order; no two for one role overlap
	Shadows   []Shadow       // any order

	c *compiled // set by Compile; read-only afterwards
}

// Rotation is one role (primary, secondary, ...) handed round its members.
//
// A rotation either has its own Handoff rule and Eras, or Follows another
// rotation: then it shares that rotation's handoffs, eras and life, and at
// shift k of an era it is held by member (k+Offset) mod n of that era's list.
type Rotation struct {
	Role string

	// Start is when the rotation begins; before it nobody holds the role.
	// End, if not zero, is when it stops (exclusive).
	Start, End time.Time

	// Handoff is the parsed handoff rule. Nil for a follower.
	Handoff *Handoff

	// Eras are the member lists over time, sorted by From, the first one
	// starting at Start. A members edit is a new era from a stated instant:
	// the past keeps the old list. At an era's From its first member takes
	// over, whatever the previous era's position was.
	Eras []Era

	Follows string // role of the rotation followed, or ""
	Offset  int    // positions after the followed member (may be negative)
}

// Era is a member list in force from From until the next era (or End).
type Era struct {
	From    time.Time
	Members []string // person ids, in order; may repeat a person
}

// Override gives Role to Person for [From, Until), beating the rotation.
type Override struct {
	Role        string
	Person      string
	From, Until time.Time
	Note        string
}

// Shadow receives a copy of every page Role receives during [From, Until).
// A shadow's ack does not stop an escalation; a Reverse shadow's (the
// experienced person watching a new on-call) does.
type Shadow struct {
	Person      string
	Role        string
	From, Until time.Time
	Reverse     bool
}

// Shift is a person holding (or shadowing) a role over [Start, End).
type Shift struct {
	Team    string    `json:"team"`
	Role    string    `json:"role"`
	Person  string    `json:"person"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Source  Source    `json:"source"`
	Reverse bool      `json:"reverse,omitempty"` // shadow shifts only
	Note    string    `json:"note,omitempty"`    // override note
}

// OnCall is the state of one role at an instant.
type OnCall struct {
	Role    string
	Holder  *Shift  // nil when nobody holds the role (not started, ended)
	Shadows []Shift // shadows of this role active at the instant
}
