package meta

// TitleField is the field that names a record wherever one record is shown
// by a single text: lookups, expands, boards, notifications, exports,
// report dimensions. It is the field the schema's x-title names, else the
// first required text field, else the first text field, else nil (callers
// then show the id).
func (m *Module) TitleField() *Field {
	if m.XTitle != "" {
		if f := m.Field(m.XTitle); f != nil {
			return f
		}
	}
	var first *Field
	for _, f := range m.Fields {
		if f.Type.Name() != "text" {
			continue
		}
		if f.Required {
			return f
		}
		if first == nil {
			first = f
		}
	}
	return first
}

// titleKey is the key of m's title field, "" when it has none.
func (m *Module) titleKey() string {
	if f := m.TitleField(); f != nil {
		return f.Key
	}
	return ""
}

// Titled fills in TitleKey (what the module's JSON shows as
// "title_field") from x-title or the default; it returns m.
func (m *Module) Titled() *Module {
	m.TitleKey = m.titleKey()
	return m
}

// checkTitle checks x-title: the key of a text-like field (stored as text:
// text, textarea, email, phone, url, select, autonumber, a text formula).
func checkTitle(key string, fields []*Field) []Problem {
	f := (&Module{Fields: fields}).Field(key)
	if f == nil || f.Column().Kind != ColText {
		return []Problem{{Path: "x-title", Code: "bad_title", Key: "meta.bad_title", Args: []any{"name", key}}}
	}
	return nil
}
