// Package form validates record input against a module's schema: it turns
// a decoded JSON object into the field values to store, or into a 422 with
// one localized FieldError per problem. Validation is the module's JSON
// Schema (compiled once per module version) plus what JSON Schema cannot
// say: unknown and read-only fields, decimal scale and precision, int64
// range, and limits that keep untrusted numbers and strings safe to handle
// and store.
package form

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
)

// Validator validates record input for one version of one module. It is
// compiled once per module version and is safe for concurrent use.
type Validator struct {
	moduleID string
	version  int
	schema   *jsonschema.Schema
	fields   []*fieldInfo
	byKey    map[string]*fieldInfo
}

type fieldInfo struct {
	*meta.Field
	index    int
	col      meta.Column
	readOnly bool
	freeText bool // required means not blank
	trim     bool // input is trimmed of surrounding white space
}

// input is a value as the field takes it: free text trimmed unless the
// field opts out, a region's name read as its code.
func (fi *fieldInfo) input(v any) any {
	if s, ok := v.(string); ok && fi.trim {
		return strings.TrimSpace(s)
	}
	if n, ok := fi.Type.(meta.ValueNormalizer); ok {
		return n.NormalizeValue(fi.Field, v)
	}
	return v
}

// blank reports whether v leaves a required field unfilled: absent, or
// only white space in a free-text field.
func (fi *fieldInfo) blank(v any, present bool) bool {
	if !present {
		return true
	}
	s, ok := v.(string)
	return ok && fi.freeText && strings.TrimSpace(s) == ""
}

// Compile builds a validator for m without caching it (For caches).
// Fields come from m.Fields, or from parsing m.Schema when m.Fields is empty.
func Compile(m *meta.Module) (*Validator, error) {
	if m == nil {
		return nil, errs.New(errs.Internal, "form.compile_failed")
	}
	fields := m.Fields
	if len(fields) == 0 && len(m.Schema) > 0 {
		p, err := meta.ParseSchema(m.Schema)
		if err != nil {
			return nil, errs.Wrap(err, errs.Internal, "form.compile_failed")
		}
		fields = p.Fields
	}
	sch, err := meta.CompileSchema(m.Schema)
	if err != nil {
		return nil, errs.Wrap(fmt.Errorf("module %s v%d: %w", m.ID, m.Version, err), errs.Internal, "form.compile_failed")
	}
	v := &Validator{
		moduleID: m.ID,
		version:  m.Version,
		schema:   sch,
		byKey:    make(map[string]*fieldInfo, len(fields)),
	}
	for i, f := range fields {
		if f == nil || f.Type == nil {
			continue
		}
		fi := &fieldInfo{Field: f, index: i, col: f.Column(), readOnly: f.ReadOnly(), freeText: f.FreeText(), trim: f.Trims()}
		v.fields = append(v.fields, fi)
		v.byKey[f.Key] = fi
	}
	return v, nil
}

// maxCached bounds the cache across modules; each module holds at most one
// entry (its newest compiled version).
const maxCached = 10000

var cache = struct {
	sync.Mutex
	byModule map[string]*Validator
}{byModule: map[string]*Validator{}}

// For returns the cached validator for m, compiling it on first use. The
// cache keeps one validator per module ID, the newest version seen: a newer
// version replaces the older one; asking for an older version than the
// cached one compiles a validator that is not cached. Modules without an ID
// (not yet saved) are never cached.
func For(m *meta.Module) (*Validator, error) {
	if m == nil {
		return nil, errs.New(errs.Internal, "form.compile_failed")
	}
	if m.ID == "" {
		return Compile(m)
	}
	cache.Lock()
	cur := cache.byModule[m.ID]
	cache.Unlock()
	if cur != nil && cur.version == m.Version {
		return cur, nil
	}
	v, err := Compile(m)
	if err != nil {
		return nil, err
	}
	cache.Lock()
	defer cache.Unlock()
	cur = cache.byModule[m.ID]
	switch {
	case cur != nil && cur.version == m.Version:
		return cur, nil // compiled concurrently: share one
	case cur != nil && cur.version > m.Version:
		return v, nil // an old version: do not evict the newer one
	}
	if cur == nil && len(cache.byModule) >= maxCached {
		for id := range cache.byModule { // evict an arbitrary entry
			delete(cache.byModule, id)
			break
		}
	}
	cache.byModule[m.ID] = v
	return v, nil
}

// Forget drops the cached validator of a module (when it is deleted).
func Forget(moduleID string) {
	cache.Lock()
	delete(cache.byModule, moduleID)
	cache.Unlock()
}

// ignored reports whether an input key is a system key the validator
// skips: the caller handles version and owner, and clients may send back a
// whole record they read.
func ignored(key string) bool { return meta.Reserved(key) }

// Create validates the input of a new record (a JSON object decoded with
// json.Decoder.UseNumber). It returns the values to store, field key →
// value, holding only declared, writable fields that have a value, with
// x-field defaults applied to absent ones. Otherwise the error is an
// *errs.Error (errs.Unprocessable) with one FieldError per bad field.
func (v *Validator) Create(input map[string]any) (out map[string]any, err error) {
	defer recoverInto(&out, &err)
	c := newCollector(v)
	doc := make(map[string]any, len(v.fields))
	for key, val := range input {
		if ignored(key) {
			continue
		}
		fi := v.byKey[key]
		switch {
		case fi == nil:
			c.unknown(key)
		case val == nil: // null = empty = absent
		case fi.readOnly:
			c.add(fi.Key, "read_only", "form.read_only")
		default:
			doc[key] = fi.input(val)
		}
	}
	for _, fi := range v.fields {
		if fi.readOnly || fi.Default == nil {
			continue
		}
		if _, ok := doc[fi.Key]; !ok {
			doc[fi.Key] = cloneJSON(fi.Default)
		}
	}
	v.validate(doc, c)
	if e := c.err(); e != nil {
		return nil, e
	}
	return doc, nil
}

// Update validates a partial update: patch is applied over existing (the
// stored values, field key → value), the merged record is validated as a
// whole, and the fields whose value the patch changes are returned (nil
// for a field the patch clears). Patch values equal to the stored ones are
// left out, so clients may send back a whole record they read.
func (v *Validator) Update(existing, patch map[string]any) (out map[string]any, err error) {
	defer recoverInto(&out, &err)
	c := newCollector(v)
	merged := make(map[string]any, len(v.fields))
	old := make(map[string]any, len(v.fields))
	for _, fi := range v.fields {
		if val := normalizeStored(fi.Field, existing[fi.Key]); val != nil {
			old[fi.Key] = val
			if !fi.readOnly {
				merged[fi.Key] = val
			}
		}
	}
	changed := map[string]any{}
	for key, val := range patch {
		if ignored(key) {
			continue
		}
		fi := v.byKey[key]
		switch {
		case fi == nil:
			c.unknown(key)
		case fi.readOnly:
			if !equalValue(fi.Field, val, old[key]) {
				c.add(key, "read_only", "form.read_only")
			}
		case val == nil:
			delete(merged, key)
			if fi.Required {
				c.add(key, "required", "form.required")
			}
			if old[key] != nil {
				changed[key] = nil
			}
		default:
			val = fi.input(val)
			merged[key] = val
			if !equalValue(fi.Field, val, old[key]) {
				changed[key] = val
			}
		}
	}
	v.validate(merged, c)
	if e := c.err(); e != nil {
		return nil, e
	}
	for key, val := range changed {
		if val != nil {
			changed[key] = merged[key] // canonical form (integers)
		}
	}
	return changed, nil
}

// validate checks doc (declared, writable fields with non-null values) and
// records problems in c. It rewrites integer values to canonical form and
// removes values that failed the safety checks.
func (v *Validator) validate(doc map[string]any, c *collector) {
	// Safety first: values the schema library cannot handle never reach it.
	for key, val := range doc {
		if code := checkValue(val, 0); code != "" {
			delete(doc, key)
			switch code {
			case "out_of_range":
				c.add(key, code, "form.number_too_large")
			case "too_deep":
				c.add(key, code, "form.too_deep", "max", maxDepth)
			case "invalid_char":
				c.add(key, code, "form.invalid_char")
			default:
				c.add(key, code, "form.invalid")
			}
		}
	}
	// Required is computed here, not parsed from library messages;
	// read-only fields are filled by the server. For a business form
	// required means not blank, so white space does not fill free text.
	for _, fi := range v.fields {
		if fi.Required && !fi.readOnly {
			if val, ok := doc[fi.Key]; fi.blank(val, ok) {
				c.add(fi.Key, "required", "form.required")
			}
		}
	}
	if err := v.schema.Validate(doc); err != nil {
		ve, ok := err.(*jsonschema.ValidationError)
		if !ok {
			c.fail(err)
			return
		}
		for _, leaf := range sortedLeaves(ve) {
			v.leafError(c, doc, leaf)
		}
	}
	// What JSON Schema cannot say about a type's values (a region code
	// must be a known division).
	for key, val := range doc {
		fi := v.byKey[key]
		if fi == nil || c.has(key) {
			continue
		}
		if vc, ok := fi.Type.(meta.ValueChecker); ok {
			if msg, args := vc.CheckValue(fi.Field, val); msg != "" {
				c.add(key, "invalid", msg, args...)
			}
		}
	}
	// What JSON Schema cannot say about numbers.
	for key, val := range doc {
		fi := v.byKey[key]
		if fi == nil || c.has(key) || !isNumber(val) {
			continue
		}
		lit, _ := numberLiteral(val)
		n, err := parseNumber(lit)
		if err != nil {
			continue // reported by checkValue
		}
		switch fi.col.Kind {
		case meta.ColInteger:
			i, ok := n.int64()
			switch {
			case !n.isInt():
				c.add(key, "type", "form.type.integer")
			case !ok:
				c.add(key, "out_of_range", "form.out_of_range", "min", strconv.FormatInt(-1<<63, 10), "max", strconv.FormatInt(1<<63-1, 10))
			default:
				doc[key] = jsonNumber(i)
			}
		case meta.ColDecimal:
			p, s := fi.col.Precision, fi.col.Scale
			switch {
			case n.fracDigits() > s:
				c.add(key, "scale", "form.scale", "scale", s, "precision", p)
			case n.intDigits() > p-s:
				c.add(key, "precision", "form.precision", "digits", p-s, "precision", p, "scale", s)
			}
		case meta.ColFloat:
			if f, _ := strconv.ParseFloat(lit, 64); math.IsInf(f, 0) {
				c.add(key, "out_of_range", "form.number_too_large") // beyond float64
			}
		}
	}
}

// recoverInto turns a panic into an internal error: input is untrusted, and
// a bug here must cost one request, not the process.
func recoverInto(out *map[string]any, err *error) {
	if r := recover(); r != nil {
		*out = nil
		*err = errs.Wrap(fmt.Errorf("form: panic: %v\n%s", r, debug.Stack()), errs.Internal, "errs.internal")
	}
}

func jsonNumber(i int64) json.Number { return json.Number(strconv.FormatInt(i, 10)) }
