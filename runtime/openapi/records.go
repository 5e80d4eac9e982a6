package openapi

import (
	"time"

	"github.com/tessera-app/tessera/engine/meta"
)

// addRecordComponents adds the schemas of the record endpoints of any
// module (addRecordPaths) and of record histories.
func (d *doc) addRecordComponents() {
	s := d.schemas
	p := newProps()
	systemProps(p)
	p.set("expand", obj{
		"type":                 "object",
		"readOnly":             true,
		"description":          "The records named by ?expand=, by field key.",
		"additionalProperties": obj{"type": "object"},
	})
	s["Record"] = obj{
		"type": "object",
		"description": "A record of any module: the system properties below, then the module's fields (null when " +
			"empty), as the module's own schema (components app.module) describes them.",
		"properties": p,
		"required":   stringsToAny(systemKeys),
	}
	s["RecordInput"] = obj{
		"type":        "object",
		"description": "A new record: the module's fields, as the module's input schema (components app.module.input) describes them.",
		"properties":  obj{"owner": ownerInput("The user who will own the record; default: you.")},
	}
	s["RecordPatch"] = obj{
		"type":        "object",
		"description": "A partial update: the module's fields to change, as the module's patch schema (components app.module.patch) describes them.",
		"required":    []any{"version"},
		"properties": obj{
			"version": obj{"type": "integer", "minimum": 1, "description": "The record's current version. May be sent as If-Match instead."},
			"owner":   ownerInput("The record's new owner; changing it needs the transfer permission."),
		},
	}
	s["RecordPage"] = obj{
		"type":     "object",
		"required": []any{"records"},
		"properties": obj{
			"records":        arrayOf(ref("Record")),
			"next_cursor":    str("Pass as ?cursor= to get the next page; absent on the last page."),
			"total":          totalProp,
			"total_exact":    totalExactProp,
			"total_estimate": totalEstimateProp,
		},
	}

	s["BatchRequest"] = obj{
		"type":     "object",
		"required": []any{"items"},
		"properties": obj{
			"atomic": obj{"type": "boolean", "default": false,
				"description": "true: all items or none (one transaction); false: each item on its own."},
			"items": obj{"type": "array", "minItems": 1, "maxItems": 500, "items": ref("BatchItem")},
		},
		"additionalProperties": false,
	}
	s["BatchItem"] = obj{
		"type":     "object",
		"required": []any{"op"},
		"properties": obj{
			"op":      obj{"type": "string", "enum": []any{"create", "update", "delete"}},
			"id":      describe(copyObj(uuidSchema), "The record to update or delete; not on a create."),
			"version": obj{"type": "integer", "minimum": 1, "description": "Update: the record's current version."},
			"data": obj{"type": "object", "description": "Create: the new record's fields (as RecordInput); update: the " +
				"fields to change (as RecordPatch, without version). Not on a delete."},
		},
		"additionalProperties": false,
	}
	s["BatchResult"] = obj{
		"type":     "object",
		"required": []any{"index", "op", "status"},
		"properties": obj{
			"index":  obj{"type": "integer", "minimum": 0, "description": "The item's position in \"items\"."},
			"op":     obj{"type": "string", "enum": []any{"create", "update", "delete"}},
			"status": obj{"type": "integer", "description": "201 created, 200 updated, 204 deleted, or the error's status."},
			"id":     describe(copyObj(uuidSchema), "The id the item named (update, delete)."),
			"record": describe(ref("Record"), "The record written, as you may see it (not for a delete or an error)."),
			"error":  describe(ref("Problem"), "Why the item failed."),
		},
	}
	s["BatchAnswer"] = obj{
		"type":     "object",
		"required": []any{"atomic", "written", "failed", "items"},
		"properties": obj{
			"atomic":  obj{"type": "boolean"},
			"written": obj{"type": "integer", "minimum": 0},
			"failed":  obj{"type": "integer", "minimum": 0, "description": "Items that failed (never in an atomic answer)."},
			"items":   arrayOf(ref("BatchResult")),
		},
	}
	s["BatchProblem"] = obj{
		"description": "A problem document with the failing items of an atomic batch.",
		"allOf": []any{ref("Problem"), obj{"type": "object", "required": []any{"items"},
			"properties": obj{"items": arrayOf(ref("BatchResult"))}}},
	}

	s["FieldChange"] = obj{
		"type":        "object",
		"description": "One field's value before and after a write (null: empty, or absent before a create).",
		"required":    []any{"before", "after"},
		"properties": obj{
			"before": obj{"description": "The value before the write."},
			"after":  obj{"description": "The value after the write."},
		},
	}
	s["HistoryEntry"] = obj{
		"type":     "object",
		"required": []any{"id", "at", "actor", "via", "action", "diff"},
		"properties": obj{
			"id":    uuidSchema,
			"at":    describe(copyObj(dateTimeSchema), "When the write happened."),
			"actor": describe(nullUUID(), "The user who made the change; null when none (a system change)."),
			"via": obj{"type": "string", "description": "The channel the change came through.",
				"examples": []any{"api", "ui", "rule", "import", "template", "system"}},
			"action": obj{"type": "string", "enum": []any{"create", "update", "delete", "restore"}},
			"diff": obj{
				"type": "object",
				"description": "Field key → its value before and after; on a create every field that was set; " +
					"{} for delete and restore. Fields hidden from the caller are left out.",
				"additionalProperties": ref("FieldChange"),
			},
			"cause": obj{
				"type": "object",
				"description": "Present when another record's delete or restore made this write (a lookup's on_delete): " +
					"action cascade, clear or restore, and that record's module and id, with the lookup field " +
					"(id and field left out when the field is hidden from the caller).",
				"properties": obj{
					"action": obj{"type": "string", "enum": []any{"cascade", "clear", "restore"}},
					"module": str("The key of the module of the record deleted or restored."),
					"id":     uuidSchema,
					"field":  str("The lookup field of this record that points to it."),
				},
			},
		},
	}
	s["HistoryPage"] = obj{
		"type":        "object",
		"description": "A page of a record's history, newest first.",
		"required":    []any{"entries"},
		"properties": obj{
			"entries":     arrayOf(ref("HistoryEntry")),
			"next_cursor": str("Pass as ?cursor= to get the next page; absent on the last page."),
		},
	}
}

// systemProps sets the system properties every record has, in output order.
func systemProps(p *props) {
	ro := func(s obj, description string) obj {
		c := copyObj(s)
		c["readOnly"] = true
		c["description"] = description
		return c
	}
	p.set("id", ro(uuidSchema, "Record id."))
	p.set("version", ro(obj{"type": "integer", "minimum": 1}, "Increases with every change; send it back when updating."))
	p.set("created_at", ro(dateTimeSchema, "When the record was created."))
	p.set("updated_at", ro(dateTimeSchema, "When the record last changed."))
	p.set("created_by", ro(nullUUID(), "The user who created the record."))
	p.set("updated_by", ro(nullUUID(), "The user who last changed the record."))
	p.set("owner", ro(nullUUID(), "The user who owns the record."))
	p.set("deleted_at", ro(nullDateTime(), "Only on deleted records."))
}

// ownerInput is the "owner" member of create and patch bodies.
func ownerInput(description string) obj {
	return obj{"type": "string", "format": "uuid", "description": description}
}

// Fixed example values of history entries.
const (
	exampleEntry1 = "01948c2e-7a10-7c3d-9e8f-1a2b3c4d5e6f"
	exampleEntry2 = "01948c2d-1b20-7d4e-8f90-2b3c4d5e6f70"
)

// historyExample is a page of a record's history, newest first: the
// record was created with every field that has an example value, except
// the first optional field the caller may write, which was set later.
func historyExample(fields []*meta.Field, ro func(*meta.Field) bool) obj {
	created, updated := obj{}, obj{}
	for _, f := range fields {
		v, ok := exampleValue(f)
		if !ok {
			continue
		}
		if len(updated) == 0 && !f.Required && !ro(f) {
			updated[f.Key] = obj{"before": nil, "after": v}
			continue
		}
		created[f.Key] = obj{"before": nil, "after": v}
	}
	var entries []any
	if len(updated) > 0 {
		at := exampleTime.Add(26 * time.Hour).Format(time.RFC3339)
		entries = append(entries, obj{"id": exampleEntry1, "at": at, "actor": exampleUser, "via": "api", "action": "update", "diff": updated})
	}
	at := exampleTime.Format(time.RFC3339)
	entries = append(entries, obj{"id": exampleEntry2, "at": at, "actor": exampleUser, "via": "ui", "action": "create", "diff": created})
	return obj{"entries": entries, "next_cursor": "eyJ0IjoiMjAyNi0wMS0zMVQwOTozMDowMFoifQ"}
}

// The count properties of every page of records (?total=).
var (
	totalProp = obj{"type": "integer", "minimum": 0,
		"description": "Matching records, with ?total=true (at most 10,000: see total_exact) or ?total=exact."}
	totalExactProp = obj{"type": "boolean",
		"description": "Whether total is the exact count; false: there are more than total (the cap of ?total=true)."}
	totalEstimateProp = obj{"type": "integer", "minimum": 0,
		"description": "When the count passed the cap on PostgreSQL: the planner's estimate of the matching records."}
)

// What a delete and a restore do to the records around (lookups'
// on_delete), said on every module's delete and restore.
const (
	deleteDescription = "A soft delete: the record can be restored. Records looking it up are handled by their " +
		"lookup's x-field.on_delete: restrict (the default) makes the delete a 409 counting them per module, " +
		"clear sets their lookup to null, cascade deletes them too. A cascade reaching records you may not " +
		"delete is a 409 counting them. The delete and its effects are one transaction."
	restoreDescription = "Also restores the records the delete cascaded to (and only those). Restoring a record " +
		"that is not deleted is a 409."
)
