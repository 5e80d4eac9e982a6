package template

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/importer"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Service installs, upgrades, exports and uninstalls template packages.
// Every install and upgrade runs in one store.Atomic transaction through
// the ordinary services, so it checks what the API checks and a failure
// anywhere leaves the database as it was.
type Service struct {
	Store   *store.Store
	Env     Env // services (Actor is set per call)
	Records *record.Service
	Imports *importer.Service
	// Invalidate are the caches to drop after an install or upgrade that
	// failed (they may hold what its rolled-back transaction wrote).
	Invalidate []func()
}

// Installed is an app installed from a template.
type Installed struct {
	App         string     `json:"app"`
	Template    string     `json:"template"`
	Version     string     `json:"version"`
	Name        meta.Label `json:"name"`
	InstalledAt any        `json:"installed_at"`
	UpgradedAt  any        `json:"upgraded_at"`
	// Sample counts the sample records loaded by module (install only).
	Sample map[string]int `json:"sample,omitempty"`
}

// InstallOptions: the app key (default: the template's key with hyphens
// as underscores) and whether to load the sample data.
type InstallOptions struct {
	App        string `json:"app,omitempty"`
	SampleData bool   `json:"sample_data,omitempty"`
}

// base is what templates_installed keeps: the manifest as shipped and
// each document as the services normalized it right after install (or
// upgrade) — the base of the next merge.
type base struct {
	Manifest json.RawMessage   `json:"manifest"`
	Docs     map[string]string `json:"docs"` // path → document (Encode)
}

func (s *Service) env(a record.Actor) *Env {
	e := s.Env
	e.Actor = a
	return &e
}

func (s *Service) atomic(ctx context.Context, fn func(ctx context.Context) error) error {
	err := s.Store.Atomic(ctx, fn)
	if err != nil {
		for _, f := range s.Invalidate {
			f()
		}
	}
	return err
}

// Install checks package files and installs them as a new app.
func (s *Service) Install(ctx context.Context, a record.Actor, files map[string][]byte, o InstallOptions) (*Installed, error) {
	p, err := Parse(files)
	if err != nil {
		return nil, err
	}
	app := o.App
	if app == "" {
		app = AppKey(p.Manifest.Key)
	}
	if !meta.ValidKey(app, meta.MaxAppKey) {
		return nil, errs.Fields(errs.Field("app", "bad_key", "meta.bad_app_key", "max", meta.MaxAppKey))
	}
	if _, err := s.Store.App(ctx, app); err == nil {
		return nil, errs.New(errs.Conflict, "template.app_exists", "app", app)
	}
	if err := s.checkDepends(ctx, p); err != nil {
		return nil, err
	}
	var sample map[string]int
	err = s.atomic(ctx, func(ctx context.Context) error {
		if _, err := s.Env.Meta.CreateApp(ctx, meta.AppInput{Key: app, Label: p.Manifest.Name}); err != nil {
			return err
		}
		if err := s.apply(ctx, s.env(a), app, p, nil); err != nil {
			return err
		}
		if o.SampleData {
			if sample, err = s.loadSample(ctx, a, app, p); err != nil {
				return err
			}
		}
		return s.record(ctx, a, app, p)
	})
	if err != nil {
		return nil, err
	}
	in, err := s.Get(ctx, app)
	if in != nil {
		in.Sample = sample
	}
	return in, err
}

// record stores what app was installed from, with the documents as they
// are now (normalized by the services) as the next upgrade's base.
func (s *Service) record(ctx context.Context, a record.Actor, app string, p *Package) error {
	docs, err := s.exportDocs(ctx, s.env(a), app)
	if err != nil {
		return err
	}
	b := base{Manifest: json.RawMessage(Compact(mustParse(p.Files["template.json"]))), Docs: map[string]string{}}
	for _, d := range docs {
		b.Docs[d.Path] = string(Encode(d.Value))
	}
	raw, _ := json.Marshal(b)
	ap, err := s.Store.App(ctx, app)
	if err != nil {
		return err
	}
	return s.Store.SaveInstalledTemplate(ctx, &store.InstalledTemplate{AppID: ap.ID, Template: p.Manifest.Key,
		Version: p.Manifest.Version, Files: string(raw)})
}

func mustParse(b []byte) any {
	v, _ := ParseJSON(b)
	return v
}

func (s *Service) checkDepends(ctx context.Context, p *Package) error {
	if len(p.Manifest.Depends) == 0 {
		return nil
	}
	all, err := s.Store.InstalledTemplates(ctx)
	if err != nil {
		return err
	}
	var ps problems
	for dep, r := range p.Manifest.Depends {
		c, _ := semver.NewConstraint(r)
		var found []string
		ok := false
		for _, t := range all {
			if t.Template == dep {
				found = append(found, t.Version)
				if v, err := semver.NewVersion(t.Version); err == nil && c.Check(v) {
					ok = true
				}
			}
		}
		if !ok {
			ps.add("template.json", pointer("depends", dep), "depends", "template.depends_unmet", "template", dep, "range", r,
				"found", strings.Join(found, ", "))
		}
	}
	return ps.err()
}

// apply writes the package's documents into app through the services:
// every item of p is created, or replaced when exists says it is there
// (an upgrade passes the merged documents as p). Modules go first in the
// order of their lookups, in two passes: first without the fields that
// need other modules complete (rollups, formulas, lookups to modules not
// made yet), then whole — so modules that name each other install in any
// order.
func (s *Service) apply(ctx context.Context, e *Env, app string, p *Package, exists map[string]bool) error {
	mods := moduleOrder(p)
	made := map[string]bool{}
	for k, ok := range exists {
		if ok && strings.HasPrefix(k, Modules.Dir+"/") {
			made[strings.TrimSuffix(path.Base(k), ".json")] = true
		}
	}
	var second []*Doc
	for _, d := range mods {
		if exists[d.Path] {
			continue
		}
		first, partial := firstPass(d, made)
		if err := Modules.Put(ctx, e, app, d.Key, Compact(first), false); err != nil {
			return atFile(d, err)
		}
		made[d.Key] = true
		if partial {
			second = append(second, d)
		}
	}
	for _, d := range mods {
		if exists[d.Path] {
			second = append(second, d)
		}
	}
	for _, d := range childrenFirst(second) {
		if err := Modules.Put(ctx, e, app, d.Key, Compact(withoutRenames(d, exists[d.Path])), true); err != nil {
			return atFile(d, err)
		}
	}
	for _, k := range Kinds() {
		if k == Modules {
			continue
		}
		for _, d := range p.Docs {
			if d.Kind == k {
				if err := k.Put(ctx, e, app, d.Key, Compact(d.Value), exists[d.Path]); err != nil {
					return atFile(d, err)
				}
			}
		}
	}
	return nil
}

// withoutRenames is a module document to send: renamedFrom kept only when
// replacing an installed module (where it renames the column).
func withoutRenames(d *Doc, replacing bool) *Object {
	if replacing {
		return d.Value
	}
	v := Clone(d.Value).(*Object)
	stripRenames(v.Vals["schema"])
	return v
}

// moduleOrder is p's modules with lookup targets before the modules
// looking them up (a cycle falls back to path order).
func moduleOrder(p *Package) []*Doc {
	var mods []*Doc
	for _, d := range p.Docs {
		if d.Kind == Modules {
			mods = append(mods, d)
		}
	}
	var out []*Doc
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(d *Doc)
	visit = func(d *Doc) {
		if state[d.Key] != 0 {
			return
		}
		state[d.Key] = 1
		for _, t := range lookupTargets(d) {
			if td := p.Doc(Modules, t); td != nil && t != d.Key {
				visit(td)
			}
		}
		state[d.Key] = 2
		out = append(out, d)
	}
	for _, d := range mods {
		visit(d)
	}
	return out
}

// childrenFirst orders the second pass so that a module comes after the
// modules its rollups read: a rollup over a child's formula (a quote's
// subtotal over its lines' amount = quantity × price) needs that formula
// back in the child, which the first pass left out. A cycle falls back to
// the given order.
func childrenFirst(docs []*Doc) []*Doc {
	byKey := map[string]*Doc{}
	for _, d := range docs {
		byKey[d.Key] = d
	}
	var out []*Doc
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(d *Doc)
	visit = func(d *Doc) {
		if state[d.Key] != 0 {
			return
		}
		state[d.Key] = 1
		props := schemaProps(d.Value.Vals["schema"])
		formulas := false
		for _, k := range propKeys(props) {
			xf := props.Obj(k).Obj("x-field")
			if c := byKey[xf.Str("module")]; xf.Str("type") == "rollup" && c != nil && c != d {
				visit(c)
			}
			formulas = formulas || xf.Str("type") == "formula"
		}
		// A formula may read through a lookup (payment.product_line), so
		// the lookup's target gets its new fields first; a cycle with a
		// rollup keeps the rollup's order (the visit above came first).
		if formulas {
			for _, m := range lookupTargets(d) {
				if c := byKey[m]; c != nil && c != d {
					visit(c)
				}
			}
		}
		state[d.Key] = 2
		out = append(out, d)
	}
	for _, d := range docs {
		visit(d)
	}
	return out
}

func lookupTargets(d *Doc) []string {
	var out []string
	props := schemaProps(d.Value.Vals["schema"])
	for _, k := range propKeys(props) {
		xf := props.Obj(k).Obj("x-field")
		if xf.Str("type") != "rollup" && xf.Str("module") != "" {
			out = append(out, xf.Str("module"))
		}
	}
	return out
}

func propKeys(o *Object) []string {
	if o == nil {
		return nil
	}
	return o.Keys
}

// firstPass is a module document without the fields that need other
// modules complete (see apply); partial says whether any was left out.
func firstPass(d *Doc, made map[string]bool) (*Object, bool) {
	v := Clone(d.Value).(*Object)
	schema, _ := v.Vals["schema"].(*Object)
	stripRenames(schema)
	props := schemaProps(schema)
	var dropped []string
	for _, k := range propKeys(props) {
		xf := props.Obj(k).Obj("x-field")
		t := xf.Str("type")
		if t == "rollup" || t == "formula" || (xf.Str("module") != "" && xf.Str("module") != d.Key && !made[xf.Str("module")]) {
			dropped = append(dropped, k)
		}
	}
	if len(dropped) == 0 {
		return v, false
	}
	for _, k := range dropped {
		props.Delete(k)
	}
	if req, ok := schema.Vals["required"].([]any); ok {
		var keep []any
		for _, r := range req {
			if props.Vals[fmt.Sprint(r)] != nil {
				keep = append(keep, r)
			}
		}
		if len(keep) == 0 {
			schema.Delete("required")
		} else {
			schema.Vals["required"] = keep
		}
	}
	if t := schema.Str("x-title"); t != "" && props.Vals[t] == nil {
		schema.Delete("x-title")
	}
	schema.Delete("x-validations")
	return v, true
}

// atFile says which document an error of its service is about: each
// field error of the service gets the file and a JSON pointer into it.
func atFile(d *Doc, err error) error {
	e, ok := errs.As(err)
	if !ok || e.Code == errs.Internal {
		return err
	}
	var ps problems
	if len(e.Fields) == 0 {
		ps = append(ps, errs.FieldError{Field: d.Path, Code: string(e.Code), Msg: e.Msg})
	}
	for _, fe := range e.Fields {
		ps = append(ps, errs.FieldError{Field: d.Path + "#" + fieldPointer(d, fe.Field), Code: fe.Code, Msg: fe.Msg})
	}
	out := ps.err().(*errs.Error)
	if e.Code == errs.Conflict {
		out.Code = errs.Conflict
	}
	return out
}

// fieldPointer turns a service's field path ("fee.x-field.type",
// "states[2].key") into a JSON pointer into document d. Module services
// name a field by its key: those paths are under /schema/properties.
func fieldPointer(d *Doc, field string) string {
	if field == "" {
		return ""
	}
	var toks []string
	for _, part := range strings.Split(field, ".") {
		for {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				break
			}
			j := strings.IndexByte(part[i:], ']')
			if j < 0 {
				break
			}
			if i > 0 {
				toks = append(toks, part[:i])
			}
			toks = append(toks, part[i+1:i+j])
			part = part[i+j+1:]
		}
		if part != "" {
			toks = append(toks, part)
		}
	}
	if d.Kind == Modules && len(toks) > 0 {
		schema, _ := d.Value.Vals["schema"].(*Object)
		switch {
		case schemaProps(schema).Vals[toks[0]] != nil:
			toks = append([]string{"schema", "properties"}, toks...)
		case toks[0] != "label" && toks[0] != "schema" && toks[0] != "key":
			toks = append([]string{"schema"}, toks...)
		}
	}
	return pointer(toks...)
}

// loadSample loads the package's data files, lookup targets first.
func (s *Service) loadSample(ctx context.Context, a record.Actor, app string, p *Package) (map[string]int, error) {
	counts := map[string]int{}
	for _, d := range moduleOrder(p) {
		file, ok := p.Data[d.Key]
		if !ok {
			continue
		}
		m, err := s.Env.Meta.Repo.Module(ctx, app, d.Key)
		if err != nil {
			return nil, err
		}
		var n int
		err = s.Store.InTx(ctx, func(tx *store.Tx) error {
			var err error
			n, err = s.Imports.Load(ctx, tx, a, m, path.Base(file), p.Files[file])
			return err
		})
		if err != nil {
			return nil, atRow(file, err)
		}
		counts[d.Key] = n
	}
	return counts, nil
}

// atRow places a sample-data error at its file, row and column: the
// pointer is /<line>/<field> (line numbers count the header as 1).
func atRow(file string, err error) error {
	e, ok := errs.As(err)
	if !ok || e.Code == errs.Internal {
		return err
	}
	row := ""
	if e.Msg.Key == "import.load_row" {
		row = fmt.Sprint(e.Msg.Args["row"])
	}
	var ps problems
	if len(e.Fields) == 0 {
		ps.add(file, "", string(e.Code), e.Msg.Key, argsOf(e.Msg)...)
	}
	for _, fe := range e.Fields {
		ptr := pointer(row, fe.Field)
		if fe.Field == "" {
			ptr = pointer(row)
		}
		ps = append(ps, errs.FieldError{Field: file + "#" + ptr, Code: fe.Code, Msg: fe.Msg})
	}
	return ps.err()
}

func argsOf(m i18n.Msg) []any {
	var kv []any
	for k, v := range m.Args {
		kv = append(kv, k, v)
	}
	return kv
}

// Get returns what app was installed from.
func (s *Service) Get(ctx context.Context, app string) (*Installed, error) {
	t, err := s.Store.InstalledTemplateOf(ctx, app)
	if err != nil {
		return nil, err
	}
	return installed(t), nil
}

func installed(t *store.InstalledTemplate) *Installed {
	in := &Installed{App: t.App, Template: t.Template, Version: t.Version, InstalledAt: t.InstalledAt, UpgradedAt: t.UpgradedAt}
	var b base
	json.Unmarshal([]byte(t.Files), &b)
	var m Manifest
	json.Unmarshal(b.Manifest, &m)
	in.Name = m.Name
	return in
}

// List lists the apps installed from templates.
func (s *Service) List(ctx context.Context) ([]*Installed, error) {
	all, err := s.Store.InstalledTemplates(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Installed, 0, len(all))
	for _, t := range all {
		out = append(out, installed(t))
	}
	return out, nil
}

// Uninstall removes an installed app's template record; with purge, the
// app goes too — its modules, their tables and data, its pipelines, rules
// and the rest. Without purge the app and its data stay, as an app no
// longer tied to the template (it can be exported, or purged later).
func (s *Service) Uninstall(ctx context.Context, a record.Actor, app string, purge bool) error {
	t, err := s.Store.InstalledTemplateOf(ctx, app)
	if err != nil {
		return err
	}
	return s.atomic(ctx, func(ctx context.Context) error {
		if !purge {
			return s.Store.DeleteInstalledTemplate(ctx, t.AppID)
		}
		e := s.env(a)
		roles, err := listRoles(ctx, e, app)
		if err != nil {
			return err
		}
		for _, r := range roles {
			if err := deleteRole(ctx, e, app, r.Key); err != nil {
				return err
			}
		}
		return s.Env.Meta.DeleteApp(ctx, app)
	})
}

// exportDocs lists app's items of every kind as package documents.
func (s *Service) exportDocs(ctx context.Context, e *Env, app string) ([]*Doc, error) {
	var out []*Doc
	for _, k := range Kinds() {
		items, err := k.List(ctx, e, app)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			out = append(out, &Doc{Kind: k, Path: k.Dir + "/" + it.Key + ".json", Key: it.Key, Value: it.Doc})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Export returns app as package files: template.json (the installed
// manifest; for an app not installed from a template, one made from the
// app at version 0.1.0) and one JSON file per item, in one canonical form
// (Encode), so exporting an app installed from an export gives the same
// bytes. Sample data is never exported (it is the customer's).
func (s *Service) Export(ctx context.Context, a record.Actor, app string) (map[string][]byte, error) {
	ap, err := s.Store.App(ctx, app)
	if err != nil {
		return nil, err
	}
	docs, err := s.exportDocs(ctx, s.env(a), app)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	if t, err := s.Store.InstalledTemplateOf(ctx, app); err == nil {
		var b base
		json.Unmarshal([]byte(t.Files), &b)
		files["template.json"] = Encode(mustParse(b.Manifest))
	} else if errs.Is(err, errs.NotFound) {
		m := NewObject()
		m.Set("key", strings.ReplaceAll(app, "_", "-"))
		m.Set("version", "0.1.0")
		name, _ := ParseJSON(mustJSON(ap.Label))
		m.Set("name", name)
		m.Set("description", Clone(name))
		m.Set("requires", ">="+TesseraVersion)
		files["template.json"] = Encode(m)
	} else {
		return nil, err
	}
	for _, d := range docs {
		files[d.Path] = Encode(d.Value)
	}
	return files, nil
}

// WriteDir writes package files into dir (created if missing; files of
// the package it already holds are replaced).
func WriteDir(dir string, files map[string][]byte) error {
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// errRollback ends a check's transaction.
var errRollback = errors.New("rolled back")

// Lint checks package files as install would — the package format, then
// every document through its service — in a transaction it rolls back,
// and returns every problem found, each with its file and JSON pointer.
// Run against an empty database (cmd/tessera lint uses a temporary
// SQLite one) it needs no server and changes nothing.
func (s *Service) Lint(ctx context.Context, a record.Actor, files map[string][]byte, sample bool) error {
	p, err := Parse(files)
	if err != nil {
		return err
	}
	err = s.atomic(ctx, func(ctx context.Context) error {
		app := "tpl_lint"
		if _, err := s.Env.Meta.CreateApp(ctx, meta.AppInput{Key: app, Label: p.Manifest.Name}); err != nil {
			return err
		}
		if err := s.apply(ctx, s.env(a), app, p, nil); err != nil {
			return err
		}
		if sample {
			if _, err := s.loadSample(ctx, a, app, p); err != nil {
				return err
			}
		}
		return errRollback
	})
	if err == errRollback {
		return nil
	}
	return err
}

// Message localizes a template error's text (for the CLI).
func Message(err error, locale string) string {
	e, ok := errs.As(err)
	if !ok {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(i18n.T(locale, e.Msg))
	for _, fe := range e.Fields {
		b.WriteString("\n  " + fe.Field + ": " + i18n.T(locale, fe.Msg))
	}
	return b.String()
}

// SystemActor is who the CLI installs as: the system user "template"
// (created on first use), with every right.
func (s *Service) SystemActor(ctx context.Context) (record.Actor, error) {
	var id string
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.Store.SystemUser(ctx, tx, "tessera/template", "template")
		return err
	})
	if err != nil {
		return record.Actor{}, err
	}
	return record.Actor{User: &access.User{ID: id, Name: "template", IsAdmin: true}, Via: "cli", System: true}, nil
}
