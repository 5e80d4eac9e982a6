package openapi

import "github.com/tessera-app/tessera/engine/pdf"

// addPrints adds the print templates and the record PDF render
// (runtime/printapi).
func (d *doc) addPrints() {
	tag := []any{"print"}
	d.parameters["PrintTemplateKey"] = obj{"name": "key", "in": "path", "required": true,
		"schema": obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}}
	one := ok("The template.", ref("PrintTemplate"))
	d.paths["/api/apps/{app}/print-templates"] = obj{
		"parameters": []any{paramRef("App")},
		"get": obj{
			"tags": tag, "operationId": "print.list", "summary": "List the print templates you may use",
			"description": "Templates of the modules you may read (administrators: all). Each carries problems: what no longer " +
				"holds since it was saved (a field or module deleted), localized; such a template is not rendered until fixed.",
			"responses": responses(obj{"200": ok("The templates.", obj{"type": "object", "properties": obj{
				"print_templates": obj{"type": "array", "items": ref("PrintTemplate")}}})}, 401, 404),
		},
		"post": obj{
			"tags": tag, "operationId": "print.create", "summary": "Create a print template (administrators)",
			"description": "Every module, field, child module and its lookup (via), page size, block type and the logo are " +
				"checked; each problem is one error naming its place (layout.blocks.2.columns.0).",
			"requestBody": body(ref("PrintTemplate"), ""),
			"responses":   responses(obj{"201": ok("The new template.", ref("PrintTemplate"))}, 400, 401, 403, 404, 409, 413, 422),
		},
	}
	d.paths["/api/apps/{app}/print-templates/{key}"] = obj{
		"parameters": []any{paramRef("App"), paramRef("PrintTemplateKey")},
		"get": obj{
			"tags": tag, "operationId": "print.get", "summary": "Get a print template",
			"description": "404 unless you may read its module.",
			"responses":   responses(obj{"200": one}, 401, 404),
		},
		"put": obj{
			"tags": tag, "operationId": "print.replace", "summary": "Replace a print template (administrators)",
			"description": "Send the version you read: without it a 422, a stale one a 409. The key cannot change.",
			"requestBody": body(ref("PrintTemplate"), ""),
			"responses":   responses(obj{"200": one}, 400, 401, 403, 404, 409, 413, 422),
		},
		"delete": obj{
			"tags": tag, "operationId": "print.delete", "summary": "Delete a print template (administrators)",
			"responses": responses(obj{"204": noContent("Deleted.")}, 401, 403, 404),
		},
	}
	d.paths["/api/apps/{app}/modules/{module}/records/{id}/print/{template}"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module"), paramRef("RecordId"),
			obj{"name": "template", "in": "path", "required": true, "schema": obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}}},
		"get": obj{
			"tags": tag, "operationId": "print.render", "summary": "Render a record to PDF with a template",
			"description": "As you: the record and the child rows of table blocks are those in your read scope, and a field " +
				"hidden from you prints nothing (its line, column or placeholder is left out); a child module you may not read " +
				"prints no table. Labels, dates (in your time zone) and page numbers are in your language. A template with " +
				"problems (a field deleted since) is a 422 naming the field; a missing CJK font is a 500 saying which file " +
				"and how to set it (TESSERA_CJK_FONT).",
			"responses": responses(obj{"200": obj{"description": "The document.",
				"headers": obj{"Content-Disposition": obj{"schema": obj{"type": "string"},
					"description": "inline; filename*=UTF-8'' followed by the document's title and .pdf, percent-encoded"}},
				"content": obj{"application/pdf": obj{"schema": obj{"type": "string", "format": "binary"}}}}},
				401, 403, 404, 422),
		},
	}
	d.schemas["PrintBlock"] = obj{"type": "object", "required": []any{"type"}, "additionalProperties": false, "properties": obj{
		"type":    obj{"type": "string", "enum": []any{"heading", "fields", "table", "text", "totals", "amount_in_words", "signature", "divider"}},
		"title":   str("fields, table, totals: a heading above the block ({{field}} placeholders allowed)."),
		"text":    str("heading, text: the text; {{field}} is the record's value of field, as you may see it."),
		"fields":  obj{"type": "array", "items": obj{"type": "string"}, "description": "fields, totals: field keys (and id, owner, created_at, updated_at, created_by, updated_by)."},
		"per_row": obj{"type": "integer", "minimum": 1, "maximum": 3, "description": "fields: label/value pairs side by side (default 2)."},
		"module":  str("table: the child module."),
		"via":     str("table: the child module's lookup field pointing to this module."),
		"columns": obj{"type": "array", "items": obj{"type": "string"}, "maxItems": 12, "description": "table: child fields."},
		"sum":     obj{"type": "array", "items": obj{"type": "string"}, "description": "table: numeric columns totalled under the rows."},
		"sort":    str("table: \"-amount,name\"; default oldest first."),
		"field":   str("amount_in_words: the numeric field written in Chinese capitals (大写金额)."),
		"label":   str("amount_in_words: the label before it."),
		"labels":  obj{"type": "array", "items": obj{"type": "string"}, "maxItems": 6, "description": "signature: the lines to sign on (default: signature, date)."},
	}}
	d.schemas["PrintTemplate"] = obj{"type": "object", "required": []any{"key", "module", "label", "layout"}, "properties": obj{
		"key":    obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "maxLength": 40},
		"module": obj{"type": "string"},
		"label":  ref("Label"),
		"page":   obj{"type": "string", "description": "Page size (default A4).", "enum": pageSizes()},
		"layout": obj{"type": "object", "required": []any{"title", "blocks"}, "additionalProperties": false, "properties": obj{
			"title":     str("At the top of every page; {{field}} placeholders allowed."),
			"logo":      str("data:image/png;base64,… or data:image/jpeg;base64,… (at most 256 KB and 4096 pixels a side)."),
			"landscape": obj{"type": "boolean"},
			"footer":    str("At the bottom of every page, with the page number; placeholders allowed."),
			"blocks":    obj{"type": "array", "maxItems": 50, "items": ref("PrintBlock")},
		}},
		"version": obj{"type": "integer", "description": "On replace: the version you read (optimistic concurrency)."},
		"problems": obj{"type": "array", "readOnly": true, "description": "What no longer holds (a field deleted since), localized.",
			"items": obj{"type": "object", "properties": obj{"field": obj{"type": "string"}, "code": obj{"type": "string"}, "message": obj{"type": "string"}}}},
		"id":         obj{"type": "string", "readOnly": true},
		"app":        obj{"type": "string", "readOnly": true},
		"created_at": obj{"type": "string", "format": "date-time", "readOnly": true},
		"updated_at": obj{"type": "string", "format": "date-time", "readOnly": true},
	}}
}

func pageSizes() []any {
	out := make([]any, len(pdf.PageSizes))
	for i, p := range pdf.PageSizes {
		out[i] = p
	}
	return out
}
