package publish

import (
	"context"
	"slices"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// byToken finds the publication of typ a visitor's token names (not
// found for an unknown, revoked or malformed token — all alike) and
// counts the visit against the client address's limit for this minute,
// in a transaction of its own: refused submissions count too, so invalid
// posts cannot be sent without limit.
func (s *Service) byToken(ctx context.Context, typ, token, addr string) (*Publication, *meta.Module, error) {
	notFound := errs.New(errs.NotFound, "publish.token_not_found")
	if len(token) < 20 || len(token) > 100 {
		return nil, nil, notFound
	}
	r, err := s.Store.AppDocByToken(ctx, Kind(typ), hashToken(token))
	if errs.Is(err, errs.NotFound) {
		return nil, nil, notFound
	}
	if err != nil {
		return nil, nil, err
	}
	p, err := fromRow(typ, r)
	if err != nil {
		return nil, nil, err
	}
	var ok bool
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		minute := tx.Now.UTC().Truncate(time.Minute)
		ok, err = s.Store.RaiseCounter(ctx, tx, "public:"+p.ID, addr, minute.Format("2006-01-02T15:04"), p.rate(), minute.Add(time.Minute))
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, &errs.Error{Code: errs.TooMany, Msg: i18n.M("publish.rate_limited"), Err: wait(time.Minute)}
	}
	m, err := s.Meta.Module(ctx, p.App, p.Module)
	if err != nil {
		return nil, nil, err
	}
	return p, m, nil
}

// wait is the cause of a rate-limited visit: its RetryAfter sets the
// Retry-After header (httpx.ErrorHandler).
type wait time.Duration

func (w wait) Error() string             { return "public rate limit" }
func (w wait) RetryAfter() time.Duration { return time.Duration(w) }

// Form is a public form as a visitor sees it.
type Form struct {
	Label       string      `json:"label"`
	Description string      `json:"description,omitempty"`
	Fields      []FormField `json:"fields"`
}

// FormField is a form field as a visitor sees it.
type FormField struct {
	Key      string       `json:"key"`
	Type     string       `json:"type"`
	Label    string       `json:"label"`
	Required bool         `json:"required"`
	Options  []FormOption `json:"options,omitempty"`
}

// FormOption is a select's choice.
type FormOption struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Form returns the form a token names, in locale: its chosen fields only.
func (s *Service) Form(ctx context.Context, token, addr, locale string) (*Form, error) {
	p, m, err := s.byToken(ctx, TypeForm, token, addr)
	if err != nil {
		return nil, err
	}
	out := &Form{Label: p.Label.In(locale), Description: p.Description.In(locale), Fields: []FormField{}}
	for _, k := range p.Fields {
		f := m.Field(k)
		if f == nil {
			continue // deleted since the form was saved
		}
		ff := FormField{Key: k, Type: f.Type.Name(), Label: f.Named().In(locale), Required: f.Required || slices.Contains(p.Required, k)}
		for _, o := range f.Options {
			label := o.Label.In(locale)
			if label == "" {
				label = o.Value
			}
			ff.Options = append(ff.Options, FormOption{Value: o.Value, Label: label})
		}
		out.Fields = append(out.Fields, ff)
	}
	return out, nil
}

// Submitted is what a form answers after a submission (never the record).
type Submitted struct {
	Message  string `json:"message"`
	Redirect string `json:"redirect,omitempty"`
}

// Submit creates a record from a visitor's values through the write path,
// as the form's system user "form:<key>" on channel "public_form": the
// module's validation, formulas and rules apply. Only the form's fields
// may be sent (another is a 422 naming it — so owner, hidden or system
// fields cannot be set from outside); the form's fixed values are added.
func (s *Service) Submit(ctx context.Context, token, addr, locale string, values map[string]any) (*Submitted, error) {
	p, m, err := s.byToken(ctx, TypeForm, token, addr)
	if err != nil {
		return nil, err
	}
	var fes []errs.FieldError
	input := map[string]any{}
	for k, v := range values {
		if !slices.Contains(p.Fields, k) {
			fes = append(fes, errs.Field(k, "not_in_form", "publish.not_in_form", "field", k))
			continue
		}
		input[k] = v
	}
	for _, k := range p.Required {
		if v, ok := input[k]; !ok || v == nil || v == "" {
			fes = append(fes, errs.Field(k, "required", "publish.required", "field", m.NameOf(k)))
		}
	}
	if len(fes) > 0 {
		return nil, errs.Fields(fes...)
	}
	for k, v := range p.Values {
		input[k] = v
	}
	if p.Owner != "" {
		input["owner"] = p.Owner
	}
	err = s.Records.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		name := "form:" + p.Key
		uid, err := s.Store.SystemUser(ctx, tx, p.App+"/"+name, name)
		if err != nil {
			return err
		}
		actor := record.Actor{User: &access.User{ID: uid, Name: name, IsAdmin: true}, Via: "public_form", System: true}
		_, err = s.Records.Create(ctx, actor, m, input)
		return err
	})
	if err != nil {
		return nil, err
	}
	msg := p.Success.Message.In(locale)
	if msg == "" {
		msg = i18n.T(locale, i18n.M("publish.thanks"))
	}
	return &Submitted{Message: msg, Redirect: p.Success.Redirect}, nil
}

// ViewPage is a page of a public view: the view's fields of each record.
type ViewPage struct {
	Label   string           `json:"label"`
	Fields  []string         `json:"fields"`
	Records []map[string]any `json:"records"`
	Next    string           `json:"next_cursor,omitempty"`
}

// MaxViewPage bounds a view's page.
const MaxViewPage = 100

// View returns a page of the records a view's filter admits, each with
// only id and the view's fields (and the cursor of the next page).
func (s *Service) View(ctx context.Context, token, addr, locale, cursor string, limit int) (*ViewPage, error) {
	p, m, err := s.byToken(ctx, TypeView, token, addr)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxViewPage {
		limit = 20
	}
	fields := p.present(m)
	q := store.ListQuery{Sort: p.Sort, Limit: limit, Cursor: cursor, Fields: append([]string{"id"}, fields...)}
	if p.Filter != "" {
		q.Where = []store.Cond{{Expr: p.Filter}}
	}
	page, err := s.Store.ListRecords(ctx, m, q)
	if err != nil {
		return nil, err
	}
	out := &ViewPage{Label: p.Label.In(locale), Fields: fields, Records: make([]map[string]any, 0, len(page.Records)), Next: page.Next}
	for _, r := range page.Records {
		out.Records = append(out.Records, only(r, fields))
	}
	return out, nil
}

// ViewRecord returns one record of a view (not found unless its filter
// admits it), with only id and the view's fields.
func (s *Service) ViewRecord(ctx context.Context, token, addr, id string) (map[string]any, error) {
	p, m, err := s.byToken(ctx, TypeView, token, addr)
	if err != nil {
		return nil, err
	}
	var where []store.Cond
	if p.Filter != "" {
		where = []store.Cond{{Expr: p.Filter}}
	}
	r, err := s.Store.Record(ctx, m, id, where...)
	if err != nil {
		return nil, err
	}
	return only(r, p.present(m)), nil
}

// present are the view's fields the module still has.
func (p *Publication) present(m *meta.Module) []string {
	var out []string
	for _, k := range p.Fields {
		if m.Field(k) != nil {
			out = append(out, k)
		}
	}
	return out
}

// only is r with just id and fields: whatever else the store read never
// leaves.
func only(r store.Record, fields []string) map[string]any {
	out := map[string]any{"id": r["id"]}
	for _, k := range fields {
		out[k] = r[k]
	}
	return out
}
