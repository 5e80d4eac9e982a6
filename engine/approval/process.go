// Package approval is Tessera's approval processes: a record is submitted
// (by a user, by a stage transition that requires approval, or by a rule
// action), an optional start condition picks the process, and ordered steps
// ask approvers to decide — any one of them (或签) or all (会签) — with
// skip conditions, due times in business hours, timeout behaviour, fields
// the approver may edit, and the actions Chinese offices expect: approve,
// reject, return (退回) to the submitter or an earlier step, transfer (转交),
// add an approver before or after oneself (加签), remind (催办), withdraw
// (撤回) and comment.
//
// Every change of an instance happens in one transaction with its history
// entry, its tasks, its durable timers (jobs of engine/jobs, keyed per
// task) and the rule events it fires, so a crash leaves either all of it or
// none. Processes are versioned: an instance runs on the version it started
// with.
package approval

import (
	"strconv"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
)

// Limits of a process.
const (
	MaxSteps     = 20
	MaxUsers     = 50 // fixed users of one step
	MaxLevels    = 5  // manager levels up
	MaxDueHours  = 10000
	RemindEvery  = time.Hour // a submitter may remind once an hour per instance
	MaxApprovers = 100       // approvers one step resolves to
	MaxSets      = 10        // approver sets of one union
)

// Process is an approval process of a module.
type Process struct {
	ID        string     `json:"id,omitempty"`
	App       string     `json:"app,omitempty"`
	Key       string     `json:"key"`
	Label     meta.Label `json:"label"`
	Module    string     `json:"module"`
	Condition string     `json:"condition,omitempty"`
	// Lock keeps the record from edits by others than the current
	// approvers while an instance is pending (default true).
	Lock      *bool     `json:"lock,omitempty"`
	Steps     []Step    `json:"steps"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Locks reports whether pending instances lock the record.
func (p *Process) Locks() bool { return p.Lock == nil || *p.Lock }

// Step is one ordered step of a process.
type Step struct {
	Key       string     `json:"key"`
	Label     meta.Label `json:"label"`
	Approvers Approvers  `json:"approvers"`
	Mode      string     `json:"mode"` // any (或签) or all (会签)
	SkipIf    string     `json:"skip_if,omitempty"`
	Due       *Due       `json:"due,omitempty"`
	OnTimeout string     `json:"on_timeout,omitempty"` // remind, escalate, approve, reject
	Editable  []string   `json:"editable,omitempty"`
}

// Approvers says who decides a step.
type Approvers struct {
	Type       string   `json:"type"` // users, role, manager, department_manager, field, union
	Users      []string `json:"users,omitempty"`
	Role       string   `json:"role,omitempty"`
	Of         string   `json:"of,omitempty"` // manager: submitter or owner
	Levels     int      `json:"levels,omitempty"`
	Department string   `json:"department,omitempty"`
	Field      string   `json:"field,omitempty"`
	// Sets (type union) are approver sets whose members together decide
	// the step: a 会签 of a sales director and finance is a union of the
	// two roles in an "all" step. A set is not itself a union.
	Sets []Approvers `json:"sets,omitempty"`
}

// Due is a step's due time: Hours working hours of Calendar (default: the
// default calendar) after the step's task is assigned.
type Due struct {
	Hours    float64 `json:"hours"`
	Calendar string  `json:"calendar,omitempty"`
}

func (d *Due) calendar() string {
	if d.Calendar == "" {
		return "default"
	}
	return d.Calendar
}

// step returns the index of the step with key, or -1.
func (p *Process) step(key string) int {
	for i, s := range p.Steps {
		if s.Key == key {
			return i
		}
	}
	return -1
}

// check validates a process against its module, one field error per
// problem. refs checks what lives outside the definition (roles,
// departments, users, calendars) and returns its own errors.
func (p *Process) check(m *meta.Module, refs func(prefix string, s Step) []errs.FieldError) []errs.FieldError {
	var fes []errs.FieldError
	add := func(field, code, key string, kv ...any) { fes = append(fes, errs.Field(field, code, key, kv...)) }
	if !meta.ValidKey(p.Key, meta.MaxFieldKey) {
		add("key", "bad_key", "approval.bad_key")
	}
	if m == nil {
		add("module", "unknown_module", "approval.unknown_module", "module", p.Module)
		return fes
	}
	if p.Condition != "" {
		if _, err := expr.Compile(p.Condition, m, "bool"); err != nil {
			add("condition", "expression", "approval.bad_expression", "detail", errs.Detail(err))
		}
	}
	if len(p.Steps) == 0 || len(p.Steps) > MaxSteps {
		add("steps", "required", "approval.steps_required", "max", MaxSteps)
	}
	seen := map[string]bool{}
	for i, s := range p.Steps {
		pre := "steps[" + strconv.Itoa(i) + "]."
		if !meta.ValidKey(s.Key, meta.MaxFieldKey) {
			add(pre+"key", "bad_key", "approval.bad_key")
		} else if seen[s.Key] {
			add(pre+"key", "duplicate", "approval.duplicate_step", "key", s.Key)
		}
		seen[s.Key] = true
		switch s.Mode {
		case "any", "all":
		default:
			add(pre+"mode", "bad_mode", "approval.bad_mode", "mode", s.Mode)
		}
		fes = append(fes, checkApprovers(pre+"approvers.", s.Approvers, m)...)
		if s.SkipIf != "" {
			if _, err := expr.Compile(s.SkipIf, m, "bool"); err != nil {
				add(pre+"skip_if", "expression", "approval.bad_expression", "detail", errs.Detail(err))
			}
		}
		if s.Due != nil && (s.Due.Hours <= 0 || s.Due.Hours > MaxDueHours) {
			add(pre+"due.hours", "bad_due", "approval.bad_due", "max", MaxDueHours)
		}
		switch s.OnTimeout {
		case "":
		case "remind", "escalate", "approve", "reject":
			if s.Due == nil {
				add(pre+"on_timeout", "due_required", "approval.timeout_needs_due")
			}
		default:
			add(pre+"on_timeout", "bad_timeout", "approval.bad_timeout", "value", s.OnTimeout)
		}
		for j, f := range s.Editable {
			if fd := m.Field(f); fd == nil || fd.Type.Name() == "formula" || fd.Type.Name() == "rollup" || fd.Type.Name() == "autonumber" {
				add(pre+"editable["+strconv.Itoa(j)+"]", "unknown_field", "approval.bad_editable", "field", f)
			}
		}
		if refs != nil {
			fes = append(fes, refs(pre, s)...)
		}
	}
	return fes
}

func checkApprovers(pre string, a Approvers, m *meta.Module) []errs.FieldError {
	var fes []errs.FieldError
	add := func(field, code, key string, kv ...any) { fes = append(fes, errs.Field(field, code, key, kv...)) }
	switch a.Type {
	case "users":
		if len(a.Users) == 0 || len(a.Users) > MaxUsers {
			add(pre+"users", "required", "approval.users_required", "max", MaxUsers)
		}
	case "role":
		if a.Role == "" {
			add(pre+"role", "required", "approval.role_required")
		}
	case "manager":
		if a.Of != "submitter" && a.Of != "owner" {
			add(pre+"of", "bad_of", "approval.bad_of", "of", a.Of)
		}
		if a.Levels < 0 || a.Levels > MaxLevels {
			add(pre+"levels", "bad_levels", "approval.bad_levels", "max", MaxLevels)
		}
	case "department_manager":
		if a.Department == "" {
			add(pre+"department", "required", "approval.department_required")
		}
	case "field":
		if f := m.Field(a.Field); f == nil || !f.Column().RefUsers {
			add(pre+"field", "bad_field", "approval.bad_user_field", "field", a.Field)
		}
	case "union":
		if len(a.Sets) < 2 || len(a.Sets) > MaxSets {
			add(pre+"sets", "required", "approval.sets_required", "max", MaxSets)
		}
		for i, set := range a.Sets {
			at := pre + "sets[" + strconv.Itoa(i) + "]."
			if set.Type == "union" {
				add(at+"type", "nested_union", "approval.nested_union")
				continue
			}
			fes = append(fes, checkApprovers(at, set, m)...)
		}
	default:
		add(pre+"type", "bad_type", "approval.bad_approvers", "type", a.Type)
	}
	return fes
}
