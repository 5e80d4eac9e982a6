package rule

import (
	"reflect"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
)

// TriggerType is one kind of trigger. The registry is open: the flow
// engine adds stage and approval triggers the same way.
type TriggerType struct {
	// Check validates a trigger of this type on module m.
	Check func(t Trigger, m *meta.Module) []errs.FieldError
	// Matches reports whether a record write fires the trigger; nil for
	// triggers that record writes never fire (schedules, webhooks).
	Matches func(t Trigger, ev *record.Event, now map[string]any) bool
	// BeforeSave reports whether rules with this trigger may run before save.
	BeforeSave bool
}

var triggers = map[string]TriggerType{}

// RegisterTrigger adds a trigger type.
func RegisterTrigger(name string, t TriggerType) { triggers[name] = t }

func init() {
	on := func(ops ...record.Op) func(Trigger, *record.Event, map[string]any) bool {
		return func(_ Trigger, ev *record.Event, _ map[string]any) bool {
			for _, op := range ops {
				if ev.Op == op {
					return true
				}
			}
			return false
		}
	}
	none := func(Trigger, *meta.Module) []errs.FieldError { return nil }
	RegisterTrigger("created", TriggerType{Check: none, Matches: on(record.OpCreate), BeforeSave: true})
	RegisterTrigger("updated", TriggerType{Check: none, Matches: on(record.OpUpdate), BeforeSave: true})
	RegisterTrigger("saved", TriggerType{Check: none, Matches: on(record.OpCreate, record.OpUpdate), BeforeSave: true})
	RegisterTrigger("deleted", TriggerType{Check: none, Matches: on(record.OpDelete)})
	RegisterTrigger("field_changed", TriggerType{Check: checkField, Matches: fieldChanged, BeforeSave: true})
}

func checkField(t Trigger, m *meta.Module) []errs.FieldError {
	if m.Field(t.Field) == nil && t.Field != "owner" {
		return []errs.FieldError{errs.Field("trigger.field", "unknown_field", "rule.unknown_field", "field", t.Field)}
	}
	return nil
}

// fieldChanged fires when the field's value differs from before (on create:
// when it is set), optionally only from and to given values.
func fieldChanged(t Trigger, ev *record.Event, now map[string]any) bool {
	if ev.Op != record.OpCreate && ev.Op != record.OpUpdate {
		return false
	}
	var before any
	if ev.Old != nil {
		before = ev.Old[t.Field]
	}
	after := now[t.Field]
	if same(before, after) {
		return false
	}
	return (t.From == nil || same(t.From, before)) && (t.To == nil || same(t.To, after))
}

// same compares JSON-form values loosely (json.Number vs float, etc.).
func same(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return reflect.DeepEqual(normalize(a), normalize(b))
}
