// Package flow is Tessera's stage pipelines: a pipeline binds a select
// field of a module to states (label, probability, kind, colour, fields
// required to enter) and transitions between them (sources, target, a
// guard in the one expression language with its own message, roles,
// a reason field, an approval process, on-enter actions).
//
// The pipeline hooks into the one write path, so every change of the stage
// field — a transition fired through the API, a plain PATCH, an import, a
// rule action — passes the same checks: an in-transaction hook finds the
// transition the change makes, builds a looplab/fsm machine from the
// metadata and the record's current state, and fires it; the guard,
// required fields, roles and reason are checked in the machine's
// before-event callback, against the record as the write leaves it. The
// new state, the stage-history row, the audit diff and the on-enter action
// jobs commit in the write's transaction, under its version check, or
// nothing does.
package flow

import (
	"encoding/json"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/rule"
)

// State kinds.
const (
	KindOpen = "open"
	KindWon  = "won"
	KindLost = "lost"
)

// Any is the source list of a transition that leaves every state.
const Any = "*"

// Flow is one stage pipeline of an app, bound to a select field.
type Flow struct {
	ID     string     `json:"id"`
	App    string     `json:"app"`
	Key    string     `json:"key"`
	Label  meta.Label `json:"label"`
	Module string     `json:"module"`
	Field  string     `json:"field"`
	// Calendar is the business calendar the time in a stage is counted in
	// ("" = "default").
	Calendar    string        `json:"calendar,omitempty"`
	States      []*State      `json:"states"`
	Transitions []*Transition `json:"transitions"`
	Version     int           `json:"version"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
}

// State is one stage. Probability (0–100, percent) weights the forecast;
// Required fields must be filled to enter it; Initial states are where
// records may start (when no state says so, the first state).
type State struct {
	Key         string     `json:"key"`
	Label       meta.Label `json:"label"`
	Probability float64    `json:"probability"`
	Kind        string     `json:"kind"`
	Color       string     `json:"color,omitempty"`
	Required    []string   `json:"required,omitempty"`
	Initial     bool       `json:"initial,omitempty"`
}

// Transition is one allowed move. From lists its source states ("*": any
// state but To). Guard (a boolean expression over the record as the move
// leaves it) must hold, with Message shown when it does not; Roles (role
// keys; empty = anyone who may update the record) may fire it;
// ReasonRequired names a field the move must fill in; Approval names the
// approval process the move waits for; Actions (the rule engine's
// after-save actions) run after commit as durable jobs.
type Transition struct {
	Key            string        `json:"key"`
	Label          meta.Label    `json:"label"`
	From           Sources       `json:"from"`
	To             string        `json:"to"`
	Guard          string        `json:"guard,omitempty"`
	Message        meta.Label    `json:"message,omitempty"`
	Roles          []string      `json:"roles,omitempty"`
	ReasonRequired string        `json:"reason_required,omitempty"`
	Approval       string        `json:"approval,omitempty"`
	Actions        []rule.Action `json:"actions,omitempty"`
}

// Sources are the states a transition leaves: a list, or "*" for all.
type Sources []string

// All reports whether the transition leaves every state.
func (s Sources) All() bool { return len(s) == 1 && s[0] == Any }

// MarshalJSON writes "*" for all states, else the list.
func (s Sources) MarshalJSON() ([]byte, error) {
	if s.All() {
		return json.Marshal(Any)
	}
	return json.Marshal([]string(s))
}

// UnmarshalJSON reads "*", one state key, or a list of them.
func (s *Sources) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = Sources{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*s = Sources(list)
	return nil
}

// Leaves reports whether the transition may leave state.
func (t *Transition) Leaves(state string) bool {
	if t.From.All() {
		return state != t.To
	}
	for _, s := range t.From {
		if s == state {
			return true
		}
	}
	return false
}

// State returns the state with key, or nil.
func (f *Flow) State(key string) *State {
	for _, s := range f.States {
		if s.Key == key {
			return s
		}
	}
	return nil
}

// Named is the pipeline as messages name it.
func (f *Flow) Named() meta.Named { return meta.Named{Key: f.Key, Label: f.Label} }

// StateName is how messages name state key of f: by its label, or by the
// key when f has no such state (a value the client sent).
func (f *Flow) StateName(key string) meta.Named {
	if st := f.State(key); st != nil {
		return meta.Named{Key: key, Label: st.Label}
	}
	return meta.Named{Key: key}
}

// TransitionName is how messages name transition key of f.
func (f *Flow) TransitionName(key string) meta.Named {
	if t := f.Transition(key); t != nil {
		return meta.Named{Key: key, Label: t.Label}
	}
	return meta.Named{Key: key}
}

// Transition returns the transition with key, or nil.
func (f *Flow) Transition(key string) *Transition {
	for _, t := range f.Transitions {
		if t.Key == key {
			return t
		}
	}
	return nil
}

// Initial returns the states records may start in, in order.
func (f *Flow) Initial() []*State {
	var out []*State
	for _, s := range f.States {
		if s.Initial {
			out = append(out, s)
		}
	}
	if len(out) == 0 && len(f.States) > 0 {
		out = append(out, f.States[0])
	}
	return out
}

// CalendarKey is the business calendar of the pipeline.
func (f *Flow) CalendarKey() string {
	if f.Calendar == "" {
		return "default"
	}
	return f.Calendar
}

// definition is what the store keeps as the flow's JSON document.
type definition struct {
	Calendar    string        `json:"calendar,omitempty"`
	States      []*State      `json:"states"`
	Transitions []*Transition `json:"transitions"`
}
