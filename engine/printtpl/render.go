package printtpl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/pdf"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// RenderOptions are the viewer's language and time zone.
type RenderOptions struct {
	Locale   string
	TimeZone string
}

// Render writes record id of module as a PDF to w with template key, as
// the actor: the record and the child rows within their read scope,
// without the fields hidden from them (a block naming one leaves it out).
// It returns the document's title (for a file name).
func (s *Service) Render(ctx context.Context, a record.Actor, app, module, id, key string, o RenderOptions, w io.Writer) (string, error) {
	t, err := s.load(ctx, app, key)
	if err != nil {
		return "", err
	}
	if t.Module != module {
		return "", errs.New(errs.NotFound, "printtpl.not_found", "key", key)
	}
	m, err := s.Meta.Module(ctx, app, module)
	if err != nil {
		return "", err
	}
	reach, err := s.Records.ReachOf(ctx, &a, m)
	if err != nil {
		return "", err
	}
	if t.Problems = check(ctx, s.Meta, t); len(t.Problems) > 0 {
		return "", broken(t)
	}
	r := &renderer{s: s, ctx: ctx, a: a, t: t, m: m, rights: reach.Rights}
	r.f.locale = o.Locale
	if r.f.loc, err = time.LoadLocation(o.TimeZone); err != nil || o.TimeZone == "" {
		r.f.loc = time.UTC
	}
	if r.rec, err = s.Records.Get(ctx, a, m, id, r.expands(m, reach.Rights, r.recordKeys())); err != nil {
		return "", err
	}
	title := r.fill(t.Layout.Title)
	if err := r.document(title); err != nil {
		return "", err
	}
	if err := r.d.Output(w); err != nil {
		return "", err
	}
	return title, nil
}

type renderer struct {
	s      *Service
	ctx    context.Context
	a      record.Actor
	t      *Template
	m      *meta.Module
	rights *access.ModuleRights
	rec    store.Record
	f      formatter
	d      *pdf.Doc
}

// visible reports whether the viewer sees key of the printed module.
func (r *renderer) visible(key string) bool { return !r.rights.Hidden(key) }

// recordKeys are the keys of the record the template prints.
func (r *renderer) recordKeys() []string {
	l := r.t.Layout
	keys := placeholderKeys(l.Title + " " + l.Footer)
	for _, b := range l.Blocks {
		keys = append(keys, b.Fields...)
		keys = append(keys, placeholderKeys(b.Text)...)
	}
	return keys
}

func placeholderKeys(s string) []string {
	var out []string
	for _, sub := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, sub[1])
	}
	return out
}

// expands are the keys among keys whose titles are printed: visible
// lookup and user fields and the user system fields (at most the 10 one
// read may expand; others print empty).
func (r *renderer) expands(m *meta.Module, rights *access.ModuleRights, keys []string) []string {
	var out []string
	for _, k := range keys {
		if slices.Contains(out, k) || len(out) == 10 || rights.Hidden(k) {
			continue
		}
		f := m.Field(k)
		if (f != nil && f.Column().Kind == meta.ColRef) || (f == nil && (k == "owner" || k == "created_by" || k == "updated_by")) {
			out = append(out, k)
		}
	}
	return out
}

// fill replaces {{field}} placeholders with the record's values; a field
// hidden from the viewer gives nothing.
func (r *renderer) fill(s string) string {
	return placeholder.ReplaceAllStringFunc(s, func(p string) string {
		key := placeholder.FindStringSubmatch(p)[1]
		if !r.visible(key) {
			return ""
		}
		return r.f.value(r.m, key, r.rec)
	})
}

func (r *renderer) msg(key string, kv ...any) string { return i18n.T(r.f.locale, i18n.M(key, kv...)) }

func (r *renderer) document(title string) error {
	l := r.t.Layout
	var logo []byte
	var kind string
	if l.Logo != "" {
		var fe *errs.FieldError
		if logo, kind, fe = DecodeLogo(l.Logo); fe != nil {
			return &errs.Error{Code: errs.Unprocessable, Msg: fe.Msg}
		}
	}
	header := func(d *pdf.Doc) {
		top := d.Y()
		if logo != nil {
			d.Image("logo", logo, kind, 14)
		}
		d.SetFont(pdf.SizeTitle, true)
		d.Paragraph(title, "C")
		if logo != nil && d.Y() < top+16 {
			d.Space(top + 16 - d.Y())
		}
		d.Space(1)
		d.Rule()
		d.Space(4)
	}
	var err error
	r.d, err = pdf.New(pdf.Options{Page: r.t.Page, Landscape: l.Landscape, FontPath: r.s.FontPath,
		Header: header, Footer: r.fill(l.Footer), PageLabel: r.msg("printtpl.page")})
	if err != nil {
		return err
	}
	for _, b := range l.Blocks {
		r.d.SetFont(pdf.SizeBody, false)
		if err := r.block(b); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) heading(s string) {
	if s == "" {
		return
	}
	r.d.Space(2)
	r.d.SetFont(pdf.SizeBody+2, true)
	r.d.Paragraph(r.fill(s), "L")
	r.d.SetFont(pdf.SizeBody, false)
	r.d.Space(1)
}

func (r *renderer) block(b Block) error {
	switch b.Type {
	case BlockHeading:
		r.heading(b.Text)
	case BlockText:
		r.heading(b.Title)
		r.d.Paragraph(r.fill(b.Text), "L")
		r.d.Space(2)
	case BlockDivider:
		r.d.Space(2)
		r.d.Rule()
		r.d.Space(2)
	case BlockFields:
		r.heading(b.Title)
		r.d.Grid(r.pairs(b.Fields), cmpOr(b.PerRow, 2))
		r.d.Space(2)
	case BlockTotals:
		r.heading(b.Title)
		r.totals(r.pairs(b.Fields))
	case BlockAmount:
		return r.amount(b)
	case BlockSignature:
		labels := b.Labels
		if len(labels) == 0 {
			labels = []string{r.msg("printtpl.signature"), r.msg("printtpl.date")}
		}
		r.d.Signature(labels)
	case BlockTable:
		return r.table(b)
	}
	return nil
}

func cmpOr(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

// pairs are the label and value of each field the viewer sees.
func (r *renderer) pairs(keys []string) [][2]string {
	var out [][2]string
	for _, k := range keys {
		if r.visible(k) {
			out = append(out, [2]string{r.f.label(r.m, k), r.f.value(r.m, k, r.rec)})
		}
	}
	return out
}

// totals are label/value lines at the right of the page.
func (r *renderer) totals(pairs [][2]string) {
	if len(pairs) == 0 {
		return
	}
	cols := []pdf.Column{{Weight: 3}, {Weight: 1, Align: "R"}, {Weight: 1.2, Align: "R"}}
	rows := make([][]string, len(pairs))
	for i, p := range pairs {
		rows[i] = []string{"", p[0], p[1]}
	}
	r.d.Lines(cols, rows, true)
	r.d.Space(2)
}

// amount writes the amount in Chinese capitals, with the figure.
func (r *renderer) amount(b Block) error {
	if !r.visible(b.Field) {
		return nil
	}
	label := b.Label
	if label == "" {
		label = r.msg("printtpl.amount_label", "field", r.f.label(r.m, b.Field))
	}
	v, ok := r.rec[b.Field]
	words := ""
	if ok && v != nil {
		var err error
		if words, err = AmountInWords(toText(v)); err != nil {
			return err
		}
		words += "（¥" + r.f.value(r.m, b.Field, r.rec) + "）"
	}
	r.d.Grid([][2]string{{label, words}}, 1)
	r.d.Space(2)
	return nil
}

// toText is a stored number as decimal text.
func toText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}

// table writes the child records of the block's module that point to the
// record through via and that the viewer may read, with the visible
// columns; a child module they may not read, or a via hidden from them,
// prints no table.
func (r *renderer) table(b Block) error {
	child, err := r.s.Meta.Module(r.ctx, r.m.AppKey, b.Module)
	if err != nil {
		return err
	}
	reach, err := r.s.Records.ReachOf(r.ctx, &r.a, child)
	var e *errs.Error
	if errors.As(err, &e) && e.Code == errs.Forbidden {
		return nil
	}
	if err != nil {
		return err
	}
	if reach.Rights.Hidden(b.Via) {
		return nil
	}
	var cols []string
	for _, c := range b.Columns {
		if !reach.Rights.Hidden(c) {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return nil
	}
	recs, err := r.children(child, b, r.expands(child, reach.Rights, cols))
	if err != nil {
		return err
	}
	r.heading(b.Title)
	t := pdf.Table{}
	t.Columns = append(t.Columns, pdf.Column{Label: r.msg("printtpl.row_number"), Align: "R", Weight: 0})
	for _, c := range cols {
		col := pdf.Column{Label: r.f.label(child, c)}
		if f := child.Field(c); f != nil && numeric(f) {
			col.Align = "R"
		}
		t.Columns = append(t.Columns, col)
	}
	sums := make([]*big.Rat, len(cols))
	for i, c := range cols {
		if slices.Contains(b.Sum, c) {
			sums[i] = new(big.Rat)
		}
	}
	for n, rec := range recs {
		row := []string{itoa(n + 1)}
		for i, c := range cols {
			row = append(row, r.f.value(child, c, rec))
			if sums[i] != nil && rec[c] != nil {
				if x, ok := new(big.Rat).SetString(toText(rec[c])); ok {
					sums[i].Add(sums[i], x)
				}
			}
		}
		t.Rows = append(t.Rows, row)
	}
	if len(b.Sum) > 0 {
		foot := []string{r.msg("printtpl.total")} // in the row number column
		for i, c := range cols {
			cell := ""
			if sums[i] != nil {
				scale := 2
				if f := child.Field(c); f != nil && f.Column().Kind == meta.ColDecimal {
					scale = f.Column().Scale
				}
				cell = Decimal(sums[i].FloatString(scale+1), scale)
			}
			foot = append(foot, cell)
		}
		t.Foot = [][]string{foot}
	}
	r.d.Table(t)
	r.d.Space(3)
	return nil
}

// children reads the child records page by page, at most MaxRows.
func (r *renderer) children(child *meta.Module, b Block, expand []string) ([]store.Record, error) {
	q := store.ListQuery{Sort: b.Sort, Limit: store.MaxLimit,
		Where: []store.Cond{{SQL: store.Quote(b.Via) + ` = ?`, Args: []any{r.rec["id"]}}}}
	if q.Sort == "" {
		q.Sort = "created_at"
	}
	var out []store.Record
	for {
		page, err := r.s.Records.List(r.ctx, r.a, child, q, expand)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Records...)
		if len(out) > MaxRows {
			return nil, errs.New(errs.Unprocessable, "printtpl.too_many_rows", "max", MaxRows, "module", child.Key)
		}
		if page.Next == "" {
			return out, nil
		}
		q.Cursor = page.Next
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
