package openapi

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
)

// Component names of a module's schemas. Keys are [a-z0-9_] and cannot
// hold "." or upper case, so these never collide with each other or with
// the fixed components (which start with an upper-case letter).
func recordName(app, mod string) string  { return app + "." + mod }
func inputName(app, mod string) string   { return app + "." + mod + ".input" }
func patchName(app, mod string) string   { return app + "." + mod + ".patch" }
func pageName(app, mod string) string    { return app + "." + mod + ".page" }
func historyName(app, mod string) string { return app + "." + mod + ".history" }

// RecordsPath is the concrete collection path of a module's records.
func RecordsPath(app, mod string) string {
	return "/api/apps/" + app + "/modules/" + mod + "/records"
}

// systemKeys are the keys every record has, in output order.
var systemKeys = []string{"id", "version", "created_at", "updated_at", "created_by", "updated_by", "owner"}

// addModule adds a module's record endpoints and schemas as v shows them:
// fields hidden from the caller appear nowhere, fields they may only read
// are read-only. known holds the module keys of the same app that are in
// the document (lookup targets with a schema).
func (d *doc) addModule(a *meta.App, m *meta.Module, known map[string]bool, v ModuleView) error {
	all := m.Fields
	if len(all) == 0 && len(m.Schema) > 0 {
		p, err := meta.ParseSchema(m.Schema)
		if err != nil {
			return err
		}
		all = p.Fields
	}
	em := m // the module the expressions are read against
	if len(m.Fields) == 0 {
		em = &meta.Module{Fields: all}
	}
	fields := make([]*meta.Field, 0, len(all))
	for _, f := range all {
		if v.hidden(f.Key) {
			continue
		}
		if f.DefaultExpr != "" && v.Hidden != nil && em.ExprHidden(f.DefaultExpr, v.Hidden) {
			// The default expression reads what the caller may not see: its
			// text would describe it.
			g := *f
			g.Schema = copyObj(f.Schema)
			if xf, ok := g.Schema["x-field"].(map[string]any); ok {
				delete(xf, "default")
			}
			f = &g
		}
		fields = append(fields, f)
	}
	// ro: the server fills the field (autonumber), or the caller may only
	// read it.
	ro := func(f *meta.Field) bool { return f.ReadOnly() || v.readOnly(f.Key) }
	var top struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	}
	if len(m.Schema) > 0 {
		_ = json.Unmarshal(m.Schema, &top) // title and description are optional
	}
	app, mod := a.Key, m.Key
	// The module's label names it; the schema's own title and description
	// document it further.
	title, zh := labelTitle(m.Label), ""
	if title == "" {
		title = mod
	}
	if z := m.Label[i18n.ZhCN]; z != title {
		zh = z
	}
	// Descriptions are Markdown: the user's texts in them are escaped
	// (markdown.go); titles and summaries are plain text.
	var more string
	if top.Title != "" && top.Title != title {
		more = mdText(top.Title)
	}
	more = joinText(more, mdText(top.Description))
	desc := joinText(mdText(zh), more)

	d.schemas[recordName(app, mod)] = recordSchema(app, mod, title, desc, fields, known, ro)
	d.schemas[inputName(app, mod)] = inputSchema(title, desc, fields, ro)
	d.schemas[patchName(app, mod)] = patchSchema(title, fields, ro)
	d.schemas[pageName(app, mod)] = obj{
		"type":     "object",
		"title":    title + " — page",
		"required": []any{"records"},
		"properties": obj{
			"records":        arrayOf(ref(recordName(app, mod))),
			"next_cursor":    str("Pass as ?cursor= to get the next page; absent on the last page."),
			"total":          totalProp,
			"total_exact":    totalExactProp,
			"total_estimate": totalEstimateProp,
		},
		"examples": []any{obj{
			"records":     []any{recordExample(fields)},
			"next_cursor": "eyJzIjoiLWNyZWF0ZWRfYXQiLCJ2IjpbXX0",
			"total":       json.Number("137"),
		}},
	}
	d.schemas[historyName(app, mod)] = obj{
		"type":     "object",
		"title":    title + " — history",
		"required": []any{"entries"},
		"properties": obj{
			"entries":     arrayOf(ref("HistoryEntry")),
			"next_cursor": str("Pass as ?cursor= to get the next page; absent on the last page."),
		},
		"examples": []any{historyExample(fields, ro)},
	}

	tag := recordName(app, mod)
	caption := mdText(title)
	if zh != "" {
		caption += " · " + mdText(zh)
	}
	appName := labelTitle(a.Label)
	if appName == "" {
		appName = app
	}
	caption += ": records of module \"" + mod + "\" in app \"" + mdText(appName) + "\"."
	d.tags = append(d.tags, obj{"name": tag, "description": joinText(caption, more)})

	expand := expandParam(fields)
	id := tag + ".records."
	base := RecordsPath(app, mod)
	readErrs := []int{400, 401, 403, 404}
	writeErrs := []int{400, 401, 403, 404, 409, 413, 422}

	d.paths[base] = obj{
		"get": obj{
			"tags": []any{tag}, "operationId": id + "list",
			"summary": title + ": list records",
			"description": "Live (not deleted) records, a page at a time. Filtering and sorting run in the " +
				"database; the cursor is keyset-based, so deep pages cost the same as the first.",
			"parameters": []any{paramRef("Filter"), paramRef("Sort"), paramRef("Limit"), paramRef("Cursor"), paramRef("Total"), paramRef("Fields"), expand},
			"responses":  responses(obj{"200": ok("A page of records.", ref(pageName(app, mod)))}, append(readErrs, 422)...),
		},
		"post": obj{
			"tags": []any{tag}, "operationId": id + "create",
			"summary": title + ": create a record",
			"description": "Fields not sent get their x-field default; read-only fields (autonumber) are filled by the server. " +
				"\"owner\" defaults to the caller; giving the record to someone else needs the transfer permission. " +
				"Other system keys (id, version, ...) in the body are ignored.",
			"requestBody": body(ref(inputName(app, mod)), ""),
			"responses":   responses(obj{"201": ok("The new record.", ref(recordName(app, mod)))}, writeErrs...),
		},
	}
	d.paths[base+"/{id}"] = obj{
		"parameters": []any{paramRef("RecordId")},
		"get": obj{
			"tags": []any{tag}, "operationId": id + "get",
			"summary":    title + ": get a record",
			"parameters": []any{expand},
			"responses":  responses(obj{"200": ok("The record.", ref(recordName(app, mod)))}, readErrs...),
		},
		"patch": obj{
			"tags": []any{tag}, "operationId": id + "update",
			"summary": title + ": update a record",
			"description": "A partial update: only the fields sent change; null clears an optional field. " +
				"\"version\" must be the record's current version (or be sent as If-Match); a stale " +
				"version is a 409 and writes nothing. A whole record read back may be sent: unchanged " +
				"read-only and system values are ignored.",
			"parameters":  []any{paramRef("IfMatch")},
			"requestBody": body(ref(patchName(app, mod)), ""),
			"responses":   responses(obj{"200": ok("The updated record.", ref(recordName(app, mod)))}, writeErrs...),
		},
		"delete": obj{
			"tags": []any{tag}, "operationId": id + "delete",
			"summary":     title + ": delete a record",
			"description": deleteDescription,
			"responses":   responses(obj{"204": noContent("Deleted.")}, 401, 403, 404, 409),
		},
	}
	d.paths[base+"/{id}/restore"] = obj{
		"parameters": []any{paramRef("RecordId")},
		"post": obj{
			"tags": []any{tag}, "operationId": id + "restore",
			"summary":     title + ": restore a deleted record",
			"description": restoreDescription,
			"responses":   responses(obj{"200": ok("The restored record.", ref(recordName(app, mod)))}, 401, 403, 404, 409),
		},
	}
	d.paths[base+"/{id}/claim"] = obj{
		"parameters": []any{paramRef("RecordId")},
		"post": obj{
			"tags": []any{tag}, "operationId": id + "claim",
			"summary":     title + ": claim a record from the public pool",
			"description": claimDescription,
			"responses":   responses(obj{"200": ok("The record, now yours.", ref(recordName(app, mod)))}, 401, 403, 404, 409),
		},
	}
	d.paths[base+"/{id}/history"] = obj{
		"parameters": []any{paramRef("RecordId")},
		"get": obj{
			"tags": []any{tag}, "operationId": id + "history",
			"summary":     title + ": a record's history",
			"description": historyDescription,
			"parameters":  []any{paramRef("HistoryLimit"), paramRef("HistoryCursor")},
			"responses": responses(obj{"200": ok("A page of the record's history, newest first.", ref(historyName(app, mod)))},
				400, 401, 403, 404),
		},
	}
	return nil
}

// expandParam is a module's ?expand= parameter.
func expandParam(fields []*meta.Field) obj {
	var refs []string
	for _, f := range fields {
		if f.Column().Kind == meta.ColRef {
			refs = append(refs, f.Key)
		}
	}
	desc := "Comma-separated lookup and user fields (at most 10) whose records are returned under \"expand\", " +
		"each with \"_title\" (the value of its module's title field; a user's name): this module's " +
		strings.Join(append(refs, "owner", "created_by", "updated_by"), ", ") + "."
	schema := obj{"type": "string", "examples": []any{strings.Join(append(refs, "owner"), ",")}}
	return obj{"name": "expand", "in": "query", "description": desc, "schema": schema}
}

// recordSchema is a record as the server returns it: system properties,
// then the module's fields (null when empty, unless required), then
// "expand". It does not forbid other properties, so clients keep working
// when fields are added.
func recordSchema(app, mod, title, desc string, fields []*meta.Field, known map[string]bool, ro func(*meta.Field) bool) obj {
	p := newProps()
	systemProps(p)

	expand := newProps()
	for _, f := range fields {
		s := fieldSchema(f)
		if ro(f) {
			s["readOnly"] = true
		}
		if !f.Required {
			nullable(s)
		}
		p.set(f.Key, s)
		if c := f.Column(); c.Kind == meta.ColRef {
			var target obj
			switch {
			case c.RefUsers:
				target = ref("UserSummary")
			case known[c.RefModule]:
				target = ref(recordName(app, c.RefModule))
			default:
				target = obj{"type": "object"}
			}
			target["description"] = "The record \"" + f.Key + "\" points to (absent when it points to nothing or to a deleted record)."
			expand.set(f.Key, target)
		}
	}
	for _, k := range []string{"owner", "created_by", "updated_by"} {
		expand.set(k, describe(ref("UserSummary"), "The user \""+k+"\" names."))
	}
	p.set("expand", obj{
		"type":        "object",
		"readOnly":    true,
		"description": "The records named by ?expand=, by field key; each has \"_title\", its title (the value of its module's title field, null when it has none or it is hidden from you).",
		"properties":  expand,
	})

	s := obj{
		"type":       "object",
		"title":      title,
		"properties": p,
		"required":   stringsToAny(systemKeys),
		"examples":   []any{recordExample(fields)},
	}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

// inputSchema is the create body: the module schema as stored (required,
// additionalProperties: false) without read-only fields, plus the owner.
func inputSchema(title, desc string, fields []*meta.Field, ro func(*meta.Field) bool) obj {
	p := newProps()
	var req []any
	for _, f := range fields {
		if ro(f) {
			continue
		}
		p.set(f.Key, fieldSchema(f))
		if f.Required {
			req = append(req, f.Key)
		}
	}
	p.set("owner", ownerInput("The user who will own the record; default: you."))
	s := obj{
		"type":                 "object",
		"title":                title + " — input",
		"properties":           p,
		"additionalProperties": false,
		"examples":             []any{inputExample(fields, ro)},
	}
	if desc != "" {
		s["description"] = desc
	}
	if len(req) > 0 {
		s["required"] = req
	}
	return s
}

// patchSchema is the PATCH body: any writable fields (null clears an
// optional one) plus the version being updated and the owner.
func patchSchema(title string, fields []*meta.Field, ro func(*meta.Field) bool) obj {
	p := newProps()
	p.set("version", obj{
		"type": "integer", "minimum": 1,
		"description": "The record's current version. May be sent as If-Match instead.",
	})
	ex := obj{"version": 1}
	for _, f := range fields {
		if ro(f) {
			continue
		}
		s := fieldSchema(f)
		if !f.Required {
			nullable(s)
		}
		p.set(f.Key, s)
		if len(ex) == 1 {
			if v, ok := exampleValue(f); ok {
				ex[f.Key] = v
			}
		}
	}
	p.set("owner", ownerInput("The record's new owner; changing it needs the transfer permission."))
	return obj{
		"type":                 "object",
		"title":                title + " — patch",
		"properties":           p,
		"required":             []any{"version"},
		"additionalProperties": false,
		"examples":             []any{ex},
	}
}

// fieldSchema is a copy of the field's property schema, x-field included,
// with the label as title and description.
func fieldSchema(f *meta.Field) obj {
	s := copyObj(f.Schema)
	var help meta.Label
	if xf, ok := s["x-field"].(map[string]any); ok {
		if h, ok := xf["help"].(map[string]any); ok {
			help = meta.Label{}
			for k, v := range h {
				help[k], _ = v.(string)
			}
		}
	}
	title, desc := labelTexts(f.Label, help)
	mdSchema(s)
	if _, ok := s["title"]; !ok && title != "" {
		s["title"] = title
	}
	if _, ok := s["description"]; !ok && desc != "" {
		s["description"] = desc
	}
	return s
}

// labelTexts turns a label into a title (see labelTitle; plain text) and
// a Markdown description (the Chinese label when it differs, then the help
// text in English and Chinese, escaped).
func labelTexts(l, help meta.Label) (title, desc string) {
	title = labelTitle(l)
	if zh := l[i18n.ZhCN]; zh != "" && zh != title {
		desc = mdText(zh)
	}
	if h := labelTitle(help); h != "" {
		desc = joinText(desc, mdText(h))
		if zh := help[i18n.ZhCN]; zh != "" && zh != h {
			desc = joinText(desc, mdText(zh))
		}
	}
	return title, desc
}

// labelTitle is a label's English text, else its Chinese one, else the
// text of the first locale in sorted order (unlike meta.Label.In, the
// same on every call).
func labelTitle(l meta.Label) string {
	for _, loc := range []string{i18n.EN, i18n.ZhCN} {
		if s := l[loc]; s != "" {
			return s
		}
	}
	locs := make([]string, 0, len(l))
	for loc, s := range l {
		if s != "" {
			locs = append(locs, loc)
		}
	}
	if len(locs) == 0 {
		return ""
	}
	sort.Strings(locs)
	return l[locs[0]]
}

func joinText(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n\n" + b
}

// nullable lets a field schema accept null: records hold null for empty
// fields.
func nullable(s obj) {
	switch t := s["type"].(type) {
	case string:
		if t != "null" {
			s["type"] = []any{t, "null"}
		}
	case []any:
		if !containsValue(t, "null") {
			s["type"] = append(append([]any(nil), t...), "null")
		}
	}
	if e, ok := s["enum"].([]any); ok && !containsValue(e, nil) {
		s["enum"] = append(append([]any(nil), e...), nil)
	}
	if c, ok := s["const"]; ok && c != nil {
		delete(s, "const")
		s["enum"] = []any{c, nil}
	}
}

func containsValue(list []any, v any) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// copyObj deep-copies a JSON object, so the cached module is never changed.
func copyObj(m map[string]any) obj {
	out := make(obj, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyObj(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	}
	return v
}
