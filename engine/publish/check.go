package publish

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
)

// MaxFields bounds the fields of a publication.
const MaxFields = 100

// check lists every problem of p against its module (422 when saved).
func check(ctx context.Context, ms *meta.Service, p *Publication) []errs.FieldError {
	var fes []errs.FieldError
	add := func(field, code, key string, kv ...any) { fes = append(fes, errs.Field(field, code, key, kv...)) }
	if !meta.ValidKey(p.Key, 40) {
		add("key", "invalid", "publish.bad_key")
	}
	if len(p.Label) == 0 {
		add("label", "required", "publish.label_required")
	}
	if p.RateLimit < 0 || p.RateLimit > MaxRate {
		add("rate_limit", "invalid", "publish.bad_rate", "max", MaxRate)
	}
	if r := p.Success.Redirect; r != "" {
		if u, err := url.Parse(r); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("success.redirect", "invalid", "publish.bad_redirect")
		}
	}
	if len(p.Fields) == 0 || len(p.Fields) > MaxFields {
		add("fields", "required", "publish.fields_required", "max", MaxFields)
	}
	if p.Module == "" {
		add("module", "required", "publish.module_required")
		return fes
	}
	m, err := ms.Module(ctx, p.App, p.Module)
	if err != nil {
		add("module", "not_found", "publish.unknown_module", "module", p.Module)
		return fes
	}
	seen := map[string]bool{}
	for i, k := range p.Fields {
		at := fmt.Sprintf("fields.%d", i)
		f := m.Field(k)
		switch {
		case f == nil:
			add(at, "not_found", "publish.unknown_field", "field", k)
		case seen[k]:
			add(at, "duplicate", "publish.duplicate_field", "field", k)
		case p.Type == TypeForm && f.ReadOnly():
			add(at, "read_only", "publish.read_only_field", "field", m.NameOf(k))
		case p.Type == TypeForm && f.Column().Kind == meta.ColRef:
			// A visitor naming record or user ids could probe which exist.
			add(at, "reference", "publish.ref_field", "field", m.NameOf(k))
		}
		seen[k] = true
	}
	if p.Type == TypeForm {
		for i, k := range p.Required {
			if !slices.Contains(p.Fields, k) {
				add(fmt.Sprintf("required.%d", i), "not_asked", "publish.required_not_asked", "field", k)
			}
		}
		for k := range p.Values {
			if m.Field(k) == nil {
				add("values."+k, "not_found", "publish.unknown_field", "field", k)
			}
		}
	} else {
		if len(p.Required) > 0 || len(p.Values) > 0 || p.Owner != "" || p.Success.Redirect != "" || len(p.Success.Message) > 0 {
			add("type", "form_only", "publish.form_only")
		}
		if p.Filter != "" && meta.CheckFilter != nil {
			if err := meta.CheckFilter(p.Filter, m); err != nil {
				add("filter", "bad_filter", "publish.bad_filter", "detail", errs.Detail(err))
			}
		}
	}
	if p.Type == TypeForm && p.Filter != "" {
		add("filter", "view_only", "publish.view_only")
	}
	return fes
}
