// Package i18n holds Tessera's message catalogs and renders localized text.
//
// Messages travel through the engine as Msg values (a key plus named
// arguments) and are rendered only at the edge (HTTP), where the caller's
// locale is known. Each engine package registers its own catalog entries
// with Register, in a messages.go file beside the code that uses them.
package i18n

import (
	"fmt"
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
type Msg struct {
	Key  string
	Args map[string]any
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

// T renders m in locale, falling back to English, then to the key itself.
func T(locale string, m Msg) string {
	mu.RLock()
	t, ok := catalogs[locale][m.Key]
	if !ok {
		t, ok = catalogs[EN][m.Key]
	}
	mu.RUnlock()
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
		pairs = append(pairs, "{"+k+"}", format(m.Args[k]))
	}
	return strings.NewReplacer(pairs...).Replace(t)
}

func format(v any) string {
	switch x := v.(type) {
	case []string:
		return strings.Join(x, ", ")
	case Msg:
		return T(EN, x)
	default:
		return fmt.Sprint(v)
	}
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
