// Package dashboard is Tessera's dashboards: a 12-column grid of widgets,
// each an ordinary query spec (engine/report) drawn as a KPI, chart,
// table, pivot, leaderboard, gauge, map or record list; dashboard-level
// filters that apply to the widgets they name; sharing with roles or
// keeping a dashboard private; and running it as the viewer or as its
// publisher. One call returns every widget's data, the widgets' queries
// running concurrently.
//
// It also registers the pipeline-analytics sources with the report
// service (pipeline.go, targets.go), so funnels, forecasts, win rates,
// cycle lengths, approval step durations and target attainment are
// ordinary widgets.
package dashboard

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/approval"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/flow"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/report"
	"github.com/tessera-app/tessera/engine/store"
)

// Run-as modes.
const (
	RunAsViewer    = "viewer"
	RunAsPublisher = "publisher"
)

// Dashboard is one dashboard of an app. Private dashboards belong to the
// user who created them (Owner) and nobody else sees them; shared ones are
// seen by the members of Roles (every signed-in user when empty) and by
// administrators. RunAs "publisher" reads every aggregate widget with the
// rights of Publisher, whoever last saved it.
type Dashboard struct {
	App       string     `json:"-"`
	Key       string     `json:"key"`
	Label     meta.Label `json:"label"`
	Private   bool       `json:"private,omitempty"`
	Roles     []string   `json:"roles,omitempty"`
	RunAs     string     `json:"run_as,omitempty"`
	Filters   []Filter   `json:"filters,omitempty"`
	Widgets   []Widget   `json:"widgets"`
	Owner     string     `json:"owner,omitempty"`
	Publisher string     `json:"publisher,omitempty"`
	Version   int        `json:"version"`
	CreatedAt time.Time  `json:"created_at,omitzero"`
	UpdatedAt time.Time  `json:"updated_at,omitzero"`
}

// Widget is one cell of the grid: X, Y (top-left, in grid units; 12
// columns), W, H; Type says how it is drawn and what shape of query it
// needs (validate.go); Options are the type's own settings.
type Widget struct {
	Key     string         `json:"key"`
	Type    string         `json:"type"`
	Title   meta.Label     `json:"title,omitempty"`
	X       int            `json:"x"`
	Y       int            `json:"y"`
	W       int            `json:"w"`
	H       int            `json:"h"`
	Query   *report.Spec   `json:"query"`
	Options map[string]any `json:"options,omitempty"`
}

// Filter is a dashboard-level filter: Type date_range (query parameters
// from and to), owner (owner: a user id or "me"), department (department:
// a key; its sub-departments included) or select (the parameter named
// Key: one option value). It applies to the widgets it names (all when
// Widgets is empty) on Field of their module, or on Fields[widget] for a
// widget whose field is named differently. A date range on a widget whose
// query has a range replaces that range's bounds.
type Filter struct {
	Key     string            `json:"key"`
	Type    string            `json:"type"`
	Label   meta.Label        `json:"label,omitempty"`
	Field   string            `json:"field,omitempty"`
	Fields  map[string]string `json:"fields,omitempty"`
	Widgets []string          `json:"widgets,omitempty"`
}

// doc is what the store keeps as the dashboard's JSON document.
type doc struct {
	Label   meta.Label `json:"label"`
	Roles   []string   `json:"roles,omitempty"`
	RunAs   string     `json:"run_as,omitempty"`
	Filters []Filter   `json:"filters,omitempty"`
	Widgets []Widget   `json:"widgets"`
}

// Service stores dashboards and computes their data.
type Service struct {
	Store     *store.Store
	Meta      *meta.Service
	Records   *record.Service
	Access    *access.Service
	Reports   *report.Service
	Flows     *flow.Service
	Approvals *approval.Service
	Log       *slog.Logger
	// Parallel bounds the queries one data call runs at once (default 4).
	Parallel int
	// OnSave, when set, is told the widgets' queries of every dashboard
	// saved (created or replaced), after the save: the live aggregates
	// (engine/summary) answering them are planned and built from it.
	OnSave func(ctx context.Context, app string, specs []*report.Spec)
}

// saved tells OnSave of d's widgets' queries.
func (s *Service) saved(ctx context.Context, app string, d *Dashboard) {
	if s.OnSave == nil {
		return
	}
	var specs []*report.Spec
	for _, w := range d.Widgets {
		if w.Query != nil {
			specs = append(specs, w.Query)
		}
	}
	s.OnSave(ctx, app, specs)
}

// New returns the service and registers the pipeline-analytics and
// targets sources with reports.
func New(s *store.Store, m *meta.Service, r *record.Service, a *access.Service, reports *report.Service, flows *flow.Service, approvals *approval.Service, log *slog.Logger) *Service {
	svc := &Service{Store: s, Meta: m, Records: r, Access: a, Reports: reports, Flows: flows, Approvals: approvals, Log: log}
	svc.registerSources()
	return svc
}

func (s *Service) decode(row *store.DashboardRow) (*Dashboard, error) {
	var d doc
	if err := json.Unmarshal(row.Doc, &d); err != nil {
		return nil, err
	}
	return &Dashboard{App: row.App, Key: row.Key, Label: d.Label, Private: row.Owner != "", Roles: d.Roles, RunAs: d.RunAs,
		Filters: d.Filters, Widgets: d.Widgets, Owner: row.Owner, Publisher: row.Publisher, Version: row.Version,
		CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC()}, nil
}

// List returns the dashboards of app the user may see: the shared ones
// shared with them and their private ones.
func (s *Service) List(ctx context.Context, u *access.User, app string) ([]*Dashboard, error) {
	if _, err := s.Store.App(ctx, app); err != nil {
		return nil, err
	}
	rows, err := s.Store.Dashboards(ctx, app, u.ID)
	if err != nil {
		return nil, err
	}
	p, err := s.principal(ctx, u)
	if err != nil {
		return nil, err
	}
	out := []*Dashboard{}
	for _, row := range rows {
		d, err := s.decode(row)
		if err != nil {
			return nil, err
		}
		if sees(p, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// Get returns dashboard key of app as the user may see it: their private
// one of that key if they have one, else the shared one when it is shared
// with them. Anything else is not found.
func (s *Service) Get(ctx context.Context, u *access.User, app, key string) (*Dashboard, error) {
	all, err := s.List(ctx, u, app)
	if err != nil {
		return nil, err
	}
	for _, d := range all {
		if d.Key == key {
			return d, nil // private first (store order)
		}
	}
	return nil, errs.New(errs.NotFound, "store.dashboard_not_found", "key", key)
}

// sees reports whether principal p may see d.
func sees(p *access.Principal, d *Dashboard) bool {
	u := p.User
	if d.Private {
		return d.Owner == u.ID
	}
	if u.IsAdmin || d.Publisher == u.ID || len(d.Roles) == 0 {
		return true
	}
	for _, r := range p.Roles {
		if slices.Contains(d.Roles, r.Key) {
			return true
		}
	}
	return false
}

func (s *Service) principal(ctx context.Context, u *access.User) (*access.Principal, error) {
	if u.IsAdmin || s.Access == nil {
		return &access.Principal{User: u}, nil
	}
	return s.Access.Principal(ctx, u)
}

// Create checks and stores a new dashboard saved by u: private to u when
// d.Private, else shared (which needs the right to publish it, see
// mayPublish).
func (s *Service) Create(ctx context.Context, u *access.User, app string, d *Dashboard) (*Dashboard, error) {
	if err := s.check(ctx, u, app, d); err != nil {
		return nil, err
	}
	row := &store.DashboardRow{App: app, Key: d.Key, Publisher: u.ID}
	if d.Private {
		row.Owner = u.ID
	}
	var err error
	if row.Doc, err = encode(d); err != nil {
		return nil, err
	}
	if err := s.Store.CreateDashboard(ctx, row); err != nil {
		return nil, err
	}
	s.saved(ctx, app, d)
	return s.decode(row)
}

// Replace checks and stores a new version of dashboard key (as u finds it,
// see Get) if version is still current. Only its owner changes a private
// dashboard; a shared one needs the right to publish both the stored and
// the new version. Private stays as it was.
func (s *Service) Replace(ctx context.Context, u *access.User, app, key string, d *Dashboard, version int) (*Dashboard, error) {
	old, err := s.editable(ctx, u, app, key)
	if err != nil {
		return nil, err
	}
	d.Key, d.Private = old.Key, old.Private
	if err := s.check(ctx, u, app, d); err != nil {
		return nil, err
	}
	row, err := s.row(ctx, app, old)
	if err != nil {
		return nil, err
	}
	if row.Doc, err = encode(d); err != nil {
		return nil, err
	}
	row.Publisher = u.ID
	if err := s.Store.UpdateDashboard(ctx, row, version); err != nil {
		return nil, err
	}
	s.saved(ctx, app, d)
	return s.decode(row)
}

// Delete removes dashboard key, with the rights Replace needs.
func (s *Service) Delete(ctx context.Context, u *access.User, app, key string) error {
	old, err := s.editable(ctx, u, app, key)
	if err != nil {
		return err
	}
	row, err := s.row(ctx, app, old)
	if err != nil {
		return err
	}
	return s.Store.DeleteDashboard(ctx, row.ID)
}

// editable finds dashboard key and checks that u may change it.
func (s *Service) editable(ctx context.Context, u *access.User, app, key string) (*Dashboard, error) {
	old, err := s.Get(ctx, u, app, key)
	if err != nil {
		return nil, err
	}
	if old.Private {
		return old, nil // only its owner sees it
	}
	if err := s.mayPublish(ctx, u, app, old); err != nil {
		return nil, err
	}
	return old, nil
}

func (s *Service) row(ctx context.Context, app string, d *Dashboard) (*store.DashboardRow, error) {
	rows, err := s.Store.Dashboards(ctx, app, d.Owner)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.Key == d.Key && r.Owner == d.Owner {
			return r, nil
		}
	}
	return nil, errs.New(errs.NotFound, "store.dashboard_not_found", "key", d.Key)
}

// mayPublish decides who may create, change or delete a shared dashboard:
// administrators, and users whose roles grant "manage" (the designer's
// right) on every module the dashboard's widgets read. A shared dashboard
// shows those modules' figures to others — possibly with its publisher's
// rights — so it takes the right to shape those modules.
func (s *Service) mayPublish(ctx context.Context, u *access.User, app string, d *Dashboard) error {
	if u.IsAdmin {
		return nil
	}
	p, err := s.principal(ctx, u)
	if err != nil {
		return err
	}
	for _, m := range modulesRead(d) {
		if !p.Rights(app, m).Can(access.ActManage) {
			return errs.New(errs.Forbidden, "dashboard.publish_forbidden", "module", m)
		}
	}
	if len(modulesRead(d)) == 0 && !p.Rights(app, "*").Can(access.ActManage) {
		return errs.New(errs.Forbidden, "dashboard.publish_forbidden", "module", "*")
	}
	return nil
}

// modulesRead lists the modules a dashboard's widgets read.
func modulesRead(d *Dashboard) []string {
	var out []string
	for _, w := range d.Widgets {
		if w.Query == nil {
			continue
		}
		for _, m := range append([]string{w.Query.Module}, extraModules(w.Query)...) {
			if m != "" && !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

func encode(d *Dashboard) ([]byte, error) {
	if d.RunAs == "" {
		d.RunAs = RunAsViewer
	}
	return json.Marshal(doc{Label: d.Label, Roles: d.Roles, RunAs: d.RunAs, Filters: d.Filters, Widgets: d.Widgets})
}
