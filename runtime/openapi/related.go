package openapi

// addRelated adds the 360° view of a record (runtime/relatedapi).
func (d *doc) addRelated() {
	tag := []any{"records"}
	rec := []any{paramRef("App"), paramRef("Module"), paramRef("RecordId")}
	base := "/api/apps/{app}/modules/{module}/records/{id}"
	str := obj{"type": "string"}
	d.paths[base+"/related"] = obj{
		"parameters": rec,
		"get": obj{
			"tags": tag, "operationId": "records.related", "summary": "Records that look this record up",
			"description": "For each module of the app with a lookup field pointing at this record's module: the module, the lookup " +
				"field, how many of its records look this one up (counted to 10,000; count_exact says whether the count is exact) " +
				"and the first page (newest first). Within the caller's record scope and field permissions: hidden fields are left " +
				"out of the records, and a module the caller may not read, or whose lookup field is hidden from them, is left out " +
				"altogether. With ?module= and ?field= the answer is the next page of that one relation (?cursor=, ?limit=, ?sort=).",
			"parameters": []any{
				obj{"name": "module", "in": "query", "schema": str, "description": "One relation's module (with field): page through it."},
				obj{"name": "field", "in": "query", "schema": str, "description": "That module's lookup field."},
				paramRef("Limit"), paramRef("Cursor"), paramRef("Sort"),
			},
			"responses": responses(obj{"200": ok("The relations, or one relation's page (a RecordPage).", obj{"oneOf": []any{ref("RelatedList"), ref("RecordPage")}})},
				400, 401, 403, 404),
		},
	}
	d.paths[base+"/timeline"] = obj{
		"parameters": rec,
		"get": obj{
			"tags": tag, "operationId": "records.timeline", "summary": "A record's timeline",
			"description": "Newest first, paged by ?cursor=: the record's history (and, marked merged, the history of the records " +
				"merged into it), its stage moves, its approvals, merges into it, and the records of activity-like modules " +
				"(modules with \"x-timeline\": {\"date_field\": …}) that look it up, dated by that field. As the caller may see " +
				"them: hidden fields are left out of diffs and records; activity modules they may not read are left out.",
			"parameters": []any{paramRef("Limit"), paramRef("Cursor")},
			"responses":  responses(obj{"200": ok("A page of the timeline.", ref("Timeline"))}, 400, 401, 403, 404),
		},
	}
	s := d.schemas
	s["RelatedList"] = obj{"type": "object", "required": []any{"related"}, "properties": obj{"related": arrayOf(obj{
		"type": "object", "properties": obj{
			"module": str, "label": ref("Label"), "field": str, "field_label": ref("Label"),
			"count": obj{"type": "integer"}, "count_exact": obj{"type": "boolean"}, "title_field": str,
			"page": ref("RecordPage"),
		}})}}
	s["Timeline"] = obj{"type": "object", "required": []any{"entries"}, "properties": obj{
		"entries": arrayOf(obj{"type": "object", "required": []any{"kind", "id", "at", "record_id"}, "properties": obj{
			"kind":      obj{"enum": []any{"history", "stage", "approval", "merge", "activity"}},
			"id":        str,
			"at":        obj{"type": "string", "format": "date-time"},
			"record_id": obj{"type": "string", "description": "The record the entry is about: this one, or one merged into it."},
			"merged":    obj{"type": "boolean"},
			"history":   obj{"type": "object", "description": "kind history: the audit entry, as …/history shows it."},
			"stage":     obj{"type": "object", "description": "kind stage: the stage history row."},
			"approval":  obj{"type": "object", "description": "kind approval: the instance, dated by its start."},
			"merge":     obj{"type": "object", "description": "kind merge: merged_id, survivor_id, actor, at."},
			"module":    obj{"type": "string", "description": "kind activity: the activity's module."},
			"field":     obj{"type": "string", "description": "kind activity: its lookup to this record."},
			"record":    obj{"type": "object", "description": "kind activity: the activity record."},
		}}),
		"next_cursor": str,
	}}
}
