package meta

// Named is how a message names a module, field or option: by its label
// in the reader's language, or by its key when it has no label at all.
// Passed as a message argument, it is rendered in the reader's locale
// (i18n renders anything with In(locale) string).
type Named struct {
	Key   string
	Label Label
}

// In is the label in locale (falling back as Label.In does), else the key.
func (n Named) In(locale string) string {
	if s := n.Label.In(locale); s != "" {
		return s
	}
	return n.Key
}

// Named is the module as messages name it.
func (m *Module) Named() Named { return Named{Key: m.Key, Label: m.Label} }

// Named is the field as messages name it.
func (f *Field) Named() Named { return Named{Key: f.Key, Label: f.Label} }

// NameOf is how messages name field key of m: by the field's label when m
// has that field, else by the key.
func (m *Module) NameOf(key string) Named {
	for _, f := range m.Fields {
		if f.Key == key {
			return f.Named()
		}
	}
	return Named{Key: key}
}
