package openapi

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
)

// fakeRepo is an in-memory meta.Repo holding fixed apps and modules.
type fakeRepo struct {
	apps    []*meta.App
	modules map[string][]*meta.Module // app key → modules
}

var _ meta.Repo = (*fakeRepo)(nil)

func (r *fakeRepo) CreateApp(ctx context.Context, a *meta.App) error {
	r.apps = append(r.apps, a)
	return nil
}

func (r *fakeRepo) App(ctx context.Context, key string) (*meta.App, error) {
	for _, a := range r.apps {
		if a.Key == key {
			return a, nil
		}
	}
	return nil, errs.New(errs.NotFound, "store.app_not_found", "key", key)
}

func (r *fakeRepo) Apps(ctx context.Context) ([]*meta.App, error) { return r.apps, nil }

func (r *fakeRepo) UpdateAppLabel(ctx context.Context, a *meta.App) error { return nil }

func (r *fakeRepo) DeleteApp(ctx context.Context, a *meta.App) error { return nil }

func (r *fakeRepo) CreateModule(ctx context.Context, m *meta.Module, by string) error {
	r.modules[m.AppKey] = append(r.modules[m.AppKey], m)
	return nil
}

func (r *fakeRepo) UpdateModule(ctx context.Context, old, next *meta.Module, by string) error {
	return nil
}

func (r *fakeRepo) DeleteModule(ctx context.Context, m *meta.Module) error { return nil }

func (r *fakeRepo) Module(ctx context.Context, app, key string) (*meta.Module, error) {
	for _, m := range r.modules[app] {
		if m.Key == key {
			return m, nil
		}
	}
	return nil, errs.New(errs.NotFound, "store.module_not_found", "key", key)
}

func (r *fakeRepo) Modules(ctx context.Context, app string) ([]*meta.Module, error) {
	return r.modules[app], nil
}

func (r *fakeRepo) ModuleVersions(ctx context.Context, moduleID string) ([]meta.ModuleVersion, error) {
	return nil, nil
}

// Module schemas of the fixture. Together they use every field type (the
// test checks that against the registry).
const (
	accountSchema = `{
	  "type": "object",
	  "title": "Customer account",
	  "properties": {
	    "name":     {"type": "string", "maxLength": 200, "x-field": {"type": "text", "label": {"en": "Name", "zh-CN": "名称"}}},
	    "website":  {"x-field": {"type": "url", "label": {"en": "Website", "zh-CN": "网站"}}},
	    "email":    {"x-field": {"type": "email", "unique": true, "label": {"en": "Email"}}},
	    "phone":    {"x-field": {"type": "phone", "label": {"zh-CN": "电话"}}},
	    "industry": {"x-field": {"type": "select", "options": [
	                  {"value": "tech", "label": {"en": "Technology", "zh-CN": "科技"}},
	                  {"value": "retail", "label": {"en": "Retail", "zh-CN": "零售"}}]}},
	    "account_manager": {"x-field": {"type": "user", "label": {"en": "Account manager", "zh-CN": "客户经理"}}},
	    "code":     {"x-field": {"type": "autonumber", "prefix": "A-", "digits": 4, "label": {"en": "Code", "zh-CN": "编号"}}}
	  },
	  "required": ["name"]
	}`
	dealSchema = `{
	  "type": "object",
	  "properties": {
	    "title":       {"type": "string", "maxLength": 100, "x-field": {"type": "text", "label": {"en": "Title", "zh-CN": "标题"},
	                    "help": {"en": "What is being sold.", "zh-CN": "销售内容。"}}},
	    "notes":       {"x-field": {"type": "textarea", "label": {"en": "Notes", "zh-CN": "备注"}}},
	    "amount":      {"minimum": 0, "x-field": {"type": "currency", "label": {"en": "Amount", "zh-CN": "金额"}}},
	    "win_rate": {"minimum": 0, "maximum": 100, "x-field": {"type": "percent", "label": {"en": "Probability", "zh-CN": "赢率"}}},
	    "quantity":    {"minimum": 1, "x-field": {"type": "integer", "default": 1, "label": {"en": "Quantity", "zh-CN": "数量"}}},
	    "score":       {"exclusiveMinimum": 0, "maximum": 1, "x-field": {"type": "number", "label": {"en": "Score", "zh-CN": "评分"}}},
	    "weight":      {"multipleOf": 0.25, "x-field": {"type": "decimal", "precision": 10, "scale": 3, "label": {"en": "Weight"}}},
	    "won":         {"x-field": {"type": "boolean", "label": {"en": "Won", "zh-CN": "已赢单"}}},
	    "close_date":  {"x-field": {"type": "date", "label": {"en": "Close date", "zh-CN": "预计成交日"}}},
	    "closed_at":   {"x-field": {"type": "datetime", "label": {"en": "Closed at", "zh-CN": "成交时间"}}},
	    "stage":       {"x-field": {"type": "select", "label": {"en": "Stage", "zh-CN": "阶段"}, "options": [
	                     {"value": "new", "label": {"en": "New", "zh-CN": "新建"}, "color": "blue"},
	                     {"value": "won", "label": {"en": "Won", "zh-CN": "赢单"}},
	                     {"value": "lost", "label": {"en": "Lost", "zh-CN": "输单"}}]}},
	    "tags":        {"x-field": {"type": "multiselect", "label": {"en": "Tags", "zh-CN": "标签"}, "options": [{"value": "vip"}, {"value": "renewal"}]}},
	    "account":     {"x-field": {"type": "lookup", "module": "account", "label": {"en": "Account", "zh-CN": "客户"}}},
	    "sales_rep":   {"x-field": {"type": "user", "label": {"en": "Sales rep", "zh-CN": "销售"}}},
	    "extra":       {"x-field": {"type": "json", "label": {"en": "Extra data"}}},
	    "industry":    {"x-field": {"type": "tree", "label": {"en": "Industry", "zh-CN": "行业"}, "options": [
	                     {"value": "mfg", "label": {"en": "Manufacturing", "zh-CN": "制造业"}},
	                     {"value": "mfg_auto", "parent": "mfg", "label": {"en": "Auto parts", "zh-CN": "汽车零部件"}}]}},
	    "province":    {"x-field": {"type": "region", "level": "province", "label": {"en": "Province", "zh-CN": "省份"}}},
	    "sku":         {"type": "string", "title": "SKU", "pattern": "^[A-Z]{3}-[0-9]{4}$", "x-field": {"type": "text"}},
	    "region":      {"type": "string", "examples": ["East China"], "x-field": {"type": "text", "label": {"en": "Region", "zh-CN": "区域"}}},
	    "code":        {"x-field": {"type": "autonumber", "prefix": "D-{YYYY}-", "digits": 5, "label": {"en": "Deal no.", "zh-CN": "商机编号"}}},
	    "weighted":    {"x-field": {"type": "formula", "formula": "amount * quantity", "result": "decimal", "label": {"en": "Weighted amount"}}}
	  },
	  "required": ["title", "stage", "amount"]
	}`
	employeeSchema = `{
	  "type": "object",
	  "properties": {
	    "name":    {"type": "string", "minLength": 2, "x-field": {"type": "text", "label": {"en": "Name", "zh-CN": "姓名"}}},
	    "email":   {"x-field": {"type": "email", "unique": true, "label": {"en": "Email", "zh-CN": "邮箱"}}},
	    "hired":   {"x-field": {"type": "date", "label": {"en": "Hired on", "zh-CN": "入职日期"}}},
	    "level":   {"exclusiveMinimum": 0, "maximum": 10, "x-field": {"type": "integer", "label": {"en": "Level", "zh-CN": "职级"}}},
	    "manager": {"x-field": {"type": "lookup", "module": "employee", "label": {"en": "Manager", "zh-CN": "上级"}}},
	    "reports": {"x-field": {"type": "rollup", "module": "employee", "via": "manager", "op": "count", "label": {"en": "Direct reports", "zh-CN": "直接下属"}}}
	  },
	  "required": ["name", "email"]
	}`
)

// fixture returns a Service over two apps: crm (account, deal) and hr
// (employee), listed out of key order to check the document sorts them.
// hr.employee comes without parsed Fields, like a module whose Fields the
// repository did not fill, to check Build parses the schema itself.
func fixture(t *testing.T) *meta.Service {
	t.Helper()
	now := time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)
	mod := func(app, key string, label meta.Label, schema string, keepFields bool) *meta.Module {
		p, err := meta.ParseSchema([]byte(schema))
		if err != nil {
			t.Fatalf("%s.%s: %v", app, key, err)
		}
		m := &meta.Module{ID: app + "-" + key, AppKey: app, Key: key, Label: label, Schema: p.Doc,
			Version: 1, Table: meta.TableName(app, key), CreatedAt: now, UpdatedAt: now}
		if keepFields {
			m.Fields = p.Fields
		}
		return m
	}
	r := &fakeRepo{
		apps: []*meta.App{
			{ID: "app-hr", Key: "hr", Label: meta.Label{"en": "HR", "zh-CN": "人事"}, CreatedAt: now, UpdatedAt: now},
			{ID: "app-crm", Key: "crm", Label: meta.Label{"en": "CRM", "zh-CN": "客户关系"}, CreatedAt: now, UpdatedAt: now},
		},
		modules: map[string][]*meta.Module{
			"crm": {
				mod("crm", "deal", meta.Label{"zh-CN": "商机", "en": "Opportunity"}, dealSchema, true),
				mod("crm", "account", meta.Label{"zh-CN": "客户", "en": "Account"}, accountSchema, true),
			},
			"hr": {
				mod("hr", "employee", meta.Label{"zh-CN": "员工", "en": "Employee"}, employeeSchema, false),
			},
		},
	}
	return meta.NewService(r)
}

// fixtureTypes lists the field types the fixture uses.
func fixtureTypes(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, schema := range []string{accountSchema, dealSchema, employeeSchema} {
		p, err := meta.ParseSchema([]byte(schema))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range p.Fields {
			seen[f.Type.Name()] = true
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
