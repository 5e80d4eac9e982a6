package meta

import (
	"fmt"
	"sort"
)

// ColumnKind is a dialect-neutral storage kind. The store maps each kind
// to a column type per dialect and converts values to and from it.
type ColumnKind int

const (
	ColText    ColumnKind = iota // TEXT
	ColInteger                   // 64-bit integer
	ColFloat                     // double precision
	ColDecimal                   // NUMERIC(precision, scale)
	ColBool                      // boolean
	ColDate                      // calendar date
	ColTime                      // instant (UTC)
	ColJSON                      // JSON document (multiselect, json)
	ColRef                       // id of a record (lookup) or user
)

func (k ColumnKind) String() string {
	return [...]string{"text", "integer", "float", "decimal", "bool", "date", "time", "json", "ref"}[k]
}

// Column is a field's storage description.
type Column struct {
	Kind      ColumnKind
	Precision int
	Scale     int
	// RefTable is the referenced table for ColRef: a module table name, or
	// "users" for user fields. Filled by the store for lookups.
	RefModule string // lookup target module key; "" with RefUsers for user fields
	RefUsers  bool
}

// FieldType is one kind of field. Each lives in its own field_*.go file and
// registers itself in init.
type FieldType interface {
	// Name is the x-field.type value.
	Name() string
	// JSONType is the JSON Schema "type" every value must have ("" = any).
	JSONType() string
	// Column describes storage for a field of this type.
	Column(f *Field) Column
}

// Optional behaviour of field types.
type (
	// formatter supplies the default JSON Schema "format".
	formatter interface{ Format() string }
	// checker validates type-specific x-field settings.
	checker interface{ Check(f *Field) []Problem }
	// normalizer rewrites the property schema (e.g. enum from options).
	normalizer interface {
		Normalize(f *Field, prop map[string]any)
	}
)

var registry = map[string]FieldType{}

// Register adds a field type; it panics on a duplicate name (a programming error).
func Register(t FieldType) {
	if _, dup := registry[t.Name()]; dup {
		panic(fmt.Sprintf("meta: field type %q registered twice", t.Name()))
	}
	registry[t.Name()] = t
}

// LookupType returns the registered field type with name.
func LookupType(name string) (FieldType, bool) {
	t, ok := registry[name]
	return t, ok
}

// TypeNames lists registered field type names, sorted.
func TypeNames() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// simpleType covers types that differ only in name, JSON type, column kind,
// default format and whether they hold free text.
type simpleType struct {
	name     string
	jsonType string
	kind     ColumnKind
	format   string
	text     bool
}

func (t simpleType) Name() string         { return t.name }
func (t simpleType) JSONType() string     { return t.jsonType }
func (t simpleType) Column(*Field) Column { return Column{Kind: t.kind} }
func (t simpleType) Format() string       { return t.format }
func (t simpleType) FreeText() bool       { return t.text }
