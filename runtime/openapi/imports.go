package openapi

// addImports adds the imports of xlsx and csv files (runtime/importapi).
func (d *doc) addImports() {
	tag := []any{"imports"}
	d.parameters["ImportId"] = obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "string", "format": "uuid"}}
	d.paths["/api/apps/{app}/modules/{module}/imports"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module")},
		"post": obj{
			"tags": tag, "operationId": "imports.create", "summary": "Upload an xlsx or csv file to import",
			"description": "multipart/form-data with the file in the part named file (at most 20 MB), and optionally the " +
				"sheet to read and the header row's number (default: detected — the first visible sheet with anything in it, " +
				"and among its first 20 rows the one naming most fields, else the widest). csv may be UTF-8 (with or " +
				"without a byte order mark) or GBK/GB18030, separated by commas, semicolons or tabs. A zip bomb, a file " +
				"that is not what its name says, more than 1000 columns or 200000 rows are refused (400), and nothing is " +
				"stored. The answer names the columns (a blank header is named by its letter, a repeated one numbered) " +
				"and suggests a mapping — each column whose header is a field's key or label (in either language) that " +
				"you can fill — in the shape dry-run and run take. Only you can see the import.",
			"requestBody": obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": obj{
				"type": "object", "required": []any{"file"}, "properties": obj{
					"file":       obj{"type": "string", "format": "binary"},
					"sheet":      obj{"type": "string"},
					"header_row": obj{"type": "integer", "minimum": 1},
				}}}}},
			"responses": responses(obj{"201": ok("The import, uploaded.", ref("ImportUpload"))}, 400, 401, 403, 404, 413),
		},
	}
	d.paths["/api/imports/{id}"] = obj{
		"parameters": []any{paramRef("ImportId")},
		"get": obj{
			"tags": tag, "operationId": "imports.get", "summary": "An import's status, progress and counts",
			"description": "Only its uploader sees it (anyone else: 404). errors_url is there once it has run with failed rows.",
			"responses":   responses(obj{"200": ok("The import.", ref("Import"))}, 401, 404),
		},
	}
	d.paths["/api/imports/{id}/dry-run"] = obj{
		"parameters": []any{paramRef("ImportId")},
		"post": obj{
			"tags": tag, "operationId": "imports.dryRun", "summary": "What a run would do",
			"description": "Writes every row through the record write path (validation, rules, permissions) as you, 500 to a " +
				"transaction that is then rolled back: the counts the run would end with and every error with its row " +
				"(as numbered in the sheet), column, field and message in your language (at most 1000; errors_total counts " +
				"them all). With on_error abort and any failed row, aborted is true and nothing would be written.",
			"requestBody": body(ref("ImportRequest"), ""),
			"responses":   responses(obj{"200": ok("What would happen.", ref("ImportDryRun"))}, 400, 401, 403, 404),
		},
	}
	d.paths["/api/imports/{id}/run"] = obj{
		"parameters": []any{paramRef("ImportId")},
		"post": obj{
			"tags": tag, "operationId": "imports.run", "summary": "Run the import as a job",
			"description": "Checks the request as dry-run does and queues the run (202); poll GET /api/imports/{id}. Rows are " +
				"written as you, 500 to a transaction (on_error skip: bad rows are left out and reported), or all in one " +
				"(on_error abort: one bad row and nothing is written). An import runs once (409 after).",
			"requestBody": body(ref("ImportRequest"), ""),
			"responses":   responses(obj{"202": ok("The import, queued.", ref("Import"))}, 400, 401, 403, 404, 409),
		},
	}
	d.paths["/api/imports/{id}/errors.xlsx"] = obj{
		"parameters": []any{paramRef("ImportId")},
		"get": obj{
			"tags": tag, "operationId": "imports.errors", "summary": "The failed rows as xlsx",
			"description": "Once the import has run (409 before): each failed row's number, its cells under the file's own " +
				"headers, and a last column saying what is wrong, in your language.",
			"responses": responses(obj{"200": obj{"description": "The workbook.", "content": obj{
				"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": obj{"schema": obj{"type": "string", "format": "binary"}}}}},
				401, 404, 409),
		},
	}
	counts := obj{
		"created": obj{"type": "integer"}, "updated": obj{"type": "integer"},
		"skipped": obj{"type": "integer", "description": "Rows whose key exists (insert), or that change nothing (upsert)."},
		"failed":  obj{"type": "integer"},
	}
	d.schemas["ImportRequest"] = obj{"type": "object", "required": []any{"mapping"}, "additionalProperties": false, "properties": obj{
		"mapping": obj{"type": "object", "additionalProperties": obj{"type": "string"},
			"description": "Column name → field key; a column left out (or mapped to \"\") is not imported."},
		"mode": obj{"type": "string", "enum": []any{"insert", "upsert"}, "default": "insert",
			"description": "insert creates a record per row (with a key, rows whose key exists are skipped); upsert updates the record with the row's key, else creates one."},
		"key":      obj{"type": "string", "description": "A unique field the mapping fills: what finds existing records."},
		"on_error": obj{"type": "string", "enum": []any{"skip", "abort"}, "default": "skip"},
	}}
	d.schemas["ImportUpload"] = obj{"type": "object", "required": []any{"id", "sheets", "columns", "mapping", "sample"}, "properties": obj{
		"id":         obj{"type": "string", "format": "uuid"},
		"filename":   obj{"type": "string"},
		"format":     obj{"type": "string", "enum": []any{"xlsx", "csv"}},
		"encoding":   obj{"type": "string", "enum": []any{"utf-8", "utf-8-bom", "gb18030"}},
		"sheets":     obj{"type": "array", "items": obj{"type": "string"}},
		"sheet":      obj{"type": "string"},
		"header_row": obj{"type": "integer"},
		"rows":       obj{"type": "integer", "description": "Data rows below the header (blank ones not counted)."},
		"columns":    obj{"type": "array", "items": obj{"type": "string"}},
		"mapping":    obj{"type": "object", "additionalProperties": obj{"type": "string"}},
		"sample":     obj{"type": "array", "items": obj{"type": "array", "items": obj{"type": "string"}}},
	}}
	d.schemas["ImportDryRun"] = obj{"type": "object", "properties": merge(counts, obj{
		"rows":         obj{"type": "integer"},
		"aborted":      obj{"type": "boolean"},
		"errors_total": obj{"type": "integer"},
		"errors": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
			"row": obj{"type": "integer"}, "column": obj{"type": "string"}, "field": obj{"type": "string"}, "message": obj{"type": "string"}}}},
	})}
	d.schemas["Import"] = obj{"type": "object", "required": []any{"id", "status", "progress", "counts"}, "properties": obj{
		"id":         obj{"type": "string", "format": "uuid"},
		"status":     obj{"type": "string", "enum": []any{"uploaded", "pending", "running", "done", "failed"}},
		"app":        obj{"type": "string"},
		"module":     obj{"type": "string"},
		"filename":   obj{"type": "string"},
		"format":     obj{"type": "string"},
		"encoding":   obj{"type": "string"},
		"sheet":      obj{"type": "string"},
		"header_row": obj{"type": "integer"},
		"columns":    obj{"type": "array", "items": obj{"type": "string"}},
		"request":    ref("ImportRequest"),
		"progress": obj{"type": "object", "properties": obj{
			"done": obj{"type": "integer"}, "total": obj{"type": "integer"}, "percent": obj{"type": "integer"}}},
		"counts":     obj{"type": "object", "properties": counts},
		"error":      obj{"type": "string", "description": "Why a failed import failed, in your language."},
		"errors_url": obj{"type": "string"},
		"created_at": obj{"type": "string", "format": "date-time"},
		"updated_at": obj{"type": "string", "format": "date-time"},
	}}
}

func merge(a, b obj) obj {
	out := obj{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
