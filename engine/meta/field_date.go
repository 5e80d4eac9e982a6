package meta

func init() {
	Register(simpleType{name: "date", jsonType: "string", kind: ColDate, format: "date"})
	Register(simpleType{name: "datetime", jsonType: "string", kind: ColTime, format: "date-time"})
}
