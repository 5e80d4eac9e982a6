package demo

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/approval"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/flow"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Services are the engine services the generator writes through.
type Services struct {
	Store     *store.Store
	Meta      *meta.Service
	Access    *access.Service
	Records   *record.Service
	Flows     *flow.Service
	Approvals *approval.Service
	Jobs      *jobs.Runner
}

// Options of one run.
type Options struct {
	App  string
	File string // the spec's name, for errors
	Size string // a key of the entries' sizes ("" = default)
	Seed uint64
	// Now is the end of the simulated history (default: today's midnight
	// in Zone).
	Now time.Time
	// Zone is where the demo company works (default Asia/Shanghai).
	Zone *time.Location
	// Progress, when set, is told of each finished simulated month.
	Progress func(month time.Time, created int)
}

// Result is what a run made.
type Result struct {
	Users   []User         // the users, as the spec has them (sign-ins)
	Created map[string]int // records created by the generator, by module
	Moves   int            // steps done (moves, updates, approvals)
	Jobs    int            // jobs run (rule actions and the like)
	Took    time.Duration
}

// gen is one run's state.
type gen struct {
	svc     Services
	spec    *Spec
	app     string
	file    string
	rng     *rand.Rand
	zone    *time.Location
	start   time.Time
	end     time.Time
	clock   time.Time
	entries []*entry
	users   map[string]*access.User // by spec key
	byID    map[string]*access.User
	keyOf   map[string]string // user id → spec key
	actors  map[string]record.Actor
	keepFor map[string]bool             // entries whose records kids() reads
	seen    map[int]map[string]bool     // entry → unique values made
	all     map[string][]*node          // entry → its records, for records()
	later   func(context.Context) error // a step to run after the day's commit

	ctx     context.Context
	tx      *store.Tx
	queue   events
	seq     int
	pending map[int]map[string][]*node // entry → owner → nodes waiting for CreateMany
	res     *Result
}

// node is one generated record.
type node struct {
	e      *entry
	parent *node
	n      int
	at     time.Time
	owner  string
	vals   map[string]any // what expressions see: values, id, at, owner
	input  map[string]any // what is written; *node values are lookups to it
	id     string
	walk   bool
	kids   map[string][]*node
}

type event struct {
	at   time.Time
	seq  int
	nd   *node
	step int // -1: create
}

type events []*event

func (q events) Len() int { return len(q) }
func (q events) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q events) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *events) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *events) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// Zone is where the demo company works unless Options say otherwise:
// China Standard Time.
var Zone = time.FixedZone("CST", 8*3600)

// errOutside stops a day's transaction so that a step needing its own
// transactions (an approval) runs after its commit.
var errOutside = errors.New("demo: step runs outside the transaction")

var kidsRE = regexp.MustCompile(`(?:kids\([^,()]+,|records\()\s*"([a-z0-9_]+)"\)`)

// Run generates the demo data of spec into app. It refuses an app that
// has records already and reuses demo users that exist (by email).
func Run(ctx context.Context, svc Services, spec *Spec, o Options) (*Result, error) {
	began := time.Now()
	zone := o.Zone
	if zone == nil {
		zone = Zone
	}
	end := o.Now
	if end.IsZero() {
		// The story ends at today's midnight: one seed, one company, all
		// day long (the times of day, and weekends, follow the end).
		y, m, d := svc.Store.Now().In(zone).Date()
		end = time.Date(y, m, d, 0, 0, 0, 0, zone)
	}
	g := &gen{svc: svc, spec: spec, app: o.App, file: o.File, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)),
		zone: zone, end: end.UTC(), start: end.AddDate(0, -spec.Months, 0).UTC(), users: map[string]*access.User{},
		byID: map[string]*access.User{}, keyOf: map[string]string{}, actors: map[string]record.Actor{}, keepFor: map[string]bool{},
		pending: map[int]map[string][]*node{}, res: &Result{Created: map[string]int{}, Users: spec.Users}}
	if g.file == "" {
		g.file = File
	}
	if _, err := svc.Store.App(ctx, o.App); err != nil {
		return nil, errs.New(errs.NotFound, "demo.no_app", "app", o.App)
	}
	if err := g.check(ctx, o.Size); err != nil {
		return nil, err
	}
	if err := g.empty(ctx); err != nil {
		return nil, err
	}
	// Records read later through kids() stay in memory; others are
	// dropped once written (a large run holds a million of them).
	for _, ce := range g.entries {
		for _, src := range ce.sources() {
			for _, m := range kidsRE.FindAllStringSubmatch(src, -1) {
				g.keepFor[m[1]] = true
			}
		}
	}
	if err := g.org(ctx); err != nil {
		return nil, err
	}
	// The simulated clock: every write and every job sees the time of
	// the event being played, so created_at, the stage history, time in
	// stage, approval times and due jobs are those of the story.
	real := svc.Store.Now
	svc.Store.Now = func() time.Time { return g.clock }
	defer func() { svc.Store.Now = real }()
	g.clock = g.start
	if err := g.seed(); err != nil {
		return nil, err
	}
	if err := g.play(ctx, o.Progress); err != nil {
		return nil, err
	}
	// What is due by the end of the story runs at its end.
	g.clock = g.end
	n, err := svc.Jobs.RunDue(ctx)
	g.res.Jobs += n
	if err != nil {
		return nil, err
	}
	g.res.Took = time.Since(began)
	return g.res, nil
}

// empty refuses an app that has records: demo data goes into a new app.
func (g *gen) empty(ctx context.Context) error {
	mods, err := g.svc.Meta.AppModules(ctx, g.app)
	if err != nil {
		return err
	}
	for _, m := range mods {
		p, err := g.svc.Store.ListRecords(ctx, m, store.ListQuery{Limit: 1})
		if err != nil {
			return err
		}
		if len(p.Records) > 0 {
			return errs.New(errs.Conflict, "demo.app_has_data", "app", g.app, "module", m.Key)
		}
	}
	return nil
}

// org creates the departments and users (reusing users that exist).
func (g *gen) org(ctx context.Context) error {
	existing, _, err := g.svc.Access.Departments(ctx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, d := range existing {
		have[d.Key] = true
	}
	for _, d := range g.spec.Departments {
		if have[d.Key] {
			continue
		}
		if _, err := g.svc.Access.CreateDepartment(ctx, access.DepartmentInput{Key: d.Key, Label: d.Name, Parent: d.Parent}); err != nil {
			return fmt.Errorf("department %s: %w", d.Key, err)
		}
	}
	for _, u := range g.spec.Users {
		found, _, err := g.svc.Store.UserByEmail(ctx, u.Email)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if found == nil {
			m, err := g.svc.Access.CreateMember(ctx, access.MemberInput{NewUser: access.NewUser{Email: u.Email, Password: u.Password, Name: u.Name, IsAdmin: u.Admin},
				Departments: u.Departments, Roles: u.Roles})
			if err != nil {
				return fmt.Errorf("user %s: %w", u.Email, err)
			}
			found = m.User
		}
		g.users[u.Key], g.byID[found.ID], g.keyOf[found.ID] = found, found, u.Key
	}
	for _, d := range g.spec.Departments {
		if d.Manager == "" {
			continue
		}
		id := g.users[d.Manager].ID
		if _, err := g.svc.Access.UpdateDepartment(ctx, d.Key, access.DepartmentPatch{Manager: &id}); err != nil {
			return fmt.Errorf("department %s: %w", d.Key, err)
		}
	}
	for k, u := range g.users {
		p, err := g.svc.Access.Principal(ctx, u)
		if err != nil {
			return err
		}
		g.actors[k] = record.Actor{User: u, Via: "demo", Principal: p}
	}
	return nil
}

// seed schedules the records of the top entries: their times are drawn
// now, their values when they are made.
func (g *gen) seed() error {
	for _, ce := range g.entries {
		if ce.Per != "" || g.spec.byCreate(ce.Key) {
			continue
		}
		n := ce.count[0]
		if ce.count[1] > n {
			n += g.rng.IntN(ce.count[1] - n + 1)
		}
		for i := range n {
			if err := g.schedule(ce, nil, i, g.start); err != nil {
				return err
			}
		}
	}
	return nil
}

// schedule draws a record's time and queues its creation.
func (g *gen) schedule(ce *entry, parent *node, n int, at time.Time) error {
	nd := &node{e: ce, parent: parent, n: n}
	v := g.vars(nd, at)
	t, err := eval(ce.at, v)
	if err != nil {
		return g.exprErr(ce.ptr+"/at", err, nd)
	}
	tt, ok := t.(time.Time)
	if !ok {
		return g.exprErr(ce.ptr+"/at", fmt.Errorf("want a time, got %T", t), nd)
	}
	if tt.Before(at) {
		tt = at
	}
	if !tt.Before(g.end) {
		return nil // in the future: not made
	}
	nd.at = tt
	g.push(&event{at: tt, nd: nd, step: -1})
	return nil
}

func (g *gen) push(ev *event) {
	g.seq++
	ev.seq = g.seq
	heap.Push(&g.queue, ev)
}

// vars are the expression variables for node nd at time at.
func (g *gen) vars(nd *node, at time.Time) vars {
	v := vars{"n": nd.n, "at": at, "now": g.end, "owner": nd.owner, "lists": g.spec.Lists, "self": nd.vals, "rec": map[string]any{}}
	if nd.parent != nil {
		v["parent"] = nd.parent.vals
	} else {
		v["parent"] = map[string]any{}
	}
	if v["self"] == nil {
		v["self"] = map[string]any{}
	}
	return v
}

// play runs the queue day by day: one transaction per simulated day (cut
// where an approval needs its own), then the jobs that became due.
func (g *gen) play(ctx context.Context, progress func(time.Time, int)) error {
	month := g.start.In(g.zone).Month()
	for g.queue.Len() > 0 {
		first := g.queue[0].at
		if !first.Before(g.end) {
			return nil
		}
		y, m, d := first.In(g.zone).Date()
		dayEnd := time.Date(y, m, d, 0, 0, 0, 0, g.zone).AddDate(0, 0, 1)
		outside := false
		err := g.svc.Store.InTx(ctx, func(tx *store.Tx) error {
			g.tx, g.ctx = tx, record.WithTx(ctx, tx)
			defer func() { g.tx, g.ctx = nil, nil }()
			for g.queue.Len() > 0 && g.queue[0].at.Before(dayEnd) && g.queue[0].at.Before(g.end) {
				ev := heap.Pop(&g.queue).(*event)
				g.clock, tx.Now = ev.at, ev.at
				err := g.handle(ev)
				if err == errOutside {
					outside = true
					break
				}
				if err != nil {
					return err
				}
			}
			return g.flush()
		})
		if err != nil {
			return err
		}
		if outside {
			if err := g.approve(ctx); err != nil {
				return err
			}
		}
		n, err := g.svc.Jobs.RunDue(ctx)
		g.res.Jobs += n
		if err != nil {
			return err
		}
		if mm := first.In(g.zone).Month(); mm != month && progress != nil {
			month = mm
			total := 0
			for _, c := range g.res.Created {
				total += c
			}
			progress(first, total)
		}
	}
	return nil
}

// handle plays one event in the day's transaction.
func (g *gen) handle(ev *event) error {
	if ev.step < 0 {
		return g.make(ev.nd)
	}
	return g.doStep(ev)
}

// make evaluates a record's owner and values and queues it for the next
// CreateMany, then schedules its children and its first step.
func (g *gen) make(nd *node) error {
	ce := nd.e
	seen := g.uniques(ce)
	for try := 0; ; try++ {
		nd.vals = map[string]any{nodeKey: nd, "id": nd, "at": nd.at}
		nd.input = map[string]any{}
		v := g.vars(nd, nd.at)
		o, err := eval(ce.owner, v)
		if err != nil {
			return g.exprErr(ce.ptr+"/owner", err, nd)
		}
		key, _ := o.(string)
		if g.users[key] == nil {
			return g.exprErr(ce.ptr+"/owner", fmt.Errorf("%v is not a user key of the spec", o), nd)
		}
		nd.owner = key
		nd.vals["owner"], v["owner"] = key, key
		for _, c := range ce.values {
			x, err := eval(c.p, v)
			if err != nil {
				return g.exprErr(ce.ptr+"/values/"+c.key, err, nd)
			}
			nd.vals[c.key] = x
			if x != nil && c.field != nil {
				nd.input[c.key] = fieldValue(c.field, x, g.zone)
			}
		}
		if seen == nil || fresh(seen, ce.Unique, nd.vals) {
			break
		}
		if try == 50 {
			return errs.New(errs.Unprocessable, "demo.not_unique", "entry", ce.Key, "fields", fmt.Sprint(ce.Unique))
		}
	}
	if g.keepFor[ce.Key] && nd.parent == nil {
		if g.all == nil {
			g.all = map[string][]*node{}
		}
		g.all[ce.Key] = append(g.all[ce.Key], nd)
	}
	if nd.parent != nil && g.keepFor[ce.Key] {
		if nd.parent.kids == nil {
			nd.parent.kids = map[string][]*node{}
		}
		nd.parent.kids[ce.Key] = append(nd.parent.kids[ce.Key], nd)
	}
	byOwner := g.pending[ce.idx]
	if byOwner == nil {
		byOwner = map[string][]*node{}
		g.pending[ce.idx] = byOwner
	}
	byOwner[nd.owner] = append(byOwner[nd.owner], nd)
	for _, k := range ce.kidsOf {
		if g.spec.byCreate(k.Key) {
			continue
		}
		if err := g.children(k, nd, nd.at); err != nil {
			return err
		}
	}
	nd.walk = len(ce.steps) > 0 && (ce.share >= 1 || g.rng.Float64() < ce.share)
	if nd.walk {
		g.next(nd, 0, nd.at)
	}
	return nil
}

// children schedules the records of entry k for parent nd.
func (g *gen) children(k *entry, nd *node, at time.Time) error {
	n := k.count[0]
	if k.count[1] > n {
		n += g.rng.IntN(k.count[1] - n + 1)
	}
	for i := range n {
		if err := g.schedule(k, nd, i, at); err != nil {
			return err
		}
	}
	return nil
}

// next queues step i of nd, some days after t.
func (g *gen) next(nd *node, i int, t time.Time) {
	if i >= len(nd.e.steps) {
		return
	}
	st := nd.e.steps[i]
	d := st.Days[0] + g.rng.Float64()*(st.Days[1]-st.Days[0])
	at := g.workTime(t.Add(time.Duration(d * 24 * float64(time.Hour))))
	if at.Before(g.end) {
		g.push(&event{at: at, nd: nd, step: i})
	}
}

// uniques collects the values of the entry's unique fields made so far.
func (g *gen) uniques(ce *entry) map[string]bool {
	if len(ce.Unique) == 0 {
		return nil
	}
	if g.seen == nil {
		g.seen = map[int]map[string]bool{}
	}
	s := g.seen[ce.idx]
	if s == nil {
		s = map[string]bool{}
		g.seen[ce.idx] = s
	}
	return s
}

// fresh records the node's unique values, or reports one was made before.
func fresh(seen map[string]bool, fields []string, vals map[string]any) bool {
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f + "\x00" + fmt.Sprint(vals[f])
		if seen[keys[i]] {
			return false
		}
	}
	for _, k := range keys {
		seen[k] = true
	}
	return true
}

// flush writes the queued records with CreateMany, entry by entry in spec
// order (lookup targets first), one call per owner.
func (g *gen) flush() error {
	idx := make([]int, 0, len(g.pending))
	for i := range g.pending {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		ce := g.entries[i]
		byOwner := g.pending[i]
		owners := make([]string, 0, len(byOwner))
		for o := range byOwner {
			owners = append(owners, o)
		}
		sort.Strings(owners)
		for _, o := range owners {
			nodes := byOwner[o]
			inputs := make([]map[string]any, len(nodes))
			for j, nd := range nodes {
				in := nd.input
				for k, v := range in {
					if p, ok := v.(*node); ok {
						if p.id == "" {
							return errs.New(errs.Unprocessable, "demo.forward_ref", "entry", ce.Key, "field", k)
						}
						in[k] = p.id
					}
				}
				inputs[j] = in
			}
			g.tx.Now = nodes[0].at
			recs, bad, err := g.svc.Records.CreateMany(g.ctx, g.actors[o], ce.m, inputs)
			if err != nil {
				if bad >= 0 {
					return g.writeErr(nodes[bad], err)
				}
				return g.writeErr(nodes[0], err)
			}
			for j, nd := range nodes {
				nd.id = recs[j]["id"].(string)
				nd.input = nil
				if !nd.walk && len(ce.kidsOf) == 0 && !g.keepFor[ce.Key] {
					nd.vals = nil // nothing reads it again: free it
				}
			}
			g.res.Created[ce.Module] += len(nodes)
		}
	}
	clear(g.pending)
	return nil
}

// fieldValue converts an expression's result to the field's input.
func fieldValue(f *meta.Field, v any, zone *time.Location) any {
	switch x := v.(type) {
	case *node:
		return x
	case time.Time:
		if f.Column().Kind == meta.ColDate {
			return x.In(zone).Format(time.DateOnly)
		}
		return x.UTC().Format(time.RFC3339)
	case map[string]any: // a record (pick(kids(…)), find(…)): its id
		if nd, ok := x[nodeKey].(*node); ok {
			return nd
		}
		return x["id"]
	}
	return v
}
