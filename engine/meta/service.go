package meta

import (
	"context"
	"encoding/json"
	"strings"
	"sync"

	"github.com/tessera-app/tessera/engine/errs"
)

// Repo persists metadata; engine/store implements it. Module writes change
// the module's table in the same transaction.
type Repo interface {
	CreateApp(ctx context.Context, a *App) error
	App(ctx context.Context, key string) (*App, error)
	Apps(ctx context.Context) ([]*App, error)
	UpdateAppLabel(ctx context.Context, a *App) error
	DeleteApp(ctx context.Context, a *App) error
	CreateModule(ctx context.Context, m *Module, by string) error
	UpdateModule(ctx context.Context, old, next *Module, by string) error
	DeleteModule(ctx context.Context, m *Module) error
	Module(ctx context.Context, app, key string) (*Module, error)
	Modules(ctx context.Context, app string) ([]*Module, error)
	ModuleVersions(ctx context.Context, moduleID string) ([]ModuleVersion, error)
}

// Service is the metadata API: it checks what the Repo cannot (keys,
// schemas, references between modules) and caches modules for the record
// path.
//
// The cache is per process and dropped on every local change. Every app
// and module change also bumps the modules row of cache_versions in its
// transaction (engine/store), and the watcher of every other process over
// the same database calls Invalidate (engine/cluster): within milliseconds
// of the commit through NOTIFY on PostgreSQL, within its poll otherwise.
type Service struct {
	Repo  Repo
	mu    sync.RWMutex
	cache map[string]*Module   // "app/module"
	lists map[string][]*Module // app → its modules (AppModules)
	// gen counts invalidations: a module read before one is not cached
	// after it (it may predate the change).
	gen uint64

	// OnChange, when set, is told of every successful app and module
	// change after it has committed (it cannot roll the change back); the
	// audit log plugs in here.
	OnChange func(ctx context.Context, c Change)

	// BeforeChange are asked before a module is replaced (next is the new
	// version) or deleted (next is nil); an error refuses the change. Other
	// engines whose metadata depends on a module's fields (the flow engine's
	// pipelines on select fields) plug in here.
	BeforeChange []func(ctx context.Context, old, next *Module) error
}

func (s *Service) beforeChange(ctx context.Context, old, next *Module) error {
	for _, check := range s.BeforeChange {
		if err := check(ctx, old, next); err != nil {
			return err
		}
	}
	return nil
}

// Change describes one committed metadata change to OnChange.
type Change struct {
	// Action is app.create, app.update, app.delete, module.create,
	// module.update or module.delete.
	Action string
	App    string // app key
	// Module changes: Old is nil on create, New is nil on delete.
	Old, New *Module
	// App changes: the label before and after (nil on create, delete).
	OldLabel, NewLabel Label
	By                 string // user id, when the caller passed one
}

func (s *Service) changed(ctx context.Context, err error, c Change) {
	if err == nil && s.OnChange != nil {
		s.OnChange(ctx, c)
	}
}

// NewService returns a Service over r.
func NewService(r Repo) *Service { return &Service{Repo: r, cache: map[string]*Module{}} }

// AppInput is the body of app create and update requests.
type AppInput struct {
	Key   string `json:"key"`
	Label Label  `json:"label"`
}

// CreateApp validates and stores a new app.
func (s *Service) CreateApp(ctx context.Context, in AppInput) (*App, error) {
	if !ValidKey(in.Key, MaxAppKey) {
		return nil, errs.Fields(errs.Field("key", "bad_key", "meta.bad_app_key", "max", MaxAppKey))
	}
	if err := checkLabel(in.Label); err != nil {
		return nil, err
	}
	a := &App{Key: in.Key, Label: in.Label}
	err := s.Repo.CreateApp(ctx, a)
	s.changed(ctx, err, Change{Action: "app.create", App: a.Key, NewLabel: a.Label})
	return a, err
}

// UpdateApp changes an app's label (keys never change: they name tables).
func (s *Service) UpdateApp(ctx context.Context, key string, label Label) (*App, error) {
	a, err := s.Repo.App(ctx, key)
	if err != nil {
		return nil, err
	}
	if err := checkLabel(label); err != nil {
		return nil, err
	}
	prev := a.Label
	a.Label = label
	err = s.Repo.UpdateAppLabel(ctx, a)
	s.changed(ctx, err, Change{Action: "app.update", App: key, OldLabel: prev, NewLabel: label})
	return a, err
}

// DeleteApp removes an app with all its modules and their data.
func (s *Service) DeleteApp(ctx context.Context, key string) error {
	a, err := s.Repo.App(ctx, key)
	if err != nil {
		return err
	}
	defer s.forget(key)
	err = s.Repo.DeleteApp(ctx, a)
	s.changed(ctx, err, Change{Action: "app.delete", App: key, OldLabel: a.Label})
	return err
}

// ModuleInput is the body of module create and replace requests.
type ModuleInput struct {
	Key     string          `json:"key"`
	Label   Label           `json:"label"`
	Schema  json.RawMessage `json:"schema"`
	Version int             `json:"version,omitempty"` // on replace: the version being replaced
}

// CreateModule checks a new module and creates it with its table.
func (s *Service) CreateModule(ctx context.Context, appKey string, in ModuleInput, by string) (*Module, error) {
	a, err := s.Repo.App(ctx, appKey)
	if err != nil {
		return nil, err
	}
	if !ValidKey(in.Key, MaxModuleKey) {
		return nil, errs.Fields(errs.Field("key", "bad_key", "meta.bad_module_key", "max", MaxModuleKey))
	}
	m, err := s.build(ctx, a, in.Key, in, nil)
	if err != nil {
		return nil, err
	}
	for _, f := range m.Fields {
		if f.RenamedFrom != "" {
			return nil, errs.Fields(errs.Field(f.Key+".x-field.renamedFrom", "rename_on_create", "meta.rename_on_create", "field", f.Key))
		}
	}
	defer s.forget(appKey)
	err = s.Repo.CreateModule(ctx, m, by)
	s.changed(ctx, err, Change{Action: "module.create", App: appKey, New: m, By: by})
	return m, err
}

// UpdateModule replaces a module's label and schema with a new version;
// the table follows (fields added, renamed, removed, converted).
func (s *Service) UpdateModule(ctx context.Context, appKey, key string, in ModuleInput, by string) (*Module, error) {
	a, err := s.Repo.App(ctx, appKey)
	if err != nil {
		return nil, err
	}
	old, err := s.Repo.Module(ctx, appKey, key)
	if err != nil {
		return nil, err
	}
	if in.Version != 0 && in.Version != old.Version {
		return nil, errs.New(errs.Conflict, "store.module_stale", "key", key)
	}
	next, err := s.build(ctx, a, key, in, old)
	if err != nil {
		return nil, err
	}
	if err := checkRenames(old, next); err != nil {
		return nil, err
	}
	if err := s.beforeChange(ctx, old, next); err != nil {
		return nil, err
	}
	defer s.forget(appKey)
	err = s.Repo.UpdateModule(ctx, old, next, by)
	s.changed(ctx, err, Change{Action: "module.update", App: appKey, Old: old, New: next, By: by})
	return next, err
}

// DeleteModule drops a module and its table, unless another module still
// looks it up.
func (s *Service) DeleteModule(ctx context.Context, appKey, key string) error {
	m, err := s.Repo.Module(ctx, appKey, key)
	if err != nil {
		return err
	}
	mods, err := s.Repo.Modules(ctx, appKey)
	if err != nil {
		return err
	}
	var refs []string
	for _, other := range mods {
		if other.Key == key {
			continue
		}
		for _, f := range other.Fields {
			if f.Column().RefModule == key || (f.Type.Name() == "rollup" && f.Module == key) {
				refs = append(refs, other.Key+"."+f.Key)
			}
		}
	}
	if len(refs) > 0 {
		return errs.New(errs.Conflict, "meta.module_referenced", "module", key, "refs", strings.Join(refs, ", "))
	}
	if err := s.beforeChange(ctx, m, nil); err != nil {
		return err
	}
	defer s.forget(appKey)
	err = s.Repo.DeleteModule(ctx, m)
	s.changed(ctx, err, Change{Action: "module.delete", App: appKey, Old: m})
	return err
}

// Module returns a module, from the cache when possible.
func (s *Service) Module(ctx context.Context, appKey, key string) (*Module, error) {
	ck := appKey + "/" + key
	s.mu.RLock()
	m, gen := s.cache[ck], s.gen
	s.mu.RUnlock()
	if m != nil {
		return m, nil
	}
	m, err := s.Repo.Module(ctx, appKey, key)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.gen == gen {
		s.cache[ck] = m
	}
	s.mu.Unlock()
	return m, nil
}

// AppModules returns the modules of an app, cached like Module (the
// record path uses it to find the rollups that aggregate a module).
func (s *Service) AppModules(ctx context.Context, appKey string) ([]*Module, error) {
	s.mu.RLock()
	mods, ok := s.lists[appKey]
	gen := s.gen
	s.mu.RUnlock()
	if ok {
		return mods, nil
	}
	mods, err := s.Repo.Modules(ctx, appKey)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.lists == nil {
		s.lists = map[string][]*Module{}
	}
	if s.gen == gen {
		s.lists[appKey] = mods
	}
	s.mu.Unlock()
	return mods, nil
}

// ListModules lists an app's modules through src: its AppModules when it
// has one (Service, cached), else its Modules (a Repo); nil when it has
// neither.
func ListModules(ctx context.Context, src any, app string) ([]*Module, error) {
	switch src := src.(type) {
	case interface {
		AppModules(ctx context.Context, app string) ([]*Module, error)
	}:
		return src.AppModules(ctx, app)
	case interface {
		Modules(ctx context.Context, app string) ([]*Module, error)
	}:
		return src.Modules(ctx, app)
	}
	return nil, nil
}

// Versions lists a module's stored versions, newest first.
func (s *Service) Versions(ctx context.Context, appKey, key string) ([]ModuleVersion, error) {
	m, err := s.Repo.Module(ctx, appKey, key)
	if err != nil {
		return nil, err
	}
	return s.Repo.ModuleVersions(ctx, m.ID)
}

func (s *Service) forget(appKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	for k := range s.cache {
		if strings.HasPrefix(k, appKey+"/") {
			delete(s.cache, k)
		}
	}
	delete(s.lists, appKey)
}

// Invalidate drops every cached module (another process changed
// metadata; engine/cluster calls it).
func (s *Service) Invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.cache = map[string]*Module{}
	s.lists = nil
}

// build parses the schema and checks references against the app's
// modules, reporting every problem of the document at once. prev is the
// module's current version when it is being replaced.
func (s *Service) build(ctx context.Context, a *App, key string, in ModuleInput, prev *Module) (*Module, error) {
	if err := checkLabel(in.Label); err != nil {
		return nil, err
	}
	if len(in.Schema) == 0 {
		return nil, errs.Fields(errs.Field("schema", "required", "meta.schema_required"))
	}
	p, probs, err := parseSchema(in.Schema, prev)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, problemsError(probs)
	}
	mods, err := s.Repo.Modules(ctx, a.Key)
	if err != nil {
		return nil, err
	}
	exists := map[string]bool{key: true}
	for _, m := range mods {
		exists[m.Key] = true
	}
	for _, f := range p.Fields {
		if t := f.Column().RefModule; t != "" && ValidKey(t, MaxModuleKey) && !exists[t] {
			probs = append(probs, Problem{Field: f.Key, Path: "x-field.module", Code: "lookup_target", Key: "meta.lookup_missing", Args: []any{"module", t}})
		}
	}
	probs = append(probs, checkRollups(key, p.Fields, mods)...)
	probs = append(probs, checkFormulaLookups(key, p.Fields, mods, probs)...)
	if len(probs) > 0 {
		return nil, problemsError(probs)
	}
	m := &Module{AppID: a.ID, AppKey: a.Key, Key: key, Label: in.Label, Schema: p.Doc, Fields: p.Fields, Table: TableName(a.Key, key), Validations: p.Validations, XTitle: p.Title, Options: p.Options}
	return m.Titled(), nil
}

// checkRenames makes sure each renamedFrom names a field of the old
// version that the new version does not also keep.
func checkRenames(old, next *Module) error {
	var fes []errs.FieldError
	from := map[string]string{}
	for _, f := range next.Fields {
		// A renamedFrom whose field already exists under its new key was
		// applied by an earlier version (the designer sends the stored
		// schema back as it got it): nothing to do.
		if f.RenamedFrom == "" || f.RenamedFrom == f.Key || (old.Field(f.Key) != nil && old.Field(f.RenamedFrom) == nil) {
			continue
		}
		if old.Field(f.RenamedFrom) == nil || next.Field(f.RenamedFrom) != nil || from[f.RenamedFrom] != "" {
			fes = append(fes, errs.Field(f.Key+".x-field.renamedFrom", "bad_rename", "meta.bad_rename", "field", f.Key, "from", f.RenamedFrom))
		}
		from[f.RenamedFrom] = f.Key
	}
	if len(fes) > 0 {
		return errs.Fields(fes...)
	}
	return nil
}

func checkLabel(l Label) error {
	if len(l) == 0 {
		return errs.Fields(errs.Field("label", "required", "meta.label_required"))
	}
	for k, v := range l {
		if len(k) > 10 || len(v) > 200 {
			return errs.Fields(errs.Field("label", "too_long", "meta.label_too_long"))
		}
	}
	return nil
}
