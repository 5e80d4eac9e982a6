package template

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/Masterminds/semver/v3"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
)

// Plan is what an upgrade does (or did) to an app: a note per document
// touched and the conflicts, each with base, ours, theirs and the choice.
type Plan struct {
	App       string     `json:"app"`
	Template  string     `json:"template"`
	From      string     `json:"from"`
	To        string     `json:"to"`
	Notes     []Note     `json:"changes"`
	Conflicts []Conflict `json:"conflicts"`
	Applied   bool       `json:"applied"`
}

// Localize fills in the notes' messages in locale.
func (p *Plan) Localize(locale string) {
	for i := range p.Notes {
		p.Notes[i].Message = i18n.T(locale, p.Notes[i].Msg)
	}
}

// Unresolved counts the conflicts without a choice.
func (p *Plan) Unresolved() int {
	n := 0
	for _, c := range p.Conflicts {
		if c.Choice == "" {
			n++
		}
	}
	return n
}

// UpgradeOptions: apply the plan (else only compute it), and the choices
// for conflicts by id ("ours" or "theirs"); Prefer decides every conflict
// without a choice of its own.
type UpgradeOptions struct {
	Apply   bool              `json:"apply,omitempty"`
	Choices map[string]string `json:"choices,omitempty"`
	Prefer  string            `json:"prefer,omitempty"`
}

// normalize installs p into a scratch app in a transaction it rolls back
// and returns its documents as the services stored them: the same form
// as exports and bases, so the merge compares like with like.
func (s *Service) normalize(ctx context.Context, a record.Actor, p *Package) (map[string]*Object, error) {
	out := map[string]*Object{}
	err := s.atomic(ctx, func(ctx context.Context) error {
		const app = "tpl_scratch"
		if _, err := s.Env.Meta.CreateApp(ctx, meta.AppInput{Key: app, Label: p.Manifest.Name}); err != nil {
			return err
		}
		if err := s.apply(ctx, s.env(a), app, p, nil); err != nil {
			return err
		}
		docs, err := s.exportDocs(ctx, s.env(a), app)
		if err != nil {
			return err
		}
		for _, d := range docs {
			out[d.Path] = d.Value
		}
		return errRollback
	})
	if err != errRollback {
		return nil, err
	}
	return out, nil
}

// Upgrade plans (and with o.Apply, applies) the upgrade of app to the
// package files: a three-way merge of the installed version, the app's
// metadata now and the new version (see merge.go). Applying runs in one
// transaction, refused while a conflict has no choice; a type change the
// store refuses stops it with the store's examples, and nothing changes.
func (s *Service) Upgrade(ctx context.Context, a record.Actor, app string, files map[string][]byte, o UpgradeOptions) (*Plan, error) {
	p, err := Parse(files)
	if err != nil {
		return nil, err
	}
	t, err := s.Store.InstalledTemplateOf(ctx, app)
	if err != nil {
		return nil, err
	}
	if t.Template != p.Manifest.Key {
		return nil, errs.New(errs.Conflict, "template.other_template", "app", app, "installed", t.Template, "template", p.Manifest.Key)
	}
	if from, err := semver.NewVersion(t.Version); err == nil && semver.MustParse(p.Manifest.Version).LessThan(from) {
		return nil, errs.New(errs.Conflict, "template.not_newer", "to", p.Manifest.Version, "from", t.Version)
	}
	for id, c := range o.Choices {
		if c != "ours" && c != "theirs" {
			return nil, errs.Fields(errs.Field("choices", "bad_choice", "template.bad_choice", "id", id, "choice", c))
		}
	}
	if err := s.checkDepends(ctx, p); err != nil {
		return nil, err
	}
	var old base
	if err := json.Unmarshal([]byte(t.Files), &old); err != nil {
		return nil, err
	}
	baseDocs := map[string]*Object{}
	for path, text := range old.Docs {
		v, err := ParseJSON([]byte(text))
		if err != nil {
			return nil, err
		}
		baseDocs[path] = v.(*Object)
	}
	theirs, err := s.normalize(ctx, a, p)
	if err != nil {
		return nil, err
	}
	renames := map[string]map[string]string{}
	for _, d := range p.Docs {
		if d.Kind != Modules {
			continue
		}
		props := schemaProps(d.Value.Vals["schema"])
		for _, k := range propKeys(props) {
			if from := props.Obj(k).Obj("x-field").Str("renamedFrom"); from != "" {
				if renames[d.Key] == nil {
					renames[d.Key] = map[string]string{}
				}
				renames[d.Key][k] = from
			}
		}
	}
	plan := &Plan{App: app, Template: p.Manifest.Key, From: t.Version, To: p.Manifest.Version, Notes: []Note{}, Conflicts: []Conflict{}}
	choices := map[string]string{}
	used := map[string]bool{}
	err = s.atomic(ctx, func(ctx context.Context) error {
		e := s.env(a)
		current, err := s.exportDocs(ctx, e, app)
		if err != nil {
			return err
		}
		ours := map[string]*Object{}
		for _, d := range current {
			ours[d.Path] = d.Value
		}
		// A first pass finds the conflicts; Prefer then decides those
		// without a choice of their own.
		merged, exists, deletes := s.plan(plan, baseDocs, ours, theirs, renames, o.Choices, used)
		if o.Prefer == "ours" || o.Prefer == "theirs" {
			for _, c := range plan.Conflicts {
				choices[c.ID] = o.Prefer
			}
			for id, c := range o.Choices {
				choices[id] = c
			}
			*plan = Plan{App: plan.App, Template: plan.Template, From: plan.From, To: plan.To, Notes: []Note{}, Conflicts: []Conflict{}}
			merged, exists, deletes = s.plan(plan, baseDocs, ours, theirs, renames, choices, used)
		}
		for id := range o.Choices {
			if !used[id] {
				return errs.Fields(errs.Field("choices", "bad_choice", "template.bad_choice", "id", id, "choice", o.Choices[id]))
			}
		}
		if !o.Apply {
			return errRollback
		}
		if n := plan.Unresolved(); n > 0 {
			return errs.New(errs.Conflict, "template.conflicts", "count", n)
		}
		if err := s.apply(ctx, e, app, &Package{Manifest: p.Manifest, Docs: merged}, exists); err != nil {
			return err
		}
		for i := len(deletes) - 1; i >= 0; i-- {
			d := deletes[i]
			if err := d.Kind.Delete(ctx, e, app, d.Key); err != nil {
				return atFile(d, err)
			}
		}
		ap, err := s.Store.App(ctx, app)
		if err != nil {
			return err
		}
		nb := base{Manifest: json.RawMessage(Compact(mustParse(p.Files["template.json"]))), Docs: map[string]string{}}
		for path, d := range theirs {
			nb.Docs[path] = string(Encode(d))
		}
		raw, _ := json.Marshal(nb)
		t.Version, t.Files = p.Manifest.Version, string(raw)
		if err := s.Store.SaveInstalledTemplate(ctx, t); err != nil {
			return err
		}
		if _, err := s.Env.Meta.UpdateApp(ctx, app, ap.Label); err != nil {
			return err
		}
		plan.Applied = true
		return nil
	})
	if err == errRollback {
		err = nil
	}
	if err != nil {
		if e, ok := errs.As(err); ok && e.Msg.Key == "template.conflicts" {
			return plan, err
		}
		return nil, err
	}
	return plan, nil
}

// plan merges every document and notes what the upgrade does; it returns
// the documents to write (exists: which of them are there already) and
// those to delete.
func (s *Service) plan(plan *Plan, base, ours, theirs map[string]*Object, renames map[string]map[string]string,
	choices map[string]string, used map[string]bool) ([]*Doc, map[string]bool, []*Doc) {
	paths := map[string]bool{}
	for _, m := range []map[string]*Object{base, ours, theirs} {
		for p := range m {
			paths[p] = true
		}
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	var merged, deletes []*Doc
	exists := map[string]bool{}
	note := func(file, action, key string, kv ...any) {
		plan.Notes = append(plan.Notes, Note{File: file, Action: action, Msg: i18n.M(key, kv...)})
	}
	for _, path := range sorted {
		k := kindOfPath(path)
		if k == nil {
			continue
		}
		key := path[len(k.Dir)+1 : len(path)-len(".json")]
		b, o, t := base[path], ours[path], theirs[path]
		if k == Modules {
			b, o = renameFields(b, renames[key]), renameFields(o, renames[key])
		}
		doc := func(v *Object) *Doc { return &Doc{Kind: k, Path: path, Key: key, Value: v} }
		switch {
		case t != nil && o != nil:
			exists[path] = true
			m := &merger{file: path, module: k == Modules, choices: choices, used: used}
			var bv any = absent
			if b != nil {
				bv = b
			}
			v := Clone(m.merge(nil, bv, o, t)).(*Object)
			if k == Modules {
				archivedWithoutRequired(v)
				for to, from := range renames[key] {
					if props := schemaProps(v.Vals["schema"]); props.Obj(to) != nil && base[path] != nil &&
						schemaProps(base[path].Vals["schema"]).Obj(from) != nil {
						xf := props.Obj(to).Obj("x-field")
						xf.Set("renamedFrom", from)
						plan.Notes = append(plan.Notes, Note{File: path, Pointer: pointer("schema", "properties", to), Action: "rename",
							Msg: i18n.M("template.plan.rename", "from", from, "to", to)})
					}
				}
				if b != nil {
					plan.Notes = append(plan.Notes, maybeRenames(path, b, t)...)
				}
			}
			plan.Notes = append(plan.Notes, m.notes...)
			plan.Conflicts = append(plan.Conflicts, m.conflicts...)
			var changed []string
			diff(nil, o, v, &changed)
			if len(changed) > 0 {
				plan.Notes = append(plan.Notes, Note{File: path, Action: "update", Changed: changed, Msg: i18n.M("template.plan.update")})
				merged = append(merged, doc(v))
			}
		case t != nil && b == nil:
			note(path, "add", "template.plan.add")
			merged = append(merged, doc(t))
		case t != nil:
			if !Equal(b, t) {
				note(path, "keep", "template.plan.gone_here")
			}
		case o != nil && b != nil:
			switch {
			case k.Delete == nil:
				note(path, "keep", "template.plan.keep_module")
			case Equal(b, o):
				note(path, "delete", "template.plan.delete")
				deletes = append(deletes, doc(o))
			default:
				note(path, "keep", "template.plan.keep_local")
			}
		}
	}
	return merged, exists, deletes
}
