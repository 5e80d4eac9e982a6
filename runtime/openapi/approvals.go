package openapi

// addApprovals adds the approval engine's API (runtime/approvalapi).
func (d *doc) addApprovals() {
	tags := []any{"approvals"}
	d.parameters["ApprovalKey"] = obj{"name": "key", "in": "path", "required": true, "schema": obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}}
	d.parameters["Instance"] = obj{"name": "instance", "in": "path", "required": true, "schema": uuidSchema, "description": "An approval instance."}
	d.parameters["Task"] = obj{"name": "task", "in": "path", "required": true, "schema": uuidSchema, "description": "One of the instance's tasks."}
	inst := ok("The instance, with its steps, tasks and history.", ref("ApprovalInstance"))
	d.paths["/api/apps/{app}/approvals"] = obj{
		"parameters": []any{paramRef("App")},
		"get": obj{
			"tags": tags, "operationId": "approvals.list", "summary": "List an app's approval processes",
			"responses": responses(obj{"200": ok("The processes.", obj{"type": "object", "properties": obj{"approvals": arrayOf(ref("ApprovalProcess"))}})}, 401, 404),
		},
		"post": obj{
			"tags": tags, "operationId": "approvals.create", "summary": "Create an approval process",
			"description": "Steps, approvers, modes, skip conditions, due times, timeout behaviour and editable fields are checked against " +
				"the module, the roles, departments, users and calendars they name; every problem is one error. Administrators only.",
			"requestBody": body(ref("ApprovalProcess"), ""),
			"responses":   responses(obj{"201": ok("The new process (version 1).", ref("ApprovalProcess"))}, 400, 401, 403, 404, 409, 413, 422),
		},
	}
	d.paths["/api/apps/{app}/approvals/{key}"] = obj{
		"parameters": []any{paramRef("App"), paramRef("ApprovalKey")},
		"get": obj{
			"tags": tags, "operationId": "approvals.get", "summary": "Get an approval process (its current version)",
			"responses": responses(obj{"200": ok("The process.", ref("ApprovalProcess"))}, 401, 404),
		},
		"put": obj{
			"tags": tags, "operationId": "approvals.replace", "summary": "Replace an approval process",
			"description": "Stores a new version; running instances finish on the version they started with. A stale \"version\" is a 409. Administrators only.",
			"requestBody": body(ref("ApprovalProcess"), ""),
			"responses":   responses(obj{"200": ok("The process.", ref("ApprovalProcess"))}, 400, 401, 403, 404, 409, 413, 422),
		},
		"delete": obj{
			"tags": tags, "operationId": "approvals.delete", "summary": "Delete an approval process",
			"description": "Refused (409, with the count) while instances of it are pending; finished instances keep their history. Administrators only.",
			"responses":   responses(obj{"204": noContent("Deleted.")}, 401, 403, 404, 409),
		},
	}
	d.paths["/api/apps/{app}/approvals/{key}/diagram"] = obj{
		"parameters": []any{paramRef("App"), paramRef("ApprovalKey")},
		"get": obj{
			"tags": tags, "operationId": "approvals.diagram", "summary": "The process as a Mermaid flowchart",
			"responses": responses(obj{"200": obj{"description": "Mermaid source (labels in the caller's language).",
				"content": obj{"text/vnd.mermaid": obj{"schema": obj{"type": "string"}}}}}, 401, 404),
		},
	}
	d.paths["/api/apps/{app}/approvals/{key}/stats"] = obj{
		"parameters": []any{paramRef("App"), paramRef("ApprovalKey")},
		"get": obj{
			"tags": tags, "operationId": "approvals.stats", "summary": "Per-step figures of a process",
			"description": "Over the tasks created in [from, to): decided, pending, average and median hours to decide, the overdue share, approvals, returns and rejections.",
			"parameters": []any{
				obj{"name": "from", "in": "query", "schema": obj{"type": "string"}, "description": "YYYY-MM-DD or RFC 3339; default: the beginning."},
				obj{"name": "to", "in": "query", "schema": obj{"type": "string"}, "description": "YYYY-MM-DD or RFC 3339 (excluded); default: now."},
			},
			"responses": responses(obj{"200": ok("Figures per step.", obj{"type": "object", "properties": obj{"steps": arrayOf(ref("ApprovalStepStats"))}})}, 400, 401, 404),
		},
	}
	d.paths["/api/apps/{app}/modules/{module}/records/{id}/approvals"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module"), paramRef("RecordId")},
		"get": obj{
			"tags": tags, "operationId": "approvals.ofRecord", "summary": "A record's approval instances",
			"description": "Newest first: all of them for those who may read the record, the ones they take part in for approvers.",
			"responses":   responses(obj{"200": ok("The instances.", obj{"type": "object", "properties": obj{"approvals": arrayOf(ref("ApprovalInstance"))}})}, 401, 403, 404),
		},
		"post": obj{
			"tags": tags, "operationId": "approvals.submit", "summary": "Submit a record for approval",
			"description": "Without \"process\", the first process of the module (by key) whose start condition holds. One pending instance per record (409).",
			"requestBody": body(obj{"type": "object", "additionalProperties": false, "properties": obj{
				"process": obj{"type": "string"}, "comment": obj{"type": "string"}}}, ""),
			"responses": responses(obj{"201": inst}, 400, 401, 403, 404, 409, 422),
		},
	}
	d.paths["/api/approvals"] = obj{"get": obj{
		"tags": tags, "operationId": "approvals.inbox", "summary": "Your approval inbox, across apps",
		"parameters": []any{
			obj{"name": "box", "in": "query", "schema": obj{"type": "string", "enum": []any{"pending", "submitted", "done"}, "default": "pending"}},
			obj{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
			obj{"name": "cursor", "in": "query", "schema": obj{"type": "string"}},
		},
		"responses": responses(obj{"200": ok("A page of the box.", ref("ApprovalInbox"))}, 400, 401),
	}}
	d.paths["/api/approvals/{instance}"] = obj{
		"parameters": []any{paramRef("Instance")},
		"get": obj{
			"tags": tags, "operationId": "approvals.get_instance", "summary": "An approval instance",
			"description": "Participants (submitter, approvers) and administrators also get the record, even outside their record scope, " +
				"without the fields their roles hide; others who may read the record get the instance without it.",
			"responses": responses(obj{"200": inst}, 401, 404),
		},
	}
	d.paths["/api/approvals/{instance}/tasks/{task}/{action}"] = obj{
		"parameters": []any{paramRef("Instance"), paramRef("Task"),
			obj{"name": "action", "in": "path", "required": true, "schema": obj{"type": "string",
				"enum": []any{"approve", "reject", "return", "transfer", "add-approver", "comment"}}}},
		"post": obj{
			"tags": tags, "operationId": "approvals.act", "summary": "Act on your task",
			"description": "approve (values: changes to the step's editable fields), reject (ends the process), return (to_step: an earlier step, or the submitter), " +
				"transfer (user), add-approver (user, position before|after), comment. A task already decided is a 409.",
			"requestBody": obj{"required": false, "content": jsonContent(ref("ApprovalDecision"))},
			"responses":   responses(obj{"200": inst}, 400, 401, 403, 404, 409, 422),
		},
	}
	for _, a := range []struct{ name, summary string }{
		{"withdraw", "Withdraw your submission (while nobody has acted on the current step)"},
		{"remind", "Remind the current approvers (once an hour; 429 before)"},
	} {
		d.paths["/api/approvals/{instance}/"+a.name] = obj{
			"parameters": []any{paramRef("Instance")},
			"post": obj{
				"tags": tags, "operationId": "approvals." + a.name, "summary": a.summary,
				"requestBody": obj{"required": false, "content": jsonContent(obj{"type": "object", "properties": obj{"comment": obj{"type": "string"}}})},
				"responses":   responses(obj{"200": inst}, 401, 403, 404, 409, 429),
			},
		}
	}
	d.addApprovalComponents()
}

func (d *doc) addApprovalComponents() {
	s := d.schemas
	approvers := obj{"type": "object", "required": []any{"type"}, "properties": obj{
		"type":       obj{"type": "string", "enum": []any{"users", "role", "manager", "department_manager", "field"}},
		"users":      arrayOf(uuidSchema),
		"role":       obj{"type": "string"},
		"of":         obj{"type": "string", "enum": []any{"submitter", "owner"}},
		"levels":     obj{"type": "integer", "minimum": 1, "maximum": 5, "default": 1},
		"department": obj{"type": "string"},
		"field":      obj{"type": "string", "description": "A user field of the record."},
	}}
	s["ApprovalProcess"] = obj{"type": "object", "required": []any{"key", "label", "module", "steps"}, "properties": obj{
		"key": obj{"type": "string"}, "label": ref("Label"), "module": obj{"type": "string"},
		"condition": obj{"type": "string", "description": "Start condition (expression)."},
		"lock":      obj{"type": "boolean", "default": true, "description": "Lock the record for edits by others than the current approvers while pending."},
		"steps": arrayOf(obj{"type": "object", "required": []any{"key", "approvers", "mode"}, "properties": obj{
			"key": obj{"type": "string"}, "label": ref("Label"), "approvers": approvers,
			"mode":       obj{"type": "string", "enum": []any{"any", "all"}, "description": "any: 或签, one approval suffices; all: 会签."},
			"skip_if":    obj{"type": "string"},
			"due":        obj{"type": "object", "properties": obj{"hours": obj{"type": "number"}, "calendar": obj{"type": "string", "default": "default"}}},
			"on_timeout": obj{"type": "string", "enum": []any{"remind", "escalate", "approve", "reject"}},
			"editable":   arrayOf(obj{"type": "string"}),
		}}),
		"version":    obj{"type": "integer"},
		"id":         obj{"type": "string", "readOnly": true},
		"app":        obj{"type": "string", "readOnly": true},
		"created_at": obj{"type": "string", "format": "date-time", "readOnly": true},
		"updated_at": obj{"type": "string", "format": "date-time", "readOnly": true},
	}}
	s["ApprovalDecision"] = obj{"type": "object", "additionalProperties": false, "properties": obj{
		"comment": obj{"type": "string"}, "values": obj{"type": "object"}, "to_step": obj{"type": "string"},
		"user": uuidSchema, "position": obj{"type": "string", "enum": []any{"before", "after"}},
	}}
	s["ApprovalInstance"] = obj{"type": "object", "properties": obj{
		"id": uuidSchema, "app": obj{"type": "string"}, "module": obj{"type": "string"}, "record_id": uuidSchema, "title": obj{"type": "string"},
		"process": obj{"type": "string"}, "process_version": obj{"type": "integer"}, "label": ref("Label"),
		"status":    obj{"type": "string", "enum": []any{"pending", "approved", "rejected", "withdrawn"}},
		"step":      obj{"type": "string", "description": "The current step (\"submitter\" after a return to them)."},
		"submitter": uuidSchema, "source": obj{"type": "string", "enum": []any{"user", "transition", "rule"}},
		"flow": obj{"type": "string"}, "transition": obj{"type": "string"}, "lock": obj{"type": "boolean"}, "error": obj{"type": "string"},
		"started_at": dateTimeSchema, "finished_at": dateTimeSchema,
		"steps": arrayOf(obj{"type": "object", "properties": obj{"key": obj{"type": "string"}, "label": ref("Label"), "mode": obj{"type": "string"}}}),
		"tasks": arrayOf(obj{"type": "object", "properties": obj{
			"id": uuidSchema, "step": obj{"type": "string"}, "round": obj{"type": "integer"}, "kind": obj{"type": "string", "enum": []any{"approve", "resubmit"}},
			"assignee": uuidSchema, "status": obj{"type": "string", "enum": []any{"pending", "waiting", "queued", "approved", "rejected", "returned", "cancelled"}},
			"reason": obj{"type": "string"}, "due_at": dateTimeSchema, "timed_out": obj{"type": "boolean"}, "created_at": dateTimeSchema, "acted_at": dateTimeSchema,
		}}),
		"decisions": arrayOf(obj{"type": "object", "properties": obj{
			"id": uuidSchema, "task": uuidSchema, "step": obj{"type": "string"}, "actor": obj{"type": "string", "description": "Empty: the system (a timer, a rule)."},
			"action": obj{"type": "string"}, "comment": obj{"type": "string"}, "changes": obj{"type": "object", "description": "field → {from, to}"},
			"detail": obj{"type": "object"}, "reason": obj{"type": "string", "description": "Why (reassignment, escalation), in the caller's language."}, "at": dateTimeSchema,
		}}),
		"record": obj{"type": "object", "description": "For participants and administrators."},
	}}
	s["ApprovalInbox"] = obj{"type": "object", "properties": obj{
		"items": arrayOf(obj{"type": "object", "properties": obj{
			"instance": uuidSchema, "task": uuidSchema, "app": obj{"type": "string"}, "module": obj{"type": "string"}, "record": uuidSchema,
			"title": obj{"type": "string"}, "process": obj{"type": "string"}, "label": ref("Label"), "status": obj{"type": "string"},
			"step": obj{"type": "string"}, "step_label": ref("Label"), "kind": obj{"type": "string"}, "due_at": dateTimeSchema,
			"overdue": obj{"type": "boolean"}, "submitter": uuidSchema, "started_at": dateTimeSchema, "action": obj{"type": "string"}, "at": dateTimeSchema,
		}}),
		"next_cursor": obj{"type": "string"},
	}}
	s["ApprovalStepStats"] = obj{"type": "object", "properties": obj{
		"step": obj{"type": "string"}, "label": ref("Label"), "tasks": obj{"type": "integer"}, "decided": obj{"type": "integer"}, "pending": obj{"type": "integer"},
		"avg_hours": obj{"type": "number"}, "median_hours": obj{"type": "number"}, "overdue_share": obj{"type": "number"},
		"approvals": obj{"type": "integer"}, "returns": obj{"type": "integer"}, "rejections": obj{"type": "integer"},
	}}
}
