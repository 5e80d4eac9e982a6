package record

import (
	"context"
	"reflect"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// Authorization happens here, in the one write path and the record reads,
// and always inside the SQL: record scopes become WHERE conditions, so
// lists, counts, single records, expands and lookups all see the same rows.
// A record out of read scope is "not found", never "forbidden", so ids
// cannot be probed.

// PrincipalSource loads a user's principal (roles and departments);
// access.Service implements it.
type PrincipalSource interface {
	Principal(ctx context.Context, u *access.User) (*access.Principal, error)
}

// rights returns the actor's effective rights on m (computed fields as
// hidden as what they read, engine/access/effective.go), loading the
// principal once.
func (s *Service) rights(ctx context.Context, a *Actor, m *meta.Module) (*access.ModuleRights, error) {
	r, err := s.principalRights(ctx, a, m)
	if err != nil {
		return nil, err
	}
	for _, f := range m.Fields {
		if f.Archived {
			if r.Archived == nil {
				r.Archived = map[string]bool{}
			}
			r.Archived[f.Key] = true
		}
	}
	return r, nil
}

func (s *Service) principalRights(ctx context.Context, a *Actor, m *meta.Module) (*access.ModuleRights, error) {
	if a.User == nil || a.User.Disabled {
		return nil, errs.New(errs.Unauthorized, "access.signin_required")
	}
	if a.Principal == nil {
		a.Principal = &access.Principal{User: a.User}
		if s.Principals != nil && !a.User.IsAdmin {
			p, err := s.Principals.Principal(ctx, a.User)
			if err != nil {
				return nil, err
			}
			a.Principal = p
		}
	}
	if a.User.IsAdmin {
		return a.Principal.Rights(m.AppKey, m.Key), nil
	}
	mods, err := s.appModules(ctx, m.AppKey)
	if err != nil {
		return nil, err
	}
	return a.Principal.EffectiveRights(m, mods), nil
}

// require checks a module-level action.
func require(r *access.ModuleRights, m *meta.Module, action string) error {
	if r.Can(action) {
		return nil
	}
	return Forbidden(m, action)
}

// Forbidden refuses action on records of m, naming the module by its
// label and the action in the reader's language.
func Forbidden(m *meta.Module, action string) error {
	return errs.New(errs.Forbidden, "record.forbidden", "action", access.ActionName(action), "module", m.Named())
}

// scope turns record scopes into one SQL condition: any scope admits.
func scope(p *access.Principal, scopes []string) store.Cond {
	if len(scopes) == 0 {
		return store.Never
	}
	var alts []store.Cond
	for _, sc := range scopes {
		switch sc {
		case access.ScopeAll, "":
			return store.Cond{} // every record
		case access.ScopeOwn:
			alts = append(alts, store.Cond{SQL: `"owner_id" = ?`, Args: []any{p.User.ID}})
		case access.ScopeDepartment:
			alts = append(alts, ownerIn(p.Departments))
		case access.ScopeDepartmentTree:
			alts = append(alts, ownerIn(p.Tree))
		default:
			alts = append(alts, store.Cond{Expr: sc, Consts: consts(p)})
		}
	}
	return store.Cond{Any: alts}
}

// aggScope is the scope of scopes for live aggregates (Aggregates.Answer):
// false when one of them is an expression, which only the GROUP BY can
// evaluate.
func aggScope(p *access.Principal, scopes []string) (AggScope, bool) {
	var sc AggScope
	for _, s := range scopes {
		switch s {
		case access.ScopeAll, "":
			return AggScope{All: true}, true
		case access.ScopeOwn:
			sc.Owner = p.User.ID
		case access.ScopeDepartment:
			sc.Departments = append(sc.Departments, p.Departments...)
		case access.ScopeDepartmentTree:
			sc.Departments = append(sc.Departments, p.Tree...)
		default:
			return AggScope{}, false
		}
	}
	return sc, true
}

// ownerIn admits records owned by members of the given departments.
func ownerIn(depts []string) store.Cond {
	if len(depts) == 0 {
		return store.Never
	}
	args := make([]any, len(depts))
	for i, d := range depts {
		args[i] = d
	}
	return store.Cond{
		SQL:  `"owner_id" IN (SELECT "user_id" FROM "user_departments" WHERE "department_id" IN (` + store.Marks(len(depts)) + `))`,
		Args: args,
	}
}

// consts are what scope expressions may read of the signed-in user.
func consts(p *access.Principal) expr.Consts {
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = r.Key
	}
	return expr.Consts{"user.id": p.User.ID, "user.departments": p.Departments, "user.roles": roles}
}

// hidden is the set of fields of m the rights hide.
func hidden(r *access.ModuleRights, m *meta.Module) map[string]bool {
	h := map[string]bool{}
	for _, f := range m.Fields {
		if r.Hidden(f.Key) {
			h[f.Key] = true
		}
	}
	return h
}

// strip removes hidden fields from records about to leave the server.
func strip(r *access.ModuleRights, m *meta.Module, recs ...store.Record) {
	for _, f := range m.Fields {
		if r.Hidden(f.Key) {
			for _, rec := range recs {
				delete(rec, f.Key)
			}
		}
	}
}

// omitHidden leaves the hidden fields out of rows about to leave the
// server (strip for store.Rows).
func omitHidden(r *access.ModuleRights, m *meta.Module, rows *store.Rows) {
	for _, f := range m.Fields {
		if r.Hidden(f.Key) {
			rows.Omit(f.Key)
		}
	}
}

// checkWrites refuses input that names a field the actor may not write,
// before the input is validated (so that an invalid value for a hidden
// field is refused as forbidden, never described). A hidden field is
// refused whatever its value (answering differently for the current value
// would reveal it). A read-only field is refused when changes (what the
// write would really change) includes it; on create, that is every non-null
// value of the input (null means "leave empty" there).
func checkWrites(r *access.ModuleRights, m *meta.Module, input, changes map[string]any) error {
	var fes []errs.FieldError
	for _, f := range m.Fields {
		_, sent := input[f.Key]
		_, changed := changes[f.Key]
		switch lvl := r.Field(f.Key); {
		case lvl == access.FieldHidden && sent:
			fes = append(fes, errs.Field(f.Key, "forbidden", "record.field_forbidden", "field", f.Key))
		case lvl == access.FieldRead && changed:
			fes = append(fes, errs.Field(f.Key, "read_only", "record.field_read_only", "field", f.Named()))
		}
	}
	if len(fes) > 0 {
		return &errs.Error{Code: errs.Forbidden, Msg: errs.New(errs.Forbidden, "record.fields_forbidden").Msg, Fields: fes}
	}
	return nil
}

// redact keeps validation errors from naming hidden fields: such errors
// are replaced by one that says a field the actor cannot see is invalid.
func redact(err error, r *access.ModuleRights) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	var kept []errs.FieldError
	dropped := false
	for _, fe := range e.Fields {
		if r.Hidden(fe.Field) {
			dropped = true
			continue
		}
		kept = append(kept, fe)
	}
	if !dropped {
		return err
	}
	kept = append(kept, errs.Field("", "hidden_field_invalid", "record.hidden_invalid"))
	return &errs.Error{Code: e.Code, Msg: e.Msg, Fields: kept}
}

// ownerChange returns the owner a write asks for: an active user's id, or
// nil to release the record to the public pool (no owner). changed is false
// when the write leaves the owner alone. Changing the owner needs the
// transfer permission (creating a record for oneself does not).
func (s *Service) ownerChange(ctx context.Context, tx *store.Tx, r *access.ModuleRights, a *Actor, m *meta.Module, input map[string]any, current any) (owner any, changed bool, err error) {
	v, ok := input["owner"]
	if !ok || reflect.DeepEqual(v, current) {
		return nil, false, nil
	}
	id, isString := v.(string)
	if v != nil && !isString {
		return nil, false, errs.Fields(errs.Field("owner", "type", "record.bad_owner"))
	}
	if current == nil && id == a.User.ID {
		return id, true, nil
	}
	if !r.Can(access.ActTransfer) {
		return nil, false, Forbidden(m, access.ActTransfer)
	}
	if v == nil {
		return nil, true, nil
	}
	live, err := s.Store.LiveIDs(ctx, tx, "users", []string{id})
	if err != nil {
		return nil, false, err
	}
	if !live[id] {
		return nil, false, errs.Fields(errs.Field("owner", "not_found", "record.bad_owner"))
	}
	return id, true, nil
}

// nullable is id, or nil for "" (no user).
func nullable(id string) any {
	if id == "" {
		return nil
	}
	return id
}

// nonNull is input without its null values.
func nonNull(input map[string]any) map[string]any {
	out := make(map[string]any, len(input))
	for k, v := range input {
		if v != nil {
			out[k] = v
		}
	}
	return out
}
