package meta

// Text-like fields: stored as TEXT, validated by JSON Schema string keywords.
func init() {
	Register(simpleType{name: "text", jsonType: "string", kind: ColText})
	Register(simpleType{name: "textarea", jsonType: "string", kind: ColText})
	Register(simpleType{name: "email", jsonType: "string", kind: ColText, format: "email"})
	Register(simpleType{name: "phone", jsonType: "string", kind: ColText})
	Register(simpleType{name: "url", jsonType: "string", kind: ColText, format: "uri"})
}
