package openapi

// addDuplicates adds the duplicate check's list and merge
// (runtime/dedupeapi), and the check's confirm_duplicate on the generic
// create and update.
func (d *doc) addDuplicates() {
	tag := []any{"records"}
	str := obj{"type": "string"}
	mod := "/api/apps/{app}/modules/{module}"
	confirm := obj{"name": "confirm_duplicate", "in": "query", "schema": obj{"type": "boolean"},
		"description": "Save even when the record matches others by the module's match keys (x-duplicates); the same as " +
			"\"confirm_duplicate\": true in the body. Without it such a write is a 409 whose problem lists the matches " +
			"(\"duplicates\": per key, the records the caller may see — id and title — and how many they may not)."}
	for path, method := range map[string]string{mod + "/records": "post", mod + "/records/{id}": "patch"} {
		if item, ok := d.paths[path].(obj); ok {
			if op, ok := item[method].(obj); ok {
				params, _ := op["parameters"].([]any)
				op["parameters"] = append(params, confirm)
			}
		}
	}
	d.paths[mod+"/duplicates"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module")},
		"get": obj{
			"tags": tag, "operationId": "records.duplicates", "summary": "Groups of duplicate records",
			"description": "The values of match key ?key= (default: the module's first) that several live records share, in value " +
				"order, each with those records (oldest first) — counted within the caller's scope: a group needs two records " +
				"they may see. One index range per key, no scan. A key on a field hidden from the caller is a 404.",
			"parameters": []any{obj{"name": "key", "in": "query", "schema": str}, paramRef("Limit"), paramRef("Cursor")},
			"responses":  responses(obj{"200": ok("A page of groups.", ref("DuplicateGroups"))}, 400, 401, 403, 404),
		},
	}
	d.paths[mod+"/records/{id}/merge"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module"), paramRef("RecordId")},
		"post": obj{
			"tags": tag, "operationId": "records.merge", "summary": "Merge records into this one",
			"description": "In one transaction: every lookup in every module pointing at one of \"others\" is re-pointed to this " +
				"record (audited updates, whatever the caller's scope on them); this record takes, per field named in \"values\", " +
				"the value of the record named there; the others are soft-deleted and recorded as merged into this one (their " +
				"history shows on this record's timeline); both sides get an audit entry. Needs update on this record and delete " +
				"on the others.",
			"requestBody": body(obj{"type": "object", "required": []any{"others"}, "additionalProperties": false, "properties": obj{
				"others": arrayOf(obj{"type": "string", "format": "uuid"}),
				"values": obj{"type": "object", "additionalProperties": obj{"type": "string", "format": "uuid"},
					"description": "field → the record (this one or one of others) whose value survives."},
			}}, ""),
			"responses": responses(obj{"200": ok("The survivor.", ref("Record"))}, 400, 401, 403, 404, 409, 413, 422),
		},
	}
	d.schemas["DuplicateGroups"] = obj{"type": "object", "required": []any{"groups"}, "properties": obj{
		"groups":      arrayOf(obj{"type": "object", "properties": obj{"key": str, "value": str, "records": arrayOf(ref("Record"))}}),
		"next_cursor": str,
	}}
	if act, ok := d.schemas["RuleAction"].(obj); ok {
		props := act["properties"].(obj)
		typ := props["type"].(obj)
		typ["enum"] = append(typ["enum"].([]any), "merge")
		props["field"] = obj{"type": "string", "description": "update_related: this record's lookup field. merge: the match key " +
			"(default the first): the record is merged into the oldest live record sharing its value, which keeps its values " +
			"and takes the record's where its own are empty."}
	}
}
