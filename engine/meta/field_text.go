package meta

// Text-like fields: stored as TEXT, validated by JSON Schema string
// keywords. Their input is free text, so it is trimmed of leading and
// trailing white space unless the field says "trim": false, and a required
// one must not be blank (see Field.Trims, Field.FreeText).
func init() {
	Register(simpleType{name: "text", jsonType: "string", kind: ColText, text: true})
	Register(simpleType{name: "textarea", jsonType: "string", kind: ColText, text: true})
	Register(simpleType{name: "email", jsonType: "string", kind: ColText, format: "email", text: true})
	Register(simpleType{name: "phone", jsonType: "string", kind: ColText, text: true})
	Register(simpleType{name: "url", jsonType: "string", kind: ColText, format: "uri", text: true})
}

// FreeText reports whether the field holds free text (text, textarea,
// email, phone, url): a required one is not satisfied by blank text.
func (f *Field) FreeText() bool {
	t, ok := f.Type.(interface{ FreeText() bool })
	return ok && t.FreeText()
}

// Trims reports whether input values of the field are trimmed of leading
// and trailing white space: free-text fields, unless x-field.trim is false.
func (f *Field) Trims() bool { return f.FreeText() && !f.NoTrim }
