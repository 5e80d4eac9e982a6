package openapi

// addExports adds the list exports (runtime/exportapi).
func (d *doc) addExports() {
	tag := []any{"exports"}
	d.parameters["ExportId"] = obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "string", "format": "uuid"}}
	file := func(description string) obj {
		return obj{"description": description, "headers": obj{"Content-Disposition": obj{"schema": obj{"type": "string"},
			"description": "attachment; filename*=UTF-8'' followed by the module's label and the format's extension"}},
			"content": obj{
				"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": obj{"schema": obj{"type": "string", "format": "binary"}},
				"text/csv":        obj{"schema": obj{"type": "string", "format": "binary"}},
				"application/pdf": obj{"schema": obj{"type": "string", "format": "binary"}},
			}}
	}
	d.paths["/api/apps/{app}/modules/{module}/exports"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module")},
		"post": obj{
			"tags": tag, "operationId": "exports.create", "summary": "Export a list as xlsx, csv or pdf",
			"description": "The records you can list, with the list's filter and sort, in the order of fields (default: every field " +
				"you can see; a hidden or unknown field is a 400). Headers are the field labels in your language; xlsx cells are " +
				"typed (numbers, dates and datetimes in your time zone with a date format, currency with #,##0.00, booleans), " +
				"selects show their option labels, lookups and users their title or name. csv is UTF-8 with a byte order mark, " +
				"CRLF, RFC 4180 quoting, and text starting with = + - @ prefixed with ' (formula injection). A list over the " +
				"server's threshold (5000 rows by default) runs as a job: 202 with its id; poll GET /api/exports/{id}. " +
				"pdf is limited to 2000 rows.",
			"requestBody": body(ref("ExportRequest"), ""),
			"responses": responses(obj{
				"200": file("The file, when the list is small."),
				"202": ok("The export runs as a job.", obj{"type": "object", "required": []any{"id"}, "properties": obj{
					"id": obj{"type": "string", "format": "uuid"}, "status": obj{"type": "string"}, "total": obj{"type": "integer"}}}),
			}, 400, 401, 403, 404, 413),
		},
	}
	d.paths["/api/exports/{id}"] = obj{
		"parameters": []any{paramRef("ExportId")},
		"get": obj{
			"tags": tag, "operationId": "exports.get", "summary": "An export job's status and progress",
			"description": "Only its creator sees it (anyone else: 404). download_url is there once done, until the link expires (24 h).",
			"responses":   responses(obj{"200": ok("The export.", ref("Export"))}, 401, 404),
		},
	}
	d.paths["/api/exports/{id}/download"] = obj{
		"parameters": []any{paramRef("ExportId")},
		"get": obj{
			"tags": tag, "operationId": "exports.download", "summary": "Download a finished export",
			"description": "The download_url of the export: its creator only, with the link's token; 409 before it is done, " +
				"410 once the link has expired.",
			"parameters": []any{obj{"name": "token", "in": "query", "required": true, "schema": obj{"type": "string"}}},
			"responses": responses(obj{
				"200": file("The file."),
				"410": obj{"description": "The link has expired.", "content": obj{"application/problem+json": obj{"schema": ref("Problem")}}},
			}, 401, 404, 409),
		},
	}
	d.paths["/api/apps/{app}/dashboards/{key}/widgets/{widget}/export"] = obj{
		"parameters": []any{paramRef("App"), paramRef("DashboardKey"),
			obj{"name": "widget", "in": "path", "required": true, "schema": obj{"type": "string"}, "description": "The widget's key."}},
		"get": obj{
			"tags": tag, "operationId": "exports.widget", "summary": "Export a dashboard widget's data as xlsx, csv or pdf",
			"description": "What the widget shows you, computed as GET …/dashboards/{key}/data computes it (the same queries, as you " +
				"or the publisher, with the dashboard filters' values from this query string: from, to, owner, department, and " +
				"each select filter's key). Aggregate widgets: the query's columns and rows, headers in your language (measures " +
				"by options.labels, else as \"Sum of Amount\"), dimension values by their labels, cells typed (counts as " +
				"integers, sums of currency fields with #,##0.00, day buckets as dates). Pivot widgets: rows × columns with a " +
				"total column and row (flat rows past 200 distinct column values). Record-list widgets: as a list export of " +
				"the widget's filter and the dashboard's, options.sort and the visible options.fields (202 with a job when " +
				"large). A widget that cannot be computed answers why: 409 when its module or a field is gone, else the " +
				"query's status.",
			"parameters": []any{
				obj{"name": "format", "in": "query", "required": true, "schema": obj{"type": "string", "enum": []any{"xlsx", "csv", "pdf"}}},
				obj{"name": "from", "in": "query", "schema": obj{"type": "string", "format": "date"}, "description": "Date range start (YYYY-MM-DD)."},
				obj{"name": "to", "in": "query", "schema": obj{"type": "string", "format": "date"}, "description": "Date range end, excluded."},
				obj{"name": "owner", "in": "query", "schema": obj{"type": "string"}, "description": "A user id or \"me\"."},
				obj{"name": "department", "in": "query", "schema": obj{"type": "string"}, "description": "A department key (its sub-departments included)."},
			},
			"responses": responses(obj{
				"200": file("The file, named after the widget's title."),
				"202": ok("A large record-list widget's export runs as a job.", obj{"type": "object", "required": []any{"id"}, "properties": obj{
					"id": obj{"type": "string", "format": "uuid"}, "status": obj{"type": "string"}, "total": obj{"type": "integer"}}}),
			}, 400, 401, 403, 404, 409),
		},
	}
	d.schemas["ExportRequest"] = obj{"type": "object", "required": []any{"format"}, "additionalProperties": false, "properties": obj{
		"format": obj{"type": "string", "enum": []any{"xlsx", "csv", "pdf"}},
		"filter": obj{"type": "string", "description": "A list filter (expression)."},
		"sort":   obj{"type": "string", "description": "As the list's sort: \"-amount,name\"."},
		"fields": obj{"type": "array", "items": obj{"type": "string"}, "description": "Field keys (and id, owner, created_at, updated_at, created_by, updated_by), in column order."},
	}}
	d.schemas["Export"] = obj{"type": "object", "required": []any{"id", "status", "format", "progress"}, "properties": obj{
		"id":     obj{"type": "string", "format": "uuid"},
		"status": obj{"type": "string", "enum": []any{"pending", "running", "done", "failed", "expired"}},
		"format": obj{"type": "string"},
		"progress": obj{"type": "object", "properties": obj{
			"done": obj{"type": "integer"}, "total": obj{"type": "integer"}, "percent": obj{"type": "integer"}}},
		"filename":     obj{"type": "string"},
		"size":         obj{"type": "integer"},
		"download_url": obj{"type": "string"},
		"expires_at":   obj{"type": "string", "format": "date-time"},
		"error":        obj{"type": "string", "description": "Why a failed export failed, in your language."},
		"created_at":   obj{"type": "string", "format": "date-time"},
	}}
}
