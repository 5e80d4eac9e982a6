package meta

func init() {
	Register(simpleType{name: "boolean", jsonType: "boolean", kind: ColBool})
}
