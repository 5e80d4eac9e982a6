package openapi

// addRules adds the rule engine's API (designer/ruleapi) and the expression
// editor's (designer/exprapi).
func (d *doc) addRules() {
	rules, exprs := []any{"rules"}, []any{"expressions"}
	const adminOnly = " Administrators only."
	d.paths["/api/apps/{app}/rules"] = obj{
		"parameters": []any{paramRef("App")},
		"get": obj{
			"tags": rules, "operationId": "rules.list", "summary": "List an app's rules",
			"description": "Every rule of the app, by key." + adminOnly,
			"responses":   responses(obj{"200": ok("The rules.", ref("RuleList"))}, 401, 403, 404),
		},
		"post": obj{
			"tags": rules, "operationId": "rules.create", "summary": "Create a rule",
			"description": "Trigger, condition and actions are checked against the module (expressions compile, fields exist, " +
				"a cron string parses); every problem is one error." + adminOnly,
			"requestBody": body(ref("RuleInput"), ""),
			"responses":   responses(obj{"201": ok("The new rule.", ref("Rule"))}, 400, 401, 403, 404, 409, 413, 422),
		},
	}
	d.paths["/api/apps/{app}/rules/{key}"] = obj{
		"parameters": []any{paramRef("App"), paramRef("RuleKey")},
		"get": obj{
			"tags": rules, "operationId": "rules.get", "summary": "Get a rule",
			"responses": responses(obj{"200": ok("The rule.", ref("Rule"))}, 401, 403, 404),
		},
		"put": obj{
			"tags": rules, "operationId": "rules.replace", "summary": "Replace a rule",
			"description": "A stale \"version\" is a 409." + adminOnly,
			"requestBody": body(ref("RuleInput"), ""),
			"responses":   responses(obj{"200": ok("The rule.", ref("Rule"))}, 400, 401, 403, 404, 409, 413, 422),
		},
		"patch": obj{
			"tags": rules, "operationId": "rules.enable", "summary": "Enable or disable a rule",
			"requestBody": body(obj{"type": "object", "required": []any{"enabled"}, "additionalProperties": false,
				"properties": obj{"enabled": obj{"type": "boolean"}}}, ""),
			"responses": responses(obj{"200": ok("The rule.", ref("Rule"))}, 400, 401, 403, 404, 422),
		},
		"delete": obj{
			"tags": rules, "operationId": "rules.delete", "summary": "Delete a rule",
			"description": "Its pending jobs find it gone and do nothing; its run log stays." + adminOnly,
			"responses":   responses(obj{"204": noContent("Deleted.")}, 401, 403, 404),
		},
	}
	d.paths["/api/apps/{app}/rules/{key}/runs"] = obj{
		"parameters": []any{paramRef("App"), paramRef("RuleKey")},
		"get": obj{
			"tags": rules, "operationId": "rules.runs", "summary": "A rule's run log",
			"description": "Newest first: record, trigger, outcome (ok, skipped, failed, dry_run), error, duration.",
			"parameters":  []any{obj{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 500, "default": 100}}},
			"responses":   responses(obj{"200": ok("The runs.", ref("RuleRunList"))}, 401, 403, 404),
		},
	}
	d.paths["/api/apps/{app}/rules/{key}/dry-run"] = obj{
		"parameters": []any{paramRef("App"), paramRef("RuleKey")},
		"post": obj{
			"tags": rules, "operationId": "rules.dryRun", "summary": "What a rule would do to a record",
			"description": "Evaluates the condition and describes each action's effect without writing anything.",
			"requestBody": body(obj{"type": "object", "required": []any{"record"}, "additionalProperties": false,
				"properties": obj{"record": obj{"type": "string", "format": "uuid"}}}, ""),
			"responses": responses(obj{"200": ok("The outcome.", ref("DryRun"))}, 400, 401, 403, 404, 422),
		},
	}
	d.paths["/api/apps/{app}/modules/{module}/records/{id}/rule-runs"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module"), paramRef("RecordId")},
		"get": obj{
			"tags": rules, "operationId": "rules.recordRuns", "summary": "The rule runs on one record",
			"description": "Newest first, of every rule of the app." + adminOnly,
			"responses":   responses(obj{"200": ok("The runs.", ref("RuleRunList"))}, 401, 403, 404),
		},
	}
	d.paths["/api/hooks/{token}"] = obj{
		"parameters": []any{obj{"name": "token", "in": "path", "required": true, "schema": obj{"type": "string"},
			"description": "The secret of a rule with trigger webhook (shown in the rule)."}},
		"post": obj{
			"tags": rules, "operationId": "hooks.deliver", "summary": "Inbound webhook",
			"description": "No sign-in: the URL is the secret. The JSON body creates a record of the rule's module (or, " +
				"with an \"id\", updates that record) as channel \"webhook\"; then the rule's actions run on it.",
			"security":    []any{},
			"requestBody": body(obj{"type": "object"}, ""),
			"responses": responses(obj{
				"201": ok("Created.", obj{"type": "object", "properties": obj{"id": obj{"type": "string"}, "version": obj{"type": "integer"}}}),
				"200": ok("Updated.", obj{"type": "object", "properties": obj{"id": obj{"type": "string"}, "version": obj{"type": "integer"}}}),
			}, 400, 404, 409, 413, 422),
		},
	}
	d.paths["/api/notifications"] = obj{
		"get": obj{
			"tags": []any{"notifications"}, "operationId": "notifications.list", "summary": "Your in-app notifications",
			"description": "Newest first; ?unread=true for the unread ones only.",
			"parameters": []any{obj{"name": "unread", "in": "query", "schema": obj{"type": "boolean"}},
				obj{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}},
			"responses": responses(obj{"200": ok("Notifications.", obj{"type": "object", "properties": obj{"notifications": arrayOf(obj{
				"type": "object", "properties": obj{
					"id": obj{"type": "string", "format": "uuid"}, "title": obj{"type": "string"}, "app": obj{"type": "string"},
					"module": obj{"type": "string"}, "record_id": obj{"type": "string"}, "source": obj{"type": "string"},
					"record_title": str("The record's current title (its module's title field), when you may see it."),
					"created_at":   obj{"type": "string", "format": "date-time"}, "read_at": obj{"type": "string", "format": "date-time"},
				}})}})}, 401),
		},
	}
	d.paths["/api/notifications/{id}/read"] = obj{
		"parameters": []any{obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "string", "format": "uuid"}}},
		"post": obj{
			"tags": []any{"notifications"}, "operationId": "notifications.read", "summary": "Mark a notification read",
			"responses": responses(obj{"204": noContent("Marked read.")}, 401, 404),
		},
	}
	d.paths["/api/apps/{app}/expr/check"] = obj{
		"parameters": []any{paramRef("App")},
		"post": obj{
			"tags": exprs, "operationId": "expr.check", "summary": "Type-check an expression against a module",
			"requestBody": body(obj{"type": "object", "required": []any{"module", "expr"}, "additionalProperties": false,
				"properties": obj{"module": obj{"type": "string"}, "expr": obj{"type": "string", "maxLength": 4096},
					"want": obj{"type": "string", "enum": []any{"", "bool", "number", "string", "date", "datetime"}}}}, ""),
			"responses": responses(obj{"200": ok("The result type, and the errors with their positions.", ref("ExprCheck"))}, 400, 401, 403, 404, 422),
		},
	}
	d.paths["/api/apps/{app}/expr/eval"] = obj{
		"parameters": []any{paramRef("App")},
		"post": obj{
			"tags": exprs, "operationId": "expr.eval", "summary": "Evaluate an expression against a sample record",
			"description": "\"record\" is either an object of sample field values or the id of a record you may read.",
			"requestBody": body(obj{"type": "object", "required": []any{"module", "expr"}, "additionalProperties": false,
				"properties": obj{"module": obj{"type": "string"}, "expr": obj{"type": "string", "maxLength": 4096},
					"record": obj{"oneOf": []any{obj{"type": "object"}, obj{"type": "string", "format": "uuid"}}},
					"old":    obj{"oneOf": []any{obj{"type": "object"}, obj{"type": "string", "format": "uuid"}}},
					"want":   obj{"type": "string", "enum": []any{"", "bool", "number", "string", "date", "datetime"}},
					"now":    obj{"type": "string", "format": "date-time"}}}, ""),
			"responses": responses(obj{"200": ok("The value and its type.", obj{"type": "object", "properties": obj{"value": obj{}, "type": obj{"type": "string"}}})}, 400, 401, 403, 404, 422),
		},
	}
}

// addRuleComponents adds the schemas of the rule and expression APIs.
func (d *doc) addRuleComponents() {
	s := d.schemas
	d.parameters["RuleKey"] = obj{"name": "key", "in": "path", "required": true, "schema": obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}}
	exprMap := obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "Field → expression."}
	s["RuleTrigger"] = obj{
		"type": "object", "required": []any{"type"},
		"properties": obj{
			"type":   obj{"type": "string", "enum": []any{"created", "updated", "saved", "deleted", "field_changed", "date_relative", "schedule", "festival", "webhook", "stage_changed"}},
			"field":  obj{"type": "string", "description": "field_changed, date_relative: the field."},
			"from":   obj{"description": "field_changed: only when it changed from this value."},
			"to":     obj{"description": "field_changed: only when it changed to this value."},
			"flow":   obj{"type": "string", "description": "stage_changed: the pipeline (optional when the module has one); from and to are its states."},
			"offset": obj{"type": "string", "pattern": "^[+-]?[0-9]{1,5}[mhd]$", "description": "date_relative, festival: e.g. -60d, 2h."},
			"repeat": obj{"type": "string", "enum": []any{"yearly"}, "description": "date_relative: fire on every anniversary of the date (29 February: on 28 February in common years)."},
			"festival": obj{"type": "string", "enum": []any{"dragon_boat", "labour_day", "lantern", "mid_autumn", "national_day", "new_year", "spring_festival", "womens_day"},
				"description": "festival: fires every year at 00:00 UTC of the festival's day plus offset, over the records whose condition holds; lunar dates 2024–2035."},
			"cron":  obj{"type": "string", "description": "schedule: five-field cron, UTC.", "examples": []any{"0 9 * * 1-5"}},
			"token": obj{"type": "string", "readOnly": true, "description": "webhook: the secret of POST /api/hooks/{token}."},
		},
	}
	s["RuleAction"] = obj{
		"type": "object", "required": []any{"type"},
		"properties": obj{
			"type":    obj{"type": "string", "enum": []any{"set", "reject", "create", "task", "webhook", "notify", "email", "assign", "pool", "update_related"}},
			"values":  exprMap,
			"module":  obj{"type": "string", "description": "create, task: the target module."},
			"message": ref("Label"),
			"url":     obj{"type": "string", "format": "uri", "description": "webhook: POSTed JSON, signed `X-Tessera-Signature: t=<unix>,v1=<HMAC-SHA256>`."},
			"secret":  obj{"type": "string"},
		},
	}
	props := obj{
		"key":         obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
		"label":       ref("Label"),
		"module":      obj{"type": "string"},
		"enabled":     obj{"type": "boolean", "default": true},
		"before_save": obj{"type": "boolean", "default": false, "description": "Run inside the write: may set fields or reject it."},
		"trigger":     ref("RuleTrigger"),
		"condition":   obj{"type": "string", "description": "An expression that must hold; empty: always."},
		"actions":     arrayOf(ref("RuleAction")),
		"version":     obj{"type": "integer", "description": "On replace: the version being replaced."},
	}
	s["RuleInput"] = obj{"type": "object", "required": []any{"key", "label", "module", "trigger", "actions"}, "properties": props}
	out := obj{}
	for k, v := range props {
		out[k] = v
	}
	out["id"] = obj{"type": "string", "format": "uuid"}
	out["app"] = obj{"type": "string"}
	out["created_at"] = obj{"type": "string", "format": "date-time"}
	out["updated_at"] = obj{"type": "string", "format": "date-time"}
	s["Rule"] = obj{"type": "object", "properties": out}
	s["RuleList"] = obj{"type": "object", "required": []any{"rules"}, "properties": obj{"rules": arrayOf(ref("Rule"))}}
	s["RuleRunList"] = obj{"type": "object", "required": []any{"runs"}, "properties": obj{"runs": arrayOf(obj{
		"type": "object",
		"properties": obj{
			"id": obj{"type": "string"}, "rule": obj{"type": "string"}, "record_id": obj{"type": "string"},
			"trigger": obj{"type": "string"}, "outcome": obj{"type": "string", "enum": []any{"ok", "skipped", "failed", "dry_run"}},
			"error": obj{"type": "string"}, "duration_us": obj{"type": "integer"}, "at": obj{"type": "string", "format": "date-time"},
		},
	})}}
	s["DryRun"] = obj{"type": "object", "properties": obj{
		"applies": obj{"type": "boolean"}, "effects": arrayOf(obj{"type": "string"}), "error": obj{"type": "string"},
	}}
	s["ExprCheck"] = obj{"type": "object", "properties": obj{
		"type": obj{"type": "string"},
		"errors": arrayOf(obj{"type": "object", "properties": obj{
			"message": obj{"type": "string"}, "line": obj{"type": "integer"}, "column": obj{"type": "integer"}, "pos": obj{"type": "integer"},
		}}),
	}}
}
