package openapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/runtime/httpx"
)

// repRole is what the test's sales rep may do: read and write deals, with
// win_rate and sales_rep hidden and notes read-only; create accounts
// but not read them; nothing in hr.
var repRole = &access.Role{ID: "role-rep", Key: "rep", Permissions: []access.Permission{
	{App: "crm", Module: "deal", Actions: []string{access.ActCreate, access.ActRead, access.ActUpdate},
		Fields: map[string]string{"win_rate": access.FieldHidden, "sales_rep": access.FieldHidden, "notes": access.FieldRead}},
	{App: "crm", Module: "account", Actions: []string{access.ActCreate}},
}}

func repPrincipal() *access.Principal {
	return &access.Principal{User: &access.User{ID: "u-rep", Email: "rep@example.com"}, Roles: []*access.Role{repRole}}
}

// documentedModules lists the app.module keys the document has anything
// of: concrete record paths, components, tags.
func documentedModules(doc map[string]any) []string {
	seen := map[string]bool{}
	for path := range doc["paths"].(map[string]any) {
		rest, ok := strings.CutPrefix(path, "/api/apps/")
		if !ok || strings.HasPrefix(rest, "{") {
			continue
		}
		parts := strings.Split(rest, "/")
		if len(parts) >= 3 && parts[1] == "modules" {
			seen[parts[0]+"."+parts[2]] = true
		}
	}
	for name := range doc["components"].(map[string]any)["schemas"].(map[string]any) {
		if parts := strings.Split(name, "."); len(parts) >= 2 {
			seen[parts[0]+"."+parts[1]] = true
		}
	}
	for _, tg := range doc["tags"].([]any) {
		if name := tg.(map[string]any)["name"].(string); strings.Contains(name, ".") {
			seen[name] = true
		}
	}
	return sortedKeys(anyKeys(seen))
}

func anyKeys(m map[string]bool) map[string]any {
	out := map[string]any{}
	for k := range m {
		out[k] = true
	}
	return out
}

// checkRepView checks a document built for the sales rep (raw: as JSON).
func checkRepView(t *testing.T, doc map[string]any, raw []byte) {
	t.Helper()
	// Hidden fields are nowhere: schemas, examples, parameters, texts.
	for _, key := range []string{"win_rate", "sales_rep", "赢率"} {
		if strings.Contains(string(raw), key) {
			t.Errorf("the rep's document mentions the hidden field %q", key)
		}
	}
	// Unreadable modules are nowhere either.
	if got := strings.Join(documentedModules(doc), ","); got != "crm.deal" {
		t.Errorf("the rep's document has modules %s, want crm.deal", got)
	}
	for _, s := range []string{"hr.employee", "employee", "/modules/account/", "crm.account", "Customer account"} {
		if strings.Contains(string(raw), s) {
			t.Errorf("the rep's document mentions %q", s)
		}
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	deal := schemas["crm.deal"].(map[string]any)["properties"].(map[string]any)
	for _, k := range []string{"title", "notes", "amount", "account", "code"} {
		if deal[k] == nil {
			t.Errorf("the rep's deal lacks visible field %s", k)
		}
	}
	if deal["notes"].(map[string]any)["readOnly"] != true {
		t.Errorf("a field the rep may only read is not readOnly: %v", deal["notes"])
	}
	for _, name := range []string{"crm.deal.input", "crm.deal.patch"} {
		props := schemas[name].(map[string]any)["properties"].(map[string]any)
		if props["notes"] != nil {
			t.Errorf("%s has the read-only field notes", name)
		}
		if props["title"] == nil {
			t.Errorf("%s lacks the writable field title", name)
		}
	}
	// The lookup to an unreadable module points at no schema.
	acct := deal["expand"].(map[string]any)["properties"].(map[string]any)["account"].(map[string]any)
	if _, ok := acct["$ref"]; ok || acct["type"] != "object" {
		t.Errorf("expand.account = %v, want a plain object", acct)
	}
	// The generic paths stay: every route is documented for everyone.
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/api/apps/{app}/modules/{module}/records", "/api/apps/{app}/modules/{module}/records/{id}/history",
		"/api/apps/crm/modules/deal/records/{id}/history", "/api/roles/{key}"} {
		if paths[p] == nil {
			t.Errorf("the rep's document lacks %s", p)
		}
	}
}

// TestViewHidesFieldsAndModules builds the document for a restricted
// principal: hidden fields and unreadable modules are left out, and the
// document is still valid.
func TestViewHidesFieldsAndModules(t *testing.T) {
	// The keys checked for are really in the unrestricted document.
	full, fullRaw := build(t)
	for _, s := range []string{"win_rate", "sales_rep", "赢率", "hr.employee", "/modules/account/", "crm.account"} {
		if !strings.Contains(string(fullRaw), s) {
			t.Fatalf("the unrestricted document lacks %q: the test has no teeth", s)
		}
	}
	if got := strings.Join(documentedModules(full), ","); got != "crm.account,crm.deal,hr.employee" {
		t.Fatalf("unrestricted modules = %s", got)
	}

	doc, raw := buildView(t, ForPrincipal(repPrincipal()))
	checkRepView(t, doc, raw)
	validateOfficial(t, doc)
	validate2020(t, doc, raw)
	if n := checkRefs(t, doc); n < 50 {
		t.Errorf("only %d $refs found", n)
	}
	// Operation ids stay unique with the generic paths.
	seen := map[string]bool{}
	for _, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			id := o.(map[string]any)["operationId"].(string)
			if seen[id] {
				t.Errorf("operationId %s is used twice", id)
			}
			seen[id] = true
		}
	}
}

func TestForPrincipal(t *testing.T) {
	if ForPrincipal(&access.Principal{User: &access.User{ID: "a", IsAdmin: true}}) != nil {
		t.Error("an administrator's view is not nil (everything)")
	}
	for name, p := range map[string]*access.Principal{
		"nil principal": nil,
		"no roles":      {User: &access.User{ID: "u"}},
		"no read": {User: &access.User{ID: "u"}, Roles: []*access.Role{{Permissions: []access.Permission{
			{App: "*", Module: "*", Actions: []string{access.ActCreate, access.ActUpdate}}}}}},
	} {
		doc, raw := buildView(t, ForPrincipal(p))
		if mods := documentedModules(doc); len(mods) != 0 {
			t.Errorf("%s: modules %v", name, mods)
		}
		if strings.Contains(string(raw), "crm.") || strings.Contains(string(raw), "hr.") {
			t.Errorf("%s: the document mentions a module", name)
		}
		validateOfficial(t, doc)
	}
	// A wildcard grant shows every module.
	all := &access.Principal{User: &access.User{ID: "u"}, Roles: []*access.Role{{Permissions: []access.Permission{
		{App: "*", Module: "*", Actions: []string{access.ActRead}}}}}}
	if doc, _ := buildView(t, ForPrincipal(all)); strings.Join(documentedModules(doc), ",") != "crm.account,crm.deal,hr.employee" {
		t.Errorf("a read grant on */* shows %v", documentedModules(doc))
	}
}

type principalsFunc func(ctx context.Context, u *access.User) (*access.Principal, error)

func (f principalsFunc) Principal(ctx context.Context, u *access.User) (*access.Principal, error) {
	return f(ctx, u)
}

func TestViewFor(t *testing.T) {
	ctx := context.Background()
	if _, err := ViewFor(ctx, nil, nil); !errs.Is(err, errs.Unauthorized) {
		t.Errorf("no user: %v, want unauthorized", err)
	}
	if v, err := ViewFor(ctx, nil, &access.User{ID: "a", IsAdmin: true}); err != nil || v != nil {
		t.Errorf("admin: %v, %v", v != nil, err)
	}
	// Without a principal source a user has no roles: no modules.
	v, err := ViewFor(ctx, nil, &access.User{ID: "u"})
	if err != nil || v == nil || v(&meta.Module{AppKey: "crm", Key: "deal"}, nil).Visible {
		t.Errorf("no principals: err %v, deal visible", err)
	}
	boom := errors.New("boom")
	if _, err := ViewFor(ctx, principalsFunc(func(context.Context, *access.User) (*access.Principal, error) { return nil, boom }),
		&access.User{ID: "u"}); !errors.Is(err, boom) {
		t.Errorf("principal error: %v", err)
	}
	v, err = ViewFor(ctx, principalsFunc(func(_ context.Context, u *access.User) (*access.Principal, error) {
		return &access.Principal{User: u, Roles: []*access.Role{repRole}}, nil
	}), &access.User{ID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if mv := v(&meta.Module{AppKey: "crm", Key: "deal"}, nil); !mv.Visible || !mv.Hidden("win_rate") || mv.Hidden("title") || !mv.ReadOnly("notes") || mv.ReadOnly("title") {
		t.Errorf("rep's deal view is wrong")
	}
	if v(&meta.Module{AppKey: "crm", Key: "account"}, nil).Visible || v(&meta.Module{AppKey: "hr", Key: "employee"}, nil).Visible {
		t.Error("rep sees a module they cannot read")
	}
}

// fakeAccessRepo is the part of access.Repo that signing in and
// authenticating use, in memory. Other methods panic (nil embedded Repo).
type fakeAccessRepo struct {
	access.Repo
	mu       sync.Mutex
	users    map[string]*access.User    // by email
	hashes   map[string]string          // email → password hash
	sessions map[string]*access.Session // by token hash
}

func (r *fakeAccessRepo) UserByEmail(ctx context.Context, email string) (*access.User, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.users[email]
	if u == nil {
		return nil, "", errs.New(errs.NotFound, "access.user_not_found")
	}
	return u, r.hashes[email], nil
}

func (r *fakeAccessRepo) CreateSession(ctx context.Context, s *access.Session) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.ID = "sess-" + s.TokenHash[:8]
	r.sessions[s.TokenHash] = s
	return nil
}

func (r *fakeAccessRepo) SessionByHash(ctx context.Context, hash string) (*access.Session, *access.User, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sessions[hash]
	if s == nil {
		return nil, nil, errs.New(errs.NotFound, "access.session_not_found")
	}
	for _, u := range r.users {
		if u.ID == s.UserID {
			return s, u, nil
		}
	}
	return nil, nil, errs.New(errs.NotFound, "access.user_not_found")
}

func (r *fakeAccessRepo) TouchSession(ctx context.Context, id string, at, since time.Time) error {
	return nil
}

// signedInServer serves the fixture's document behind httpx.RequireUser,
// for three signed-in users: "admin", "rep" (repRole) and "nobody" (no
// roles). It returns their session tokens.
func signedInServer(t *testing.T) (*echo.Echo, map[string]string) {
	t.Helper()
	const password = "correct-horse-battery"
	hash, err := access.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	repo := &fakeAccessRepo{users: map[string]*access.User{}, hashes: map[string]string{}, sessions: map[string]*access.Session{}}
	roles := map[string][]*access.Role{}
	for _, who := range []string{"admin", "rep", "nobody"} {
		email := who + "@example.com"
		repo.users[email] = &access.User{ID: "u-" + who, Email: email, Name: who, IsAdmin: who == "admin"}
		repo.hashes[email] = hash
	}
	roles["u-rep"] = []*access.Role{repRole}
	acc := access.NewService(repo)
	tokens := map[string]string{}
	for _, who := range []string{"admin", "rep", "nobody"} {
		tok, _, err := acc.Login(context.Background(), who+"@example.com", password)
		if err != nil {
			t.Fatal(err)
		}
		tokens[who] = tok
	}
	e := echo.New()
	e.HTTPErrorHandler = httpx.ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))
	Bind(e.Group("/api", httpx.RequireUser(acc)), fixture(t), principalsFunc(func(_ context.Context, u *access.User) (*access.Principal, error) {
		rs := roles[u.ID]
		sort.Slice(rs, func(i, j int) bool { return rs[i].Key < rs[j].Key })
		return &access.Principal{User: u, Roles: rs}, nil
	}))
	return e, tokens
}
