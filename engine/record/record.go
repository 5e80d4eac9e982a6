// Package record is the one write path for records, and their reads.
// Every write — API, UI, rule action, import, template — goes through
// Service: authorize → normalize and validate → one transaction (lookups
// checked, before-save hooks, the row with its version check, in-transaction
// hooks such as audit and outbox) → after-commit hooks. The write path knows
// no rule and no flow: those engines register hooks when cmd/tessera wires
// the program together.
package record

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/form"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// Op is the kind of write.
type Op string

const (
	OpCreate  Op = "create"
	OpUpdate  Op = "update"
	OpDelete  Op = "delete"
	OpRestore Op = "restore"
	OpRead    Op = "read" // get and list
)

// Actor is who reads or writes and through what channel (api, ui, rule,
// import, template). Principal (roles, departments) is loaded on first use
// when not given.
type Actor struct {
	User      *access.User
	Via       string
	Principal *access.Principal
	// System marks an automation's actor (a rule's "rule:<key>" user): it
	// is the creator of what it creates but owns nothing itself, so a
	// record it creates without an owner goes to the pool.
	System bool
}

func (a Actor) userID() string {
	if a.User == nil {
		return ""
	}
	return a.User.ID
}

// Event describes one write to hooks. Old is nil on create; New is the row
// as written (after the transaction's own changes).
type Event struct {
	Op     Op
	Module *meta.Module
	Actor  Actor
	Old    store.Record
	New    store.Record
	// Changes are the field values the write sets (create: all given).
	Changes map[string]any
	// Facts are what in-transaction hooks learned about the write, for the
	// hooks after them: the flow engine records the stage moves it checked
	// ("stage_changes"), which the rule engine's stage_changed trigger
	// reads. The write path itself never looks at them.
	Facts map[string]any
}

// Fact records something a hook learned about the write (see Facts).
func (ev *Event) Fact(key string, v any) {
	if ev.Facts == nil {
		ev.Facts = map[string]any{}
	}
	ev.Facts[key] = v
}

// Hooks are the extension points of the write path.
type Hooks struct {
	// BeforeSave runs inside the transaction before the row is written; it
	// may change ev.Changes or reject the write by returning an error.
	BeforeSave []func(ctx context.Context, tx *store.Tx, ev *Event) error
	// InTx runs inside the transaction after the row is written (audit
	// entries, outbox jobs): an error rolls the whole write back.
	InTx []func(ctx context.Context, tx *store.Tx, ev *Event) error
	// AfterCommit runs after a successful commit.
	AfterCommit []func(ctx context.Context, ev *Event)
}

// ModuleSource finds modules by key (meta.Service, cached).
type ModuleSource interface {
	Module(ctx context.Context, app, key string) (*meta.Module, error)
}

// Service reads and writes records.
type Service struct {
	Store      *store.Store
	Modules    ModuleSource
	Principals PrincipalSource // nil: users have no roles (only admins reach records)
	Hooks      Hooks
	// Calendar is the business calendar formulas, defaults and validation
	// rules count working days with (businessDaysBetween); nil: Monday to
	// Friday.
	Calendar expr.Workdays
	// Aggregates, when set, are the live aggregates (engine/summary) kept
	// in step by every write and asked first by Aggregate.
	Aggregates Aggregates
}

// Aggregates are summary rows kept beside the records. Apply runs inside
// every write's transaction (create, update, delete, restore — imports,
// stage moves, batches and cascades included, as they all come through
// write), after the in-transaction hooks; an error rolls the write back.
// Answer answers an aggregate query as a reader whose record scope is sc;
// ok false means the summaries cannot, and the GROUP BY runs.
type Aggregates interface {
	Apply(ctx context.Context, tx *store.Tx, ev *Event) error
	Answer(ctx context.Context, m *meta.Module, q store.AggQuery, sc AggScope) (rows [][]any, ok bool, err error)
}

// AggScope is a reader's record scope when it is made only of the scopes
// summaries keyed by owner can answer: everything, or the records owned by
// Owner or by the members of Departments (either may be empty).
type AggScope struct {
	All         bool
	Owner       string
	Departments []string
}

// New returns a service over s with no hooks; set Principals and Modules
// when wiring the program.
func New(s *store.Store) *Service { return &Service{Store: s, Modules: s} }

// Create validates input and inserts a new record owned by the actor.
func (s *Service) Create(ctx context.Context, a Actor, m *meta.Module, input map[string]any) (store.Record, error) {
	r, err := s.rights(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	if err := require(r, m, access.ActCreate); err != nil {
		return nil, err
	}
	ev, st, err := s.creation(ctx, &a, r, m, input)
	if err != nil {
		return nil, err
	}
	return s.write(ctx, r, ev, st)
}

// creation validates input for a create by a (whose rights on m are r)
// and returns the write's event and steps; st.newRow is the row the steps
// leave to insert, for CreateMany, which inserts many at once.
func (s *Service) creation(ctx context.Context, a *Actor, r *access.ModuleRights, m *meta.Module, input map[string]any) (*Event, steps, error) {
	v, err := form.For(m)
	if err != nil {
		return nil, steps{}, err
	}
	if err := checkWrites(r, m, input, nonNull(input)); err != nil {
		return nil, steps{}, err
	}
	input = s.withDefaults(ctx, a, m, input) // computed.go
	values, err := v.Create(input)
	if err != nil {
		return nil, steps{}, redact(err, r)
	}
	ev := &Event{Op: OpCreate, Module: m, Actor: *a, Changes: values}
	var owner string
	newRow := func() store.NewRecord { return store.NewRecord{Values: ev.Changes, Owner: owner, By: a.userID()} }
	return ev, steps{
		prepare: func(tx *store.Tx) error {
			asked, changed, err := s.ownerChange(ctx, tx, r, a, m, input, nil)
			if err != nil {
				return err
			}
			if !a.System {
				owner = a.userID()
			}
			if changed {
				owner, _ = asked.(string) // nil: created straight into the pool
			}
			return s.checkLookups(ctx, tx, a, m, ev.Changes)
		},
		finish: func(tx *store.Tx) error {
			if err := s.fillAutonumbers(ctx, tx, m, ev.Changes); err != nil {
				return err
			}
			sys := store.Record{"owner": nullable(owner), "created_by": nullable(a.userID()), "updated_by": nullable(a.userID())}
			return redact(s.computed(ctx, tx, a, r, m, nil, sys, ev.Changes), r) // formulas and validation rules, computed.go
		},
		row: func(tx *store.Tx) (store.Record, error) {
			nr := newRow()
			return s.Store.InsertRecord(ctx, tx, m, nr.Values, nr.Owner, nr.By)
		},
		newRow: newRow,
	}, nil
}

// Update applies a partial update if version is still current. A stale
// version is a conflict and writes nothing.
func (s *Service) Update(ctx context.Context, a Actor, m *meta.Module, id string, version int64, patch map[string]any) (store.Record, error) {
	r, err := s.rights(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	if err := require(r, m, access.ActUpdate); err != nil {
		return nil, err
	}
	if version <= 0 {
		return nil, errs.Fields(errs.Field("version", "required", "record.version_required"))
	}
	v, err := form.For(m)
	if err != nil {
		return nil, err
	}
	ev := &Event{Op: OpUpdate, Module: m, Actor: a}
	return s.write(ctx, r, ev, steps{
		prepare: func(tx *store.Tx) error {
			old, err := s.inReach(ctx, tx, &a, r, m, id, r.Update, false)
			if err != nil {
				return err
			}
			if cur := old["version"].(int64); cur != version {
				return errs.New(errs.Conflict, "store.stale_version", "id", id)
			}
			if err := checkSystemFields(old, patch); err != nil {
				return err
			}
			if err := checkWrites(r, m, patch, nil); err != nil {
				return err // hidden fields, before validation describes them
			}
			changes, err := v.Update(fieldValues(m, old), patch)
			if err != nil {
				return redact(err, r)
			}
			if err := checkWrites(r, m, patch, changes); err != nil {
				return err
			}
			owner, changed, err := s.ownerChange(ctx, tx, r, &a, m, patch, old["owner"])
			if err != nil {
				return err
			}
			if changed {
				changes["owner"] = owner
			}
			ev.Old, ev.Changes = old, changes
			return s.checkLookups(ctx, tx, &a, m, changes)
		},
		// A write that changes nothing is not a write: the record comes
		// back as it is (same version, no history, no rules).
		unchanged: func() bool { return len(ev.Changes) == 0 },
		finish: func(tx *store.Tx) error {
			return redact(s.computed(ctx, tx, &a, r, m, ev.Old, nil, ev.Changes), r) // formulas and validation rules, computed.go
		},
		row: func(tx *store.Tx) (store.Record, error) {
			return s.Store.UpdateRecord(ctx, tx, m, id, version, ev.Changes, a.userID())
		},
	})
}

// Claim makes the actor the owner of a record in the public pool (a
// visible record without owner). It needs the claim permission; of two
// claims at once, one wins and the other is a conflict.
func (s *Service) Claim(ctx context.Context, a Actor, m *meta.Module, id string) (store.Record, error) {
	r, err := s.rights(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	if err := require(r, m, access.ActClaim); err != nil {
		return nil, err
	}
	return s.setOwner(ctx, a, r, m, id, OwnerChange{Within: []store.Cond{scope(a.Principal, r.Read)}, Free: true, Owner: a.userID()})
}

// Delete soft-deletes a record.
func (s *Service) Delete(ctx context.Context, a Actor, m *meta.Module, id string) error {
	_, err := s.setDeleted(ctx, a, m, id, OpDelete)
	return err
}

// Restore brings back a soft-deleted record.
func (s *Service) Restore(ctx context.Context, a Actor, m *meta.Module, id string) (store.Record, error) {
	return s.setDeleted(ctx, a, m, id, OpRestore)
}

// setDeleted deletes or restores; both need the delete permission and the
// record within the delete scope. What the delete does to the records
// looking this one up, and what the restore brings back, happens in the
// same transaction (ondelete.go); their after-commit hooks run after it.
func (s *Service) setDeleted(ctx context.Context, a Actor, m *meta.Module, id string, op Op) (store.Record, error) {
	r, err := s.rights(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	if err := require(r, m, access.ActDelete); err != nil {
		return nil, err
	}
	cs := &cascade{}
	rec, err := s.flip(context.WithValue(ctx, cascadeKey{}, cs), a, r, m, id, op, nil)
	if err != nil {
		return nil, err
	}
	for _, ev := range cs.events {
		s.afterCommit(ctx, ev)
	}
	return rec, nil
}

// flip marks a record deleted or restores it, with the effects on the
// records around it. c is nil for the record the user named; otherwise the
// write is on behalf of that record (a cascade), checked there.
func (s *Service) flip(ctx context.Context, a Actor, r *access.ModuleRights, m *meta.Module, id string, op Op, c *cause) (store.Record, error) {
	ev := &Event{Op: op, Module: m, Actor: a}
	if c != nil {
		ev.Fact("cause", c.fact())
	}
	return s.write(ctx, r, ev, steps{
		prepare: func(tx *store.Tx) error {
			if c != nil {
				var err error
				if op == OpRestore {
					ev.Old, err = s.Store.DeletedRecordInTx(ctx, tx, m, id)
				} else {
					ev.Old, err = s.Store.RecordInTx(ctx, tx, m, id)
				}
				return err
			}
			old, err := s.inReach(ctx, tx, &a, r, m, id, r.Delete, op == OpRestore)
			if op == OpRestore && errs.Is(err, errs.NotFound) {
				// Say so when the record is there and simply not deleted
				// (to those who may see it).
				if _, lerr := s.Store.RecordInTx(ctx, tx, m, id, scope(a.Principal, r.Read)); lerr == nil {
					return errs.New(errs.Conflict, "record.not_deleted")
				}
			}
			ev.Old = old
			return err
		},
		row: func(tx *store.Tx) (store.Record, error) {
			rec, err := s.Store.SetDeleted(ctx, tx, m, id, op == OpDelete, a.userID())
			if err != nil {
				return nil, err
			}
			if op == OpDelete {
				err = s.deleted(ctx, tx, &a, m, id, c.level())
			} else {
				err = s.restored(ctx, tx, &a, m, id, c)
			}
			return rec, err
		},
	})
}

// steps are what differs between writes; write runs them in the order
// every write shares.
type steps struct {
	prepare   func(tx *store.Tx) error                 // read, check, fill ev.Old and ev.Changes
	unchanged func() bool                              // after prepare: nothing to write (ev.Old is the answer)
	finish    func(tx *store.Tx) error                 // after the before-save hooks: autonumbers, formulas, validation rules
	row       func(tx *store.Tx) (store.Record, error) // the statement itself
	newRow    func() store.NewRecord                   // a create's row, for CreateMany to insert with others
}

// write is the one write path's shape: in one transaction, prepare, the
// before-save hooks, finish, the row and the in-transaction hooks (audit,
// rule jobs); after commit, the after-commit hooks. It returns the written
// record as the actor may see it.
func (s *Service) write(ctx context.Context, r *access.ModuleRights, ev *Event, st steps) (store.Record, error) {
	// The app's modules are read before the transaction: the cached list
	// then serves formulas, rollups and lookups inside it, so a write holds
	// its transaction (on SQLite the one writer) for no metadata query.
	if _, err := s.appModules(ctx, ev.Module.AppKey); err != nil {
		return nil, err
	}
	noop := false
	err := s.inTx(ctx, func(tx *store.Tx) error {
		var err error
		if noop, err = s.before(ctx, tx, ev, st); err != nil || noop {
			return err
		}
		rec, err := st.row(tx)
		if err != nil {
			return err
		}
		return s.saved(ctx, tx, ev, rec)
	})
	if err != nil {
		return nil, err
	}
	if noop {
		return s.out(r, ev.Module, ev.Old), nil
	}
	if cs, ok := ctx.Value(cascadeKey{}).(*cascade); ok && ctx.Value(nestedKey{}) != nil {
		cs.events = append(cs.events, ev) // run when the whole delete or restore has committed
	} else {
		s.afterCommit(ctx, ev)
	}
	return s.out(r, ev.Module, ev.New), nil
}

// before runs a write's steps up to its row: prepare, the before-save
// hooks, finish. noop: the write changes nothing and stops there.
func (s *Service) before(ctx context.Context, tx *store.Tx, ev *Event, st steps) (noop bool, err error) {
	if err := st.prepare(tx); err != nil {
		return false, err
	}
	if st.unchanged != nil && st.unchanged() {
		return true, nil
	}
	if err := s.run(ctx, tx, ev, s.Hooks.BeforeSave); err != nil {
		return false, err
	}
	if st.finish != nil {
		if err := st.finish(tx); err != nil {
			return false, err
		}
	}
	return false, nil
}

// saved runs what follows a write's row in its transaction: the
// in-transaction hooks (audit, rule jobs, flows, rollups) on the row as
// written.
//
// On PostgreSQL the audit entry and the jobs the hooks add are buffered
// (unless the caller buffers already, as CreateMany does) and written by
// the summaries' lookup in one statement (store.Tx.QueryFlushing), or by
// the flush at the end: a create is then BEGIN, INSERT … RETURNING, one
// statement for the audit entry, the jobs and the lookup, COMMIT — the
// round trips of a hand-written INSERT + audit transaction. SQLite's
// statements are calls inside the process: it writes them as before.
func (s *Service) saved(ctx context.Context, tx *store.Tx, ev *Event, rec store.Record) error {
	ev.New = rec
	own := tx.D.Name() == "postgres" && !tx.Buffered()
	if own {
		tx.Buffer()
		defer tx.Unbuffer() // on a failure what is left goes with the rollback
	}
	if err := s.run(ctx, tx, ev, s.Hooks.InTx); err != nil {
		return err
	}
	if s.Aggregates != nil {
		if err := s.Aggregates.Apply(ctx, tx, ev); err != nil {
			return err
		}
	}
	if own {
		return tx.Flush(ctx)
	}
	return nil
}

// inReach reads a record the actor may see (else not found) and checks it
// is within the operation's scope (else forbidden).
func (s *Service) inReach(ctx context.Context, tx *store.Tx, a *Actor, r *access.ModuleRights, m *meta.Module, id string, opScope []string, deleted bool) (store.Record, error) {
	read := scope(a.Principal, r.Read)
	var rec store.Record
	var err error
	if deleted {
		rec, err = s.Store.DeletedRecordInTx(ctx, tx, m, id, read)
	} else {
		rec, err = s.Store.RecordInTx(ctx, tx, m, id, read)
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.Store.InScope(ctx, tx, m, id, scope(a.Principal, opScope))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.New(errs.Forbidden, "record.out_of_scope")
	}
	return rec, nil
}

// out is a written record as the actor may see it.
func (s *Service) out(r *access.ModuleRights, m *meta.Module, rec store.Record) store.Record {
	strip(r, m, rec)
	return rec
}

func (s *Service) run(ctx context.Context, tx *store.Tx, ev *Event, hooks []func(context.Context, *store.Tx, *Event) error) error {
	for _, h := range hooks {
		if err := h(ctx, tx, ev); err != nil {
			return err
		}
	}
	return nil
}

// afterCommit runs the after-commit hooks of ev, or keeps them for the
// owner of the transaction the write joined when it commits later (an
// atomic batch, batch.go).
func (s *Service) afterCommit(ctx context.Context, ev *Event) {
	if len(s.Hooks.AfterCommit) == 0 {
		return // nothing to run, nothing to keep (a long import keeps no events)
	}
	if d, ok := ctx.Value(deferredKey{}).(*deferred); ok {
		d.events = append(d.events, ev)
		return
	}
	for _, h := range s.Hooks.AfterCommit {
		h(ctx, ev)
	}
}

// checkLookups turns a reference to a missing or deleted record (or user),
// or to a record the actor may not read, into a field error, before the
// foreign key would fail anonymously.
func (s *Service) checkLookups(ctx context.Context, tx *store.Tx, a *Actor, m *meta.Module, values map[string]any) error {
	var fes []errs.FieldError
	for _, f := range m.Fields {
		c := f.Column()
		id, ok := values[f.Key].(string)
		if c.Kind != meta.ColRef || !ok {
			continue
		}
		var live map[string]bool
		var err error
		if c.RefUsers {
			live, err = s.Store.LiveIDs(ctx, tx, "users", []string{id})
		} else {
			live, err = s.visibleTargets(ctx, tx, a, m, c.RefModule, id)
		}
		if err != nil {
			return err
		}
		if !live[id] {
			fes = append(fes, errs.Field(f.Key, "not_found", "record.lookup_missing", "field", f.Named(), "id", id))
		}
	}
	if len(fes) > 0 {
		return errs.Fields(fes...)
	}
	return nil
}

func (s *Service) visibleTargets(ctx context.Context, tx *store.Tx, a *Actor, m *meta.Module, target, id string) (map[string]bool, error) {
	tm, err := s.appModule(ctx, m, target) // the cached list: this runs inside the write's transaction
	if err != nil {
		return nil, err
	}
	tr, err := s.rights(ctx, a, tm)
	if err != nil {
		return nil, err
	}
	if !tr.Can(access.ActRead) {
		return map[string]bool{}, nil
	}
	return s.Store.VisibleIDs(ctx, tx, tm, []string{id}, scope(a.Principal, tr.Read))
}

func (s *Service) fillAutonumbers(ctx context.Context, tx *store.Tx, m *meta.Module, values map[string]any) error {
	for _, f := range m.Fields {
		if f.Type.Name() != "autonumber" {
			continue
		}
		n, err := s.Store.NextAutonumber(ctx, tx, m.ID, f.Key)
		if err != nil {
			return err
		}
		values[f.Key] = meta.FormatAutonumber(f, n, tx.Now)
	}
	return nil
}

// Values returns the field part of a stored record in the JSON form that
// validation and expressions work with (numbers as json.Number, JSON
// documents decoded).
func Values(m *meta.Module, rec store.Record) map[string]any { return fieldValues(m, rec) }

// fieldValues returns the field part of a stored record, in the JSON form
// the validator works with.
func fieldValues(m *meta.Module, rec store.Record) map[string]any {
	out := make(map[string]any, len(m.Fields))
	for _, f := range m.Fields {
		v := rec[f.Key]
		switch x := v.(type) {
		case json.RawMessage:
			var decoded any
			dec := json.NewDecoder(bytesReader(x))
			dec.UseNumber()
			if dec.Decode(&decoded) == nil {
				v = decoded
			}
		case int64:
			v = json.Number(strconv.FormatInt(x, 10))
		}
		out[f.Key] = v
	}
	return out
}

type txKey struct{}

// WithTx makes the record writes made with ctx join tx instead of opening
// their own transaction. Rule actions run inside their job's transaction
// this way, so an action's writes and the job's completion commit together
// (exactly once) or not at all. The caller commits; on an error it must
// roll back, as the write may have done part of its work in tx.
func WithTx(ctx context.Context, tx *store.Tx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

// inTx runs fn in the transaction of ctx, or in a new one.
func (s *Service) inTx(ctx context.Context, fn func(tx *store.Tx) error) error {
	if tx, ok := ctx.Value(txKey{}).(*store.Tx); ok {
		return fn(tx)
	}
	return s.Store.InTx(ctx, fn)
}
