package openapi

// addPublications adds public forms and views: their administration and
// the routes visitors reach by token (runtime/publicapi).
func (d *doc) addPublications() {
	tag := []any{"public"}
	d.parameters["PublicationKey"] = obj{"name": "key", "in": "path", "required": true,
		"schema": obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}}
	d.parameters["PublicToken"] = obj{"name": "token", "in": "path", "required": true,
		"schema": obj{"type": "string", "minLength": 20, "maxLength": 100}}
	issued := obj{"type": "object", "properties": obj{"secret": str("The token, shown this once."), "url": str("The visitors' path.")}}
	for _, kind := range []struct{ path, name, id string }{{"public-forms", "public form", "forms"}, {"public-views", "public view", "views"}} {
		base := "/api/apps/{app}/" + kind.path
		d.paths[base] = obj{
			"parameters": []any{paramRef("App")},
			"get": obj{"tags": tag, "operationId": "public." + kind.id + ".list", "summary": "List the app's " + kind.name + "s (administrators)",
				"responses": responses(obj{"200": ok("The publications.", obj{"type": "object", "properties": obj{
					"publications": arrayOf(ref("Publication"))}})}, 401, 403, 404)},
			"post": obj{"tags": tag, "operationId": "public." + kind.id + ".create", "summary": "Create a " + kind.name + " (administrators)",
				"description": "Checked against the module (one error per problem, naming its place). The answer carries the " +
					"token (secret) and the visitors' url — shown this once; only the token's SHA-256 is stored.",
				"requestBody": body(ref("Publication"), ""),
				"responses":   responses(obj{"201": ok("The new publication with its token.", obj{"allOf": []any{ref("Publication"), issued}})}, 400, 401, 403, 404, 409, 413, 422)},
		}
		d.paths[base+"/{key}"] = obj{
			"parameters": []any{paramRef("App"), paramRef("PublicationKey")},
			"get": obj{"tags": tag, "operationId": "public." + kind.id + ".get", "summary": "Get a " + kind.name + " (administrators)",
				"responses": responses(obj{"200": ok("The publication.", ref("Publication"))}, 401, 403, 404)},
			"put": obj{"tags": tag, "operationId": "public." + kind.id + ".replace", "summary": "Replace a " + kind.name + " (administrators)",
				"description": "Send the version you read (missing: 422, stale: 409); the key and the token stay.",
				"requestBody": body(ref("Publication"), ""),
				"responses":   responses(obj{"200": ok("The publication.", ref("Publication"))}, 400, 401, 403, 404, 409, 413, 422)},
			"delete": obj{"tags": tag, "operationId": "public." + kind.id + ".delete", "summary": "Delete a " + kind.name + " (administrators)",
				"responses": responses(obj{"204": noContent("Deleted; its link stops working.")}, 401, 403, 404)},
		}
		d.paths[base+"/{key}/token"] = obj{
			"parameters": []any{paramRef("App"), paramRef("PublicationKey")},
			"post": obj{"tags": tag, "operationId": "public." + kind.id + ".issue", "summary": "Issue a new token (administrators)",
				"description": "The old token stops working at once.",
				"responses":   responses(obj{"200": ok("The new token, shown this once.", issued)}, 401, 403, 404, 409)},
			"delete": obj{"tags": tag, "operationId": "public." + kind.id + ".revoke", "summary": "Revoke the token (administrators)",
				"description": "Nobody reaches the publication until a new token is issued.",
				"responses":   responses(obj{"204": noContent("Revoked.")}, 401, 403, 404, 409)},
		}
	}
	limited := " Rate-limited per client address (the peer, or what a trusted proxy says) and minute: past the " +
		"publication's rate_limit a 429 with Retry-After. An unknown or revoked token is a 404."
	d.paths["/api/public/forms/{token}"] = obj{
		"parameters": []any{paramRef("PublicToken")},
		"get": obj{"tags": tag, "operationId": "public.form", "summary": "A public form's fields (no sign-in)", "security": []any{},
			"description": "The form's chosen fields only, with labels and options in the visitor's language." + limited,
			"responses": responses(obj{"200": ok("The form.", obj{"type": "object", "properties": obj{
				"label": obj{"type": "string"}, "description": obj{"type": "string"},
				"fields": arrayOf(obj{"type": "object", "properties": obj{"key": obj{"type": "string"}, "type": obj{"type": "string"},
					"label": obj{"type": "string"}, "required": obj{"type": "boolean"},
					"options": arrayOf(obj{"type": "object", "properties": obj{"value": obj{"type": "string"}, "label": obj{"type": "string"}}})}}),
			}})}, 404, 429)},
		"post": obj{"tags": tag, "operationId": "public.submit", "summary": "Submit a public form (no sign-in)", "security": []any{},
			"description": "Creates a record through the write path as the form's system user (form:{key}, channel public_form): " +
				"the module's validation, formulas and rules apply, and the form's fixed values are added. Only the form's fields " +
				"may be sent (another is a 422 naming it). The answer never includes the record." + limited,
			"requestBody": body(obj{"type": "object", "additionalProperties": true}, "Field key → value."),
			"responses": responses(obj{"201": ok("Thanks, and where to go.", obj{"type": "object", "properties": obj{
				"message": obj{"type": "string"}, "redirect": obj{"type": "string"}}})}, 400, 404, 413, 422, 429)},
	}
	viewPage := obj{"type": "object", "properties": obj{"label": obj{"type": "string"}, "fields": arrayOf(obj{"type": "string"}),
		"records": arrayOf(obj{"type": "object", "description": "id and the view's fields, nothing else."}), "next_cursor": obj{"type": "string"}}}
	d.paths["/api/public/views/{token}"] = obj{
		"parameters": []any{paramRef("PublicToken")},
		"get": obj{"tags": tag, "operationId": "public.view", "summary": "A page of a public view (no sign-in)", "security": []any{},
			"description": "The records the view's filter admits, in its sort, each with id and the view's fields only." + limited,
			"parameters":  []any{paramRef("Limit"), paramRef("Cursor")},
			"responses":   responses(obj{"200": ok("A page.", viewPage)}, 400, 404, 429)},
	}
	d.paths["/api/public/views/{token}/records/{id}"] = obj{
		"parameters": []any{paramRef("PublicToken"), paramRef("RecordId")},
		"get": obj{"tags": tag, "operationId": "public.view.record", "summary": "One record of a public view (no sign-in)", "security": []any{},
			"description": "404 unless the view's filter admits it." + limited,
			"responses":   responses(obj{"200": ok("id and the view's fields.", obj{"type": "object"})}, 404, 429)},
	}
	label := ref("Label")
	d.schemas["Publication"] = obj{"type": "object", "required": []any{"key", "module", "label", "fields"}, "properties": obj{
		"key": obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "maxLength": 40}, "module": obj{"type": "string"},
		"label": label, "description": label,
		"fields":     obj{"type": "array", "items": obj{"type": "string"}, "minItems": 1, "maxItems": 100, "description": "What the form asks for (not computed, lookup or user fields) or the view shows."},
		"required":   obj{"type": "array", "items": obj{"type": "string"}, "description": "Forms: fields required beyond the module's own."},
		"values":     obj{"type": "object", "additionalProperties": true, "description": "Forms: set on every record created (source = web)."},
		"owner":      str("Forms: the user owning the records created; empty leaves them without owner."),
		"success":    obj{"type": "object", "properties": obj{"message": label, "redirect": obj{"type": "string", "format": "uri"}}},
		"filter":     str("Views: the records shown (state == \"published\")."),
		"sort":       str("Views: \"-updated_at,title\"."),
		"rate_limit": obj{"type": "integer", "minimum": 1, "maximum": 10000, "description": "Requests per client address and minute (default 10 for a form, 120 for a view)."},
		"token":      obj{"type": "boolean", "readOnly": true, "description": "Whether a token is issued."},
		"version":    obj{"type": "integer", "description": "On replace: the version you read."},
		"id":         obj{"type": "string", "readOnly": true}, "app": obj{"type": "string", "readOnly": true}, "type": obj{"type": "string", "readOnly": true},
		"created_at": obj{"type": "string", "format": "date-time", "readOnly": true},
		"updated_at": obj{"type": "string", "format": "date-time", "readOnly": true},
	}}
}
