package openapi

// addTemplates adds the template packages (runtime/templateapi).
func (d *doc) addTemplates() {
	tag := []any{"templates"}
	zipBody := obj{"required": true, "description": "The template package: a zip archive of its folder (template.json at the top, or inside one folder).",
		"content": obj{"application/zip": obj{"schema": obj{"type": "string", "format": "binary"}}}}
	installed := ref("InstalledTemplate")
	appParam := obj{"name": "app", "in": "path", "required": true, "description": "The app installed from a template.",
		"schema": obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}}
	d.paths["/api/templates"] = obj{
		"get": obj{
			"tags": tag, "operationId": "templates.list", "summary": "List the apps installed from templates (administrators)",
			"responses": responses(obj{"200": ok("The installed templates.", obj{"type": "object", "properties": obj{
				"templates": obj{"type": "array", "items": installed}}})}, 401, 403),
		},
		"post": obj{
			"tags": tag, "operationId": "templates.install", "summary": "Install a template package as a new app (administrators)",
			"description": "One transaction: the app, its modules (with their tables), roles, approval processes, pipelines, rules, " +
				"dashboards and print templates, and with sample_data=true the package's sample records (through the write path, " +
				"lookups by natural key). Any problem refuses the whole package with one error per place, each naming its file and " +
				"a JSON pointer (modules/course.json#/schema/properties/fee/x-field/type), and nothing is left behind. An app key " +
				"that exists is a 409; a zip with paths outside the package a 400; one unpacking past the limits a 413.",
			"parameters": []any{
				obj{"name": "app", "in": "query", "description": "The app key (default: the template's key, hyphens as underscores).", "schema": obj{"type": "string"}},
				obj{"name": "sample_data", "in": "query", "description": "Load the package's sample data.", "schema": obj{"type": "boolean"}},
			},
			"requestBody": zipBody,
			"responses":   responses(obj{"201": ok("Installed; sample counts the sample records by module.", installed)}, 400, 401, 403, 409, 413, 422),
		},
	}
	d.paths["/api/templates/lint"] = obj{
		"post": obj{
			"tags": tag, "operationId": "templates.lint", "summary": "Check a template package without installing it (administrators)",
			"description": "The same checks as an install, in a transaction that is rolled back.",
			"parameters":  []any{obj{"name": "sample_data", "in": "query", "description": "Check the sample data too.", "schema": obj{"type": "boolean"}}},
			"requestBody": zipBody,
			"responses": responses(obj{"200": ok("No problems.", obj{"type": "object", "properties": obj{"ok": obj{"type": "boolean"}}})},
				400, 401, 403, 413, 422),
		},
	}
	d.paths["/api/templates/{app}"] = obj{
		"parameters": []any{appParam},
		"get": obj{
			"tags": tag, "operationId": "templates.get", "summary": "Which template an app was installed from (administrators)",
			"responses": responses(obj{"200": ok("The installed template.", installed)}, 401, 403, 404),
		},
		"delete": obj{
			"tags": tag, "operationId": "templates.uninstall", "summary": "Uninstall a template (administrators)",
			"description": "Without purge the app and its data stay (it is no longer tied to the template); with purge=true the app, " +
				"its modules with their data, and its permissions in the package's roles are deleted.",
			"parameters": []any{obj{"name": "purge", "in": "query", "schema": obj{"type": "boolean"}}},
			"responses":  responses(obj{"204": noContent("Uninstalled.")}, 401, 403, 404),
		},
	}
	d.paths["/api/templates/{app}/upgrade"] = obj{
		"parameters": []any{appParam},
		"post": obj{
			"tags": tag, "operationId": "templates.upgrade", "summary": "Plan, and with apply=true apply, an upgrade (administrators)",
			"description": "A three-way merge of the installed version, the app's metadata now and the new version: changes made on " +
				"one side apply, conflicts are listed with base, ours and theirs. Fields the new version drops are archived (hidden, " +
				"data kept); a rename needs renamedFrom in the new version, else it is an archive plus an add (the plan says so). " +
				"apply=true runs in one transaction and is a 409 while a conflict has no choice; a type change the store refuses " +
				"stops it with the store's examples.",
			"parameters": []any{
				obj{"name": "apply", "in": "query", "schema": obj{"type": "boolean"}},
				obj{"name": "choose", "in": "query", "description": "ID=ours or ID=theirs, with the conflict id from the plan; repeated.", "schema": obj{"type": "array", "items": obj{"type": "string"}}},
				obj{"name": "prefer", "in": "query", "description": "Decides the conflicts without a choose.", "schema": obj{"type": "string", "enum": []any{"ours", "theirs"}}},
			},
			"requestBody": zipBody,
			"responses":   responses(obj{"200": ok("The plan (applied says whether it was applied).", ref("TemplatePlan"))}, 400, 401, 403, 404, 409, 413, 422),
		},
	}
	d.paths["/api/templates/{app}/export"] = obj{
		"parameters": []any{appParam},
		"get": obj{
			"tags": tag, "operationId": "templates.export", "summary": "Export an app as a template package (administrators)",
			"description": "Any app (one not installed from a template gets a template.json at version 0.1.0). One file per item in a " +
				"canonical form, so installing an export and exporting it again gives identical files. Sample data is not exported.",
			"responses": responses(obj{"200": obj{"description": "The package.",
				"content": obj{"application/zip": obj{"schema": obj{"type": "string", "format": "binary"}}}}}, 401, 403, 404),
		},
	}
	d.schemas["InstalledTemplate"] = obj{"type": "object", "properties": obj{
		"app": obj{"type": "string"}, "template": obj{"type": "string"}, "version": obj{"type": "string"},
		"name": ref("Label"), "installed_at": dateTimeSchema, "upgraded_at": dateTimeSchema,
		"sample": obj{"type": "object", "additionalProperties": obj{"type": "integer"}},
	}}
	d.schemas["TemplatePlan"] = obj{"type": "object", "properties": obj{
		"app": obj{"type": "string"}, "template": obj{"type": "string"}, "from": obj{"type": "string"}, "to": obj{"type": "string"},
		"applied": obj{"type": "boolean"},
		"changes": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
			"file": obj{"type": "string"}, "pointer": obj{"type": "string"},
			"action":  obj{"type": "string", "enum": []any{"add", "update", "delete", "keep", "archive", "rename", "maybe_rename"}},
			"changed": obj{"type": "array", "items": obj{"type": "string"}}, "message": obj{"type": "string"},
		}}},
		"conflicts": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
			"id": obj{"type": "string"}, "file": obj{"type": "string"}, "pointer": obj{"type": "string"},
			"base": obj{}, "ours": obj{}, "theirs": obj{}, "choice": obj{"type": "string"},
		}}},
	}}
}
