package record

import (
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/store"
)

// systemFields are the record keys the server alone sets. A PATCH may send
// them back as it read them (clients echo whole records): the current
// value is ignored, any other value is refused naming the field. version
// is the write's precondition (a stale one is a conflict) and owner a
// writable field with the transfer permission, so neither is here.
var systemFields = []string{"id", "created_at", "updated_at", "created_by", "updated_by", "deleted_at"}

// checkSystemFields refuses a patch that would change a system field of
// old (422, one error per field).
func checkSystemFields(old store.Record, patch map[string]any) error {
	var fes []errs.FieldError
	for _, k := range systemFields {
		v, sent := patch[k]
		if !sent || sameSystemValue(k, v, old[k]) {
			continue
		}
		fes = append(fes, errs.Field(k, "read_only", "record.system_field", "label", i18n.M("record.sys."+k)))
	}
	if len(fes) > 0 {
		return errs.Fields(fes...)
	}
	return nil
}

// sameSystemValue compares a sent system value with the stored one: ids
// without regard to case, instants by the moment they name.
func sameSystemValue(key string, sent, stored any) bool {
	if sent == nil || stored == nil {
		return sent == nil && stored == nil
	}
	a, ok := sent.(string)
	b, _ := stored.(string)
	if !ok {
		return false
	}
	if strings.HasSuffix(key, "_at") {
		ta, erra := time.Parse(time.RFC3339Nano, a)
		tb, errb := time.Parse(time.RFC3339Nano, b)
		return erra == nil && errb == nil && ta.Equal(tb)
	}
	return strings.EqualFold(a, b)
}
