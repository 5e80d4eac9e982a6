package meta

// TitleField is the field that names a record wherever one record is shown
// by a single text: lookups, expands, boards, notifications, exports,
// report dimensions. It is the first required text field, else the first
// text field, else nil (callers then show the id).
func (m *Module) TitleField() *Field {
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
