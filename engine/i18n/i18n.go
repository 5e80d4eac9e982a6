// Package i18n holds Tessera's message catalogs and renders localized text.
//
// Messages travel through the engine as Msg values (a key plus named
// arguments) and are rendered only at the edge (HTTP), where the caller's
// locale is known. Each engine package registers its own catalog entries
// with Register, in a messages.go file beside the code that uses them.
package i18n

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Supported locales. The first is the fallback.
const (
	EN   = "en"
	ZhCN = "zh-CN"
)

// Locales lists the first-class locales, fallback first.
var Locales = []string{EN, ZhCN}

// Msg is a message key with named arguments, rendered later in some locale.
// Text, when set, is the message's own template per locale (a text an
// administrator wrote, such as a rule's notification); Key then only names
// the kind of message.
type Msg struct {
	Key  string
	Args map[string]any
	Text Text
}

// Text is a text given in several locales: locale → text.
type Text map[string]string

// In returns the text in locale, falling back to English, then to any
// non-empty text.
func (t Text) In(locale string) string {
	if s := t[locale]; s != "" {
		return s
	}
	if s := t[EN]; s != "" {
		return s
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if t[k] != "" {
			return t[k]
		}
	}
	return ""
}

// M builds a Msg from a key and alternating name, value pairs.
func M(key string, kv ...any) Msg {
	m := Msg{Key: key}
	if len(kv) > 0 {
		m.Args = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m.Args[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return m
}

var (
	mu       sync.RWMutex
	catalogs = map[string]map[string]string{}
)

// Register adds templates for one key: texts maps locale to a template in
// which {name} is replaced by the argument of that name.
func Register(key string, texts map[string]string) {
	mu.Lock()
	defer mu.Unlock()
	for loc, t := range texts {
		if catalogs[loc] == nil {
			catalogs[loc] = map[string]string{}
		}
		catalogs[loc][key] = t
	}
}

// RegisterAll registers many keys at once: key → {locale → template}.
func RegisterAll(entries map[string]map[string]string) {
	for k, v := range entries {
		Register(k, v)
	}
}

// Has reports whether key has a template in the fallback locale.
func Has(key string) bool {
	mu.RLock()
	defer mu.RUnlock()
	_, ok := catalogs[EN][key]
	return ok
}

// Catalogue returns every registered key with its templates (key → locale
// → template), a copy: tests walk it to check that every message of every
// package has both translations with the same placeholders.
func Catalogue() map[string]map[string]string {
	mu.RLock()
	defer mu.RUnlock()
	out := map[string]map[string]string{}
	for loc, entries := range catalogs {
		for k, t := range entries {
			if out[k] == nil {
				out[k] = map[string]string{}
			}
			out[k][loc] = t
		}
	}
	return out
}

// T renders m in locale, falling back to English, then to the key itself.
// Arguments are rendered in the same locale: a nested Msg, a localized
// value (anything with In(locale) string, such as Text or meta.Label) and
// lists of them. Replacement is one pass, so an argument's own text is
// never scanned for placeholders again.
func T(locale string, m Msg) string { return render(locale, m, 0) }

// maxNesting bounds messages inside messages (a cycle would be a bug).
const maxNesting = 8

func render(locale string, m Msg, depth int) string {
	t, ok := template(locale, m)
	if !ok {
		t = m.Key
	}
	if len(m.Args) == 0 {
		return t
	}
	names := make([]string, 0, len(m.Args))
	for k := range m.Args {
		names = append(names, k)
	}
	sort.Strings(names)
	pairs := make([]string, 0, 2*len(names))
	for _, k := range names {
		pairs = append(pairs, "{"+k+"}", format(locale, m.Args[k], depth))
	}
	return strings.NewReplacer(pairs...).Replace(t)
}

// template is m's text in locale: its own Text when it carries one, else
// the catalogue's, falling back to English.
func template(locale string, m Msg) (string, bool) {
	if len(m.Text) > 0 {
		return m.Text.In(locale), true
	}
	mu.RLock()
	defer mu.RUnlock()
	t, ok := catalogs[locale][m.Key]
	if !ok {
		t, ok = catalogs[EN][m.Key]
	}
	return t, ok
}

// localized is a value that has a text per locale (Text, meta.Label).
type localized interface{ In(locale string) string }

func format(locale string, v any, depth int) string {
	switch x := v.(type) {
	case string:
		return x
	case []string:
		return strings.Join(x, ", ")
	case Msg:
		if depth >= maxNesting {
			return x.Key
		}
		return render(locale, x, depth+1)
	case localized:
		return x.In(locale)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = format(locale, e, depth)
		}
		return strings.Join(parts, ", ")
	case []Text:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = e.In(locale)
		}
		return strings.Join(parts, ", ")
	case nil:
		return ""
	case map[string]string: // a label passed as a plain map
		return Text(x).In(locale)
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	}
	// Never Go's own syntax (map[…], &{…}, [a b]) in front of a user: lists
	// as lists, anything else composite as JSON.
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Slice, reflect.Array:
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = format(locale, rv.Index(i).Interface(), depth)
		}
		return strings.Join(parts, ", ")
	case reflect.Map, reflect.Struct, reflect.Pointer, reflect.Interface:
		if b, err := json.Marshal(v); err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(v)
}

// Negotiate picks the best supported locale for an Accept-Language header
// value ("zh-CN,zh;q=0.9,en;q=0.8"). Any zh variant maps to zh-CN.
func Negotiate(header string) string {
	best, bestQ := EN, -1.0
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		tag, q := part, 1.0
		if i := strings.Index(part, ";"); i >= 0 {
			tag = strings.TrimSpace(part[:i])
			var f float64
			if _, err := fmt.Sscanf(strings.TrimSpace(part[i+1:]), "q=%g", &f); err == nil {
				q = f
			}
		}
		loc := match(tag)
		if loc != "" && q > bestQ {
			best, bestQ = loc, q
		}
	}
	return best
}

func match(tag string) string {
	t := strings.ToLower(tag)
	switch {
	case strings.HasPrefix(t, "zh"):
		return ZhCN
	case strings.HasPrefix(t, "en"):
		return EN
	}
	return ""
}

// Catalog returns the templates of every key starting with prefix, by
// locale then key: what the web app needs to render the same messages as
// the server (runtime/web/src/render/messages.gen.json).
func Catalog(prefix string) map[string]map[string]string {
	mu.RLock()
	defer mu.RUnlock()
	out := map[string]map[string]string{}
	for loc, entries := range catalogs {
		for k, t := range entries {
			if strings.HasPrefix(k, prefix) {
				if out[loc] == nil {
					out[loc] = map[string]string{}
				}
				out[loc][k] = t
			}
		}
	}
	return out
}
