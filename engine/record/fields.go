package record

import (
	"slices"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"record.unknown_fields_param": {
			i18n.EN:   "fields: \"{name}\" is not a field of this module.",
			i18n.ZhCN: "fields 参数：“{name}”不是该模块的字段。",
		},
	})
}

// checkFields refuses a fields= list naming anything but the module's
// fields the actor may see and the system fields. A hidden field is
// refused exactly like a field that does not exist, so the answer does not
// tell that it does.
func checkFields(fields []string, m *meta.Module, hidden map[string]bool) error {
	for _, f := range fields {
		if slices.Contains(meta.SystemFields, f) && f != "deleted_at" {
			continue
		}
		if m.Field(f) == nil || hidden[f] {
			return errs.New(errs.Invalid, "record.unknown_fields_param", "name", f)
		}
	}
	return nil
}

// project keeps only the named fields of each record (and id and version,
// which every client needs to link and to edit), and the expansions of the
// named ones. It trims the payload, not the query: the page's columns are
// read anyway for the cursor and the sort.
func project(recs []store.Record, fields []string) {
	if len(fields) == 0 {
		return
	}
	keep := map[string]bool{"id": true, "version": true}
	for _, f := range fields {
		keep[f] = true
	}
	for _, rec := range recs {
		for k := range rec {
			if k == "expand" {
				if ex, ok := rec[k].(map[string]any); ok {
					for f := range ex {
						if !keep[f] {
							delete(ex, f)
						}
					}
					if len(ex) == 0 {
						delete(rec, k)
					}
				}
				continue
			}
			if !keep[k] {
				delete(rec, k)
			}
		}
	}
}
