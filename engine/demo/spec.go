// Package demo generates demo data for an installed app from a spec the
// template ships (demo/demo.json): an organisation (departments, users
// with roles) and records made by value expressions, with stage histories
// walked through the app's pipelines and approvals, over a simulated year.
//
// Nothing in it knows any template: the spec names modules, fields,
// states and transitions, and every record is written through the one
// write path (record.Service.CreateMany and Update, flow.Service.Fire,
// approval.Service.Act) as the user who owns it, so rollups, stage
// history, summaries and the rules' jobs are what real use would leave.
package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
)

// File is where a template keeps its demo spec.
const File = "demo/demo.json"

// Spec is a demo spec.
type Spec struct {
	// Months is how far back the simulated history starts (default 12).
	Months int `json:"months,omitempty"`
	// Lists are named word lists the expressions pick from (lists.name).
	Lists map[string][]string `json:"lists,omitempty"`
	// Departments are created parent first; Manager is a user's key.
	Departments []Department `json:"departments,omitempty"`
	Users       []User       `json:"users"`
	// Records are generated in this order; an entry with Per or only
	// created by a step refers to an earlier entry.
	Records []*Entry `json:"records"`
}

// Department is one department of the demo company.
type Department struct {
	Key     string     `json:"key"`
	Name    meta.Label `json:"name"`
	Parent  string     `json:"parent,omitempty"`
	Manager string     `json:"manager,omitempty"`
}

// User is one demo user. Group names a set the expressions pick owners
// from (users("rep")); SignIn marks the users whose sign-in is printed.
type User struct {
	Key         string   `json:"key"`
	Email       string   `json:"email"`
	Password    string   `json:"password"`
	Name        string   `json:"name"`
	Roles       []string `json:"roles,omitempty"`
	Departments []string `json:"departments,omitempty"`
	Group       string   `json:"group,omitempty"`
	Admin       bool     `json:"admin,omitempty"`
	SignIn      bool     `json:"sign_in,omitempty"`
}

// Entry generates the records of one module.
type Entry struct {
	// Key names the entry (default: the module's key); records of one
	// module may come from several entries.
	Key    string `json:"key,omitempty"`
	Module string `json:"module"`
	// Count is how many: a number, or [min, max] per parent with Per.
	Count Range `json:"count"`
	// Per makes the entry a child of an earlier entry: Count records for
	// each of its records (parent in the expressions).
	Per string `json:"per,omitempty"`
	// Sizes override Count (and the share of records that walk their
	// steps) per --size: {"small": {"count": 200}, "large": {...}}.
	Sizes map[string]Size `json:"sizes,omitempty"`
	// Owner is an expression giving the owning user's key; the record is
	// written as that user.
	Owner string `json:"owner"`
	// At is an expression giving the creation time (a time: spread(),
	// after(parent.at, 0, 30)); a time after now is not created.
	At string `json:"at"`
	// Unique lists fields whose generated values must differ: a record
	// repeating one is generated again (up to 50 times).
	Unique []string `json:"unique,omitempty"`
	// Values are field → expression, evaluated in order (self holds the
	// values so far).
	Values Ordered `json:"values"`
	// Steps are what happens to each record after its creation, in order.
	Steps []Step `json:"steps,omitempty"`

	file string // for errors: the spec file
	ptr  string // for errors: the entry's JSON pointer
}

// Size is an entry's override for one --size.
type Size struct {
	Count *Range `json:"count,omitempty"`
	// Steps is the share (0–1) of records that walk their steps.
	Steps *float64 `json:"steps,omitempty"`
}

// Step is one thing that happens to a record some days after the previous
// step (Days, [min, max], fractional days allowed).
//
// When (an expression) false ends the record's steps there; Skip true
// passes over this step only. Or is an
// alternative taken instead with probability P, after which the steps end
// (a deal lost at this stage). To moves the record (or the Target records)
// to a state of its pipeline by the one transition leading there, or Fire
// names the transition (an expression over the record: discount > 0.1 ?
// "submit" : "confirm"); a transition that needs approval is submitted
// and approved by its approvers. Set writes field values (with the move
// or alone). Create generates the records of a child entry (one without
// its own count, Per naming this entry).
type Step struct {
	Days [2]float64 `json:"days"`
	When string     `json:"when,omitempty"`
	// Skip (an expression over rec) true passes this step over and goes
	// on with the next: a rule moved the record past it already.
	Skip   string  `json:"skip,omitempty"`
	Or     *Alt    `json:"or,omitempty"`
	Target *Target `json:"target,omitempty"`
	To     string  `json:"to,omitempty"`
	Fire   string  `json:"fire,omitempty"`
	Set    Ordered `json:"set,omitempty"`
	Create string  `json:"create,omitempty"`
	// As is an expression giving the user key the step writes as
	// (default: the record's owner) — finance signs the contract.
	As string `json:"as,omitempty"`
}

// Alt is a step taken instead of another with probability P.
type Alt struct {
	P float64 `json:"p"`
	Step
}

// Target selects the records a step acts on instead of the record
// itself: those of Module whose lookup Field points to it (the quotes of
// an opportunity, the contract a rule drafted for it).
type Target struct {
	Module string `json:"module"`
	Field  string `json:"field"`
}

// Range is a count: n, or [min, max].
type Range [2]int

// UnmarshalJSON reads n or [min, max].
func (r *Range) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*r = Range{n, n}
		return nil
	}
	var two []int
	if err := json.Unmarshal(b, &two); err != nil || len(two) != 2 || two[0] > two[1] || two[0] < 0 {
		return fmt.Errorf("want a count or [min, max]")
	}
	*r = Range{two[0], two[1]}
	return nil
}

// Ordered is a JSON object whose keys keep their order.
type Ordered struct {
	Keys []string
	Vals map[string]string
}

// UnmarshalJSON reads an object of strings, keeping the key order.
func (o *Ordered) UnmarshalJSON(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	t, err := d.Token()
	if err != nil || t != json.Delim('{') {
		return fmt.Errorf("want an object of field → expression")
	}
	o.Vals = map[string]string{}
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return err
		}
		var v string
		if err := d.Decode(&v); err != nil {
			return fmt.Errorf("%q: want an expression (a string)", k)
		}
		key := k.(string)
		if _, dup := o.Vals[key]; dup {
			return fmt.Errorf("%q appears twice", key)
		}
		o.Keys = append(o.Keys, key)
		o.Vals[key] = v
	}
	return nil
}

// Parse reads a spec strictly (unknown keys are errors) and checks what
// needs no app: keys, references between entries and users, ranges.
// Every problem is reported at once, each at file#pointer.
func Parse(file string, b []byte) (*Spec, error) {
	var sp Spec
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&sp); err != nil {
		return nil, errs.Fields(errs.Field(file, "syntax", "demo.bad_syntax", "file", file, "error", err.Error()))
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errs.Fields(errs.Field(file, "syntax", "demo.bad_syntax", "file", file, "error", "more than one JSON value"))
	}
	var ps problems
	if sp.Months == 0 {
		sp.Months = 12
	}
	if sp.Months < 1 || sp.Months > 120 {
		ps.add(file, "/months", "range", "demo.bad_months")
	}
	users := map[string]bool{}
	for i, u := range sp.Users {
		p := fmt.Sprintf("/users/%d", i)
		if !meta.ValidKey(u.Key, 64) {
			ps.add(file, p+"/key", "bad_key", "demo.bad_key", "key", u.Key)
		}
		if users[u.Key] {
			ps.add(file, p+"/key", "duplicate", "demo.duplicate", "key", u.Key)
		}
		users[u.Key] = true
		if u.Email == "" || u.Password == "" || u.Name == "" {
			ps.add(file, p, "required", "demo.user_fields")
		}
	}
	depts := map[string]bool{}
	for i, dp := range sp.Departments {
		p := fmt.Sprintf("/departments/%d", i)
		if dp.Parent != "" && !depts[dp.Parent] {
			ps.add(file, p+"/parent", "unknown", "demo.unknown_department", "key", dp.Parent)
		}
		if dp.Manager != "" && !users[dp.Manager] {
			ps.add(file, p+"/manager", "unknown", "demo.unknown_user", "key", dp.Manager)
		}
		depts[dp.Key] = true
	}
	for i, u := range sp.Users {
		for j, k := range u.Departments {
			if !depts[k] {
				ps.add(file, fmt.Sprintf("/users/%d/departments/%d", i, j), "unknown", "demo.unknown_department", "key", k)
			}
		}
	}
	entries := map[string]*Entry{}
	for i, e := range sp.Records {
		e.file, e.ptr = file, fmt.Sprintf("/records/%d", i)
		if e.Key == "" {
			e.Key = e.Module
		}
		if entries[e.Key] != nil {
			ps.add(file, e.ptr+"/key", "duplicate", "demo.duplicate", "key", e.Key)
		}
		if e.Per != "" && entries[e.Per] == nil {
			ps.add(file, e.ptr+"/per", "unknown", "demo.unknown_entry", "key", e.Per)
		}
		if e.Owner == "" {
			ps.add(file, e.ptr+"/owner", "required", "demo.required", "what", "owner")
		}
		if e.At == "" {
			ps.add(file, e.ptr+"/at", "required", "demo.required", "what", "at")
		}
		for k, sz := range e.Sizes {
			if sz.Steps != nil && (*sz.Steps < 0 || *sz.Steps > 1) {
				ps.add(file, e.ptr+"/sizes/"+k+"/steps", "range", "demo.bad_share")
			}
		}
		entries[e.Key] = e
	}
	// A step's create names a later or earlier entry whose parent is this
	// entry; it is checked once every entry is known.
	for _, e := range sp.Records {
		for j, st := range e.Steps {
			p := fmt.Sprintf("%s/steps/%d", e.ptr, j)
			for _, s := range st.all() {
				if s.Days[0] < 0 || s.Days[1] < s.Days[0] {
					ps.add(file, p+"/days", "range", "demo.bad_days")
				}
				if s.Create != "" {
					c := entries[s.Create]
					if c == nil || c.Per != e.Key {
						ps.add(file, p+"/create", "unknown", "demo.bad_create", "key", s.Create, "entry", e.Key)
					}
				}
				if s.To != "" && s.Fire != "" {
					ps.add(file, p, "both", "demo.to_and_fire")
				}
			}
			if st.Or != nil && (st.Or.P <= 0 || st.Or.P >= 1) {
				ps.add(file, p+"/or/p", "range", "demo.bad_share")
			}
		}
	}
	if err := ps.err(file); err != nil {
		return nil, err
	}
	return &sp, nil
}

// all is the step and its alternative.
func (s *Step) all() []*Step {
	if s.Or == nil {
		return []*Step{s}
	}
	return []*Step{s, &s.Or.Step}
}

// byCreate reports whether the entry's records are made only by a
// parent's step (create), not for every parent record.
func (sp *Spec) byCreate(key string) bool {
	for _, e := range sp.Records {
		for _, st := range e.Steps {
			for _, s := range st.all() {
				if s.Create == key {
					return true
				}
			}
		}
	}
	return false
}

// SignIns are the users whose sign-in make run prints.
func (sp *Spec) SignIns() []User {
	var out []User
	for _, u := range sp.Users {
		if u.SignIn {
			out = append(out, u)
		}
	}
	return out
}

// problems collects a spec's errors, each at file#pointer.
type problems []errs.FieldError

func (ps *problems) add(file, ptr, code, key string, kv ...any) {
	*ps = append(*ps, errs.Field(file+"#"+ptr, code, key, kv...))
}

func (ps problems) err(file string) error {
	if len(ps) == 0 {
		return nil
	}
	e := errs.Fields(ps...)
	e.Msg = i18n.M("demo.invalid", "file", file, "count", len(ps))
	return e
}
