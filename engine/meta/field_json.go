package meta

func init() {
	// json accepts any JSON value; JSON Schema keywords may still constrain it.
	Register(simpleType{name: "json", jsonType: "", kind: ColJSON})
}
