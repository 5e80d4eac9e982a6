// Package rule is Tessera's if-then automation: when (a trigger) if (a
// condition in the shared expression language) then (actions). Rules hook
// into the one write path without it knowing them: before-save rules run
// inside the write's transaction and may set fields or reject the write;
// all others are evaluated in the transaction and, when they apply, leave a
// durable job (the outbox) that runs their actions after commit, with
// retries, inside the job's own transaction so each takes effect once.
package rule

import (
	"encoding/json"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// Rule is one automation of an app, on one module.
type Rule struct {
	ID         string     `json:"id"`
	App        string     `json:"app"`
	Key        string     `json:"key"`
	Label      meta.Label `json:"label"`
	Module     string     `json:"module"`
	Enabled    bool       `json:"enabled"`
	BeforeSave bool       `json:"before_save"`
	Trigger    Trigger    `json:"trigger"`
	Condition  string     `json:"condition,omitempty"`
	Actions    []Action   `json:"actions"`
	Version    int        `json:"version"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	// Actor names the system user the actions write as when it is not
	// "rule:<key>" (the flow engine's on-enter actions: "flow:<key>").
	Actor string `json:"-"`
}

// Trigger says when a rule runs. Which keys apply depends on Type.
type Trigger struct {
	Type string `json:"type"` // created, updated, deleted, field_changed, …
	// field_changed: the field, and optionally the values it changed from
	// and to (nil: any).
	Field string `json:"field,omitempty"`
	From  any    `json:"from,omitempty"`
	To    any    `json:"to,omitempty"`
	// date_relative: when, relative to Field's date: "-60d", "2h", "-30m";
	// festival: relative to the festival's day.
	Offset string `json:"offset,omitempty"`
	// date_relative: "yearly" fires on every anniversary of the date
	// (trigger_yearly.go).
	Repeat string `json:"repeat,omitempty"`
	// festival: the festival's key (spring_festival, mid_autumn, …).
	Festival string `json:"festival,omitempty"`
	// schedule: a standard five-field cron expression ("0 9 * * 1-5", UTC).
	Cron string `json:"cron,omitempty"`
	// stage_changed (engine/flow): the pipeline (optional when the module
	// has one); From and To (optional) are its states.
	Flow string `json:"flow,omitempty"`
	// approval_*: only instances of this process ("": any).
	Process string `json:"process,omitempty"`
	// webhook: the secret of the inbound URL POST /api/hooks/{token},
	// generated when the rule is created (shown to administrators only).
	Token string `json:"token,omitempty"`
	// manual (a button, manual.go): what to ask for first, a module-like
	// document {"properties": {…}, "required": […]}; read as input.<key>.
	Inputs json.RawMessage `json:"inputs,omitempty"`
}

// Action is one step of a rule. Which keys apply depends on Type.
type Action struct {
	Type string `json:"type"`
	// set, create, task: field → expression.
	Values map[string]string `json:"values,omitempty"`
	// create, task: the target module (same app).
	Module string `json:"module,omitempty"`
	// reject, notify: the message (a template: {field} is replaced by the
	// record's value).
	Message meta.Label `json:"message,omitempty"`
	// notify: who ("owner", "manager" or a user-id expression).
	To string `json:"to,omitempty"`
	// webhook: where to POST, and the secret for the HMAC signature.
	URL    string `json:"url,omitempty"`
	Secret string `json:"secret,omitempty"`
	// assign: how (round_robin, least_open, criteria) among whom (user
	// ids, or the members of a department by key); least_open counts the
	// candidates' records matching Open (a filter); criteria picks the
	// first entry whose When holds, else Users[0].
	Strategy   string      `json:"strategy,omitempty"`
	Users      []string    `json:"users,omitempty"`
	Department string      `json:"department,omitempty"`
	Open       string      `json:"open,omitempty"`
	Criteria   []Criterion `json:"criteria,omitempty"`
	// Subtree: the department's members include those of every
	// department below it (a 销售部 over its 战区 teams).
	Subtree bool `json:"subtree,omitempty"`
	// Else (criteria only): how to assign when no criterion holds — a
	// round_robin or least_open over its own users or department —
	// instead of Users[0].
	Else *Action `json:"else,omitempty"`
	// update_related: the child module and its lookup to this record (Via),
	// or this record's lookup field (Field) to update its target.
	Via   string `json:"via,omitempty"`
	Field string `json:"field,omitempty"`
	// approval: the approval process to start.
	Process string `json:"process,omitempty"`
	// email: the subject (Message is the body).
	Subject meta.Label `json:"subject,omitempty"`
	// convert (action_convert.go): the records to create, and the links
	// of the source's lookup fields to them (Values marks the source).
	Targets []ConvertTarget   `json:"targets,omitempty"`
	Links   map[string]string `json:"links,omitempty"`
}

// Criterion is one row of an assignment table: when the expression holds,
// the record goes to User, or in turn to the members of Department.
type Criterion struct {
	When       string `json:"when"`
	User       string `json:"user,omitempty"`
	Department string `json:"department,omitempty"`
}

func fromRow(r *store.RuleRow) (*Rule, error) {
	out := &Rule{ID: r.ID, App: r.App, Key: r.Key, Module: r.Module, Enabled: r.Enabled, BeforeSave: r.BeforeSave,
		Condition: r.Condition, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal(r.Label, &out.Label); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(r.Trigger, &out.Trigger); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(r.Actions, &out.Actions); err != nil {
		return nil, err
	}
	return out, nil
}

func (r *Rule) row(appID string) *store.RuleRow {
	label, _ := json.Marshal(r.Label)
	trig, _ := json.Marshal(r.Trigger)
	acts, _ := json.Marshal(r.Actions)
	return &store.RuleRow{ID: r.ID, AppID: appID, App: r.App, Key: r.Key, Label: label, Module: r.Module, Enabled: r.Enabled,
		BeforeSave: r.BeforeSave, Trigger: trig, Condition: r.Condition, Actions: acts, Version: r.Version}
}
