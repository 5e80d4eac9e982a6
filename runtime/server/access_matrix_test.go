package server_test

// The permission matrix: access control proven through the real HTTP API,
// on every dialect (storetest.Each through the harness's each).
//
// A small organisation is built as the administrator, through the admin
// API only (/api/departments, /api/roles, /api/users):
//
//	departments  sales (manager: manager) ─┬─ east
//	                                       └─ west
//	             marketing
//	roles        rep         deal+account: create read update delete, scope own; deal.margin read-only
//	             manager     crm/*: read update (department_tree) delete (own) transfer
//	             marketing   deal: read where `amount < 10000`, margin hidden; account: read all
//	             exec        crm/*: read all
//	             dept_reader deal: read, scope department
//	             partner     deal: read where `owner == user.id || amount < 10000`
//	             mkt_writer  deal: create read update where `amount < 10000`, margin hidden
//	             acct_reader account: read all (no deal permission)
//	users        manager (sales; manager) · rep_east (east; rep) · rep_west (west; rep)
//	             marketing (marketing; marketing) · exec (exec) · sales_lead (sales; dept_reader)
//	             east_lead (east; dept_reader) · partner (partner) · mkt_writer (marketing; mkt_writer)
//	             hybrid (rep + marketing: the union rules) · acct_reader (acct_reader)
//	             norole (no role) · gone (east; rep; disabled later)
//
// (marketing's account permission also hides account.owner_note.)
//
// Computed fields are as hidden as the most hidden thing they read
// (engine/access/effective.go):
//
//	deal.margin_copy     formula  margin                 hidden from marketing, mkt_writer (margin hidden)
//	deal.account_note    formula  account.owner_note     hidden from marketing (owner_note hidden there) and
//	                                                     from mkt_writer, partner, dept_reader (no account read)
//	account.deal_total   rollup   sum of deal.amount     hidden from acct_reader (cannot read deal)
//	account.margin_total rollup   sum of deal.margin     hidden from acct_reader, and marketing (margin hidden)
//
// The records (owner, amount, margin, account lookup):
//
//	deal         owner      amount    margin    account
//	east_small   rep_east    5000     1000.5    east
//	east_big     rep_east   50000    12000.25   —
//	west_small   rep_west    8000     2000      west
//	west_big     rep_west   20000     7000      east      ← a lookup into a record rep_west may not see
//	mgr          manager     3000      300      west
//	admin_small  admin       9999.99    99      hq
//	admin_10k    admin      10000      100      —         ← the `amount < 10000` boundary
//	partner_big  partner    75000     5000      hq
//
//	account      owner      top_deal (lookup → deal)
//	east         rep_east   east_big
//	west         rep_west   west_small
//	hq           admin      admin_small
//
// Reps create their own records (owner = them); margins and the cross
// lookups are set by the administrator afterwards (a rep may not write
// margin). The matrices below are the specification: one row per
// (operation, role), one column per target record.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// ---------------------------------------------------------------------------
// The matrices

// amDealGrid is the deal matrix. Cells:
//
//	list    x = returned, - = not; a single status = the whole request fails
//	        (the same rows must come back as total=true's count, and when
//	        paging through with the keyset cursor)
//	get     the status of GET .../records/{id}; the history endpoint
//	        (GET .../{id}/history) must answer the same status
//	expand  GET .../{id}?expand=account: the account expected under
//	        expand.account, "none" = the deal is returned without an expand
//	        entry, or a status; the list with ?expand=account must agree
//	update  PATCH {"name": …} with the current version
//	delete  DELETE; after a 204 the same user restores the record (200)
//
// A row with a single status applies it to every column.
const amDealGrid = `
op      who         east_small  east_big  west_small  west_big  mgr   admin_small  admin_10k  partner_big
list    admin       x           x         x           x         x     x            x          x
list    manager     x           x         x           x         x     -            -          -
list    rep_east    x           x         -           -         -     -            -          -
list    rep_west    -           -         x           x         -     -            -          -
list    marketing   x           -         x           -         x     x            -          -
list    exec        x           x         x           x         x     x            x          x
list    sales_lead  -           -         -           -         x     -            -          -
list    east_lead   x           x         -           -         -     -            -          -
list    partner     x           -         x           -         x     x            -          x
list    mkt_writer  x           -         x           -         x     x            -          -
list    hybrid      x           -         x           -         x     x            -          -
list    acct_reader 403
list    norole      403

get     admin       200         200       200         200       200   200          200        200
get     manager     200         200       200         200       200   404          404        404
get     rep_east    200         200       404         404       404   404          404        404
get     rep_west    404         404       200         200       404   404          404        404
get     marketing   200         404       200         404       200   200          404        404
get     exec        200         200       200         200       200   200          200        200
get     sales_lead  404         404       404         404       200   404          404        404
get     east_lead   200         200       404         404       404   404          404        404
get     partner     200         404       200         404       200   200          404        200
get     mkt_writer  200         404       200         404       200   200          404        404
get     hybrid      200         404       200         404       200   200          404        404
get     acct_reader 403
get     norole      403

expand  admin       east        none      west        east      west  hq           none       hq
expand  manager     east        none      west        east      west  404          404        404
expand  rep_east    east        none      404         404       404   404          404        404
expand  rep_west    404         404       west        none      404   404          404        404
expand  marketing   east        404       west        404       west  hq           404        404
expand  exec        east        none      west        east      west  hq           none       hq
expand  sales_lead  404         404       404         404       none  404          404        404
expand  east_lead   none        none      404         404       404   404          404        404
expand  partner     none        404       none        404       none  none         404        none
expand  mkt_writer  none        404       none        404       none  none         404        404
expand  hybrid      east        404       west        404       west  hq           404        404
expand  acct_reader 403
expand  norole      403

update  admin       200         200       200         200       200   200          200        200
update  manager     200         200       200         200       200   404          404        404
update  rep_east    200         200       404         404       404   404          404        404
update  rep_west    404         404       200         200       404   404          404        404
update  marketing   403
update  exec        403
update  sales_lead  403
update  east_lead   403
update  partner     403
update  mkt_writer  200         404       200         404       200   200          404        404
update  hybrid      403         404       403         404       403   403          404        404
update  acct_reader 403
update  norole      403

delete  admin       204         204       204         204       204   204          204        204
delete  manager     403         403       403         403       204   404          404        404
delete  rep_east    204         204       404         404       404   404          404        404
delete  rep_west    404         404       204         204       404   404          404        404
delete  marketing   403
delete  exec        403
delete  sales_lead  403
delete  east_lead   403
delete  partner     403
delete  mkt_writer  403
delete  hybrid      403         404       403         404       403   403          404        404
delete  acct_reader 403
delete  norole      403
`

// amAccountGrid is the account matrix (cells as in amDealGrid; expand is
// ?expand=top_deal and names the deal expected).
const amAccountGrid = `
op      who         east      west        hq
list    admin       x         x           x
list    manager     x         x           -
list    rep_east    x         -           -
list    rep_west    -         x           -
list    marketing   x         x           x
list    exec        x         x           x
list    sales_lead  403
list    east_lead   403
list    partner     403
list    mkt_writer  403
list    hybrid      x         x           x
list    acct_reader x         x           x
list    norole      403

get     admin       200       200         200
get     manager     200       200         404
get     rep_east    200       404         404
get     rep_west    404       200         404
get     marketing   200       200         200
get     exec        200       200         200
get     sales_lead  403
get     east_lead   403
get     partner     403
get     mkt_writer  403
get     hybrid      200       200         200
get     acct_reader 200       200         200
get     norole      403

expand  admin       east_big  west_small  admin_small
expand  manager     east_big  west_small  404
expand  rep_east    east_big  404         404
expand  rep_west    404       west_small  404
expand  marketing   none      west_small  admin_small
expand  exec        east_big  west_small  admin_small
expand  sales_lead  403
expand  east_lead   403
expand  partner     403
expand  mkt_writer  403
expand  hybrid      none      west_small  admin_small
expand  acct_reader none      none        none
expand  norole      403

update  admin       200       200         200
update  manager     200       200         404
update  rep_east    200       404         404
update  rep_west    404       200         404
update  marketing   403
update  exec        403
update  sales_lead  403
update  east_lead   403
update  partner     403
update  mkt_writer  403
update  hybrid      403       403         403
update  acct_reader 403       403         403
update  norole      403

delete  admin       204       204         204
delete  manager     403       403         404
delete  rep_east    204       404         404
delete  rep_west    404       204         404
delete  marketing   403
delete  exec        403
delete  sales_lead  403
delete  east_lead   403
delete  partner     403
delete  mkt_writer  403
delete  hybrid      403       403         403
delete  acct_reader 403       403         403
delete  norole      403
`

// amCreate is who may create: POST .../records of deal and of account.
var amCreate = []struct {
	who           string
	deal, account int
}{
	{"admin", 201, 201},
	{"manager", 403, 403},
	{"rep_east", 201, 201},
	{"rep_west", 201, 201},
	{"marketing", 403, 403},
	{"exec", 403, 403},
	{"sales_lead", 403, 403},
	{"east_lead", 403, 403},
	{"partner", 403, 403},
	{"mkt_writer", 201, 403},
	{"hybrid", 201, 201},
	{"acct_reader", 403, 403},
	{"norole", 403, 403},
}

// amHidden are the fields each role must never see (absent from lists,
// single records, expands, write responses, history diffs, module schemas
// and the OpenAPI document); every other field must be present.
var amHidden = map[string]map[string][]string{
	"deal": {
		"marketing":  {"margin", "margin_copy", "account_note"},
		"mkt_writer": {"margin", "margin_copy", "account_note"},
		"partner":    {"account_note"}, "sales_lead": {"account_note"}, "east_lead": {"account_note"},
	},
	"account": {
		"marketing":   {"owner_note", "margin_total"},
		"acct_reader": {"deal_total", "margin_total"},
	},
}

// amFields are the modules' fields; amSystem the system keys of a live
// record.
var (
	amFields = map[string][]string{
		"deal":    {"name", "amount", "stage", "margin", "account", "margin_copy", "account_note"},
		"account": {"name", "region", "owner_note", "top_deal", "deal_total", "margin_total"},
	}
	amSystem = []string{"id", "version", "created_at", "updated_at", "created_by", "updated_by", "owner"}
	// amExpand is the lookup each module's expand column expands, and the
	// module it points to.
	amExpand = map[string][2]string{"deal": {"account", "account"}, "account": {"top_deal", "deal"}}
)

// ---------------------------------------------------------------------------
// The organisation

const amDealSchema = `{"type": "object", "properties": {
	"name":    {"type": "string", "maxLength": 100, "x-field": {"type": "text", "label": {"en": "Name", "zh-CN": "名称"}}},
	"amount":  {"x-field": {"type": "currency", "label": {"en": "Amount", "zh-CN": "金额"}}},
	"stage":   {"x-field": {"type": "select", "label": {"en": "Stage", "zh-CN": "阶段"}, "options": [{"value": "new"}, {"value": "won"}, {"value": "lost"}]}},
	"margin":  {"x-field": {"type": "decimal", "label": {"en": "Margin", "zh-CN": "毛利"}}},
	"account": {"x-field": {"type": "lookup", "module": "account", "on_delete": "clear", "label": {"en": "Account", "zh-CN": "客户"}}},
	"margin_copy":  {"x-field": {"type": "formula", "formula": "margin", "result": "decimal", "label": {"en": "Margin (copy)", "zh-CN": "毛利副本"}}},
	"account_note": {"x-field": {"type": "formula", "formula": "account.owner_note", "result": "text", "label": {"en": "Account note", "zh-CN": "客户备注"}}}
}, "required": ["name"]}`

func amAccountSchema(withTopDeal bool) string {
	top := ""
	if withTopDeal {
		top = `,
	"top_deal":   {"x-field": {"type": "lookup", "module": "deal", "on_delete": "clear", "label": {"en": "Top deal", "zh-CN": "主要商机"}}},
	"deal_total":   {"x-field": {"type": "rollup", "module": "deal", "via": "account", "op": "sum", "field": "amount", "label": {"en": "Deal total", "zh-CN": "商机合计"}}},
	"margin_total": {"x-field": {"type": "rollup", "module": "deal", "via": "account", "op": "sum", "field": "margin", "label": {"en": "Margin total", "zh-CN": "毛利合计"}}}`
	}
	return `{"type": "object", "properties": {
	"name":       {"type": "string", "maxLength": 100, "x-field": {"type": "text", "label": {"en": "Name", "zh-CN": "名称"}}},
	"region":     {"x-field": {"type": "select", "label": {"en": "Region", "zh-CN": "区域"}, "options": [{"value": "east"}, {"value": "west"}, {"value": "north"}]}},
	"owner_note": {"x-field": {"type": "text", "label": {"en": "Owner note", "zh-CN": "负责人备注"}}}` + top + `
}, "required": ["name"]}`
}

// amUsers are the users besides the harness's admin, with departments and
// roles (keys).
var amUsers = []struct {
	who          string
	depts, roles []string
}{
	{"manager", []string{"sales"}, []string{"manager"}},
	{"rep_east", []string{"east"}, []string{"rep"}},
	{"rep_west", []string{"west"}, []string{"rep"}},
	{"marketing", []string{"marketing"}, []string{"marketing"}},
	{"exec", nil, []string{"exec"}},
	{"sales_lead", []string{"sales"}, []string{"dept_reader"}},
	{"east_lead", []string{"east"}, []string{"dept_reader"}},
	{"partner", nil, []string{"partner"}},
	{"mkt_writer", []string{"marketing"}, []string{"mkt_writer"}},
	{"hybrid", nil, []string{"marketing", "rep"}},
	{"acct_reader", nil, []string{"acct_reader"}},
	{"norole", nil, nil},
	{"gone", []string{"east"}, []string{"rep"}},
}

func amPerm(module string, actions []string, scope map[string]string, fields map[string]string) map[string]any {
	p := map[string]any{"app": "crm", "module": module, "actions": actions, "scope": scope}
	if fields != nil {
		p["fields"] = fields
	}
	return p
}

var amCRUD = []string{"create", "read", "update", "delete"}

// amRoles are the roles, by key. wildcard roles name module "*"; their
// fallback spells the same grant out per module (used, after the failure
// is reported, if the API refuses the wildcard, so that the rest of the
// matrix still runs).
var amRoles = []struct {
	key      string
	perms    []map[string]any
	fallback []map[string]any
}{
	{key: "rep", perms: []map[string]any{
		amPerm("deal", amCRUD, map[string]string{"read": "own", "update": "own", "delete": "own"}, map[string]string{"margin": "read"}),
		amPerm("account", amCRUD, map[string]string{"read": "own", "update": "own", "delete": "own"}, nil),
	}},
	{key: "manager",
		perms: []map[string]any{amPerm("*", []string{"read", "update", "delete", "transfer"},
			map[string]string{"read": "department_tree", "update": "department_tree", "delete": "own"}, nil)},
		fallback: []map[string]any{
			amPerm("deal", []string{"read", "update", "delete", "transfer"},
				map[string]string{"read": "department_tree", "update": "department_tree", "delete": "own"}, nil),
			amPerm("account", []string{"read", "update", "delete", "transfer"},
				map[string]string{"read": "department_tree", "update": "department_tree", "delete": "own"}, nil),
		}},
	{key: "marketing", perms: []map[string]any{
		amPerm("deal", []string{"read"}, map[string]string{"read": "amount < 10000"}, map[string]string{"margin": "hidden"}),
		amPerm("account", []string{"read"}, map[string]string{"read": "all"}, map[string]string{"owner_note": "hidden"}),
	}},
	{key: "exec",
		perms: []map[string]any{amPerm("*", []string{"read"}, map[string]string{"read": "all"}, nil)},
		fallback: []map[string]any{
			amPerm("deal", []string{"read"}, map[string]string{"read": "all"}, nil),
			amPerm("account", []string{"read"}, map[string]string{"read": "all"}, nil),
		}},
	{key: "dept_reader", perms: []map[string]any{
		amPerm("deal", []string{"read"}, map[string]string{"read": "department"}, nil),
	}},
	{key: "partner", perms: []map[string]any{
		amPerm("deal", []string{"read"}, map[string]string{"read": "owner == user.id || amount < 10000"}, nil),
	}},
	{key: "mkt_writer", perms: []map[string]any{
		amPerm("deal", []string{"create", "read", "update"},
			map[string]string{"read": "amount < 10000", "update": "amount < 10000"}, map[string]string{"margin": "hidden"}),
	}},
	{key: "acct_reader", perms: []map[string]any{
		amPerm("account", []string{"read"}, map[string]string{"read": "all"}, nil),
	}},
}

// amOrg is the organisation on one running server.
type amOrg struct {
	*env
	rec  map[string]map[string]string // module → record name → id
	name map[string]string            // id → record name
}

func (o *amOrg) id(mod, name string) string {
	id, ok := o.rec[mod][name]
	if !ok {
		panic("unknown record " + mod + "/" + name)
	}
	return id
}

// req sends a request with English messages.
func (o *amOrg) req(t testing.TB, who, method, path string, body any) *response {
	t.Helper()
	return o.do(t, who, method, path, body, "Accept-Language", "en")
}

// admin reads record name of mod as the administrator.
func (o *amOrg) admin(t testing.TB, mod, name string) *response {
	t.Helper()
	return o.record(t, "crm", mod, o.id(mod, name))
}

func (o *amOrg) version(t testing.TB, mod, name string) int64 {
	t.Helper()
	return int64(o.admin(t, mod, name).num("version"))
}

// mk creates record name of mod as who and remembers its id.
func (o *amOrg) mk(t testing.TB, who, mod, name string, vals map[string]any) string {
	t.Helper()
	vals["name"] = name
	r := o.req(t, who, "POST", recPath("crm", mod), vals).want(t, 201)
	id := r.str("id")
	o.rec[mod][name], o.name[id] = id, name
	return id
}

// adminPatch changes record name of mod as the administrator.
func (o *amOrg) adminPatch(t testing.TB, mod, name string, vals map[string]any) {
	t.Helper()
	vals["version"] = o.version(t, mod, name)
	o.req(t, "admin", "PATCH", recIDPath("crm", mod, o.id(mod, name)), vals).want(t, 200)
}

// newAMOrg builds the organisation and its records through the API.
func newAMOrg(t *testing.T, e *env) *amOrg {
	t.Helper()
	o := &amOrg{env: e, rec: map[string]map[string]string{"deal": {}, "account": {}}, name: map[string]string{}}

	// App and modules; account gets its lookup to deal once deal exists.
	e.createApp(t, "crm")
	e.createModule(t, "crm", "account", json.RawMessage(amAccountSchema(false)))
	e.createModule(t, "crm", "deal", json.RawMessage(amDealSchema))
	e.putModule(t, "crm", "account", json.RawMessage(amAccountSchema(true))).want(t, 200)

	// Departments.
	for _, d := range []map[string]any{
		{"key": "sales", "label": label("Sales")},
		{"key": "east", "label": label("East"), "parent": "sales"},
		{"key": "west", "label": label("West"), "parent": "sales"},
		{"key": "marketing", "label": label("Marketing")},
	} {
		r := o.req(t, "admin", "POST", "/api/departments", d).want(t, 201)
		if r.str("key") != d["key"] || (d["parent"] != nil && r.str("parent") != d["parent"]) {
			t.Fatalf("department %v: %s", d, r.Body)
		}
	}

	// Roles.
	for _, rl := range amRoles {
		body := map[string]any{"key": rl.key, "label": label(rl.key), "permissions": rl.perms}
		r := o.req(t, "admin", "POST", "/api/roles", body)
		if r.Status != 201 && rl.fallback != nil {
			t.Errorf("BUG: role %q with a wildcard module (crm/*) refused by POST /api/roles: %d %s", rl.key, r.Status, r.Body)
			body["permissions"] = rl.fallback
			r = o.req(t, "admin", "POST", "/api/roles", body)
		}
		r.want(t, 201)
		if n := int(r.num("permissions.#")); n != len(body["permissions"].([]map[string]any)) {
			t.Fatalf("role %s: %d permissions stored: %s", rl.key, n, r.Body)
		}
	}

	// Users.
	for _, u := range amUsers {
		r := o.req(t, "admin", "POST", "/api/users", map[string]any{
			"email": u.who + "@example.com", "password": password, "name": u.who,
			"departments": u.depts, "roles": u.roles,
		}).want(t, 201)
		if r.get("is_admin") != false || r.get("disabled") != false {
			t.Fatalf("user %s: %s", u.who, r.Body)
		}
		if len(u.roles) > 0 && !jsonEqual(r.get("roles"), u.roles) {
			t.Errorf("user %s: roles %v, want %v", u.who, r.get("roles"), u.roles)
		}
		if len(u.depts) > 0 && !jsonEqual(r.get("departments"), u.depts) {
			t.Errorf("user %s: departments %v, want %v", u.who, r.get("departments"), u.depts)
		}
		e.ids[u.who] = r.str("id")
		e.tokens[u.who] = e.login(t, u.who+"@example.com", password)
	}
	// The manager manages sales.
	r := o.req(t, "admin", "PATCH", "/api/departments/sales", map[string]any{"manager": e.ids["manager"]}).want(t, 200)
	if r.str("manager") != e.ids["manager"] {
		t.Fatalf("sales manager: %s", r.Body)
	}
	r = o.req(t, "admin", "GET", "/api/departments/sales", nil).want(t, 200)
	if !jsonEqual(r.get("children"), []string{"east", "west"}) {
		t.Fatalf("sales children: %s", r.Body)
	}
	var members []string
	for _, m := range r.list("members") {
		members = append(members, m.(map[string]any)["name"].(string))
	}
	sort.Strings(members)
	if !slices.Equal(members, []string{"manager", "sales_lead"}) {
		t.Fatalf("sales members %v: %s", members, r.Body)
	}

	// Records: reps create their own.
	o.mk(t, "rep_east", "account", "east", map[string]any{"region": "east", "owner_note": "east note"})
	o.mk(t, "rep_west", "account", "west", map[string]any{"region": "west", "owner_note": "west note"})
	o.mk(t, "admin", "account", "hq", map[string]any{"region": "north", "owner_note": "hq note"})
	o.mk(t, "rep_east", "deal", "east_small", map[string]any{"amount": 5000, "stage": "new", "account": o.id("account", "east")})
	o.mk(t, "rep_east", "deal", "east_big", map[string]any{"amount": 50000, "stage": "won"})
	o.mk(t, "rep_west", "deal", "west_small", map[string]any{"amount": 8000, "stage": "new", "account": o.id("account", "west")})
	o.mk(t, "rep_west", "deal", "west_big", map[string]any{"amount": 20000, "stage": "new"})
	// The administrator creates the others, for their owners.
	o.mk(t, "admin", "deal", "mgr", map[string]any{"amount": 3000, "margin": 300, "account": o.id("account", "west"), "owner": e.ids["manager"]})
	o.mk(t, "admin", "deal", "admin_small", map[string]any{"amount": json.Number("9999.99"), "margin": 99, "account": o.id("account", "hq")})
	o.mk(t, "admin", "deal", "admin_10k", map[string]any{"amount": 10000, "margin": 100})
	o.mk(t, "admin", "deal", "partner_big", map[string]any{"amount": 75000, "margin": 5000, "account": o.id("account", "hq"), "owner": e.ids["partner"]})
	// Margins (reps may not write them) and the lookups.
	o.adminPatch(t, "deal", "east_small", map[string]any{"margin": json.Number("1000.5")})
	o.adminPatch(t, "deal", "east_big", map[string]any{"margin": json.Number("12000.25")})
	o.adminPatch(t, "deal", "west_small", map[string]any{"margin": 2000})
	o.adminPatch(t, "deal", "west_big", map[string]any{"margin": 7000, "account": o.id("account", "east")})
	o.adminPatch(t, "account", "east", map[string]any{"top_deal": o.id("deal", "east_big")})
	o.adminPatch(t, "account", "west", map[string]any{"top_deal": o.id("deal", "west_small")})
	o.adminPatch(t, "account", "hq", map[string]any{"top_deal": o.id("deal", "admin_small")})

	// Owners are who created the record, or whom the admin gave it to.
	for mod, owners := range map[string]map[string]string{
		"deal": {"east_small": "rep_east", "east_big": "rep_east", "west_small": "rep_west", "west_big": "rep_west",
			"mgr": "manager", "admin_small": "admin", "admin_10k": "admin", "partner_big": "partner"},
		"account": {"east": "rep_east", "west": "rep_west", "hq": "admin"},
	} {
		for name, who := range owners {
			if got := o.admin(t, mod, name).str("owner"); got != e.ids[who] {
				t.Fatalf("%s/%s: owner %q, want %s (%q)", mod, name, got, who, e.ids[who])
			}
		}
	}
	return o
}

// ---------------------------------------------------------------------------
// Grids

type amGrid struct {
	mod     string
	targets []string
	rows    []amRow
}

type amRow struct {
	op, who string
	cells   []string // one per target
	whole   int      // a single status for the whole row (list), else 0
}

func amParse(t *testing.T, mod, src string) amGrid {
	t.Helper()
	g := amGrid{mod: mod}
	for i, line := range strings.Split(strings.TrimSpace(src), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if i == 0 {
			if f[0] != "op" || f[1] != "who" {
				t.Fatalf("grid header %q", line)
			}
			g.targets = f[2:]
			continue
		}
		row := amRow{op: f[0], who: f[1], cells: f[2:]}
		if len(row.cells) == 1 {
			n, err := strconv.Atoi(row.cells[0])
			if err != nil {
				t.Fatalf("grid line %q: a single cell must be a status", line)
			}
			row.whole = n
			row.cells = slices.Repeat([]string{row.cells[0]}, len(g.targets))
		}
		if len(row.cells) != len(g.targets) {
			t.Fatalf("grid line %q: %d cells for %d targets", line, len(row.cells), len(g.targets))
		}
		g.rows = append(g.rows, row)
	}
	return g
}

// run executes every row of the grid in order.
func (o *amOrg) run(t *testing.T, g amGrid) (cells int) {
	t.Helper()
	for _, row := range g.rows {
		switch row.op {
		case "list":
			t.Run(fmt.Sprintf("%s/list/%s", g.mod, row.who), func(t *testing.T) { o.list(t, g, row) })
			cells++
			continue
		case "expand":
			t.Run(fmt.Sprintf("%s/list-expand/%s", g.mod, row.who), func(t *testing.T) { o.listExpand(t, g, row) })
			cells++
		}
		for i, target := range g.targets {
			cell := row.cells[i]
			t.Run(fmt.Sprintf("%s/%s/%s/%s", g.mod, row.op, row.who, target), func(t *testing.T) {
				switch row.op {
				case "get":
					o.get(t, g.mod, row.who, target, amStatus(t, cell))
				case "expand":
					o.expand(t, g.mod, row.who, target, cell)
				case "update":
					o.update(t, g.mod, row.who, target, amStatus(t, cell))
				case "delete":
					o.delete(t, g.mod, row.who, target, amStatus(t, cell))
				default:
					t.Fatalf("unknown op %q", row.op)
				}
			})
			cells++
		}
	}
	return cells
}

func amStatus(t *testing.T, cell string) int {
	t.Helper()
	n, err := strconv.Atoi(cell)
	if err != nil {
		t.Fatalf("cell %q is not a status", cell)
	}
	return n
}

// wantKeys asserts a record payload has exactly the keys who may see:
// system keys and the module's fields, less the hidden ones, plus extra.
func amWantKeys(t *testing.T, mod, who string, rec map[string]any, extra ...string) {
	t.Helper()
	var want []string
	want = append(want, amSystem...)
	for _, f := range amFields[mod] {
		if !slices.Contains(amHidden[mod][who], f) {
			want = append(want, f)
		}
	}
	want = append(want, extra...)
	got := make([]string, 0, len(rec))
	for k := range rec {
		got = append(got, k)
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s record as %s: keys %v, want %v", mod, who, got, want)
	}
}

// names maps the ids of a list payload to record names.
func (o *amOrg) names(recs []any) []string {
	out := []string{}
	for _, r := range recs {
		id, _ := r.(map[string]any)["id"].(string)
		if n, ok := o.name[id]; ok {
			out = append(out, n)
		} else {
			out = append(out, "?"+id)
		}
	}
	sort.Strings(out)
	return out
}

func (o *amOrg) list(t *testing.T, g amGrid, row amRow) {
	base := recPath("crm", g.mod)
	r := o.req(t, row.who, "GET", base+"?total=true&limit=500", nil)
	count := o.req(t, row.who, "GET", base+"?total=true&limit=1", nil)
	if row.whole != 0 {
		for _, r := range []*response{r, count} {
			if r.Status != row.whole {
				t.Fatalf("list as %s: status %d, want %d; body %s", row.who, r.Status, row.whole, r.Body)
			}
			checkProblem(t, r)
		}
		return
	}
	r.want(t, 200)
	var want []string
	for i, c := range row.cells {
		switch c {
		case "x":
			want = append(want, g.targets[i])
		case "-":
		default:
			t.Fatalf("list cell %q", c)
		}
	}
	sort.Strings(want)
	if got := o.names(r.list("records")); !slices.Equal(got, want) {
		t.Errorf("list as %s: %v, want %v", row.who, got, want)
	}
	if int(r.num("total")) != len(want) || r.get("total") == nil {
		t.Errorf("list as %s: total %v, want %d", row.who, r.get("total"), len(want))
	}
	for _, rec := range r.list("records") {
		amWantKeys(t, g.mod, row.who, rec.(map[string]any))
	}
	// total=true counts every row in scope, not the page.
	count.want(t, 200)
	if int(count.num("total")) != len(want) || len(count.list("records")) != min(1, len(want)) {
		t.Errorf("count as %s: total %v with %d records, want %d", row.who, count.get("total"), len(count.list("records")), len(want))
	}
	// Paging (keyset cursor) stays within the scope: pages of two hold
	// the same rows, each once.
	var paged []any
	cursor := ""
	for range len(want) + 2 {
		p := o.req(t, row.who, "GET", base+"?limit=2&cursor="+url.QueryEscape(cursor), nil).want(t, 200)
		paged = append(paged, p.list("records")...)
		if cursor = p.str("next_cursor"); cursor == "" {
			break
		}
	}
	if got := o.names(paged); !slices.Equal(got, want) {
		t.Errorf("paged list as %s: %v, want %v", row.who, got, want)
	}
}

// get reads one record; the history endpoint must agree.
func (o *amOrg) get(t *testing.T, mod, who, target string, status int) {
	id := o.id(mod, target)
	r := o.req(t, who, "GET", recIDPath("crm", mod, id), nil)
	if r.Status != status {
		t.Fatalf("GET %s/%s as %s: status %d, want %d; body %s", mod, target, who, r.Status, status, r.Body)
	}
	if status >= 400 {
		checkProblem(t, r)
	} else {
		if r.str("id") != id {
			t.Errorf("GET %s/%s: id %q", mod, target, r.str("id"))
		}
		amWantKeys(t, mod, who, r.obj(""))
	}
	o.history(t, mod, who, target, status)
}

// history reads a record's history as who: same status as get, and no
// hidden field in any diff (while a field who may see, margin included,
// does show up: the administrator set it on every deal).
func (o *amOrg) history(t *testing.T, mod, who, target string, status int) {
	t.Helper()
	r := o.req(t, who, "GET", recIDPath("crm", mod, o.id(mod, target))+"/history", nil)
	if r.Status != status {
		t.Fatalf("history of %s/%s as %s: status %d, want %d; body %s", mod, target, who, r.Status, status, r.Body)
	}
	if status >= 400 {
		checkProblem(t, r)
		return
	}
	seen := map[string]bool{}
	for _, e := range r.list("entries") {
		for k := range e.(map[string]any)["diff"].(map[string]any) {
			seen[k] = true
		}
	}
	if len(r.list("entries")) == 0 {
		t.Errorf("history of %s/%s as %s: %d entries: %s", mod, target, who, len(r.list("entries")), r.Body)
	}
	for _, h := range amHidden[mod][who] {
		if seen[h] {
			t.Errorf("history of %s/%s as %s shows hidden field %q: %s", mod, target, who, h, r.Body)
		}
	}
	// Fields every record's history holds (the administrator set margin,
	// hence margin_copy, on every deal; rollups start at 0 on create) show
	// up when visible.
	for _, f := range map[string][]string{"deal": {"margin", "margin_copy"}, "account": {"deal_total", "owner_note"}}[mod] {
		if !slices.Contains(amHidden[mod][who], f) && !seen[f] {
			t.Errorf("history of %s/%s as %s lacks %s (visible to them): %s", mod, target, who, f, r.Body)
		}
	}
}

// expand reads one record with its lookup expanded.
func (o *amOrg) expand(t *testing.T, mod, who, target, cell string) {
	field := amExpand[mod][0]
	r := o.req(t, who, "GET", recIDPath("crm", mod, o.id(mod, target))+"?expand="+field, nil)
	if n, err := strconv.Atoi(cell); err == nil {
		if r.Status != n {
			t.Fatalf("expand %s/%s as %s: status %d, want %d; body %s", mod, target, who, r.Status, n, r.Body)
		}
		checkProblem(t, r)
		return
	}
	r.want(t, 200)
	amWantKeys(t, mod, who, r.obj(""), "expand")
	o.checkExpanded(t, mod, who, target, r.obj(""), cell)
}

// checkExpanded asserts rec's expand entry is the record cell names (or
// none) in the form who may see it.
func (o *amOrg) checkExpanded(t *testing.T, mod, who, target string, rec map[string]any, cell string) {
	t.Helper()
	field, tmod := amExpand[mod][0], amExpand[mod][1]
	ex, _ := rec["expand"].(map[string]any)
	got, has := ex[field].(map[string]any)
	if cell == "none" {
		if has || ex[field] != nil {
			t.Errorf("%s/%s as %s: expand.%s = %v, want no entry", mod, target, who, field, ex[field])
		}
		return
	}
	if !has {
		t.Fatalf("%s/%s as %s: no expand.%s, want %s; record %v", mod, target, who, field, cell, rec)
	}
	if got["id"] != o.id(tmod, cell) {
		t.Errorf("%s/%s as %s: expand.%s is %v, want %s", mod, target, who, field, got["id"], cell)
	}
	amWantKeys(t, tmod, who, got, "_title")
	if got["_title"] != got["name"] {
		t.Errorf("%s/%s as %s: expand.%s._title %v, want its name %v", mod, target, who, field, got["_title"], got["name"])
	}
}

// listExpand lists with ?expand=: every listed record's expand entry must
// be what the expand row says.
func (o *amOrg) listExpand(t *testing.T, g amGrid, row amRow) {
	field := amExpand[g.mod][0]
	r := o.req(t, row.who, "GET", recPath("crm", g.mod)+"?limit=500&expand="+field, nil)
	if row.whole != 0 {
		if r.Status != row.whole {
			t.Fatalf("list expand as %s: status %d, want %d", row.who, r.Status, row.whole)
		}
		checkProblem(t, r)
		return
	}
	r.want(t, 200)
	var want []string
	for i, c := range row.cells {
		if _, err := strconv.Atoi(c); err != nil {
			want = append(want, g.targets[i])
		}
	}
	sort.Strings(want)
	if got := o.names(r.list("records")); !slices.Equal(got, want) {
		t.Errorf("list expand as %s: %v, want %v", row.who, got, want)
	}
	for _, rec := range r.list("records") {
		m := rec.(map[string]any)
		name := o.name[m["id"].(string)]
		i := slices.Index(g.targets, name)
		if i < 0 {
			continue
		}
		amWantKeys(t, g.mod, row.who, m, "expand")
		o.checkExpanded(t, g.mod, row.who, name, m, row.cells[i])
	}
}

// update renames a record as who; afterwards the administrator checks
// whether it changed.
func (o *amOrg) update(t *testing.T, mod, who, target string, status int) {
	before := o.admin(t, mod, target)
	v := int64(before.num("version"))
	name := target + " by " + who
	r := o.req(t, who, "PATCH", recIDPath("crm", mod, o.id(mod, target)), map[string]any{"version": v, "name": name})
	if r.Status != status {
		t.Fatalf("PATCH %s/%s as %s: status %d, want %d; body %s", mod, target, who, r.Status, status, r.Body)
	}
	after := o.admin(t, mod, target)
	if status >= 400 {
		checkProblem(t, r)
		if after.num("version") != float64(v) || after.str("name") != before.str("name") {
			t.Errorf("refused PATCH changed %s/%s: %s", mod, target, after.Body)
		}
		return
	}
	amWantKeys(t, mod, who, r.obj(""))
	if r.str("name") != name || after.str("name") != name || after.num("version") != float64(v+1) {
		t.Errorf("PATCH %s/%s as %s: response %s, stored %s", mod, target, who, r.Body, after.Body)
	}
}

// delete deletes a record as who; a deleted record is restored by who
// (restore needs the same right) so the matrix goes on with the same rows.
// The lookups are on_delete clear (every record here is looked up by
// another, and restrict would refuse every delete): the links a delete
// cleared are set again after the restore.
func (o *amOrg) delete(t *testing.T, mod, who, target string, status int) {
	id := o.id(mod, target)
	v := o.version(t, mod, target)
	if status < 400 {
		defer o.relink(t, o.links(t))
	}
	r := o.req(t, who, "DELETE", recIDPath("crm", mod, id), nil)
	if r.Status != status {
		if r.Status == 204 {
			o.req(t, "admin", "POST", recIDPath("crm", mod, id)+"/restore", nil).want(t, 200)
		}
		t.Fatalf("DELETE %s/%s as %s: status %d, want %d; body %s", mod, target, who, r.Status, status, r.Body)
	}
	if status >= 400 {
		checkProblem(t, r)
		if after := o.admin(t, mod, target); after.num("version") != float64(v) {
			t.Errorf("refused DELETE changed %s/%s: %s", mod, target, after.Body)
		}
		return
	}
	o.req(t, "admin", "GET", recIDPath("crm", mod, id), nil).want(t, 404)
	r = o.req(t, who, "POST", recIDPath("crm", mod, id)+"/restore", nil).want(t, 200)
	amWantKeys(t, mod, who, r.obj(""))
	o.admin(t, mod, target)
}

// links are the lookup values of every record (module → name → id).
func (o *amOrg) links(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for mod, names := range o.rec {
		out[mod] = map[string]any{}
		for name := range names {
			out[mod][name] = o.admin(t, mod, name).get(amExpand[mod][0])
		}
	}
	return out
}

// relink sets the lookups that differ from links back to them.
func (o *amOrg) relink(t *testing.T, links map[string]map[string]any) {
	t.Helper()
	for mod, names := range links {
		for name, v := range names {
			if o.admin(t, mod, name).get(amExpand[mod][0]) != v {
				o.adminPatch(t, mod, name, map[string]any{amExpand[mod][0]: v})
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Tests

// TestAccessMatrix runs both matrices, then creation by every role, and
// field-level access (hidden and read-only fields in filters, sorts and
// writes).
func TestAccessMatrix(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		o := newAMOrg(t, e)
		cells := o.run(t, amParse(t, "deal", amDealGrid))
		cells += o.run(t, amParse(t, "account", amAccountGrid))
		// Field levels before creation adds records to the lists.
		cells += o.computedFields(t)
		cells += o.fieldLevels(t)

		// Creation.
		for _, c := range amCreate {
			for mod, status := range map[string]int{"deal": c.deal, "account": c.account} {
				cells++
				t.Run(fmt.Sprintf("%s/create/%s", mod, c.who), func(t *testing.T) {
					body := map[string]any{"name": "new by " + c.who}
					if mod == "deal" {
						body["amount"], body["stage"] = 42, "new"
					}
					r := o.req(t, c.who, "POST", recPath("crm", mod), body)
					if r.Status != status {
						t.Fatalf("POST %s as %s: status %d, want %d; body %s", mod, c.who, r.Status, status, r.Body)
					}
					if status >= 400 {
						checkProblem(t, r)
						return
					}
					amWantKeys(t, mod, c.who, r.obj(""))
					if r.str("owner") != e.ids[c.who] || r.str("created_by") != e.ids[c.who] {
						t.Errorf("owner/created_by %q/%q, want %q", r.str("owner"), r.str("created_by"), e.ids[c.who])
					}
					// The creator can read what they created.
					g := o.req(t, c.who, "GET", recIDPath("crm", mod, r.str("id")), nil).want(t, 200)
					amWantKeys(t, mod, c.who, g.obj(""))
				})
			}
		}

		t.Logf("%s: %d matrix cells", e.s.D.Name(), cells)
	})
}

// computedFields checks the computed fields (see the table at the top):
// their values for those who may see them, and, for those who may not, a
// 400 as unknown fields in filters and sorts, and their absence from the
// module schemas and the OpenAPI document served to them (while the
// fields they may see are there).
func (o *amOrg) computedFields(t *testing.T) (cells int) {
	q := func(mod, k, v string) string {
		return recPath("crm", mod) + "?total=true&" + k + "=" + url.QueryEscape(v)
	}
	reads := []amRead{
		// Formula over a hidden field.
		{"marketing", "deal", q("deal", "filter", "margin_copy > 0"), 400, nil},
		{"marketing", "deal", q("deal", "filter", "margin_copy == nil"), 400, nil},
		{"marketing", "deal", q("deal", "sort", "-margin_copy"), 400, nil},
		{"mkt_writer", "deal", q("deal", "filter", `margin_copy startsWith "1"`), 400, nil},
		{"marketing", "deal", q("deal", "expand", "margin_copy"), 400, nil},
		// Formula over a lookup's hidden field, and over a module the
		// reader may not read.
		{"marketing", "deal", q("deal", "filter", `account_note == "east note"`), 400, nil},
		{"marketing", "deal", q("deal", "sort", "account_note"), 400, nil},
		{"partner", "deal", q("deal", "filter", `account_note != nil`), 400, nil},
		{"east_lead", "deal", q("deal", "sort", "-account_note"), 400, nil},
		{"mkt_writer", "deal", q("deal", "filter", `account_note endsWith "note"`), 400, nil},
		// Rollups over a child the reader cannot read, or whose rolled-up
		// field is hidden from them.
		{"acct_reader", "account", q("account", "filter", "deal_total > 0"), 400, nil},
		{"acct_reader", "account", q("account", "sort", "-deal_total"), 400, nil},
		{"acct_reader", "account", q("account", "filter", "margin_total > 0"), 400, nil},
		{"marketing", "account", q("account", "filter", "margin_total > 0"), 400, nil},
		{"marketing", "account", q("account", "sort", "margin_total"), 400, nil},
		// Those who may see them filter and sort on them, within their scope.
		{"rep_east", "deal", q("deal", "filter", "margin_copy > 5000"), 200, []string{"east_big"}},
		{"rep_east", "deal", q("deal", "filter", `account_note == "east note"`), 200, []string{"east_small"}},
		{"manager", "deal", q("deal", "filter", `account_note == "east note"`) + "&sort=amount", 200, []string{"east_small", "west_big"}},
		{"hybrid", "deal", q("deal", "filter", `account_note != nil`) + "&sort=amount", 200, []string{"mgr", "east_small", "west_small", "admin_small"}},
		{"marketing", "account", q("account", "filter", "deal_total > 20000 && deal_total < 30000"), 200, []string{"east"}},
		{"marketing", "account", q("account", "sort", "-deal_total"), 200, []string{"hq", "east", "west"}},
		{"exec", "account", q("account", "filter", "margin_total > 5000") + "&sort=margin_total", 200, []string{"hq", "east"}},
		{"acct_reader", "account", q("account", "filter", `region == "east"`), 200, []string{"east"}},
	}
	cells += o.reads(t, "computed", reads)

	// The values, as those who may see them read them.
	values := []struct {
		who, mod, target, field string
		want                    any
	}{
		{"rep_east", "deal", "east_small", "margin_copy", 1000.5},
		{"rep_east", "deal", "east_small", "account_note", "east note"},
		{"manager", "deal", "west_big", "account_note", "east note"},  // rep_west may not see account east…
		{"rep_west", "deal", "west_big", "account_note", "east note"}, // …but the formula is the deal's
		{"exec", "deal", "east_big", "account_note", nil},
		{"marketing", "account", "east", "deal_total", 25000},
		{"exec", "account", "east", "margin_total", 8000.5},
		{"hybrid", "account", "hq", "margin_total", 5099},
		{"rep_west", "account", "west", "deal_total", 11000},
	}
	for _, v := range values {
		cells++
		t.Run(v.mod+"/computed/value/"+v.who+"/"+v.target+"."+v.field, func(t *testing.T) {
			r := o.req(t, v.who, "GET", recIDPath("crm", v.mod, o.id(v.mod, v.target)), nil).want(t, 200)
			if got := r.get(v.field); !jsonEqual(got, v.want) {
				t.Errorf("%s = %v, want %v", v.field, got, v.want)
			}
		})
	}

	// Module schemas and the OpenAPI document, per reader.
	for _, u := range append([]string{"admin"}, whoAll()...) {
		cells++
		t.Run("computed/schemas/"+u, func(t *testing.T) { o.schemasOf(t, u) })
	}
	return cells
}

// amRead is a list request and its expected answer: a status, and for a
// 200 the records in order (their keys as amWantKeys wants them).
type amRead struct {
	who, mod, url string
	status        int
	ids           []string
}

// reads runs list requests as subtests named mod/kind/who/query.
func (o *amOrg) reads(t *testing.T, kind string, rs []amRead) (cells int) {
	for _, rd := range rs {
		cells++
		t.Run(rd.mod+"/"+kind+"/"+rd.who+"/"+rd.url[strings.Index(rd.url, "&")+1:], func(t *testing.T) {
			r := o.req(t, rd.who, "GET", rd.url, nil)
			if r.Status != rd.status {
				t.Fatalf("status %d, want %d; body %s", r.Status, rd.status, r.Body)
			}
			if rd.status >= 400 {
				checkProblem(t, r)
				return
			}
			var got []string
			for _, rec := range r.list("records") {
				got = append(got, o.name[rec.(map[string]any)["id"].(string)])
				amWantKeys(t, rd.mod, rd.who, rec.(map[string]any))
			}
			if !slices.Equal(got, rd.ids) && !(len(got) == 0 && len(rd.ids) == 0) {
				t.Errorf("records %v, want %v", got, rd.ids)
			}
			if int(r.num("total")) != len(rd.ids) {
				t.Errorf("total %v, want %d", r.get("total"), len(rd.ids))
			}
		})
	}
	return cells
}

func whoAll() []string {
	var out []string
	for _, u := range amUsers {
		if u.who != "gone" {
			out = append(out, u.who)
		}
	}
	return out
}

// schemasOf checks what who is shown of each module's fields: the module
// document (GET …/modules/{m}), the module list, the stored versions and
// the record schema of the OpenAPI document hold exactly the fields of
// amFields that amHidden does not hide from who.
func (o *amOrg) schemasOf(t *testing.T, who string) {
	oas := o.req(t, who, "GET", "/api/openapi.json", nil).want(t, 200)
	list := o.req(t, who, "GET", "/api/apps/crm/modules", nil).want(t, 200)
	for _, mod := range []string{"deal", "account"} {
		var want []string
		for _, f := range amFields[mod] {
			if !slices.Contains(amHidden[mod][who], f) {
				want = append(want, f)
			}
		}
		sort.Strings(want)
		keys := func(v any) []string {
			m, _ := v.(map[string]any)
			out := []string{}
			for k := range m {
				if !slices.Contains(amSystem, k) && k != "expand" && k != "deleted_at" {
					out = append(out, k)
				}
			}
			sort.Strings(out)
			return out
		}
		r := o.req(t, who, "GET", modPath("crm", mod), nil)
		if r.Status == 403 {
			// Who may not read the module sees it nowhere.
			if oas.obj("components.schemas")["crm."+mod] != nil || strings.Contains(string(list.Body), `"key":"`+mod+`"`) {
				t.Errorf("%s cannot read %s but it is documented for them", who, mod)
			}
			continue
		}
		r.want(t, 200)
		if got := keys(r.get("schema.properties")); !slices.Equal(got, want) {
			t.Errorf("%s as %s: schema fields %v, want %v", mod, who, got, want)
		}
		var inList any
		for _, m := range list.list("modules") {
			if m.(map[string]any)["key"] == mod {
				inList = lookup(m, "schema.properties")
			}
		}
		if got := keys(inList); !slices.Equal(got, want) {
			t.Errorf("%s as %s: module list fields %v, want %v", mod, who, got, want)
		}
		v := o.req(t, who, "GET", modPath("crm", mod)+"/versions", nil).want(t, 200)
		for _, ver := range v.list("versions") {
			for _, k := range keys(lookup(ver, "schema.properties")) {
				if slices.Contains(amHidden[mod][who], k) {
					t.Errorf("%s as %s: a stored version shows %s", mod, who, k)
				}
			}
		}
		rec, _ := oas.obj("components.schemas")["crm."+mod].(map[string]any)
		if got := keys(lookup(rec, "properties")); !slices.Equal(got, want) {
			t.Errorf("%s as %s: OpenAPI record fields %v, want %v", mod, who, got, want)
		}
		for _, h := range amHidden[mod][who] {
			if strings.Contains(string(oas.Body), `"`+h+`"`) {
				t.Errorf("%s as %s: the OpenAPI document names hidden %s", mod, who, h)
			}
		}
	}
}

// fieldLevels checks hidden (marketing, mkt_writer) and read-only (reps)
// margin in filters, sorts and writes.
func (o *amOrg) fieldLevels(t *testing.T) (cells int) {
	q := func(k, v string) string {
		return recPath("crm", "deal") + "?total=true&" + k + "=" + url.QueryEscape(v)
	}
	reads := []struct {
		who    string
		url    string
		status int
		ids    []string // in order
	}{
		// Hidden: not in filters or sorts, whatever the spelling.
		{"marketing", q("filter", "margin > 0"), 400, nil},
		{"marketing", q("filter", "margin == nil"), 400, nil},
		{"marketing", q("filter", "amount > 0 && margin > 100"), 400, nil},
		{"marketing", q("sort", "margin"), 400, nil},
		{"marketing", q("sort", "-margin"), 400, nil},
		{"marketing", q("sort", "name,-margin"), 400, nil},
		{"marketing", q("expand", "margin"), 400, nil},
		{"mkt_writer", q("filter", "margin > 0"), 400, nil},
		{"mkt_writer", q("sort", "-margin"), 400, nil},
		// Other fields filter and sort within the scope.
		{"marketing", q("filter", "amount > 4000") + "&sort=amount", 200, []string{"east_small", "west_small", "admin_small"}},
		{"marketing", q("sort", "-amount"), 200, []string{"admin_small", "west_small", "east_small", "mgr"}},
		// Read-only is readable: filters and sorts work.
		{"rep_east", q("filter", "margin > 0") + "&sort=-margin", 200, []string{"east_big", "east_small"}},
		{"rep_east", q("filter", "margin > 5000"), 200, []string{"east_big"}},
		// The union of rep (margin read) and marketing (hidden) reads it.
		{"hybrid", q("filter", "margin > 0") + "&sort=margin", 200, []string{"admin_small", "mgr", "east_small", "west_small"}},
		{"partner", q("sort", "-margin"), 200, []string{"partner_big", "west_small", "east_small", "mgr", "admin_small"}},
		// A filter never widens the scope.
		{"rep_east", q("filter", `name != ""`), 200, []string{"east_big", "east_small"}},
		{"marketing", q("filter", "amount >= 10000"), 200, []string{}},
	}
	for _, rd := range reads {
		cells += o.reads(t, "field", []amRead{{rd.who, "deal", rd.url, rd.status, rd.ids}})
	}

	writes := []struct {
		name   string
		who    string
		target string // "" = create
		body   map[string]any
		status int
		field  string // "margin:code:name": the error on margin has code and names it as name
	}{
		{"rep creates with margin", "rep_east", "", map[string]any{"name": "x", "margin": 5}, 403, "margin:read_only:\"Margin\""},
		{"rep changes margin", "rep_east", "east_small", map[string]any{"margin": 999}, 403, "margin:read_only:\"Margin\""},
		{"rep changes margin and name", "rep_east", "east_small", map[string]any{"name": "sneaky", "margin": 1}, 403, "margin:read_only:\"Margin\""},
		{"rep clears margin", "rep_east", "east_small", map[string]any{"margin": nil}, 403, "margin:read_only:\"Margin\""},
		{"rep sends the same margin", "rep_east", "east_small", map[string]any{"name": "same margin", "margin": json.Number("1000.5")}, 200, ""},
		{"rep sends the same margin spelt 1000.50", "rep_east", "east_small", map[string]any{"name": "same margin again", "margin": json.Number("1000.50")}, 200, ""},
		{"rep creates without margin", "rep_east", "", map[string]any{"name": "no margin"}, 201, ""},
		{"hidden margin on create", "mkt_writer", "", map[string]any{"name": "x", "amount": 5, "margin": 1}, 403, "margin:forbidden:\"margin\""},
		{"hidden margin changed", "mkt_writer", "east_small", map[string]any{"margin": 1}, 403, "margin:forbidden:\"margin\""},
		{"hidden margin sent unchanged", "mkt_writer", "east_small", map[string]any{"margin": json.Number("1000.5")}, 403, "margin:forbidden:\"margin\""},
		{"hidden margin cleared", "mkt_writer", "east_small", map[string]any{"margin": nil}, 403, "margin:forbidden:\"margin\""},
		{"hidden margin with a bad value", "mkt_writer", "east_small", map[string]any{"margin": "lots"}, 403, "margin:forbidden:\"margin\""},
		{"writer renames without margin", "mkt_writer", "east_small", map[string]any{"name": "renamed by writer"}, 200, ""},
		{"manager writes margin", "manager", "east_small", map[string]any{"margin": json.Number("1000.75")}, 200, ""},
		{"manager puts margin back", "manager", "east_small", map[string]any{"margin": json.Number("1000.5")}, 200, ""},
	}
	for _, w := range writes {
		cells++
		t.Run("deal/field/"+w.who+"/"+w.name, func(t *testing.T) {
			var before *response
			var r *response
			if w.target == "" {
				n := o.count(t, "crm", "deal")
				r = o.req(t, w.who, "POST", recPath("crm", "deal"), w.body)
				if w.status >= 400 && o.count(t, "crm", "deal") != n {
					t.Errorf("refused create wrote a record")
				}
			} else {
				before = o.admin(t, "deal", w.target)
				w.body["version"] = int64(before.num("version"))
				r = o.req(t, w.who, "PATCH", recIDPath("crm", "deal", o.id("deal", w.target)), w.body)
			}
			if r.Status != w.status {
				t.Fatalf("status %d, want %d; body %s", r.Status, w.status, r.Body)
			}
			if w.status >= 400 {
				checkProblem(t, r)
				parts := strings.SplitN(w.field, ":", 3)
				field, code, name := parts[0], parts[1], parts[2]
				fe := r.fieldError(field)
				if fe == nil || fe["code"] != code || !strings.Contains(fmt.Sprint(fe["message"]), name) {
					t.Errorf("want an error naming %s (%s): %s", field, code, r.Body)
				}
				if r.str("code") != "forbidden" {
					t.Errorf("code %q, want forbidden", r.str("code"))
				}
				if before != nil {
					if after := o.admin(t, "deal", w.target); after.num("version") != before.num("version") {
						t.Errorf("refused PATCH changed the record: %s", after.Body)
					}
				}
				return
			}
			amWantKeys(t, "deal", w.who, r.obj(""))
			if before != nil && w.body["margin"] == nil {
				if after := o.admin(t, "deal", w.target); !jsonEqual(after.get("margin"), before.get("margin")) {
					t.Errorf("margin %v, was %v", after.get("margin"), before.get("margin"))
				}
			}
		})
	}
	// Lookups: a reference already on the record may be sent back even
	// when its target is invisible; a new one must be visible.
	lookups := []struct {
		name   string
		who    string
		target string
		body   map[string]any
		status int
	}{
		{"resend an invisible account already set", "rep_west", "west_big", map[string]any{"name": "resent", "account": o.id("account", "east")}, 200},
		{"link to an invisible account", "rep_west", "west_small", map[string]any{"account": o.id("account", "east")}, 422},
		{"link to an invisible account (hq)", "rep_east", "east_big", map[string]any{"account": o.id("account", "hq")}, 422},
		{"link to a visible account", "rep_east", "east_big", map[string]any{"account": o.id("account", "east")}, 200},
		{"unlink", "rep_east", "east_big", map[string]any{"account": nil}, 200},
		{"manager links within the tree", "manager", "mgr", map[string]any{"account": o.id("account", "east")}, 200},
		{"manager may not link outside the tree", "manager", "mgr", map[string]any{"account": o.id("account", "hq")}, 422},
		{"manager puts it back", "manager", "mgr", map[string]any{"account": o.id("account", "west")}, 200},
	}
	for _, l := range lookups {
		cells++
		t.Run("deal/lookup/"+l.who+"/"+l.name, func(t *testing.T) {
			before := o.admin(t, "deal", l.target)
			l.body["version"] = int64(before.num("version"))
			r := o.req(t, l.who, "PATCH", recIDPath("crm", "deal", o.id("deal", l.target)), l.body)
			if r.Status != l.status {
				t.Fatalf("status %d, want %d; body %s", r.Status, l.status, r.Body)
			}
			after := o.admin(t, "deal", l.target)
			if l.status >= 400 {
				checkProblem(t, r)
				if fe := r.fieldError("account"); fe == nil || fe["code"] != "not_found" {
					t.Errorf("want account:not_found: %s", r.Body)
				}
				if after.num("version") != before.num("version") {
					t.Errorf("refused PATCH changed the record")
				}
				return
			}
			if !jsonEqual(after.get("account"), l.body["account"]) {
				t.Errorf("account %v, want %v", after.get("account"), l.body["account"])
			}
		})
	}

	// The history shows the manager's margin changes to whoever may see
	// margin, and not to marketing.
	cells++
	t.Run("deal/field/history after margin writes", func(t *testing.T) {
		o.history(t, "deal", "marketing", "east_small", 200)
		o.history(t, "deal", "rep_east", "east_small", 200)
		r := o.req(t, "marketing", "GET", recIDPath("crm", "deal", o.id("deal", "east_small"))+"/history", nil).want(t, 200)
		if strings.Contains(string(r.Body), `"margin"`) || strings.Contains(string(r.Body), "1000.75") {
			t.Errorf("marketing's history shows margin: %s", r.Body)
		}
	})
	return cells
}

// TestAccessIDOR: a rep guessing another rep's record ids — live, deleted,
// random, malformed — gets 404 for every operation, answered exactly as
// for an id that does not exist, and nothing changes.
func TestAccessIDOR(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		o := newAMOrg(t, e)
		// A deleted deal of each rep, to try restoring someone else's.
		o.mk(t, "rep_west", "deal", "west_gone", map[string]any{"amount": 1})
		o.req(t, "rep_west", "DELETE", recIDPath("crm", "deal", o.id("deal", "west_gone")), nil).want(t, 204)
		o.mk(t, "rep_east", "deal", "east_gone", map[string]any{"amount": 1})
		o.req(t, "rep_east", "DELETE", recIDPath("crm", "deal", o.id("deal", "east_gone")), nil).want(t, 204)

		type target struct{ mod, name, id string }
		victims := map[string][]target{
			"rep_east": { // rep_east attacks rep_west's records
				{"deal", "west_small", o.id("deal", "west_small")}, {"deal", "west_big", o.id("deal", "west_big")},
				{"deal", "west_gone", o.id("deal", "west_gone")}, {"account", "west", o.id("account", "west")},
				// Records of others, not reps.
				{"deal", "mgr", o.id("deal", "mgr")}, {"deal", "admin_small", o.id("deal", "admin_small")},
				{"account", "hq", o.id("account", "hq")},
			},
			"rep_west": {
				{"deal", "east_small", o.id("deal", "east_small")}, {"deal", "east_big", o.id("deal", "east_big")},
				{"deal", "east_gone", o.id("deal", "east_gone")}, {"account", "east", o.id("account", "east")},
				{"deal", "partner_big", o.id("deal", "partner_big")},
			},
		}
		guesses := []string{
			uuid.NewString(), // v4
			"0190d1a2-0000-7000-8000-000000000000",
			"00000000-0000-0000-0000-000000000000",
			"not-a-uuid",
			"12345",
			"' OR '1'='1",
			"0190d1a2-0000-7000-8000-00000000000g",
			o.id("deal", "west_small") + "0",
			strings.Repeat("f", 300),
		}
		// An id that does not exist, to compare answers with.
		const ghost = "0190d1a2-dead-7000-8000-00000000beef"

		type snap struct{ version, updated, name, deleted string }
		state := func(tg target) snap {
			var rec map[string]any
			rows := o.rawRow(t, tg.mod, tg.id)
			if len(rows) == 1 {
				rec = rows[0]
			}
			return snap{fmt.Sprint(rec["version"]), fmt.Sprint(rec["updated_at"]), fmt.Sprint(rec["name"]), fmt.Sprint(rec["deleted_at"])}
		}
		histLen := func(tg target) int {
			return len(o.req(t, "admin", "GET", recIDPath("crm", tg.mod, tg.id)+"/history", nil).want(t, 200).list("entries"))
		}

		attempts := 0
		for attacker, tgs := range victims {
			var all []target
			all = append(all, tgs...)
			// The victim's first id in capitals: PostgreSQL's uuid type
			// matches it, SQLite's text does not; either way not for them.
			for _, g := range append(slices.Clone(guesses), strings.ToUpper(tgs[0].id)) {
				all = append(all, target{"deal", "guess " + g, g}, target{"account", "guess " + g, g})
			}
			before := map[string]snap{}
			hist := map[string]int{}
			for _, tg := range tgs {
				before[tg.id] = state(tg)
				hist[tg.id] = histLen(tg)
			}
			// Control: the owners themselves reach their records (live ones
			// and the history of deleted ones), so the 404s below are about
			// who asks.
			victim := map[string]string{"rep_east": "rep_west", "rep_west": "rep_east"}[attacker]
			for _, tg := range tgs[:4] {
				p := recIDPath("crm", tg.mod, tg.id)
				if !strings.HasSuffix(tg.name, "_gone") {
					o.req(t, victim, "GET", p, nil).want(t, 200)
				}
				o.req(t, victim, "GET", p+"/history", nil).want(t, 200)
			}
			for _, tg := range all {
				p := recIDPath("crm", tg.mod, url.PathEscape(tg.id))
				ghostPath := recIDPath("crm", tg.mod, ghost)
				version := 1
				if s, ok := before[tg.id]; ok {
					version, _ = strconv.Atoi(s.version)
				}
				patch := map[string]any{"version": version, "name": "pwned"}
				for _, op := range []struct {
					name, method, suffix string
					body                 any
				}{
					{"get", "GET", "", nil},
					{"get-expand", "GET", "?expand=" + amExpand[tg.mod][0], nil},
					{"patch", "PATCH", "", patch},
					{"patch-owner", "PATCH", "", map[string]any{"version": version, "owner": e.ids[attacker]}},
					{"delete", "DELETE", "", nil},
					{"restore", "POST", "/restore", nil},
					{"history", "GET", "/history", nil},
				} {
					attempts++
					t.Run(fmt.Sprintf("%s/%s/%s/%s", attacker, tg.mod, tg.name, op.name), func(t *testing.T) {
						r := o.req(t, attacker, op.method, p+op.suffix, op.body)
						if r.Status != 404 {
							t.Fatalf("%s %s as %s: status %d, want 404; body %s", op.method, tg.name, attacker, r.Status, r.Body)
						}
						checkProblem(t, r)
						// Exactly the answer for a record that does not exist.
						g := o.req(t, attacker, op.method, ghostPath+op.suffix, op.body)
						norm := func(b []byte, id string) string {
							s := strings.ReplaceAll(string(b), id, "ID")
							return strings.ReplaceAll(s, url.PathEscape(id), "ID")
						}
						if g.Status != 404 || norm(r.Body, tg.id) != norm(g.Body, ghost) {
							t.Errorf("answers differ from a missing record's:\n%s\n%s", r.Body, g.Body)
						}
					})
				}
			}
			// Filters and lookups do not reveal them either.
			for _, tg := range tgs {
				attempts++
				t.Run(fmt.Sprintf("%s/%s/%s/filter-by-id", attacker, tg.mod, tg.name), func(t *testing.T) {
					r := o.req(t, attacker, "GET", recPath("crm", tg.mod)+"?total=true&filter="+url.QueryEscape(`id == "`+tg.id+`"`), nil).want(t, 200)
					if len(r.list("records")) != 0 || r.num("total") != 0 {
						t.Errorf("filter by id found it: %s", r.Body)
					}
				})
				if tg.mod != "account" {
					continue
				}
				attempts++
				t.Run(fmt.Sprintf("%s/%s/%s/link-to", attacker, tg.mod, tg.name), func(t *testing.T) {
					r := o.req(t, attacker, "POST", recPath("crm", "deal"), map[string]any{"name": "link", "account": tg.id})
					g := o.req(t, attacker, "POST", recPath("crm", "deal"), map[string]any{"name": "link", "account": ghost})
					if r.Status != 422 || r.fieldError("account") == nil || r.fieldError("account")["code"] != "not_found" {
						t.Fatalf("linking to an invisible account: status %d, body %s", r.Status, r.Body)
					}
					if strings.ReplaceAll(string(r.Body), tg.id, "ID") != strings.ReplaceAll(string(g.Body), ghost, "ID") {
						t.Errorf("answers differ from a missing record's:\n%s\n%s", r.Body, g.Body)
					}
				})
			}
			// Nothing changed.
			for _, tg := range tgs {
				if got := state(tg); got != before[tg.id] {
					t.Errorf("%s/%s changed after %s's attempts: %+v, was %+v", tg.mod, tg.name, attacker, got, before[tg.id])
				}
				if n := histLen(tg); n != hist[tg.id] {
					t.Errorf("%s/%s: %d history entries, was %d", tg.mod, tg.name, n, hist[tg.id])
				}
			}
		}
		t.Logf("%s: %d IDOR attempts", e.s.D.Name(), attempts)
	})
}

// rawRow reads a record's row straight from its table, deleted or not
// (the API answers 404 for a deleted record, even to the administrator).
func (o *amOrg) rawRow(t *testing.T, mod, id string) []map[string]any {
	t.Helper()
	rows, err := o.s.R.Query(fmt.Sprintf(`SELECT "version", "updated_at", "name", "deleted_at" FROM "t_crm__%s" WHERE CAST("id" AS TEXT) = `+o.mark(1), mod), id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		var v, u, n, d any
		if err := rows.Scan(&v, &u, &n, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, map[string]any{"version": fmt.Sprint(v), "updated_at": fmt.Sprint(u), "name": fmt.Sprint(n), "deleted_at": fmt.Sprint(d)})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func (o *amOrg) mark(n int) string {
	if o.s.D.Name() == "postgres" {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// TestAccessOwnerTransfer: only "transfer" changes an owner; the record
// then moves between the users' lists.
func TestAccessOwnerTransfer(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		o := newAMOrg(t, e)
		patch := func(t *testing.T, who, mod, name string, body map[string]any) *response {
			t.Helper()
			body["version"] = o.version(t, mod, name)
			return o.req(t, who, "PATCH", recIDPath("crm", mod, o.id(mod, name)), body)
		}
		listed := func(t *testing.T, who, mod string) []string {
			t.Helper()
			return o.names(o.req(t, who, "GET", recPath("crm", mod)+"?limit=500", nil).want(t, 200).list("records"))
		}
		owner := func(t *testing.T, mod, name string) string {
			t.Helper()
			return o.admin(t, mod, name).str("owner")
		}

		t.Run("rep may not give a record away", func(t *testing.T) {
			v := o.version(t, "deal", "east_small")
			r := patch(t, "rep_east", "deal", "east_small", map[string]any{"owner": e.ids["rep_west"]}).want(t, 403)
			checkProblem(t, r)
			if !strings.Contains(r.str("detail"), "transfer") || !strings.Contains(r.str("detail"), `"deal"`) {
				t.Errorf("403 does not name the transfer action and the module: %s", r.Body)
			}
			if owner(t, "deal", "east_small") != e.ids["rep_east"] || o.version(t, "deal", "east_small") != v {
				t.Errorf("refused transfer changed the record")
			}
			r = patch(t, "rep_east", "account", "east", map[string]any{"owner": e.ids["rep_west"]}).want(t, 403)
			checkProblem(t, r)
		})
		t.Run("rep may not give a record away together with an edit", func(t *testing.T) {
			patch(t, "rep_east", "deal", "east_small", map[string]any{"name": "edit", "owner": e.ids["manager"]}).want(t, 403)
			if o.admin(t, "deal", "east_small").str("name") != "east_small" {
				t.Errorf("refused write changed the name")
			}
		})
		t.Run("rep may send their own id as owner", func(t *testing.T) {
			r := patch(t, "rep_east", "deal", "east_small", map[string]any{"owner": e.ids["rep_east"], "name": "kept"}).want(t, 200)
			if r.str("owner") != e.ids["rep_east"] || r.str("name") != "kept" {
				t.Errorf("%s", r.Body)
			}
		})
		t.Run("rep may not create for someone else", func(t *testing.T) {
			n := o.count(t, "crm", "deal")
			r := o.req(t, "rep_east", "POST", recPath("crm", "deal"), map[string]any{"name": "gift", "owner": e.ids["rep_west"]}).want(t, 403)
			checkProblem(t, r)
			if o.count(t, "crm", "deal") != n {
				t.Errorf("refused create wrote a record")
			}
			r = o.req(t, "rep_east", "POST", recPath("crm", "deal"), map[string]any{"name": "mine", "owner": e.ids["rep_east"]}).want(t, 201)
			o.rec["deal"]["mine"], o.name[r.str("id")] = r.str("id"), "mine"
		})
		t.Run("read-only roles may not transfer", func(t *testing.T) {
			for _, who := range []string{"marketing", "exec", "partner", "hybrid"} {
				r := patch(t, who, "deal", "east_small", map[string]any{"owner": e.ids[who]}).want(t, 403)
				checkProblem(t, r)
			}
			if owner(t, "deal", "east_small") != e.ids["rep_east"] {
				t.Errorf("owner changed")
			}
		})
		t.Run("manager transfers within the tree", func(t *testing.T) {
			if got := listed(t, "rep_east", "deal"); !slices.Equal(got, []string{"east_big", "east_small", "mine"}) {
				t.Fatalf("rep_east before: %v", got)
			}
			r := patch(t, "manager", "deal", "east_small", map[string]any{"owner": e.ids["rep_west"]}).want(t, 200)
			if r.str("owner") != e.ids["rep_west"] || owner(t, "deal", "east_small") != e.ids["rep_west"] {
				t.Fatalf("transfer: %s", r.Body)
			}
			if got := listed(t, "rep_east", "deal"); !slices.Equal(got, []string{"east_big", "mine"}) {
				t.Errorf("rep_east after: %v", got)
			}
			if got := listed(t, "rep_west", "deal"); !slices.Equal(got, []string{"east_small", "west_big", "west_small"}) {
				t.Errorf("rep_west after: %v", got)
			}
			o.req(t, "rep_east", "GET", recIDPath("crm", "deal", o.id("deal", "east_small")), nil).want(t, 404)
			o.req(t, "rep_west", "GET", recIDPath("crm", "deal", o.id("deal", "east_small")), nil).want(t, 200)
			// Its history records the transfer, to those who may read it.
			h := o.req(t, "manager", "GET", recIDPath("crm", "deal", o.id("deal", "east_small"))+"/history", nil).want(t, 200)
			if h.str("entries.0.action") != "update" || h.str("entries.0.diff.owner.before") != e.ids["rep_east"] ||
				h.str("entries.0.diff.owner.after") != e.ids["rep_west"] {
				t.Errorf("history: %s", h.Body)
			}
			o.req(t, "rep_east", "GET", recIDPath("crm", "deal", o.id("deal", "east_small"))+"/history", nil).want(t, 404)
		})
		t.Run("manager transfers an account", func(t *testing.T) {
			patch(t, "manager", "account", "east", map[string]any{"owner": e.ids["rep_west"]}).want(t, 200)
			if got := listed(t, "rep_east", "account"); len(got) != 0 {
				t.Errorf("rep_east accounts: %v", got)
			}
			if got := listed(t, "rep_west", "account"); !slices.Equal(got, []string{"east", "west"}) {
				t.Errorf("rep_west accounts: %v", got)
			}
			// rep_west now sees the account behind west_big.
			r := o.req(t, "rep_west", "GET", recIDPath("crm", "deal", o.id("deal", "west_big"))+"?expand=account", nil).want(t, 200)
			if r.str("expand.account.id") != o.id("account", "east") {
				t.Errorf("expand after transfer: %s", r.Body)
			}
		})
		t.Run("manager transfers out of the tree and loses the record", func(t *testing.T) {
			patch(t, "manager", "deal", "west_big", map[string]any{"owner": e.ids["exec"]}).want(t, 200)
			o.req(t, "manager", "GET", recIDPath("crm", "deal", o.id("deal", "west_big")), nil).want(t, 404)
			if got := listed(t, "rep_west", "deal"); !slices.Equal(got, []string{"east_small", "west_small"}) {
				t.Errorf("rep_west: %v", got)
			}
			if got := listed(t, "manager", "deal"); !slices.Equal(got, []string{"east_big", "east_small", "mgr", "mine", "west_small"}) {
				t.Errorf("manager: %v", got)
			}
		})
		t.Run("manager may not transfer what they cannot see", func(t *testing.T) {
			r := patch(t, "manager", "deal", "admin_small", map[string]any{"owner": e.ids["manager"]}).want(t, 404)
			checkProblem(t, r)
			if owner(t, "deal", "admin_small") != e.ids["admin"] {
				t.Errorf("owner changed")
			}
		})
		t.Run("transfer to a user that does not exist", func(t *testing.T) {
			for _, bad := range []any{uuid.NewString(), "nobody", 42} {
				r := patch(t, "manager", "deal", "east_big", map[string]any{"owner": bad}).want(t, 422)
				if r.fieldError("owner") == nil {
					t.Errorf("owner %v: %s", bad, r.Body)
				}
			}
			if owner(t, "deal", "east_big") != e.ids["rep_east"] {
				t.Errorf("owner changed")
			}
		})
	})
}

// TestAccessUserState: a disabled user is refused everything (401); a user
// without roles may not read records (403); role and membership changes
// take effect on the next request.
func TestAccessUserState(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		o := newAMOrg(t, e)
		mine := o.mk(t, "gone", "deal", "gone_deal", map[string]any{"amount": 1})
		o.req(t, "gone", "GET", recPath("crm", "deal"), nil).want(t, 200)

		r := o.req(t, "admin", "PATCH", "/api/users/"+e.ids["gone"], map[string]any{"disabled": true}).want(t, 200)
		if r.get("disabled") != true {
			t.Fatalf("disable: %s", r.Body)
		}
		v := o.version(t, "deal", "gone_deal")
		for _, rq := range []struct {
			method, path string
			body         any
		}{
			{"GET", recPath("crm", "deal"), nil},
			{"GET", recPath("crm", "deal") + "?total=true", nil},
			{"GET", recPath("crm", "account"), nil},
			{"GET", recIDPath("crm", "deal", mine), nil},
			{"GET", recIDPath("crm", "deal", mine) + "/history", nil},
			{"POST", recPath("crm", "deal"), map[string]any{"name": "after"}},
			{"PATCH", recIDPath("crm", "deal", mine), map[string]any{"version": v, "name": "after"}},
			{"DELETE", recIDPath("crm", "deal", mine), nil},
			{"POST", recIDPath("crm", "deal", mine) + "/restore", nil},
			{"GET", "/api/users/" + e.ids["gone"], nil},
		} {
			t.Run("disabled/"+rq.method+" "+rq.path, func(t *testing.T) {
				r := o.req(t, "gone", rq.method, rq.path, rq.body)
				if r.Status != 401 {
					t.Fatalf("status %d, want 401; body %s", r.Status, r.Body)
				}
				checkProblem(t, r)
			})
		}
		t.Run("disabled/sign-in", func(t *testing.T) {
			r := o.req(t, "", "POST", "/api/auth/login", map[string]string{"email": "gone@example.com", "password": password})
			if r.Status == 200 || r.str("token") != "" {
				t.Errorf("a disabled user signed in: %d %s", r.Status, r.Body)
			}
		})
		if after := o.admin(t, "deal", "gone_deal"); after.num("version") != float64(v) {
			t.Errorf("a disabled user's request changed their record: %s", after.Body)
		}

		t.Run("no roles", func(t *testing.T) {
			for _, rq := range []struct {
				method, path string
				body         any
			}{
				{"GET", recPath("crm", "deal"), nil},
				{"GET", recPath("crm", "deal") + "?total=true&limit=1", nil},
				{"GET", recPath("crm", "account"), nil},
				{"GET", recIDPath("crm", "deal", o.id("deal", "east_small")), nil},
				{"GET", recIDPath("crm", "deal", uuid.NewString()), nil},
				{"GET", recIDPath("crm", "deal", o.id("deal", "east_small")) + "/history", nil},
				{"POST", recPath("crm", "deal"), map[string]any{"name": "x"}},
			} {
				r := o.req(t, "norole", rq.method, rq.path, rq.body)
				if r.Status != 403 {
					t.Errorf("%s %s: status %d, want 403; body %s", rq.method, rq.path, r.Status, r.Body)
				}
				checkProblem(t, r)
			}
		})
		t.Run("a role takes effect at once, and its removal too", func(t *testing.T) {
			o.req(t, "admin", "PATCH", "/api/users/"+e.ids["norole"], map[string]any{"roles": []string{"exec"}}).want(t, 200)
			r := o.req(t, "norole", "GET", recPath("crm", "deal")+"?total=true", nil).want(t, 200)
			if r.num("total") != 9 { // the eight and gone_deal
				t.Errorf("total %v, want 9", r.get("total"))
			}
			o.req(t, "admin", "PATCH", "/api/users/"+e.ids["norole"], map[string]any{"roles": []string{}}).want(t, 200)
			o.req(t, "norole", "GET", recPath("crm", "deal"), nil).want(t, 403)
		})
		t.Run("a role's new scope takes effect at once", func(t *testing.T) {
			body := map[string]any{"key": "marketing", "label": label("marketing"), "permissions": []map[string]any{
				amPerm("deal", []string{"read"}, map[string]string{"read": "amount < 6000"}, map[string]string{"margin": "hidden"}),
				amPerm("account", []string{"read"}, map[string]string{"read": "all"}, nil),
			}}
			o.req(t, "admin", "PUT", "/api/roles/marketing", body).want(t, 200)
			r := o.req(t, "marketing", "GET", recPath("crm", "deal")+"?limit=500", nil).want(t, 200)
			if got := o.names(r.list("records")); !slices.Equal(got, []string{"east_small", "gone_deal", "mgr"}) {
				t.Errorf("marketing after the scope change: %v", got)
			}
		})
		t.Run("a department move takes effect at once", func(t *testing.T) {
			// rep_west moves to marketing: the manager's tree no longer holds
			// their records; east_lead's department never did.
			o.req(t, "admin", "PATCH", "/api/users/"+e.ids["rep_west"], map[string]any{"departments": []string{"marketing"}}).want(t, 200)
			r := o.req(t, "manager", "GET", recPath("crm", "deal")+"?limit=500", nil).want(t, 200)
			if got := o.names(r.list("records")); !slices.Equal(got, []string{"east_big", "east_small", "gone_deal", "mgr"}) {
				t.Errorf("manager after the move: %v", got)
			}
			o.req(t, "manager", "GET", recIDPath("crm", "deal", o.id("deal", "west_small")), nil).want(t, 404)
			// Back in west, with west moved under east: in the manager's tree
			// again (two levels down), but not in east_lead's department
			// (scope department does not reach sub-departments).
			o.req(t, "admin", "PATCH", "/api/users/"+e.ids["rep_west"], map[string]any{"departments": []string{"west"}}).want(t, 200)
			o.req(t, "admin", "PATCH", "/api/departments/west", map[string]any{"parent": "east"}).want(t, 200)
			r = o.req(t, "manager", "GET", recPath("crm", "deal")+"?limit=500", nil).want(t, 200)
			if got := o.names(r.list("records")); !slices.Equal(got, []string{"east_big", "east_small", "gone_deal", "mgr", "west_big", "west_small"}) {
				t.Errorf("manager after west moved under east: %v", got)
			}
			r = o.req(t, "east_lead", "GET", recPath("crm", "deal")+"?limit=500", nil).want(t, 200)
			if got := o.names(r.list("records")); !slices.Equal(got, []string{"east_big", "east_small", "gone_deal"}) {
				t.Errorf("east_lead (scope department) after west moved under east: %v", got)
			}
		})
	})
}
