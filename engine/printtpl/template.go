// Package printtpl holds print templates — a document layout for one
// module (page size, header with logo and title, blocks of fields, a
// table of child records, totals, the amount in Chinese capitals, text
// with {{field}} placeholders, signature lines, footer) — and renders a
// record to PDF with one (engine/pdf), as the viewer: fields hidden from
// them are left out, and child rows are those they may read.
//
// A template names fields by key. It is checked when saved; a field
// deleted since is not refused by the module change but flags the
// template: reading it shows the problems, rendering it is refused with a
// message naming the field.
package printtpl

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	_ "image/jpeg" // image.DecodeConfig of logos
	_ "image/png"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/pdf"
)

// Template is a print template as clients see it.
type Template struct {
	ID      string     `json:"id,omitempty"`
	App     string     `json:"app,omitempty"`
	Key     string     `json:"key"`
	Module  string     `json:"module"`
	Label   meta.Label `json:"label"`
	Page    string     `json:"page,omitempty"`
	Layout  Layout     `json:"layout"`
	Version int        `json:"version,omitempty"`
	// Problems are what no longer holds (a field deleted since); set when
	// the template is read, localized by the caller.
	Problems  []errs.FieldError `json:"-"`
	CreatedAt time.Time         `json:"created_at,omitzero"`
	UpdatedAt time.Time         `json:"updated_at,omitzero"`
}

// Layout is the document: a title and a logo at the top of every page,
// the blocks from top to bottom, the footer (with page numbers) at the
// bottom of every page.
type Layout struct {
	Title     string  `json:"title"`
	Logo      string  `json:"logo,omitempty"` // data:image/png;base64,… or data:image/jpeg;base64,…
	Landscape bool    `json:"landscape,omitempty"`
	Footer    string  `json:"footer,omitempty"`
	Blocks    []Block `json:"blocks"`
}

// Block types.
const (
	BlockHeading   = "heading"         // text: a heading line
	BlockFields    = "fields"          // fields (per_row of them side by side): label and value
	BlockTable     = "table"           // module, via, columns, sum, sort: child records
	BlockText      = "text"            // text with {{field}} placeholders
	BlockTotals    = "totals"          // fields: label and value, right-aligned
	BlockAmount    = "amount_in_words" // field: the amount in Chinese capitals
	BlockSignature = "signature"       // labels: lines to sign on
	BlockDivider   = "divider"         // a horizontal rule
)

var blockTypes = []string{BlockHeading, BlockFields, BlockTable, BlockText, BlockTotals, BlockAmount, BlockSignature, BlockDivider}

// Block is one part of the document; which members count depends on Type.
type Block struct {
	Type    string   `json:"type"`
	Title   string   `json:"title,omitempty"`   // fields, table, totals: a heading above
	Text    string   `json:"text,omitempty"`    // heading, text
	Fields  []string `json:"fields,omitempty"`  // fields, totals
	PerRow  int      `json:"per_row,omitempty"` // fields: pairs side by side (1–3; default 2)
	Module  string   `json:"module,omitempty"`  // table: the child module
	Via     string   `json:"via,omitempty"`     // table: its lookup field pointing to this module
	Columns []string `json:"columns,omitempty"` // table: child fields
	Sum     []string `json:"sum,omitempty"`     // table: numeric columns totalled under the rows
	Sort    string   `json:"sort,omitempty"`    // table: "-amount,name"; default oldest first
	Field   string   `json:"field,omitempty"`   // amount_in_words
	Label   string   `json:"label,omitempty"`   // amount_in_words: the label before it
	Labels  []string `json:"labels,omitempty"`  // signature
}

// Limits of a template.
const (
	MaxBlocks   = 50
	MaxFields   = 60 // per block
	MaxColumns  = 12 // per table
	MaxText     = 4000
	MaxLine     = 200 // title, footer, labels, headings
	MaxLogo     = 256 << 10
	MaxLogoSide = 4096
	MaxRows     = 2000 // child rows per table
)

// systemFields may be printed besides a module's fields.
var systemFields = []string{"id", "created_at", "updated_at", "owner", "created_by", "updated_by"}

// placeholder is {{ field }} in text.
var placeholder = regexp.MustCompile(`\{\{\s*([a-z][a-z0-9_]*)\s*\}\}`)

// Modules reads module definitions (meta.Service).
type Modules interface {
	Module(ctx context.Context, app, key string) (*meta.Module, error)
}

// check returns every problem of t against the app's current modules:
// on save they refuse it, on read they flag it.
func check(ctx context.Context, mods Modules, t *Template) []errs.FieldError {
	c := checker{ctx: ctx, mods: mods, app: t.App}
	if !meta.ValidKey(t.Key, 40) {
		c.add("key", "bad_key", "printtpl.bad_key")
	}
	if t.Label.In("") == "" {
		c.add("label", "required", "printtpl.label_required")
	}
	for loc, s := range t.Label {
		if utf8.RuneCountInString(s) > MaxLine {
			c.add("label."+loc, "too_long", "printtpl.too_long", "max", MaxLine)
		}
	}
	if t.Page != "" && !validPage(t.Page) {
		c.add("page", "bad_page", "pdf.bad_page", "page", t.Page, "sizes", strings.Join(pdf.PageSizes, ", "))
	}
	m := c.module("module", t.Module)
	l := t.Layout
	c.line("layout.title", l.Title)
	c.line("layout.footer", l.Footer)
	c.placeholders("layout.title", m, l.Title)
	c.placeholders("layout.footer", m, l.Footer)
	if l.Logo != "" {
		if _, _, fe := DecodeLogo(l.Logo); fe != nil {
			fe.Field = "layout.logo"
			c.probs = append(c.probs, *fe)
		}
	}
	if len(l.Blocks) > MaxBlocks {
		c.add("layout.blocks", "too_many", "printtpl.too_many_blocks", "max", MaxBlocks)
	}
	for i, b := range l.Blocks {
		c.block("layout.blocks."+strconv.Itoa(i), m, b)
	}
	return c.probs
}

func validPage(p string) bool {
	for _, s := range pdf.PageSizes {
		if s == p {
			return true
		}
	}
	return false
}

type checker struct {
	ctx   context.Context
	mods  Modules
	app   string
	probs []errs.FieldError
}

func (c *checker) add(path, code, key string, kv ...any) {
	c.probs = append(c.probs, errs.Field(path, code, key, kv...))
}

// module is the module key names, or nil (with a problem at path).
func (c *checker) module(path, key string) *meta.Module {
	if key == "" {
		c.add(path, "required", "printtpl.module_required")
		return nil
	}
	m, err := c.mods.Module(c.ctx, c.app, key)
	if err != nil || m == nil {
		c.add(path, "unknown_module", "printtpl.unknown_module", "module", key)
		return nil
	}
	return m
}

func (c *checker) line(path, s string) {
	if utf8.RuneCountInString(s) > MaxLine {
		c.add(path, "too_long", "printtpl.too_long", "max", MaxLine)
	}
}

// field checks that key is a field of m (or a system field).
func (c *checker) field(path string, m *meta.Module, key string) *meta.Field {
	if m == nil {
		return nil
	}
	if f := m.Field(key); f != nil {
		return f
	}
	for _, s := range systemFields {
		if s == key {
			return nil
		}
	}
	c.add(path, "unknown_field", "printtpl.unknown_field", "module", m.Key, "field", key)
	return nil
}

func (c *checker) fields(path string, m *meta.Module, keys []string, max int) {
	if len(keys) == 0 {
		c.add(path, "required", "printtpl.fields_required")
	}
	if len(keys) > max {
		c.add(path, "too_many", "printtpl.too_many_fields", "max", max)
		return
	}
	for i, k := range keys {
		c.field(path+"."+strconv.Itoa(i), m, k)
	}
}

func (c *checker) placeholders(path string, m *meta.Module, text string) {
	for _, sub := range placeholder.FindAllStringSubmatch(text, 100) {
		c.field(path, m, sub[1])
	}
}

func (c *checker) block(path string, m *meta.Module, b Block) {
	c.line(path+".title", b.Title)
	switch b.Type {
	case BlockHeading:
		if b.Text == "" {
			c.add(path+".text", "required", "printtpl.text_required")
		}
		c.line(path+".text", b.Text)
		c.placeholders(path+".text", m, b.Text)
	case BlockText:
		if b.Text == "" {
			c.add(path+".text", "required", "printtpl.text_required")
		}
		if utf8.RuneCountInString(b.Text) > MaxText {
			c.add(path+".text", "too_long", "printtpl.too_long", "max", MaxText)
		}
		c.placeholders(path+".text", m, b.Text)
	case BlockFields, BlockTotals:
		c.fields(path+".fields", m, b.Fields, MaxFields)
		if b.PerRow < 0 || b.PerRow > 3 {
			c.add(path+".per_row", "bad_per_row", "printtpl.bad_per_row")
		}
	case BlockTable:
		c.table(path, m, b)
	case BlockAmount:
		if b.Field == "" {
			c.add(path+".field", "required", "printtpl.field_required")
		} else if c.field(path+".field", m, b.Field); m != nil && notNumeric(m, b.Field) {
			c.add(path+".field", "not_numeric", "printtpl.not_numeric", "field", b.Field)
		}
		c.line(path+".label", b.Label)
	case BlockSignature:
		if len(b.Labels) > 6 {
			c.add(path+".labels", "too_many", "printtpl.too_many_labels", "max", 6)
		}
		for i, l := range b.Labels {
			c.line(path+".labels."+strconv.Itoa(i), l)
		}
	case BlockDivider:
	default:
		c.add(path+".type", "bad_block", "printtpl.bad_block", "type", b.Type, "types", strings.Join(blockTypes, ", "))
	}
}

func isSystem(key string) bool {
	for _, s := range systemFields {
		if s == key {
			return true
		}
	}
	return false
}

// table checks a table block: the child module, its lookup back to m,
// the columns and the sums.
func (c *checker) table(path string, m *meta.Module, b Block) {
	child := c.module(path+".module", b.Module)
	if child != nil && m != nil {
		via := child.Field(b.Via)
		switch {
		case b.Via == "":
			c.add(path+".via", "required", "printtpl.via_required")
		case via == nil || via.Type.Name() != "lookup" || via.Module != m.Key:
			c.add(path+".via", "bad_via", "printtpl.bad_via", "module", child.Key, "field", b.Via, "parent", m.Key)
		}
	}
	c.fields(path+".columns", child, b.Columns, MaxColumns)
	if child == nil && len(b.Columns) == 0 {
		return
	}
	for i, s := range b.Sum {
		p := path + ".sum." + strconv.Itoa(i)
		if !contains(b.Columns, s) {
			c.add(p, "not_a_column", "printtpl.sum_not_column", "field", s)
		} else if child != nil && notNumeric(child, s) {
			c.add(p, "not_numeric", "printtpl.not_numeric", "field", s)
		}
	}
	if len(b.Sort) > 200 {
		c.add(path+".sort", "too_long", "printtpl.too_long", "max", 200)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// notNumeric reports whether key is a field of m (or a system field) that
// does not hold numbers; unknown fields are reported elsewhere.
func notNumeric(m *meta.Module, key string) bool {
	if f := m.Field(key); f != nil {
		return !numeric(f)
	}
	return isSystem(key)
}

// numeric reports whether f holds numbers.
func numeric(f *meta.Field) bool {
	switch f.Column().Kind {
	case meta.ColInteger, meta.ColFloat, meta.ColDecimal:
		return true
	}
	return false
}

// DecodeLogo reads a logo data URL: a PNG or JPEG of at most MaxLogo
// bytes and MaxLogoSide pixels a side, that fpdf can embed. It returns the
// image and its fpdf type ("png" or "jpg").
func DecodeLogo(s string) ([]byte, string, *errs.FieldError) {
	bad := func(key string, kv ...any) ([]byte, string, *errs.FieldError) {
		fe := errs.Field("layout.logo", "bad_logo", key, kv...)
		return nil, "", &fe
	}
	var kind, format string
	switch {
	case strings.HasPrefix(s, "data:image/png;base64,"):
		kind, format = "png", "png"
	case strings.HasPrefix(s, "data:image/jpeg;base64,"), strings.HasPrefix(s, "data:image/jpg;base64,"):
		kind, format = "jpg", "jpeg"
	default:
		return bad("printtpl.logo_format")
	}
	enc := s[strings.Index(s, ",")+1:]
	if base64.StdEncoding.DecodedLen(len(enc)) > MaxLogo+3 {
		return bad("printtpl.logo_too_large", "max", MaxLogo>>10)
	}
	data, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return bad("printtpl.logo_base64")
	}
	if len(data) > MaxLogo {
		return bad("printtpl.logo_too_large", "max", MaxLogo>>10)
	}
	cfg, got, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || got != format {
		return bad("printtpl.logo_format")
	}
	if cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide || cfg.Width == 0 || cfg.Height == 0 {
		return bad("printtpl.logo_dimensions", "max", MaxLogoSide)
	}
	if err := pdf.CheckImage(data, kind); err != nil {
		return bad("pdf.bad_image")
	}
	return data, kind, nil
}
