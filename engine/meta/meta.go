// Package meta holds Tessera's metadata types — apps, modules, fields — and
// the field-type registry. A module IS a JSON Schema 2020-12 document: each
// property is a field, standard keywords carry validation and an "x-field"
// object carries what JSON Schema cannot say (field type, label, options,
// lookup target, ...). This package knows no database and no HTTP.
package meta

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/i18n"
)

// Label is a localized text: {"zh-CN": "商机", "en": "Opportunity"}.
type Label map[string]string

// In returns the label in locale, falling back to English, then any value.
func (l Label) In(locale string) string {
	if s, ok := l[locale]; ok && s != "" {
		return s
	}
	if s, ok := l[i18n.EN]; ok && s != "" {
		return s
	}
	for _, s := range l {
		if s != "" {
			return s
		}
	}
	return ""
}

// App groups modules; it is the unit templates install.
type App struct {
	ID        string    `json:"id"`
	Key       string    `json:"key"`
	Label     Label     `json:"label"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Template is where the app came from, when a template package
	// installed it (engine/template); nil for apps built by hand.
	Template *AppTemplate `json:"template,omitempty"`
}

// AppTemplate names the template package (key and semver version) an app
// was installed from.
type AppTemplate struct {
	Key     string `json:"key"`
	Version string `json:"version"`
}

// Module is a form and its table. Schema is the normalized JSON Schema
// document as stored (the source of truth); Fields is parsed from it.
type Module struct {
	ID        string          `json:"id"`
	AppID     string          `json:"-"`
	AppKey    string          `json:"app"`
	Key       string          `json:"key"`
	Label     Label           `json:"label"`
	Schema    json.RawMessage `json:"schema"`
	Version   int             `json:"version"`
	Table     string          `json:"-"`
	Fields    []*Field        `json:"-"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`

	// Validations are the module's x-validations: rules every record must
	// meet (parsed from Schema).
	Validations []Validation `json:"-"`
	// XTitle is the schema's x-title: the key of the field that names a
	// record (see TitleField); "" for the default.
	XTitle string `json:"-"`
	// TitleKey is the title field's key as the module's JSON shows it
	// ("title_field"; see Titled): for clients, which show records by it.
	TitleKey string `json:"title_field,omitempty"`
	// Options are the module-level options x-duplicates and x-timeline
	// (parsed from Schema; module_options.go).
	Options Options `json:"-"`
}

// Field returns the field with key, or nil.
func (m *Module) Field(key string) *Field {
	for _, f := range m.Fields {
		if f.Key == key {
			return f
		}
	}
	return nil
}

// ModuleVersion is one stored version of a module's schema.
type ModuleVersion struct {
	Version   int             `json:"version"`
	Label     Label           `json:"label"`
	Schema    json.RawMessage `json:"schema"`
	CreatedAt time.Time       `json:"created_at"`
	CreatedBy string          `json:"created_by,omitempty"`
}

// Option is one choice of a select or multiselect field, or one node of
// a tree field (Parent names the node it lies under; "" for a root).
type Option struct {
	Value  string `json:"value"`
	Label  Label  `json:"label,omitempty"`
	Color  string `json:"color,omitempty"`
	Parent string `json:"parent,omitempty"`
}

// Field is one property of a module schema.
type Field struct {
	Key         string
	Type        FieldType
	Label       Label
	Required    bool
	Options     []Option
	Module      string // lookup target module key (same app)
	OnDelete    string // lookup: x-field.on_delete as given ("" is restrict, see DeleteRule)
	Unique      bool
	Indexed     bool
	NoTrim      bool // x-field.trim: false — keep free text as typed
	Default     any
	Precision   int
	Scale       int
	Prefix      string // autonumber prefix; may hold {YYYY} {MM} {DD}
	Digits      int    // autonumber zero padding
	RenamedFrom string
	// Archived (x-field.archived) keeps a field's column and values but
	// hides it from every reader (even administrators) and every write: a
	// template upgrade archives the fields its new version drops instead of
	// deleting their data. Setting it back to false brings the field back.
	Archived bool
	// Level is a region field's deepest level (x-field.level: province,
	// city or district; city when not given).
	Level  string
	Schema map[string]any // the property's whole schema, x-field included

	// Computed fields (field_formula.go, field_rollup.go) and default
	// expressions.
	Formula     string   // formula: the expression
	Result      string   // formula: number, integer, decimal, text, boolean, date, datetime
	Via         string   // rollup: the lookup field of Module pointing back here
	Op          string   // rollup: sum, count, min, max, avg
	Of          string   // rollup: the child field aggregated (x-field.field)
	Filter      string   // rollup: which children count (a filter on the child)
	DefaultExpr string   // x-field.default {"expr": "…"}: evaluated on create
	Deps        []string // formula: the formulas of the module it reads
}

// What soft-deleting a record does to the live records whose lookup field
// points to it (x-field.on_delete; engine/record/ondelete.go).
const (
	OnDeleteRestrict = "restrict" // the delete is refused (409) while they exist
	OnDeleteClear    = "clear"    // their lookup is emptied
	OnDeleteCascade  = "cascade"  // they are soft-deleted too (and restored with it)
)

// OnDeleteRules are the values x-field.on_delete accepts.
var OnDeleteRules = []string{OnDeleteRestrict, OnDeleteClear, OnDeleteCascade}

// DeleteRule is what deleting the record a lookup field points to does to
// the records holding it; restrict unless the field says otherwise.
func (f *Field) DeleteRule() string {
	if f.OnDelete == "" {
		return OnDeleteRestrict
	}
	return f.OnDelete
}

// Column is how a field is stored, in dialect-neutral terms.
func (f *Field) Column() Column { return f.Type.Column(f) }

// ReadOnly reports whether clients may not write the field.
func (f *Field) ReadOnly() bool {
	ro, ok := f.Type.(interface{ ReadOnly() bool })
	return ok && ro.ReadOnly()
}

// Key limits keep derived identifiers ("t_<app>__<module>", index names)
// under PostgreSQL's 63-byte identifier limit.
const (
	MaxAppKey    = 20
	MaxModuleKey = 30
	MaxFieldKey  = 40
)

var keyRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ValidKey reports whether k is a safe metadata key of at most max bytes:
// lower-case ASCII, digits and single underscores, starting with a letter.
// Keys become quoted SQL identifiers, so this is a security boundary.
func ValidKey(k string, max int) bool {
	return len(k) <= max && keyRE.MatchString(k) &&
		!strings.Contains(k, "__") && !strings.HasSuffix(k, "_")
}

// SystemFields are the columns every module table has; they cannot be
// declared as fields.
var SystemFields = []string{"id", "version", "created_at", "updated_at", "created_by", "updated_by", "owner", "deleted_at"}

// reserved adds names that would collide with record JSON or SQL columns.
var reserved = map[string]bool{"owner_id": true, "expand": true, "_expand": true}

// Reserved reports whether key may not be used as a field key.
func Reserved(key string) bool {
	if reserved[key] {
		return true
	}
	for _, s := range SystemFields {
		if s == key {
			return true
		}
	}
	return false
}

// TableName is the module table's name. "__" cannot occur inside keys, so
// the name is unambiguous.
func TableName(app, module string) string { return "t_" + app + "__" + module }
