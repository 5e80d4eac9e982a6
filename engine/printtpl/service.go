package printtpl

import (
	"context"
	"encoding/json"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Service stores print templates and renders records with them.
type Service struct {
	Store   *store.Store
	Meta    *meta.Service
	Records *record.Service
	// FontPath is the CJK font; "" is pdf.FontPath() (TESSERA_CJK_FONT).
	FontPath string
}

// New returns the print template service.
func New(s *store.Store, m *meta.Service, r *record.Service) *Service {
	return &Service{Store: s, Meta: m, Records: r}
}

func fromRow(r *store.PrintTemplateRow) (*Template, error) {
	t := &Template{ID: r.ID, App: r.App, Key: r.Key, Module: r.Module, Page: r.Page, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal(r.Label, &t.Label); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(r.Layout, &t.Layout); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Template) row(appID string) *store.PrintTemplateRow {
	label, _ := json.Marshal(t.Label)
	layout, _ := json.Marshal(t.Layout)
	return &store.PrintTemplateRow{ID: t.ID, AppID: appID, App: t.App, Key: t.Key, Module: t.Module, Label: label,
		Page: t.Page, Layout: layout, Version: t.Version}
}

// readable reports whether the actor may use templates of module key:
// administrators always; others when they may read the module.
func (s *Service) readable(ctx context.Context, a record.Actor, app, key string) bool {
	if a.User != nil && a.User.IsAdmin {
		return true
	}
	m, err := s.Meta.Module(ctx, app, key)
	if err != nil {
		return false
	}
	_, err = s.Records.ReachOf(ctx, &a, m)
	return err == nil
}

// List returns the app's templates the actor may use, each with its
// problems.
func (s *Service) List(ctx context.Context, a record.Actor, app string) ([]*Template, error) {
	if _, err := s.Store.App(ctx, app); err != nil {
		return nil, err
	}
	rows, err := s.Store.PrintTemplates(ctx, app)
	if err != nil {
		return nil, err
	}
	out := []*Template{}
	for _, r := range rows {
		if !s.readable(ctx, a, app, r.Module) {
			continue
		}
		t, err := fromRow(r)
		if err != nil {
			return nil, err
		}
		t.Problems = check(ctx, s.Meta, t)
		out = append(out, t)
	}
	return out, nil
}

// Get returns one template with its problems; templates of modules the
// actor may not read are not found.
func (s *Service) Get(ctx context.Context, a record.Actor, app, key string) (*Template, error) {
	t, err := s.load(ctx, app, key)
	if err != nil {
		return nil, err
	}
	if !s.readable(ctx, a, app, t.Module) {
		return nil, errs.New(errs.NotFound, "printtpl.not_found", "key", key)
	}
	t.Problems = check(ctx, s.Meta, t)
	return t, nil
}

func (s *Service) load(ctx context.Context, app, key string) (*Template, error) {
	if _, err := s.Store.App(ctx, app); err != nil {
		return nil, err
	}
	r, err := s.Store.PrintTemplate(ctx, app, key)
	if err != nil {
		return nil, err
	}
	return fromRow(r)
}

// Create checks and stores a new template.
func (s *Service) Create(ctx context.Context, app string, t *Template) (*Template, error) {
	a, err := s.Store.App(ctx, app)
	if err != nil {
		return nil, err
	}
	t.App = app
	if err := s.valid(ctx, t); err != nil {
		return nil, err
	}
	if err := s.Store.CreatePrintTemplate(ctx, t.row(a.ID)); err != nil {
		return nil, err
	}
	return s.load(ctx, app, t.Key)
}

// Replace checks and stores a new definition of template key; version
// must be the current one (the one the editor read), so that two editors
// do not overwrite each other unnoticed.
func (s *Service) Replace(ctx context.Context, app, key string, t *Template, version int) (*Template, error) {
	cur, err := s.load(ctx, app, key)
	if err != nil {
		return nil, err
	}
	if err := errs.Replacing("printtpl", key, t.Key, version); err != nil {
		return nil, err
	}
	t.App, t.Key, t.ID = app, key, cur.ID
	if err := s.valid(ctx, t); err != nil {
		return nil, err
	}
	if err := s.Store.UpdatePrintTemplate(ctx, t.row(""), version); err != nil {
		return nil, err
	}
	return s.load(ctx, app, key)
}

// Delete removes template key.
func (s *Service) Delete(ctx context.Context, app, key string) error {
	t, err := s.load(ctx, app, key)
	if err != nil {
		return err
	}
	return s.Store.DeletePrintTemplate(ctx, t.ID)
}

// valid refuses a template with any problem (422, one error per problem).
func (s *Service) valid(ctx context.Context, t *Template) error {
	if t.Page == "" {
		t.Page = "A4"
	}
	if probs := check(ctx, s.Meta, t); len(probs) > 0 {
		return errs.Fields(probs...)
	}
	return nil
}

// broken is the error of rendering a template with problems: the first
// names the field, all are listed.
func broken(t *Template) error {
	return &errs.Error{Code: errs.Unprocessable, Fields: t.Problems,
		Msg: i18n.M("printtpl.broken", "key", t.Key, "problem", t.Problems[0].Msg)}
}
