package template

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/Masterminds/semver/v3"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
)

// TesseraVersion is the version of this Tessera, which a package's
// "requires" range must admit.
var TesseraVersion = "0.11.0"

// Limits bound what a package may unpack to (a zip bomb stops at the
// first of them, before anything is written).
var (
	MaxFiles     = 2000     // files in one package
	MaxTotal     = 64 << 20 // bytes of all files, uncompressed
	MaxFileBytes = 16 << 20 // bytes of one file, uncompressed
)

// Manifest is template.json.
type Manifest struct {
	Key         string            `json:"key"`
	Version     string            `json:"version"`
	Name        meta.Label        `json:"name"`
	Description meta.Label        `json:"description"`
	Requires    string            `json:"requires,omitempty"`
	Depends     map[string]string `json:"depends,omitempty"`
}

// Package is a template package read and checked: its manifest, every
// file as read, and the metadata documents by path.
type Package struct {
	Manifest Manifest
	Files    map[string][]byte // path (slash-separated, relative) → bytes
	Docs     []*Doc            // metadata documents, in path order
	Data     map[string]string // module key → path of its sample data
	// Renames are the package's renamedFrom: module → new field → old.
	Renames map[string]map[string]string
}

// Doc is one metadata document of a package.
type Doc struct {
	Kind  *Kind
	Path  string
	Key   string
	Value *Object
}

// Doc returns the document of kind k with key, or nil.
func (p *Package) Doc(k *Kind, key string) *Doc {
	for _, d := range p.Docs {
		if d.Kind == k && d.Key == key {
			return d
		}
	}
	return nil
}

// problems collects a package's errors, each at a file and a JSON pointer.
type problems []errs.FieldError

func (ps *problems) add(file, ptr, code, key string, kv ...any) {
	where := file
	if ptr != "" {
		where += "#" + ptr
	}
	*ps = append(*ps, errs.Field(where, code, key, kv...))
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	e := errs.Fields(ps...)
	e.Msg = i18n.M("template.invalid", "count", len(ps))
	return e
}

// ReadDir reads a package from a directory.
func ReadDir(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	total := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 || !d.Type().IsRegular() {
			return errs.New(errs.Invalid, "template.not_regular", "path", rel)
		}
		if len(files) >= MaxFiles {
			return errs.New(errs.TooLarge, "template.too_many_files", "max", MaxFiles)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > int64(MaxFileBytes) {
			return errs.New(errs.TooLarge, "template.file_too_large", "path", rel, "max", MaxFileBytes>>20)
		}
		if total += int(info.Size()); total > MaxTotal {
			return errs.New(errs.TooLarge, "template.too_large", "max", MaxTotal>>20)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[rel] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// ReadZip reads a package from a zip archive. Entry names must stay inside
// the package (no absolute paths, no "..", no backslashes), and the entries
// are read through limits on their count and on the bytes they really
// unpack to (not what their headers claim), so a zip bomb stops at the
// bound. A package zipped with its folder (one top-level directory holding
// template.json) is read from inside that folder.
func ReadZip(data []byte) (map[string][]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, errs.New(errs.Invalid, "template.not_zip")
	}
	if len(zr.File) > MaxFiles {
		return nil, errs.New(errs.TooLarge, "template.too_many_files", "max", MaxFiles)
	}
	files := map[string][]byte{}
	total := 0
	for _, f := range zr.File {
		name := f.Name
		if !safePath(name) {
			return nil, errs.New(errs.Invalid, "template.unsafe_path", "path", name)
		}
		if strings.HasSuffix(name, "/") {
			continue
		}
		if f.Mode()&fs.ModeSymlink != 0 {
			return nil, errs.New(errs.Invalid, "template.not_regular", "path", name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, errs.New(errs.Invalid, "template.zip_damaged", "path", name)
		}
		left := min(MaxFileBytes, MaxTotal-total)
		b, err := io.ReadAll(io.LimitReader(rc, int64(left)+1))
		rc.Close()
		if err != nil {
			return nil, errs.New(errs.Invalid, "template.zip_damaged", "path", name)
		}
		if len(b) > left {
			if left < MaxFileBytes {
				return nil, errs.New(errs.TooLarge, "template.too_large", "max", MaxTotal>>20)
			}
			return nil, errs.New(errs.TooLarge, "template.file_too_large", "path", name, "max", MaxFileBytes>>20)
		}
		total += len(b)
		files[path.Clean(name)] = b
	}
	if _, ok := files["template.json"]; !ok {
		// One folder holding everything: read from inside it.
		var top string
		for name := range files {
			dir, _, ok := strings.Cut(name, "/")
			if !ok || (top != "" && dir != top) {
				top = ""
				break
			}
			top = dir
		}
		if top != "" {
			inner := map[string][]byte{}
			for name, b := range files {
				inner[strings.TrimPrefix(name, top+"/")] = b
			}
			files = inner
		}
	}
	return files, nil
}

// safePath reports whether a zip entry's name stays inside the package.
func safePath(name string) bool {
	if name == "" || strings.ContainsAny(name, "\\\x00") || strings.HasPrefix(name, "/") ||
		(len(name) > 1 && name[1] == ':') {
		return false
	}
	for _, part := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if part == ".." || part == "." || part == "" {
			return false
		}
	}
	return true
}

// ReadPath reads a package from a directory, or from a .zip file.
func ReadPath(p string) (map[string][]byte, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return ReadDir(p)
	}
	if info.Size() > int64(MaxTotal) {
		return nil, errs.New(errs.TooLarge, "template.too_large", "max", MaxTotal>>20)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return ReadZip(b)
}

// Parse checks a package's files — the manifest, the layout, every
// document's syntax and key, translations, sample data names and the
// references between documents — and returns the package. Every problem
// is reported at once, each with its file and JSON pointer. What only the
// services can check (a schema, an expression) is checked by installing
// (Service.Lint installs into a transaction it rolls back).
func Parse(files map[string][]byte) (*Package, error) {
	p := &Package{Files: files, Data: map[string]string{}, Renames: map[string]map[string]string{}}
	var ps problems
	paths := make([]string, 0, len(files))
	for name := range files {
		paths = append(paths, name)
	}
	sort.Strings(paths)
	raw, ok := files["template.json"]
	if !ok {
		ps.add("template.json", "", "missing", "template.no_manifest")
		return nil, ps.err()
	}
	p.Manifest = checkManifest(raw, &ps)
	var translations []string
	for _, name := range paths {
		b := files[name]
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		ext := path.Ext(base)
		stem := strings.TrimSuffix(base, ext)
		switch {
		case name == "template.json":
			continue
		case dir == "" && (ext == ".md" || ext == ".txt" || base == "LICENSE"):
			if !isText(b) {
				ps.add(name, "", "not_text", "template.not_text", "path", name)
			}
			continue
		case dir == "data" && (ext == ".csv" || ext == ".xlsx"):
			if ext == ".csv" && !isText(b) {
				ps.add(name, "", "not_text", "template.not_text", "path", name)
			}
			if prev, dup := p.Data[stem]; dup {
				ps.add(name, "", "duplicate", "template.duplicate", "path", name, "other", prev)
			}
			p.Data[stem] = name
			continue
		case dir == "demo" && ext == ".json":
			// The demo-data spec (engine/demo), read by tessera gen, not
			// installed: the generator checks it against the app.
			if !isText(b) {
				ps.add(name, "", "not_text", "template.not_text", "path", name)
			}
			continue
		case dir == "translations" && ext == ".json":
			translations = append(translations, name)
			continue
		}
		k := kindOfDir(dir)
		if k == nil || (ext != ".json" && ext != ".yaml" && ext != ".yml") {
			ps.add(name, "", "unknown_file", "template.unknown_file", "path", name)
			continue
		}
		if !isText(b) {
			ps.add(name, "", "not_text", "template.not_text", "path", name)
			continue
		}
		v, err := parseDoc(ext, b)
		if err != nil {
			ps.add(name, "", "syntax", "template.bad_syntax", "path", name, "error", err.Error())
			continue
		}
		o, ok := v.(*Object)
		if !ok {
			ps.add(name, "", "not_object", "template.not_object", "path", name)
			continue
		}
		if key, ok := o.Get("key"); ok && key != stem {
			ps.add(name, "/key", "key_mismatch", "template.key_mismatch", "key", fmt.Sprint(key), "name", stem)
			continue
		}
		if !meta.ValidKey(stem, 64) {
			ps.add(name, "", "bad_key", "template.bad_item_key", "name", stem)
			continue
		}
		if d := p.Doc(k, stem); d != nil {
			ps.add(name, "", "duplicate", "template.duplicate", "path", name, "other", d.Path)
			continue
		}
		o.Delete("key")
		p.Docs = append(p.Docs, &Doc{Kind: k, Path: name, Key: stem, Value: o})
	}
	for _, name := range translations {
		p.translate(name, files[name], &ps)
	}
	p.checkRefs(&ps)
	for module, file := range p.Data {
		if p.Doc(Modules, module) == nil {
			ps.add(file, "", "dangling", "template.data_module", "module", module)
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return p, nil
}

func parseDoc(ext string, b []byte) (any, error) {
	if ext == ".json" {
		return ParseJSON(b)
	}
	return ParseYAML(b)
}

// isText: UTF-8 without NUL bytes.
func isText(b []byte) bool { return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 }

func checkManifest(raw []byte, ps *problems) Manifest {
	const file = "template.json"
	var m Manifest
	v, err := ParseJSON(raw)
	if err != nil {
		ps.add(file, "", "syntax", "template.bad_syntax", "path", file, "error", err.Error())
		return m
	}
	o, ok := v.(*Object)
	if !ok {
		ps.add(file, "", "not_object", "template.not_object", "path", file)
		return m
	}
	for _, k := range o.Keys {
		switch k {
		case "key", "version", "name", "description", "requires", "depends":
		default:
			ps.add(file, pointer(k), "unknown", "template.unknown_key", "key", k)
		}
	}
	if err := strictUnmarshal(Compact(o), &m); err != nil {
		ps.add(file, "", "syntax", "template.bad_syntax", "path", file, "error", err.Error())
		return m
	}
	if !validTemplateKey(m.Key) {
		ps.add(file, "/key", "bad_key", "template.bad_key", "key", m.Key)
	}
	if _, err := semver.StrictNewVersion(m.Version); err != nil {
		ps.add(file, "/version", "bad_version", "template.bad_version", "version", m.Version)
	}
	for _, l := range []struct {
		ptr string
		l   meta.Label
	}{{"/name", m.Name}, {"/description", m.Description}} {
		if l.l[i18n.ZhCN] == "" || l.l[i18n.EN] == "" {
			ps.add(file, l.ptr, "label", "template.label_locales", "what", strings.TrimPrefix(l.ptr, "/"))
		}
	}
	if m.Requires != "" {
		c, err := semver.NewConstraint(m.Requires)
		if err != nil {
			ps.add(file, "/requires", "bad_range", "template.bad_range", "range", m.Requires)
		} else if !c.Check(semver.MustParse(TesseraVersion)) {
			ps.add(file, "/requires", "requires", "template.requires_unmet", "range", m.Requires, "running", TesseraVersion)
		}
	}
	for dep, r := range m.Depends {
		if !validTemplateKey(dep) {
			ps.add(file, pointer("depends", dep), "bad_key", "template.bad_key", "key", dep)
		}
		if _, err := semver.NewConstraint(r); err != nil {
			ps.add(file, pointer("depends", dep), "bad_range", "template.bad_range", "range", r)
		}
	}
	return m
}

// validTemplateKey: lowercase letters, digits and hyphens, from a letter.
func validTemplateKey(k string) bool {
	if k == "" || len(k) > 64 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for _, c := range k {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// AppKey is the app key a template installs into by default: its key with
// hyphens as underscores.
func AppKey(template string) string { return strings.ReplaceAll(template, "-", "_") }

// translate applies translations/<locale>.json: {"<file>": {"<pointer>":
// "text"}}, each pointer naming a label (an object of locale → text) in
// that file, which gets the text for the locale. A language can be added
// to a package this way without touching its documents.
func (p *Package) translate(name string, b []byte, ps *problems) {
	locale := strings.TrimSuffix(path.Base(name), ".json")
	v, err := ParseJSON(b)
	o, ok := v.(*Object)
	if err != nil || !ok {
		ps.add(name, "", "syntax", "template.bad_syntax", "path", name, "error", fmt.Sprint(err))
		return
	}
	for _, file := range o.Keys {
		var target *Doc
		for _, d := range p.Docs {
			if d.Path == file {
				target = d
			}
		}
		texts, ok := o.Vals[file].(*Object)
		if target == nil || !ok {
			ps.add(name, pointer(file), "dangling", "template.translation_file", "file", file)
			continue
		}
		for _, ptr := range texts.Keys {
			text, ok := texts.Vals[ptr].(string)
			label, found := resolve(target.Value, ptr).(*Object)
			if !ok || !found || !isLabel(label) {
				ps.add(name, pointer(file, ptr), "not_label", "template.translation_target", "file", file, "pointer", ptr)
				continue
			}
			label.Set(locale, text)
		}
	}
}

// isLabel: an object of locale → text.
func isLabel(o *Object) bool {
	for _, v := range o.Vals {
		if _, ok := v.(string); !ok {
			return false
		}
	}
	return true
}

// resolve returns what pointer names in v (nil when nothing).
func resolve(v any, ptr string) any {
	if ptr == "" {
		return v
	}
	for _, tok := range meta.PointerTokens(ptr) {
		switch c := v.(type) {
		case *Object:
			v = c.Vals[tok]
		case []any:
			i := -1
			fmt.Sscan(tok, &i)
			if i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// checkRefs refuses documents naming a module the package does not have
// (a rule, a pipeline, a lookup field, a role's permission): installed,
// they would name a module of nobody's making.
func (p *Package) checkRefs(ps *problems) {
	for _, d := range p.Docs {
		walkModules(d.Value, "", func(ptr, module string) {
			if module != "*" && p.Doc(Modules, module) == nil {
				ps.add(d.Path, ptr, "dangling", "template.dangling", "module", module)
			}
		})
	}
}

// walkModules calls fn for every "module" key holding a string, anywhere
// in v (lookup targets, rules, widgets' queries, permissions).
func walkModules(v any, at string, fn func(ptr, module string)) {
	switch c := v.(type) {
	case *Object:
		for _, k := range c.Keys {
			if s, ok := c.Vals[k].(string); ok && k == "module" {
				fn(at+pointer(k), s)
				continue
			}
			walkModules(c.Vals[k], at+pointer(k), fn)
		}
	case []any:
		for i, e := range c {
			walkModules(e, at+pointer(fmt.Sprint(i)), fn)
		}
	}
}
