package meta

func init() {
	Register(simpleType{name: "number", jsonType: "number", kind: ColFloat})
	Register(simpleType{name: "integer", jsonType: "integer", kind: ColInteger})
	Register(decimalType{name: "decimal", precision: 18, scale: 2})
	Register(decimalType{name: "currency", precision: 18, scale: 2})
	Register(decimalType{name: "percent", precision: 9, scale: 4})
}

// decimalType stores exact numbers as NUMERIC(precision, scale).
type decimalType struct {
	name             string
	precision, scale int
}

func (t decimalType) Name() string     { return t.name }
func (t decimalType) JSONType() string { return "number" }

func (t decimalType) Column(f *Field) Column {
	p, s := t.precision, t.scale
	if f.Precision > 0 {
		p = f.Precision
	}
	if f.Scale > 0 || f.Precision > 0 {
		s = f.Scale
	}
	return Column{Kind: ColDecimal, Precision: p, Scale: s}
}

func (t decimalType) Check(f *Field) []Problem {
	if f.Precision < 0 || f.Precision > 38 || f.Scale < 0 || (f.Precision > 0 && f.Scale > f.Precision) {
		return []Problem{{Path: "x-field.precision", Code: "bad_precision", Key: "meta.bad_precision"}}
	}
	return nil
}
