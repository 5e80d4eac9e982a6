package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/tessera-app/tessera/engine/approval"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// doStep plays step ev.step of a record: its condition, the children it
// creates, then the move or update of the record or of its targets.
func (g *gen) doStep(ev *event) error {
	nd := ev.nd
	st := nd.e.steps[ev.step]
	last := false
	if st.or != nil && g.rng.Float64() < st.p {
		st, last = st.or, true
	}
	if nd.id == "" {
		if err := g.flush(); err != nil {
			return err
		}
	}
	v := g.vars(nd, ev.at)
	own, err := g.svc.Store.RecordInTx(g.ctx, g.tx, nd.e.m, nd.id)
	if err != nil {
		return err
	}
	v["rec"] = withID(nd.e.m, own)
	for _, c := range []struct {
		p    *vm.Program
		name string
	}{{st.when, "when"}, {st.skip, "skip"}} {
		if c.p == nil {
			continue
		}
		ok, err := eval(c.p, v)
		if err != nil {
			return g.exprErr(fmt.Sprintf("%s/steps/%d/%s", nd.e.ptr, ev.step, c.name), err, nd)
		}
		switch {
		case c.name == "when" && ok != true:
			return nil // the story of this record ends here
		case c.name == "skip" && ok == true:
			if !last {
				g.next(nd, ev.step+1, ev.at)
			}
			return nil
		}
	}
	// The record's owner now writes (a rule may have routed it to
	// another demo user); one that left every demo user's hands (reclaimed
	// to a pool) ends its story.
	owner := nd.owner
	if u := g.byID[fmt.Sprint(own["owner"])]; u != nil {
		owner = g.keyOf[u.ID]
	} else if own["owner"] == nil && st.as == nil {
		return nil
	}
	if st.create != nil {
		if err := g.children(st.create, nd, ev.at); err != nil {
			return err
		}
	}
	ids := []string{nd.id}
	if st.Target != nil {
		if err := g.flush(); err != nil { // a target may be queued still
			return err
		}
		found, err := g.svc.Store.RecordsWhere(g.ctx, g.tx, st.m, st.Target.Field, nd.id, 100)
		if err != nil {
			return err
		}
		ids = ids[:0]
		for _, f := range found {
			ids = append(ids, f.ID)
		}
	}
	actor := g.actors[owner]
	if st.as != nil {
		x, err := eval(st.as, v)
		if err != nil {
			return g.exprErr(fmt.Sprintf("%s/steps/%d/as", nd.e.ptr, ev.step), err, nd)
		}
		k, _ := x.(string)
		a, ok := g.actors[k]
		if !ok {
			return g.exprErr(fmt.Sprintf("%s/steps/%d/as", nd.e.ptr, ev.step), fmt.Errorf("%v is not a user key of the spec", x), nd)
		}
		actor = a
	}
	for _, id := range ids {
		rec, err := g.svc.Store.RecordInTx(g.ctx, g.tx, st.m, id)
		if err != nil {
			return err
		}
		v["rec"] = withID(st.m, rec)
		vals := map[string]any{}
		for _, c := range st.set {
			x, err := eval(c.p, v)
			if err != nil {
				return g.exprErr(fmt.Sprintf("%s/steps/%d/set/%s", nd.e.ptr, ev.step, c.field.Key), err, nd)
			}
			vals[c.field.Key] = fieldValue(c.field, x, g.zone)
		}
		version := rec["version"].(int64)
		if st.flow == nil {
			if len(vals) > 0 {
				if _, err := g.svc.Records.Update(g.ctx, actor, st.m, id, version, vals); err != nil {
					return g.writeErr(nd, err)
				}
			}
			continue
		}
		cur, _ := rec[st.flow.Field].(string)
		key := ""
		if st.fire != nil {
			x, err := eval(st.fire, v)
			if err != nil {
				return g.exprErr(fmt.Sprintf("%s/steps/%d/fire", nd.e.ptr, ev.step), err, nd)
			}
			key, _ = x.(string)
		} else {
			if cur == st.To {
				continue
			}
			tr, err := transition(st.flow, cur, st.To)
			if err != nil {
				return g.writeErr(nd, err)
			}
			key = tr.Key
		}
		tr := transitionByKey(st.flow, key)
		if tr == nil {
			return g.writeErr(nd, errs.New(errs.Unprocessable, "demo.unknown_transition", "transition", key, "flow", st.flow.Key))
		}
		if tr.Approval != "" {
			// Submitting and deciding run in transactions of their own:
			// the day's transaction commits first (play calls later).
			g.later = func(ctx context.Context) error {
				if err := g.submit(ctx, actor, nd, st, id, key, version, vals); err != nil {
					return err
				}
				g.res.Moves++
				if !last {
					g.next(nd, ev.step+1, g.clock)
				}
				return nil
			}
			return errOutside
		}
		if _, err := g.svc.Flows.Fire(g.ctx, actor, st.m, id, st.flow.Key, key, version, vals); err != nil {
			return g.writeErr(nd, err)
		}
	}
	g.res.Moves++
	if !last {
		g.next(nd, ev.step+1, ev.at)
	}
	return nil
}

// submit fires a transition that needs approval and approves each task
// as its assignee, an hour or a few apart, until the instance is done.
func (g *gen) submit(ctx context.Context, actor record.Actor, nd *node, st *step, id, key string, version int64, vals map[string]any) error {
	fired, err := g.svc.Flows.Fire(ctx, actor, st.m, id, st.flow.Key, key, version, vals)
	if err != nil {
		return g.writeErr(nd, err)
	}
	if fired.Approval == "" {
		return nil
	}
	for range 20 {
		in, err := g.svc.Approvals.Instance(ctx, fired.Approval)
		if err != nil {
			return err
		}
		if in.Status != approval.Pending {
			if in.Status != approval.Approved {
				return g.writeErr(nd, errs.New(errs.Unprocessable, "demo.approval_ended", "status", in.Status, "error", in.Error))
			}
			return nil
		}
		var task *approval.TaskView
		for i := range in.Tasks {
			if in.Tasks[i].Status == approval.Pending {
				task = &in.Tasks[i]
				break
			}
		}
		if task == nil {
			return g.writeErr(nd, errs.New(errs.Unprocessable, "demo.approval_stuck", "step", in.Step))
		}
		u := g.byID[task.Assignee]
		if u == nil {
			if u, err = g.svc.Store.UserByID(ctx, task.Assignee); err != nil {
				return err
			}
		}
		if t := g.workTime(g.clock.Add(time.Duration(1+g.rng.IntN(5)) * time.Hour)); t.Before(g.end) {
			g.clock = t
		}
		if _, err := g.svc.Approvals.Act(ctx, u, fired.Approval, task.ID, approval.ActApprove, approval.Decision{Comment: "同意"}); err != nil {
			return g.writeErr(nd, err)
		}
	}
	return g.writeErr(nd, errs.New(errs.Unprocessable, "demo.approval_stuck", "step", "?"))
}

// approve runs what a step left for after the day's commit.
func (g *gen) approve(ctx context.Context) error {
	f := g.later
	g.later = nil
	return f(ctx)
}

// find reads the first record of module whose field is value, in the
// day's transaction (the records rules made are found so).
func (g *gen) find(module, field string, value any) (map[string]any, error) {
	if g.tx == nil {
		return nil, fmt.Errorf("find runs in steps and values only")
	}
	m, err := g.svc.Meta.Module(g.ctx, g.app, module)
	if err != nil {
		return nil, fmt.Errorf("find: no module %q", module)
	}
	if m.Field(field) == nil {
		return nil, fmt.Errorf("find: module %q has no field %q", module, field)
	}
	if err := g.flush(); err != nil {
		return nil, err
	}
	found, err := g.svc.Store.RecordsWhere(g.ctx, g.tx, m, field, value, 1)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	rec, err := g.svc.Store.RecordInTx(g.ctx, g.tx, m, found[0].ID)
	if err != nil {
		return nil, err
	}
	return withID(m, rec), nil
}

// withID is a record's field values with its id and owner.
func withID(m *meta.Module, rec store.Record) map[string]any {
	v := record.Values(m, rec)
	for k, x := range v {
		if n, ok := x.(json.Number); ok { // numbers compare as numbers in expressions
			if f, err := n.Float64(); err == nil {
				v[k] = f
			}
		}
	}
	v["id"], v["owner_id"] = rec["id"], rec["owner"]
	return v
}

// exprErr places an expression's failure at its spec pointer and record.
func (g *gen) exprErr(ptr string, err error, nd *node) error {
	return errs.New(errs.Unprocessable, "demo.expr_failed", "where", g.file+"#"+ptr, "entry", nd.e.Key, "n", nd.n, "error", err.Error())
}

// writeErr is a refused write of a generated record: which entry and
// record, and the write path's own reasons.
func (g *gen) writeErr(nd *node, err error) error {
	e, ok := errs.As(err)
	if !ok {
		return fmt.Errorf("demo: entry %s record %d: %w", nd.e.Key, nd.n, err)
	}
	out := errs.New(e.Code, "demo.write_failed", "where", g.file+"#"+nd.e.ptr, "entry", nd.e.Key, "module", nd.e.Module, "n", nd.n, "error", e.Msg)
	out.Fields, out.Err = e.Fields, err
	return out
}
