package openapi

import (
	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/meta"
)

// Shared schema fragments.
var (
	uuidSchema     = obj{"type": "string", "format": "uuid"}
	dateTimeSchema = obj{"type": "string", "format": "date-time"}
)

// Nullable ones, fresh on every call (callers add descriptions).
func nullUUID() obj     { return obj{"type": []any{"string", "null"}, "format": "uuid"} }
func nullDateTime() obj { return obj{"type": []any{"string", "null"}, "format": "date-time"} }

func str(description string) obj { return obj{"type": "string", "description": description} }

func arrayOf(items any) obj { return obj{"type": "array", "items": items} }

// keySchema is the JSON Schema of an app or module key of at most max
// bytes: meta.ValidKey's shape (lower-case letters, digits and single
// underscores, starting with a letter, not ending with "_").
func keySchema(max int, description string) obj {
	return obj{
		"type": "string", "minLength": 1, "maxLength": max,
		"pattern":     "^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$",
		"description": description,
	}
}

// addStatic adds the fixed endpoints and the components they use.
func (d *doc) addStatic() {
	d.addStaticComponents()
	d.tags = append(d.tags,
		obj{"name": "auth", "description": "Sign-in, the signed-in user, their personal API tokens and their sessions."},
		obj{"name": "apps", "description": "Apps: groups of modules (admins change them)."},
		obj{"name": "modules", "description": "Modules: each is a JSON Schema 2020-12 document (admins, and holders of the manage permission, change them)."},
		obj{"name": "records", "description": "Records of any module, by app and module key. Every module the caller may read also has " +
			"its own concrete paths, with its own schemas, under its own tag (app.module)."},
		obj{"name": "users", "description": "Users with their departments and roles (administrators)."},
		obj{"name": "departments", "description": "The organisation tree (administrators)."},
		obj{"name": "roles", "description": "Roles: named sets of module permissions; a user's rights are the union of their roles' (administrators)."},
		obj{"name": "openapi", "description": "This document."},
	)

	d.paths["/api/auth/login"] = obj{"post": obj{
		"tags": []any{"auth"}, "operationId": "auth.login",
		"summary": "Sign in",
		"description": "Checks email and password and starts a session: the reply carries a bearer token, and browsers also get the tessera_session cookie. " +
			"Failures are counted per email and client address, and per address: past either limit, further attempts from that address get a 429 with Retry-After until the wait is over. " +
			"Many failures of one email from everywhere only delay its sign-ins by a few seconds, so that nobody elsewhere can lock the owner out.",
		"security":    []any{}, // public
		"requestBody": body(ref("LoginRequest"), ""),
		"responses": responses(obj{"200": ok("Signed in.", ref("LoginResponse"))},
			400, 401, 413, 422, 429),
	}}
	d.paths["/api/auth/logout"] = obj{"post": obj{
		"tags": []any{"auth"}, "operationId": "auth.logout",
		"summary":   "Sign out",
		"responses": responses(obj{"204": noContent("Signed out; the session token no longer works.")}, 401, 403),
	}}
	d.paths["/api/auth/me"] = obj{
		"get": obj{
			"tags": []any{"auth"}, "operationId": "auth.me",
			"summary":   "The signed-in user",
			"responses": responses(obj{"200": ok("The signed-in user.", ref("User"))}, 401),
		},
		"patch": obj{
			"tags": []any{"auth"}, "operationId": "auth.me.update",
			"summary": "Change one's own name, language or time zone",
			"description": "Members left out stay as they are. The locale decides the language of messages when a request sends no " +
				"Accept-Language; the web app stores the language switch here.",
			"requestBody": body(ref("MePatch"), ""),
			"responses":   responses(obj{"200": ok("The signed-in user, changed.", ref("User"))}, 400, 401, 403, 413, 422),
		},
	}
	d.paths["/api/people"] = obj{"get": obj{
		"tags": []any{"auth"}, "operationId": "people.list",
		"summary": "Find people",
		"description": "Active users whose name or email contains q (by name), or the users of ids: only their id and name, " +
			"for user pickers and for showing who owns or changed a record. Open to every signed-in user.",
		"parameters": []any{
			obj{"name": "q", "in": "query", "schema": obj{"type": "string", "maxLength": 200}, "description": "Part of a name or email."},
			obj{"name": "ids", "in": "query", "schema": obj{"type": "string"}, "description": "Comma-separated user ids (at most 100)."},
			obj{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
		},
		"responses": responses(obj{"200": ok("People.", ref("PersonList"))}, 400, 401),
	}}
	d.paths["/api/auth/tokens"] = obj{
		"get": obj{
			"tags": []any{"auth"}, "operationId": "auth.tokens.list",
			"summary":     "List your API tokens",
			"description": "Your live (not revoked, not expired) personal API tokens, newest first. The tokens themselves are never shown again.",
			"responses":   responses(obj{"200": ok("Your API tokens.", ref("TokenList"))}, 401),
		},
		"post": obj{
			"tags": []any{"auth"}, "operationId": "auth.tokens.create",
			"summary": "Create an API token",
			"description": "A personal API token acts as you, like a session, until it expires or is revoked; send it as " +
				"`Authorization: Bearer <token>`. The reply holds the token this once: the server keeps only its hash. " +
				"A request authenticated with an API token cannot create tokens (403). At most " + itoa(access.MaxTokens) +
				" live tokens per user (409).",
			"requestBody": body(ref("TokenInput"), ""),
			"responses": responses(obj{"201": ok("The new token, with the token itself (shown once).", ref("NewToken"))},
				400, 401, 403, 409, 413, 422),
		},
	}
	d.paths["/api/auth/tokens/{id}"] = obj{
		"parameters": []any{paramRef("TokenId")},
		"delete": obj{
			"tags": []any{"auth"}, "operationId": "auth.tokens.revoke",
			"summary":   "Revoke one of your API tokens",
			"responses": responses(obj{"204": noContent("Revoked; the token no longer works.")}, 401, 403, 404),
		},
	}
	d.paths["/api/auth/sessions"] = obj{
		"get": obj{
			"tags": []any{"auth"}, "operationId": "auth.sessions.list",
			"summary":     "List your sessions",
			"description": "Your live sign-in sessions, newest first; \"current\" marks the one of this request.",
			"responses":   responses(obj{"200": ok("Your sessions.", ref("SessionList"))}, 401),
		},
	}
	d.paths["/api/auth/sessions/{id}"] = obj{
		"parameters": []any{paramRef("SessionId")},
		"delete": obj{
			"tags": []any{"auth"}, "operationId": "auth.sessions.revoke",
			"summary":     "End one of your sessions",
			"description": "Signs that session out (e.g. a browser elsewhere). Ending the current session also clears the session cookie.",
			"responses":   responses(obj{"204": noContent("Ended; the session token no longer works.")}, 401, 403, 404),
		},
	}

	d.paths["/api/apps"] = obj{
		"get": obj{
			"tags": []any{"apps"}, "operationId": "apps.list",
			"summary":     "List apps",
			"description": "The apps the caller holds some permission in (administrators: all apps).",
			"responses":   responses(obj{"200": ok("The caller's apps.", ref("AppList"))}, 401),
		},
		"post": obj{
			"tags": []any{"apps"}, "operationId": "apps.create",
			"summary":     "Create an app (admin)",
			"requestBody": body(ref("AppInput"), ""),
			"responses": responses(obj{"201": ok("The new app.", ref("App"))},
				400, 401, 403, 409, 413, 422),
		},
	}
	d.paths["/api/apps/{app}"] = obj{
		"parameters": []any{paramRef("App")},
		"get": obj{
			"tags": []any{"apps"}, "operationId": "apps.get",
			"summary":     "Get an app",
			"description": "An app the caller holds no permission in is answered 404, as if absent.",
			"responses":   responses(obj{"200": ok("The app.", ref("App"))}, 401, 404),
		},
		"patch": obj{
			"tags": []any{"apps"}, "operationId": "apps.update",
			"summary":     "Change an app's label (admin)",
			"description": "Keys never change: they name database tables.",
			"requestBody": body(ref("AppPatch"), ""),
			"responses": responses(obj{"200": ok("The updated app.", ref("App"))},
				400, 401, 403, 404, 413, 422),
		},
		"delete": obj{
			"tags": []any{"apps"}, "operationId": "apps.delete",
			"summary":   "Delete an app with all its modules and their records (admin)",
			"responses": responses(obj{"204": noContent("Deleted.")}, 401, 403, 404),
		},
	}
	d.paths["/api/apps/{app}/modules"] = obj{
		"parameters": []any{paramRef("App")},
		"get": obj{
			"tags": []any{"modules"}, "operationId": "modules.list",
			"summary":   "List an app's modules",
			"responses": responses(obj{"200": ok("The app's modules.", ref("ModuleList"))}, 401, 404),
		},
		"post": obj{
			"tags": []any{"modules"}, "operationId": "modules.create",
			"summary":     "Create a module and its table (admin, or the manage permission on it)",
			"requestBody": body(ref("ModuleCreate"), ""),
			"responses": responses(obj{"201": ok("The new module, schema normalized.", ref("Module"))},
				400, 401, 403, 404, 409, 413, 422),
		},
	}
	d.paths["/api/apps/{app}/modules/{module}"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module")},
		"get": obj{
			"tags": []any{"modules"}, "operationId": "modules.get",
			"summary":   "Get a module",
			"responses": responses(obj{"200": ok("The module.", ref("Module"))}, 401, 404),
		},
		"put": obj{
			"tags": []any{"modules"}, "operationId": "modules.replace",
			"summary":     "Replace a module's label and schema with a new version (admin, or the manage permission)",
			"description": "The table follows the new schema: fields are added, renamed (x-field.renamedFrom), removed or converted. Send the version being replaced to get a 409 instead of overwriting someone else's change.",
			"requestBody": body(ref("ModuleReplace"), ""),
			"responses": responses(obj{"200": ok("The new version of the module.", ref("Module"))},
				400, 401, 403, 404, 409, 413, 422),
		},
		"delete": obj{
			"tags": []any{"modules"}, "operationId": "modules.delete",
			"summary":     "Delete a module and its table (admin, or the manage permission)",
			"description": "Refused with 409 while another module still looks it up.",
			"responses":   responses(obj{"204": noContent("Deleted.")}, 401, 403, 404, 409),
		},
	}
	d.paths["/api/apps/{app}/modules/{module}/versions"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module")},
		"get": obj{
			"tags": []any{"modules"}, "operationId": "modules.versions",
			"summary":   "List a module's stored versions, newest first",
			"responses": responses(obj{"200": ok("The module's versions.", ref("ModuleVersionList"))}, 401, 404),
		},
	}
	d.paths["/api/openapi.json"] = obj{"get": obj{
		"tags": []any{"openapi"}, "operationId": "openapi.get",
		"summary": "This OpenAPI 3.1 document",
		"description": "Generated from the current metadata on every request, for the caller: modules they may not read " +
			"are left out, and so are the fields hidden from them (administrators see everything).",
		"responses": responses(obj{"200": ok("The OpenAPI document.", obj{
			"type": "object", "required": []any{"openapi", "info"},
			"properties": obj{"openapi": obj{"type": "string", "const": Version}},
		})}, 401),
	}}

	d.addRecordPaths()
	d.addOrg()
	d.addRules()
	d.addFormulas()
	d.addCalendars()
	d.addRegions()
	d.addApprovals()
	d.addFlows()
	d.addReports()
	d.addDashboards()
	d.addSummaries()
	d.addExports()
	d.addImports()
	d.addPrints()
	d.addRelated()
	d.addActions()
	d.addTemplates()
	d.addPools()
	d.addPublications()
	d.addDuplicates()
}

// addRecordPaths adds the record endpoints of any module, by app and
// module key, with schemas that list only the system properties. Concrete
// paths of each readable module (see addModule) take precedence.
func (d *doc) addRecordPaths() {
	tag := []any{"records"}
	base := "/api/apps/{app}/modules/{module}/records"
	d.paths[base] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module")},
		"get": obj{
			"tags": tag, "operationId": "records.list",
			"summary": "List a module's records",
			"description": "Live (not deleted) records the caller may read, a page at a time. Filtering and sorting run in " +
				"the database; the cursor is keyset-based, so deep pages cost the same as the first.",
			"parameters": []any{paramRef("Filter"), paramRef("Sort"), paramRef("Limit"), paramRef("Cursor"), paramRef("Total"), paramRef("Fields"), paramRef("Expand")},
			"responses":  responses(obj{"200": ok("A page of records.", ref("RecordPage"))}, 400, 401, 403, 404, 422),
		},
		"post": obj{
			"tags": tag, "operationId": "records.create",
			"summary":     "Create a record",
			"description": "The body holds the module's fields; those not sent get their x-field default. Needs the create permission.",
			"requestBody": body(ref("RecordInput"), ""),
			"responses":   responses(obj{"201": ok("The new record.", ref("Record"))}, 400, 401, 403, 404, 409, 413, 422),
		},
	}
	failed := obj{"description": "An atomic batch with failing items: nothing was written. The status and code are " +
		"those of the first failing item; \"items\" names every failing item.",
		"content": obj{"application/problem+json": obj{"schema": ref("BatchProblem")}}}
	d.paths[base+"/batch"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module")},
		"post": obj{
			"tags": tag, "operationId": "records.batch",
			"summary":     "Create, update and delete up to 500 records at once",
			"description": batchDescription,
			"requestBody": body(ref("BatchRequest"), ""),
			"responses": responses(obj{"200": ok("Every item's outcome, in order.", ref("BatchAnswer")),
				"403": failed, "404": failed, "409": failed, "422": failed}, 400, 401, 413),
		},
	}
	d.paths[base+"/{id}"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module"), paramRef("RecordId")},
		"get": obj{
			"tags": tag, "operationId": "records.get",
			"summary":    "Get a record",
			"parameters": []any{paramRef("Expand")},
			"responses":  responses(obj{"200": ok("The record.", ref("Record"))}, 400, 401, 403, 404),
		},
		"patch": obj{
			"tags": tag, "operationId": "records.update",
			"summary": "Update a record",
			"description": "A partial update: only the fields sent change; null clears an optional field. \"version\" must be " +
				"the record's current version (or be sent as If-Match); a stale version is a 409 and writes nothing.",
			"parameters":  []any{paramRef("IfMatch")},
			"requestBody": body(ref("RecordPatch"), ""),
			"responses":   responses(obj{"200": ok("The updated record.", ref("Record"))}, 400, 401, 403, 404, 409, 413, 422),
		},
		"delete": obj{
			"tags": tag, "operationId": "records.delete",
			"summary":     "Delete a record",
			"description": deleteDescription,
			"responses":   responses(obj{"204": noContent("Deleted.")}, 401, 403, 404, 409),
		},
	}
	d.paths[base+"/{id}/restore"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module"), paramRef("RecordId")},
		"post": obj{
			"tags": tag, "operationId": "records.restore",
			"summary":     "Restore a deleted record",
			"description": restoreDescription,
			"responses":   responses(obj{"200": ok("The restored record.", ref("Record"))}, 401, 403, 404, 409),
		},
	}
	d.paths[base+"/{id}/claim"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module"), paramRef("RecordId")},
		"post": obj{
			"tags": tag, "operationId": "records.claim",
			"summary":     "Claim a record from the public pool",
			"description": claimDescription,
			"responses":   responses(obj{"200": ok("The record, now yours.", ref("Record"))}, 401, 403, 404, 409),
		},
	}
	d.paths[base+"/{id}/history"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module"), paramRef("RecordId")},
		"get": obj{
			"tags": tag, "operationId": "records.history",
			"summary":     "A record's history",
			"description": historyDescription,
			"parameters":  []any{paramRef("HistoryLimit"), paramRef("HistoryCursor")},
			"responses":   responses(obj{"200": ok("A page of the record's history, newest first.", ref("HistoryPage"))}, 400, 401, 403, 404),
		},
	}
}

// batchDescription documents POST .../records/batch.
const batchDescription = "Up to 500 items, each a create (\"data\": the fields), an update (\"id\", \"version\" and " +
	"\"data\": the fields to change; a stale version is a 409) or a delete (\"id\"), each through the same checks, " +
	"rules, pipelines and audit as its single-record request. With \"atomic\": true all items are written in one " +
	"transaction or none is: when any fails, the answer is a problem document naming every failing item (its index " +
	"and error) and nothing was written, no rule ran. Otherwise (the default) each item is its own write: the answer is " +
	"a 200 with each item's status (201, 200, 204 or its error's) and record or error. A malformed batch (no items, " +
	"more than 500, an unknown op, an update without id or version) is a 400 naming each bad item, and writes nothing."

// historyDescription documents GET .../records/{id}/history.
const historyDescription = "The record's audit entries, newest first: who changed what, when and through which channel. " +
	"A deleted record keeps its history; a record that never existed (or is out of the caller's read scope) is a 404. " +
	"Fields hidden from the caller are left out of every diff."

func (d *doc) addStaticComponents() {
	d.addRecordComponents()
	d.addOrgComponents()
	d.addRuleComponents()
	d.addFlowComponents()
	s := d.schemas
	s["Label"] = obj{
		"type":          "object",
		"description":   "A localized text: locale → text. Readers fall back to English, then to any locale.",
		"propertyNames": obj{"pattern": "^[a-z]{2}(-[A-Z]{2})?$"},
		"additionalProperties": obj{
			"type": "string", "maxLength": 200,
		},
		"minProperties": 1,
		"examples":      []any{obj{"zh-CN": "商机", "en": "Opportunity"}},
	}
	s["MePatch"] = obj{
		"type": "object", "additionalProperties": false,
		"properties": obj{
			"name":      obj{"type": "string", "minLength": 1, "maxLength": 200},
			"locale":    obj{"type": "string", "enum": []any{"en", "zh-CN"}},
			"time_zone": obj{"type": "string", "description": "An IANA time zone, e.g. Asia/Shanghai.", "examples": []any{"Asia/Shanghai"}},
		},
	}
	s["Person"] = obj{
		"type": "object", "required": []any{"id", "name"},
		"properties": obj{"id": uuidSchema, "name": obj{"type": "string"}},
	}
	s["PersonList"] = obj{
		"type": "object", "required": []any{"people"},
		"properties": obj{"people": arrayOf(ref("Person"))},
	}
	s["ProblemField"] = obj{
		"type":     "object",
		"required": []any{"field", "code", "message"},
		"properties": obj{
			"field":   str("The input field, as a dotted path (\"amount\", \"stage.x-field.options\")."),
			"code":    str("Machine-readable reason, e.g. \"required\", \"type\", \"read_only\", \"unknown\"."),
			"message": str("Human-readable reason in the caller's locale."),
		},
	}
	s["Problem"] = obj{
		"type":        "object",
		"description": "An RFC 9457 problem document with Tessera's error code and field errors.",
		"required":    []any{"type", "title", "status", "code"},
		"properties": obj{
			"type":   obj{"type": "string", "description": "Always \"about:blank\"; \"code\" says what went wrong.", "examples": []any{"about:blank"}},
			"title":  str("The HTTP status text."),
			"status": obj{"type": "integer", "minimum": 400, "maximum": 599},
			"code": obj{
				"type": "string",
				"enum": []any{"invalid", "unprocessable", "not_found", "conflict", "unauthorized", "forbidden", "too_large",
					"too_many", "method_not_allowed", "internal"},
			},
			"detail": str("What went wrong, in the caller's locale."),
			"errors": arrayOf(ref("ProblemField")),
		},
		"examples": []any{obj{
			"type": "about:blank", "title": "Unprocessable Entity", "status": 422, "code": "unprocessable",
			"detail": "The input is not valid.",
			"errors": []any{obj{"field": "name", "code": "required", "message": "This field is required."}},
		}},
	}
	s["Token"] = obj{
		"type":        "object",
		"description": "A personal API token, without the token itself.",
		"required":    []any{"id", "name", "created_at", "expires_at", "last_used_at", "state"},
		"properties":  tokenProps(),
	}
	newToken := tokenProps()
	newToken["token"] = obj{"type": "string", "description": "Send as `Authorization: Bearer <token>`. Shown only in this reply.",
		"examples": []any{access.TokenPrefix + "q3Vx7nF0yJ9rT2bW5kL8sD1gH4mP6cZ0aE3uY7iO9wQ"}}
	s["NewToken"] = obj{
		"type":        "object",
		"description": "A new personal API token, with the token itself: store it now, it is never shown again.",
		"required":    []any{"id", "name", "created_at", "expires_at", "last_used_at", "state", "token"},
		"properties":  newToken,
	}
	s["TokenList"] = obj{
		"type": "object", "required": []any{"tokens"},
		"properties": obj{"tokens": arrayOf(ref("Token"))},
	}
	s["TokenInput"] = obj{
		"type":                 "object",
		"required":             []any{"name"},
		"additionalProperties": false,
		"properties": obj{
			"name": obj{"type": "string", "minLength": 1, "maxLength": access.MaxTokenName,
				"description": "What the token is for (leading and trailing spaces are dropped)."},
			"expires_at": obj{"type": []any{"string", "null"},
				"description": "When the token stops working: an RFC 3339 time in the future; absent, null or \"\": never."},
		},
		"examples": []any{obj{"name": "CI deploy", "expires_at": "2027-01-01T00:00:00Z"}},
	}
	s["Session"] = obj{
		"type":        "object",
		"description": "A sign-in session, without its token.",
		"required":    []any{"id", "created_at", "expires_at", "last_used_at", "current"},
		"properties": obj{
			"id":           uuidSchema,
			"created_at":   dateTimeSchema,
			"expires_at":   describe(nullDateTime(), "When the session ends."),
			"last_used_at": describe(nullDateTime(), "When the session was last used (recorded at intervals, not on every request); null: never."),
			"current":      obj{"type": "boolean", "description": "This request's session."},
		},
	}
	s["SessionList"] = obj{
		"type": "object", "required": []any{"sessions"},
		"properties": obj{"sessions": arrayOf(ref("Session"))},
	}
	s["UserSummary"] = obj{
		"type":        "object",
		"description": "A user as expands of user fields (and of owner, created_by, updated_by) show them.",
		"required":    []any{"id", "name", "_title"},
		"properties": obj{
			"id":     uuidSchema,
			"name":   obj{"type": "string"},
			"_title": obj{"type": "string", "description": "The user's name."},
			"email":  obj{"type": "string", "format": "email", "description": "Only for administrators."},
		},
	}
	s["User"] = obj{
		"type":       "object",
		"required":   stringsToAny(userKeys),
		"properties": userProps(),
	}
	s["LoginRequest"] = obj{
		"type":                 "object",
		"required":             []any{"email", "password"},
		"additionalProperties": false,
		"properties": obj{
			"email":    obj{"type": "string", "format": "email"},
			"password": obj{"type": "string", "format": "password"},
		},
	}
	s["LoginResponse"] = obj{
		"type":     "object",
		"required": []any{"token", "user"},
		"properties": obj{
			"token": str("Send as `Authorization: Bearer <token>`."),
			"csrf_token": str("For browsers using the session cookie: send as the X-CSRF-Token header with every " +
				"request that changes something (also set as the tessera_csrf cookie)."),
			"user": ref("User"),
		},
	}
	s["App"] = obj{
		"type":     "object",
		"required": []any{"id", "key", "label", "created_at", "updated_at"},
		"properties": obj{
			"id":         uuidSchema,
			"key":        keySchema(meta.MaxAppKey, "The app's key; it never changes."),
			"label":      ref("Label"),
			"created_at": dateTimeSchema,
			"updated_at": dateTimeSchema,
			"template": obj{"type": "object", "description": "The template package the app was installed from (absent for apps built by hand).",
				"properties": obj{"key": obj{"type": "string"}, "version": obj{"type": "string"}}},
		},
	}
	s["AppList"] = obj{
		"type": "object", "required": []any{"apps"},
		"properties": obj{"apps": arrayOf(ref("App"))},
	}
	s["AppInput"] = obj{
		"type":                 "object",
		"required":             []any{"key", "label"},
		"additionalProperties": false,
		"properties": obj{
			"key":   keySchema(meta.MaxAppKey, "Lower-case letters, digits and single underscores, starting with a letter."),
			"label": ref("Label"),
		},
		"examples": []any{obj{"key": "crm", "label": obj{"en": "CRM", "zh-CN": "客户关系"}}},
	}
	s["AppPatch"] = obj{
		"type":                 "object",
		"required":             []any{"label"},
		"additionalProperties": false,
		"properties":           obj{"label": ref("Label")},
	}
	s["ModuleSchema"] = obj{
		"type": "object",
		"description": "A module's JSON Schema 2020-12 document. Each property is a field and must carry an " +
			"\"x-field\" object: {type, label, help, placeholder, options, module, unique, indexed, default, " +
			"precision, scale, prefix, digits, renamedFrom}; x-field.type is one of the field types listed " +
			"in the enum below. The server normalizes the document (type, format, enum from options, " +
			"additionalProperties: false) and that normalized form is what it stores and returns.",
		"required": []any{"properties"},
		"properties": obj{
			"$schema":              obj{"const": meta.Draft2020},
			"type":                 obj{"const": "object"},
			"title":                obj{"type": "string"},
			"description":          obj{"type": "string"},
			"x-title":              str("The key of the text-like field that names a record (default: the first required text field, else the first text field)."),
			"required":             arrayOf(obj{"type": "string"}),
			"additionalProperties": obj{"const": false},
			"properties": obj{
				"type": "object",
				"additionalProperties": obj{
					"type":     "object",
					"required": []any{"x-field"},
					"properties": obj{
						"x-field": obj{
							"type":     "object",
							"required": []any{"type"},
							"properties": obj{
								"type":   obj{"enum": stringsToAny(meta.TypeNames())},
								"label":  ref("Label"),
								"module": str("Lookup target: a module key of the same app."),
							},
						},
					},
				},
			},
		},
		"examples": []any{obj{
			"type": "object",
			"properties": obj{
				"name":   obj{"type": "string", "maxLength": 100, "x-field": obj{"type": "text", "label": obj{"en": "Name", "zh-CN": "名称"}}},
				"amount": obj{"minimum": 0, "x-field": obj{"type": "currency", "label": obj{"en": "Amount", "zh-CN": "金额"}}},
				"stage": obj{"x-field": obj{"type": "select", "options": []any{
					obj{"value": "new", "label": obj{"en": "New", "zh-CN": "新建"}},
					obj{"value": "won", "label": obj{"en": "Won", "zh-CN": "赢单"}},
				}}},
			},
			"required": []any{"name"},
		}},
	}
	s["Module"] = obj{
		"type":     "object",
		"required": []any{"id", "app", "key", "label", "schema", "version", "created_at", "updated_at"},
		"properties": obj{
			"id":      uuidSchema,
			"app":     keySchema(meta.MaxAppKey, "The app's key."),
			"key":     keySchema(meta.MaxModuleKey, "The module's key; it never changes."),
			"label":   ref("Label"),
			"schema":  ref("ModuleSchema"),
			"version": obj{"type": "integer", "minimum": 1, "description": "Increases with every schema change."},
			"title_field": obj{"type": "string", "description": "The key of the field that names a record (lookups, " +
				"expands, notifications, lookup sorts): the schema's x-title, else the first required text field, else " +
				"the first text field. Absent when there is none, or when it is hidden from the caller."},
			"created_at": dateTimeSchema,
			"updated_at": dateTimeSchema,
		},
	}
	s["ModuleList"] = obj{
		"type": "object", "required": []any{"modules"},
		"properties": obj{"modules": arrayOf(ref("Module"))},
	}
	s["ModuleCreate"] = obj{
		"type":                 "object",
		"required":             []any{"key", "label", "schema"},
		"additionalProperties": false,
		"properties": obj{
			"key":     keySchema(meta.MaxModuleKey, "Lower-case letters, digits and single underscores, starting with a letter."),
			"label":   ref("Label"),
			"schema":  ref("ModuleSchema"),
			"version": obj{"type": "integer", "minimum": 0, "description": "Ignored on create."},
		},
	}
	s["ModuleReplace"] = obj{
		"type":                 "object",
		"required":             []any{"label", "schema"},
		"additionalProperties": false,
		"properties": obj{
			"key":     obj{"type": "string", "description": "Ignored: the key in the path is used."},
			"label":   ref("Label"),
			"schema":  ref("ModuleSchema"),
			"version": obj{"type": "integer", "minimum": 0, "description": "The version being replaced; a stale one is a 409. 0 or absent skips the check."},
		},
	}
	s["ModuleVersion"] = obj{
		"type":     "object",
		"required": []any{"version", "label", "schema", "created_at"},
		"properties": obj{
			"version":    obj{"type": "integer", "minimum": 1},
			"label":      ref("Label"),
			"schema":     ref("ModuleSchema"),
			"created_at": dateTimeSchema,
			"created_by": obj{"type": "string", "format": "uuid", "description": "The user who saved this version, when known."},
		},
	}
	s["ModuleVersionList"] = obj{
		"type": "object", "required": []any{"versions"},
		"properties": obj{"versions": arrayOf(ref("ModuleVersion"))},
	}

	problem := func(description string) obj {
		return obj{"description": description, "content": obj{
			"application/problem+json": obj{"schema": ref("Problem")},
		}}
	}
	d.responses["BadRequest"] = problem("The request is malformed: bad JSON, a bad query parameter (filter, sort, limit, cursor, expand), ...")
	unauthorized := problem("Not signed in, or the session or token was refused (expired, revoked, unknown).")
	unauthorized["headers"] = obj{"WWW-Authenticate": obj{
		"description": "The challenge: Bearer realm=\"tessera\", with error=\"invalid_token\" when a credential was sent but refused.",
		"required":    true,
		"schema":      obj{"type": "string", "examples": []any{`Bearer realm="tessera", error="invalid_token"`}},
	}}
	d.responses["Unauthorized"] = unauthorized
	d.responses["Forbidden"] = problem("Signed in, but not allowed: the operation needs an administrator or a role " +
		"permission the caller lacks (e.g. create on a module, or writing a field they may only read), or a request " +
		"authenticated with the session cookie changes something without the X-CSRF-Token header.")
	d.responses["NotFound"] = problem("No such app, module, record, user, department, role, token or session (records " +
		"out of the caller's read scope are not found either).")
	d.responses["Conflict"] = problem("A conflict: a stale version, a duplicate key or unique value, or a module still looked up by another.")
	d.responses["TooLarge"] = problem("The request body is too large.")
	d.responses["Unprocessable"] = problem("Well-formed but invalid: \"errors\" lists one problem per field.")
	tooMany := problem("Too many failed attempts: wait as long as Retry-After says before trying again.")
	tooMany["headers"] = obj{"Retry-After": obj{
		"description": "Seconds to wait before the next attempt.",
		"required":    true,
		"schema":      obj{"type": "integer", "minimum": 1},
	}}
	d.responses["TooManyRequests"] = tooMany

	p := d.parameters
	p["App"] = obj{"name": "app", "in": "path", "required": true, "description": "App key.",
		"schema": keySchema(meta.MaxAppKey, "")}
	p["Module"] = obj{"name": "module", "in": "path", "required": true, "description": "Module key.",
		"schema": keySchema(meta.MaxModuleKey, "")}
	p["RecordId"] = obj{"name": "id", "in": "path", "required": true, "description": "Record id.",
		"schema": uuidSchema}
	p["Filter"] = obj{"name": "filter", "in": "query",
		"description": "An expr-lang expression over the module's fields, translated to SQL: comparisons " +
			"(== != < <= > >=) between a field and a value or two fields, == nil / != nil, in / not in [...], " +
			"\"value\" in multiselect_field, contains / startsWith / endsWith on text, && || ! (and, or, not), " +
			"parentheses, now and today (with or without parentheses), user.id, user.departments, user.roles " +
			"(\"my records\": owner == user.id). A lookup's target fields read through it, within your read " +
			"scope there: account.region == \"east\" (a target you may not read reads as empty). " +
			"Example: amount > 1000 && stage in [\"won\",\"lost\"].",
		"schema":  obj{"type": "string", "maxLength": 4096},
		"example": `amount > 1000 && stage in ["won","lost"]`}
	p["Sort"] = obj{"name": "sort", "in": "query",
		"description": "Comma-separated field keys, \"-\" for descending. Default \"-created_at\". A lookup field sorts by the title of the record it points to.",
		"schema":      obj{"type": "string"},
		"example":     "-amount,name"}
	p["Limit"] = obj{"name": "limit", "in": "query", "description": "Page size.",
		"schema": obj{"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}
	p["Cursor"] = obj{"name": "cursor", "in": "query",
		"description": "Opaque: the next_cursor of the previous page, with the same filter and sort.",
		"schema":      obj{"type": "string"}}
	p["Total"] = obj{"name": "total", "in": "query",
		"description": "Also count the matching records: true counts up to 10,000 (total_exact says whether there are more; on PostgreSQL total_estimate is then the planner's estimate), exact counts them all.",
		"schema":      obj{"type": "string", "enum": []any{"true", "false", "exact"}, "default": "false"}}
	p["Fields"] = obj{"name": "fields", "in": "query",
		"description": "Comma-separated fields to return (id and version always come along); others are left out of each record. A hidden or unknown field is a 400.",
		"schema":      obj{"type": "string"},
		"example":     "name,amount,owner"}
	p["Expand"] = obj{"name": "expand", "in": "query",
		"description": "Comma-separated lookup and user fields (at most 10) whose records are returned under \"expand\".",
		"schema":      obj{"type": "string"}}
	p["HistoryLimit"] = obj{"name": "limit", "in": "query", "description": "Page size.",
		"schema": obj{"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}
	p["HistoryCursor"] = obj{"name": "cursor", "in": "query",
		"description": "Opaque: the next_cursor of the previous page.",
		"schema":      obj{"type": "string"}}
	p["TokenId"] = obj{"name": "id", "in": "path", "required": true, "description": "API token id.",
		"schema": uuidSchema}
	p["SessionId"] = obj{"name": "id", "in": "path", "required": true, "description": "Session id.",
		"schema": uuidSchema}
	p["IfMatch"] = obj{"name": "If-Match", "in": "header",
		"description": "The record version being updated (e.g. \"3\"), used when the body has no \"version\".",
		"schema":      obj{"type": "string"}}
}

// userKeys are the members of a user as the server shows it.
var userKeys = []string{"id", "email", "name", "is_admin", "disabled", "locale", "time_zone", "created_at", "updated_at"}

// userProps are the properties of a user as the server shows it.
func userProps() obj {
	return obj{
		"id":         uuidSchema,
		"email":      obj{"type": "string", "format": "email"},
		"name":       obj{"type": "string"},
		"is_admin":   obj{"type": "boolean"},
		"disabled":   obj{"type": "boolean"},
		"locale":     obj{"type": "string", "examples": []any{"en", "zh-CN"}},
		"time_zone":  obj{"type": "string", "examples": []any{"Asia/Shanghai"}},
		"created_at": dateTimeSchema,
		"updated_at": dateTimeSchema,
	}
}

// tokenProps are the properties of an API token as the server shows it.
func tokenProps() obj {
	return obj{
		"id":           uuidSchema,
		"name":         obj{"type": "string"},
		"created_at":   dateTimeSchema,
		"expires_at":   describe(nullDateTime(), "When the token stops working; null: never."),
		"last_used_at": describe(nullDateTime(), "When the token was last used (recorded at intervals, not on every request); null: never."),
		"state": obj{"type": "string", "enum": []any{access.StateActive, access.StateExpired},
			"description": "active, or expired (no longer accepted; listed until it is purged, 30 days after it expired)."},
	}
}

// describe sets s's description and returns s.
func describe(s obj, description string) obj {
	s["description"] = description
	return s
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

const claimDescription = "A record without owner (in the public pool) that you may read becomes yours. " +
	"Needs the claim permission; a record someone owns already is a 409."
