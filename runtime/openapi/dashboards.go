package openapi

// addDashboards adds the dashboards (runtime/reportapi/dashboards.go) and,
// until the query helper documents them in full, the query endpoints.
func (d *doc) addDashboards() {
	tag := []any{"dashboards"}
	d.parameters["DashboardKey"] = obj{"name": "key", "in": "path", "required": true,
		"schema": obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}}
	d.paths["/api/apps/{app}/dashboards"] = obj{
		"parameters": []any{paramRef("App")},
		"get": obj{
			"tags": tag, "operationId": "dashboards.list", "summary": "List the dashboards you may see",
			"description": "Shared dashboards shared with one of your roles (or with nobody named: everyone), and your private ones.",
			"responses":   responses(obj{"200": ok("The dashboards.", obj{"type": "object", "properties": obj{"dashboards": obj{"type": "array", "items": ref("Dashboard")}}})}, 401, 404),
		},
		"post": obj{
			"tags": tag, "operationId": "dashboards.create", "summary": "Create a dashboard",
			"description": "private: true makes it yours alone (anyone may). A shared one needs administrators or the manage " +
				"permission on every module its widgets read. Layout (12 columns, no overlap), widget types and the shape of " +
				"each query are checked, one error per problem.",
			"requestBody": body(ref("Dashboard"), ""),
			"responses":   responses(obj{"201": ok("The new dashboard.", ref("Dashboard"))}, 400, 401, 403, 404, 409, 413, 422),
		},
	}
	d.paths["/api/apps/{app}/dashboards/{key}"] = obj{
		"parameters": []any{paramRef("App"), paramRef("DashboardKey")},
		"get": obj{
			"tags": tag, "operationId": "dashboards.get", "summary": "Get a dashboard",
			"responses": responses(obj{"200": ok("The dashboard.", ref("Dashboard"))}, 401, 404),
		},
		"put": obj{
			"tags": tag, "operationId": "dashboards.replace", "summary": "Replace a dashboard",
			"description": "Send the version you read; a stale one is a 409. Whoever saves becomes the publisher.",
			"requestBody": body(ref("Dashboard"), ""),
			"responses":   responses(obj{"200": ok("The dashboard.", ref("Dashboard"))}, 400, 401, 403, 404, 409, 413, 422),
		},
		"delete": obj{
			"tags": tag, "operationId": "dashboards.delete", "summary": "Delete a dashboard",
			"responses": responses(obj{"204": noContent("Deleted.")}, 401, 403, 404),
		},
	}
	q := func(name, desc string) obj {
		return obj{"name": name, "in": "query", "schema": obj{"type": "string"}, "description": desc}
	}
	d.paths["/api/apps/{app}/dashboards/{key}/data"] = obj{
		"parameters": []any{paramRef("App"), paramRef("DashboardKey")},
		"get": obj{
			"tags": tag, "operationId": "dashboards.data", "summary": "The data of every widget",
			"description": "Widgets' queries run concurrently, as you (or as the publisher on a run_as publisher dashboard; " +
				"record lists always as you). A widget that fails gets {\"error\": {code, message}}; the others still answer. " +
				"Select filters read the parameter named by their key.",
			"parameters": []any{q("from", "Date range start (YYYY-MM-DD)."), q("to", "Date range end, excluded."),
				q("owner", "A user id or \"me\"."), q("department", "A department key (its sub-departments included).")},
			"responses": responses(obj{"200": ok("By widget key.", obj{"type": "object", "properties": obj{"widgets": obj{"type": "object", "additionalProperties": true}}})}, 400, 401, 404, 409),
		},
	}
	spec := obj{"type": "object", "additionalProperties": true, "description": "A query spec (engine/report.Spec)."}
	d.schemas["Dashboard"] = obj{"type": "object", "required": []any{"key", "widgets"}, "properties": obj{
		"key": obj{"type": "string"}, "label": ref("Label"), "private": obj{"type": "boolean"},
		"roles":  obj{"type": "array", "items": obj{"type": "string"}},
		"run_as": obj{"type": "string", "enum": []any{"viewer", "publisher"}},
		"filters": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
			"key": obj{"type": "string"}, "type": obj{"type": "string", "enum": []any{"date_range", "owner", "department", "select"}},
			"label": ref("Label"), "field": obj{"type": "string"}, "fields": obj{"type": "object", "additionalProperties": obj{"type": "string"}},
			"widgets": obj{"type": "array", "items": obj{"type": "string"}}}}},
		"widgets": obj{"type": "array", "items": obj{"type": "object", "required": []any{"key", "type", "x", "y", "w", "h", "query"}, "properties": obj{
			"key": obj{"type": "string"}, "type": obj{"type": "string", "enum": []any{"kpi", "bar", "line", "area", "pie", "donut", "funnel", "table", "pivot", "leaderboard", "gauge", "map", "list"}},
			"title": ref("Label"), "x": obj{"type": "integer", "minimum": 0, "maximum": 11}, "y": obj{"type": "integer", "minimum": 0},
			"w": obj{"type": "integer", "minimum": 1, "maximum": 12}, "h": obj{"type": "integer", "minimum": 1},
			"query": spec, "options": obj{"type": "object", "additionalProperties": true}}}},
		"owner":      obj{"type": "string", "readOnly": true},
		"publisher":  obj{"type": "string", "readOnly": true},
		"version":    obj{"type": "integer"},
		"created_at": obj{"type": "string", "format": "date-time", "readOnly": true},
		"updated_at": obj{"type": "string", "format": "date-time", "readOnly": true},
	}}
	qtag := []any{"reports"}
	if _, done := d.paths["/api/apps/{app}/query"]; !done {
		d.paths["/api/apps/{app}/query"] = obj{"parameters": []any{paramRef("App")}, "post": obj{
			"tags": qtag, "operationId": "reports.query", "summary": "Run a query spec",
			"requestBody": body(spec, ""), "responses": responses(obj{"200": ok("Columns and rows.", obj{"type": "object", "additionalProperties": true})}, 400, 401, 403, 404, 413),
		}}
		d.paths["/api/apps/{app}/query/drill"] = obj{"parameters": []any{paramRef("App")}, "post": obj{
			"tags": qtag, "operationId": "reports.drill", "summary": "The records behind one cell",
			"requestBody": body(obj{"type": "object", "additionalProperties": true}, ""), "responses": responses(obj{"200": ok("Filter and first page.", obj{"type": "object", "additionalProperties": true})}, 400, 401, 403, 404, 413),
		}}
	}
}
