package access

import (
	"reflect"
	"testing"
)

func TestRightsUnion(t *testing.T) {
	rep := &Role{Key: "rep", Permissions: []Permission{{
		App: "crm", Module: "deal", Actions: []string{ActCreate, ActRead, ActUpdate},
		Scope:  ScopeSpec{Read: ScopeOwn, Update: ScopeOwn},
		Fields: map[string]string{"margin": FieldHidden, "amount": FieldRead},
	}}}
	marketing := &Role{Key: "mkt", Permissions: []Permission{{
		App: "crm", Module: "deal", Actions: []string{ActRead},
		Scope:  ScopeSpec{Read: "amount < 10000"},
		Fields: map[string]string{"margin": FieldRead},
	}}}
	p := &Principal{User: &User{ID: "u"}, Roles: []*Role{rep, marketing}}
	r := p.Rights("crm", "deal")
	if !r.Can(ActCreate) || !r.Can(ActUpdate) || r.Can(ActDelete) || r.Can(ActTransfer) {
		t.Errorf("actions = %v", r.Actions)
	}
	if !reflect.DeepEqual(r.Read, []string{"amount < 10000", ScopeOwn}) || !reflect.DeepEqual(r.Update, []string{ScopeOwn}) || r.Delete != nil {
		t.Errorf("scopes read=%v update=%v delete=%v", r.Read, r.Update, r.Delete)
	}
	// margin: hidden for rep, read for marketing → read. amount: read for
	// rep, unnamed (write) for marketing → write.
	if r.Field("margin") != FieldRead || r.Field("amount") != FieldWrite || r.Field("name") != FieldWrite {
		t.Errorf("fields = %v", r.Fields)
	}
	only := (&Principal{User: &User{ID: "u"}, Roles: []*Role{rep}}).Rights("crm", "deal")
	if !only.Hidden("margin") || only.Field("amount") != FieldRead {
		t.Errorf("rep alone: %v", only.Fields)
	}
	none := (&Principal{User: &User{ID: "u"}, Roles: []*Role{rep}}).Rights("crm", "account")
	if none.Can(ActRead) || none.Read != nil {
		t.Errorf("no grant on account, got %+v", none)
	}
	admin := (&Principal{User: &User{ID: "a", IsAdmin: true}}).Rights("crm", "deal")
	if !admin.Can(ActManage) || admin.Hidden("margin") || !reflect.DeepEqual(admin.Read, []string{ScopeAll}) {
		t.Errorf("admin: %+v", admin)
	}
}

func TestRightsWildcard(t *testing.T) {
	member := &Role{Key: "member", Permissions: []Permission{{App: "crm", Module: "*", Actions: []string{ActRead}}}}
	p := &Principal{User: &User{ID: "u"}, Roles: []*Role{member}}
	if !p.Rights("crm", "deal").Can(ActRead) || !p.Rights("crm", "lead").Can(ActRead) || p.Rights("hr", "staff").Can(ActRead) {
		t.Error("module wildcard should match every module of crm only")
	}
	any := &Principal{User: &User{ID: "u"}, Roles: []*Role{{Permissions: []Permission{{App: "*", Module: "*", Actions: []string{ActDelete}}}}}}
	if !any.Rights("hr", "staff").Can(ActDelete) {
		t.Error("app wildcard should match every app")
	}
}
