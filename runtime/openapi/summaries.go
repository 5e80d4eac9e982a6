package openapi

// addSummaries adds the live-aggregate endpoints (runtime/reportapi/summaries.go).
func (d *doc) addSummaries() {
	tag := []any{"summaries"}
	summary := obj{"type": "object", "properties": obj{
		"id": obj{"type": "string"}, "app": obj{"type": "string"}, "module": obj{"type": "string"},
		"def":   obj{"type": "object", "additionalProperties": true, "description": "Keys (field, kind, grain) and summed fields."},
		"table": obj{"type": "string"}, "status": obj{"type": "string", "enum": []any{"pending", "building", "ready", "stale", "failed"}},
		"module_version": obj{"type": "integer"}, "source_rows": obj{"type": "integer"}, "summary_rows": obj{"type": "integer"},
		"error": obj{"type": "string"}, "built_at": obj{"type": "string", "format": "date-time"},
	}}
	d.schemas["Summary"] = summary
	d.paths["/api/apps/{app}/summaries"] = obj{"parameters": []any{paramRef("App")}, "get": obj{
		"tags": tag, "operationId": "summaries.list", "summary": "List the app's live aggregates",
		"description": "Administrators only. Summaries are planned when a dashboard is saved and built by a job; only ready ones answer queries.",
		"responses": responses(obj{"200": ok("The summaries.", obj{"type": "object", "properties": obj{
			"summaries": obj{"type": "array", "items": ref("Summary")}}})}, 401, 403),
	}}
	d.paths["/api/apps/{app}/summaries/check"] = obj{"parameters": []any{paramRef("App")}, "post": obj{
		"tags": tag, "operationId": "summaries.check", "summary": "Compare every ready summary with its GROUP BY",
		"description": "Administrators only. Each summary is read with the GROUP BY over its module in one snapshot; " +
			"wrong counts the key groups that differ, with a few examples. drifting is the number of summaries with a difference.",
		"responses": responses(obj{"200": ok("The check.", obj{"type": "object", "properties": obj{
			"drifting": obj{"type": "integer"},
			"summaries": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
				"summary": ref("Summary"), "groups": obj{"type": "integer"}, "wrong": obj{"type": "integer"},
				"examples": obj{"type": "array", "items": obj{"type": "object", "additionalProperties": true}},
				"error":    obj{"type": "string"}}}}}})}, 401, 403),
	}}
	d.paths["/api/apps/{app}/summaries/rebuild"] = obj{"parameters": []any{paramRef("App")}, "post": obj{
		"tags": tag, "operationId": "summaries.rebuild", "summary": "Rebuild every summary of the app, as jobs",
		"description": "Administrators only. One build job per summary; the status of each shows in the list.",
		"responses": responses(obj{"202": ok("The jobs were enqueued.", obj{"type": "object", "properties": obj{
			"enqueued": obj{"type": "integer"}}})}, 401, 403),
	}}
}
