package meta

func init() {
	Register(lookupType{})
	Register(userType{})
}

// lookupType is a many-to-one reference to a record of another module of
// the same app; the store gives it a foreign key.
type lookupType struct{}

func (lookupType) Name() string     { return "lookup" }
func (lookupType) JSONType() string { return "string" }
func (lookupType) Format() string   { return "uuid" }
func (lookupType) Column(f *Field) Column {
	return Column{Kind: ColRef, RefModule: f.Module}
}
func (lookupType) Check(f *Field) []Problem {
	if !ValidKey(f.Module, MaxModuleKey) {
		return []Problem{{Path: "x-field.module", Code: "lookup_target", Key: "meta.lookup_target", Args: []any{"module", f.Module}}}
	}
	return nil
}

// userType references a Tessera user.
type userType struct{}

func (userType) Name() string         { return "user" }
func (userType) JSONType() string     { return "string" }
func (userType) Format() string       { return "uuid" }
func (userType) Column(*Field) Column { return Column{Kind: ColRef, RefUsers: true} }
