package main

// Issue 7 item 15: messages speak the user's language, not Go's. The binary
// imports every package that registers messages, so here the catalogue is
// complete; these tests walk every entry in both languages and every place
// in the source that names a message, so a new message cannot land with a
// missing translation, a placeholder one language lacks, Go syntax in its
// text, or a call that leaves a placeholder unfilled.

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/tessera-app/tessera/engine/i18n"
)

var placeholderRE = regexp.MustCompile(`\{[A-Za-z][A-Za-z0-9_]*\}`)

// placeholders are the distinct {name}s of a template, sorted.
func placeholders(t string) []string {
	var out []string
	for _, p := range placeholderRE.FindAllString(t, -1) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// codeOnly are the entries whose Chinese text is rightly without Chinese
// characters: a code or abbreviation read the same in both languages.
var codeOnly = map[string]bool{
	"export.column.id": true, // "ID"
	"record.sys.id":    true, // "ID"
}

// goisms are fragments of Go's own formatting that must never reach a
// user: a %v of a map or a nil, a format verb left in a template, a Go
// package or type name.
var goisms = []string{"map[", "interface {}", "interface{}", "%!", "<nil>", "%v", "%s", "%d", "%q", "%w", "meta.", "errs.", "i18n.", "*errors.", "&{"}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func TestMessageCatalogueSpeaksBothLanguages(t *testing.T) {
	cat := i18n.Catalogue()
	if len(cat) < 500 {
		t.Fatalf("only %d messages registered: the binary no longer imports every package", len(cat))
	}
	keys := make([]string, 0, len(cat))
	for k := range cat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		texts := cat[k]
		for loc := range texts {
			if !slices.Contains(i18n.Locales, loc) {
				t.Errorf("%s: text for unsupported locale %q", k, loc)
			}
		}
		en, zh := texts[i18n.EN], texts[i18n.ZhCN]
		if strings.TrimSpace(en) == "" {
			t.Errorf("%s: no English text", k)
		}
		if strings.TrimSpace(zh) == "" {
			t.Errorf("%s: no Chinese text", k)
			continue
		}
		if pe, pz := placeholders(en), placeholders(zh); !slices.Equal(pe, pz) {
			t.Errorf("%s: placeholders differ: en %v, zh-CN %v", k, pe, pz)
		}
		if !hasHan(zh) && !codeOnly[k] {
			t.Errorf("%s: the Chinese text has no Chinese in it: %q", k, zh)
		}
		if hasHan(zh) && codeOnly[k] {
			t.Errorf("%s: listed as code-only, but its Chinese text is Chinese: %q", k, zh)
		}
		for _, loc := range i18n.Locales {
			text := texts[loc]
			for _, g := range goisms {
				if strings.Contains(text, g) {
					t.Errorf("%s (%s): %q contains Go's %q", k, loc, text, g)
				}
			}
			if strings.TrimSpace(text) != text {
				t.Errorf("%s (%s): surrounding white space in %q", k, loc, text)
			}
			// Rendered with a value for each of its placeholders, nothing of
			// the template's syntax is left.
			args := map[string]any{}
			for _, p := range placeholders(text) {
				args[p[1:len(p)-1]] = "«" + p[1:len(p)-1] + "»"
			}
			out := i18n.T(loc, i18n.Msg{Key: k, Args: args})
			if left := placeholderRE.FindString(out); left != "" {
				t.Errorf("%s (%s): %s left unfilled in %q", k, loc, left, out)
			}
			for name, v := range args {
				if !strings.Contains(out, v.(string)) {
					t.Errorf("%s (%s): argument %s not shown in %q", k, loc, name, out)
				}
			}
			if strings.Count(text, "{") != strings.Count(text, "}") {
				t.Errorf("%s (%s): unbalanced braces in %q", k, loc, text)
			}
		}
	}
}

// messageCall is where a constructor takes its message key and its
// alternating name, value arguments: the argument index of the key.
var messageCall = map[string]int{
	"i18n.M":          0,
	"errs.New":        1,
	"errs.Wrap":       2,
	"errs.Field":      2,
	"httpx.AdminOnly": 0,
}

// implicitArgs are the arguments a type's messages always get besides its
// Args, by the type of a composite literal with Key: and Args: fields.
var implicitArgs = map[string][]string{
	"Problem": {"field", "path"}, // engine/meta Problem.fieldError
}

type sourceMessage struct {
	pos   string
	key   string
	names []string // nil: not known (a spread or computed name)
}

// sourceMessages finds every literal message key the code passes to a
// message constructor (and every Key: "…" of a composite literal), with
// the argument names it passes when they are all literal.
func sourceMessages(t *testing.T, root string, cat map[string]map[string]string) (calls []sourceMessage, registered map[string]string) {
	t.Helper()
	registered = map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "node_modules" || name == "testdata" || (strings.HasPrefix(name, ".") && path != root) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		elided := map[ast.Node]string{} // []T{{…}}: the element literals' type T
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.CompositeLit); ok {
				if at, ok := lit.Type.(*ast.ArrayType); ok {
					for _, el := range lit.Elts {
						elided[el] = typeName(at.Elt)
					}
				}
			}
			switch x := n.(type) {
			case *ast.CallExpr:
				name := callName(x.Fun)
				if name == "i18n.RegisterAll" && len(x.Args) == 1 {
					if lit, ok := x.Args[0].(*ast.CompositeLit); ok {
						for _, el := range lit.Elts {
							if kv, ok := el.(*ast.KeyValueExpr); ok {
								if k, ok := stringLit(kv.Key); ok {
									registered[k] = rel + ":" + strconv.Itoa(fset.Position(kv.Pos()).Line)
								}
							}
						}
					}
				}
				if name == "i18n.Register" && len(x.Args) == 2 {
					if k, ok := stringLit(x.Args[0]); ok {
						registered[k] = rel
					}
				}
				at, known := messageCall[name]
				for i, a := range x.Args {
					key, ok := stringLit(a)
					if !ok {
						continue
					}
					if known && i != at {
						continue
					}
					if _, isMsg := cat[key]; !isMsg && !known {
						continue
					}
					sm := sourceMessage{pos: rel + ":" + strconv.Itoa(fset.Position(a.Pos()).Line), key: key}
					if known {
						// A helper of its own package may add arguments: only
						// the constructors' arguments are known.
						sm.names = literalNames(x.Args[i+1:], x.Ellipsis != token.NoPos)
					}
					calls = append(calls, sm)
					break
				}
			case *ast.CompositeLit:
				var key string
				var args ast.Expr
				for _, el := range x.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					id, ok := kv.Key.(*ast.Ident)
					if !ok {
						continue
					}
					switch id.Name {
					case "Key":
						key, _ = stringLit(kv.Value)
					case "Args":
						args = kv.Value
					}
				}
				if _, ok := cat[key]; key == "" || !ok {
					return true
				}
				sm := sourceMessage{pos: rel + ":" + strconv.Itoa(fset.Position(x.Pos()).Line), key: key}
				switch a := args.(type) {
				case nil:
					sm.names = []string{}
				case *ast.CompositeLit:
					if _, isMap := a.Type.(*ast.MapType); !isMap {
						sm.names = literalNames(a.Elts, false)
					}
				}
				if sm.names != nil {
					typ := typeName(x.Type)
					if x.Type == nil {
						typ = elided[x]
					}
					sm.names = append(sm.names, implicitArgs[typ]...)
				}
				calls = append(calls, sm)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return calls, registered
}

// literalNames are the names of alternating name, value arguments when
// every name is a string literal; nil when any is not (or when they end in
// a spread).
func literalNames(kv []ast.Expr, spread bool) []string {
	if spread || len(kv)%2 != 0 {
		return nil
	}
	names := []string{}
	for i := 0; i < len(kv); i += 2 {
		s, ok := stringLit(kv[i])
		if !ok {
			return nil
		}
		names = append(names, s)
	}
	return names
}

func callName(e ast.Expr) string {
	switch f := e.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		if id, ok := f.X.(*ast.Ident); ok {
			return id.Name + "." + f.Sel.Name
		}
		return f.Sel.Name
	}
	return ""
}

func typeName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return callName(x)
	}
	return ""
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

var keyShape = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)+$`)

// TestMessagesInTheSourceAreComplete checks every message the code names
// with a literal key: the key is registered (else users see the key), and
// when the code passes literal argument names, every placeholder of the
// template in both languages gets one. It also checks that every key a
// package registers is in the binary's catalogue.
func TestMessagesInTheSourceAreComplete(t *testing.T) {
	cat := i18n.Catalogue()
	calls, registered := sourceMessages(t, filepath.Join("..", ".."), cat)
	if len(calls) < 500 {
		t.Fatalf("found only %d message uses in the source: the scan is broken", len(calls))
	}
	for k, where := range registered {
		if _, ok := cat[k]; !ok {
			t.Errorf("%s registers %s, which is not in the binary's catalogue: is its package imported?", where, k)
		}
	}
	checked := 0
	for _, c := range calls {
		texts, ok := cat[c.key]
		if !ok {
			if keyShape.MatchString(c.key) {
				t.Errorf("%s: message %q is not registered", c.pos, c.key)
			}
			continue
		}
		if c.names == nil {
			continue
		}
		checked++
		for _, loc := range i18n.Locales {
			for _, p := range placeholders(texts[loc]) {
				if !slices.Contains(c.names, p[1:len(p)-1]) {
					t.Errorf("%s: %s (%s) needs %s, which this call does not pass (it passes %v)", c.pos, c.key, loc, p, c.names)
				}
			}
		}
	}
	if checked < 300 {
		t.Errorf("only %d message uses had their arguments checked", checked)
	}
}
