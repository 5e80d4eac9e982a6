package openapi

// addFlows adds the stage pipelines' API (runtime/flowapi).
func (d *doc) addFlows() {
	tag := []any{"flows"}
	const adminOnly = " Administrators only."
	d.paths["/api/apps/{app}/flows"] = obj{
		"parameters": []any{paramRef("App")},
		"get": obj{
			"tags": tag, "operationId": "flows.list", "summary": "List an app's stage pipelines",
			"description": "Administrators see every pipeline; others those on modules they may read, without guards and actions.",
			"responses":   responses(obj{"200": ok("The pipelines.", ref("FlowList"))}, 401, 404),
		},
		"post": obj{
			"tags": tag, "operationId": "flows.create", "summary": "Create a stage pipeline",
			"description": "Checked against the module, one error per problem: the field is a select whose options are exactly " +
				"the states; every state is reachable; transitions lead between states that exist; guards compile to booleans; " +
				"roles, required and reason fields, approval processes and actions exist." + adminOnly,
			"requestBody": body(ref("FlowInput"), ""),
			"responses":   responses(obj{"201": ok("The new pipeline.", ref("Flow"))}, 400, 401, 403, 404, 409, 413, 422),
		},
	}
	d.paths["/api/apps/{app}/flows/{key}"] = obj{
		"parameters": []any{paramRef("App"), paramRef("FlowKey")},
		"get": obj{
			"tags": tag, "operationId": "flows.get", "summary": "Get a stage pipeline",
			"responses": responses(obj{"200": ok("The pipeline.", ref("Flow"))}, 401, 404),
		},
		"put": obj{
			"tags": tag, "operationId": "flows.replace", "summary": "Replace a stage pipeline",
			"description": "A stale \"version\" is a 409. A state the new definition drops must be empty — else a 409 with the " +
				"number of records in it — or \"move_to\" names the state its records move to (audited, in the same transaction). " +
				"Module and field cannot change." + adminOnly,
			"requestBody": body(ref("FlowInput"), ""),
			"responses":   responses(obj{"200": ok("The pipeline.", ref("Flow"))}, 400, 401, 403, 404, 409, 413, 422),
		},
		"delete": obj{
			"tags": tag, "operationId": "flows.delete", "summary": "Delete a stage pipeline",
			"description": "Refused (409, with the count) while records are in its states, unless ?move_to= names the state " +
				"they all move to first. The stage history stays." + adminOnly,
			"parameters": []any{obj{"name": "move_to", "in": "query", "schema": obj{"type": "string"}}},
			"responses":  responses(obj{"204": noContent("Deleted.")}, 400, 401, 403, 404, 409, 422),
		},
	}
	d.paths["/api/apps/{app}/flows/{key}/diagram"] = obj{
		"parameters": []any{paramRef("App"), paramRef("FlowKey")},
		"get": obj{
			"tags": tag, "operationId": "flows.diagram", "summary": "The pipeline as a Mermaid state diagram",
			"description": "Mermaid source (stateDiagram-v2), state names and transition labels in the caller's language.",
			"responses": responses(obj{"200": obj{"description": "Mermaid source.",
				"content": obj{"text/vnd.mermaid": obj{"schema": obj{"type": "string"}}}}}, 401, 404),
		},
	}
	d.paths["/api/apps/{app}/flows/{key}/stats"] = obj{
		"parameters": []any{paramRef("App"), paramRef("FlowKey")},
		"get": obj{
			"tags": tag, "operationId": "flows.stats", "summary": "Pipeline figures over a period",
			"description": "Per state: records entered and left in [from, to); of those entered, the share that went on to a later " +
				"state and the share that reached a won state; average and median time in the state (days, and business hours " +
				"by the pipeline's calendar) of the records that left it. Over the records the caller may read. Default: the 90 days before now.",
			"parameters": []any{
				obj{"name": "from", "in": "query", "schema": obj{"type": "string"}, "description": "RFC 3339 instant or date (UTC)."},
				obj{"name": "to", "in": "query", "schema": obj{"type": "string"}, "description": "RFC 3339 instant or date (UTC); default now."},
			},
			"responses": responses(obj{"200": ok("The figures.", ref("FlowStats"))}, 400, 401, 403, 404),
		},
	}
	rec := []any{paramRef("App"), paramRef("Module"), paramRef("RecordId")}
	base := "/api/apps/{app}/modules/{module}/records/{id}"
	d.paths[base+"/transitions"] = obj{
		"parameters": rec,
		"get": obj{
			"tags": tag, "operationId": "flows.options", "summary": "The transitions a record's state offers",
			"description": "For each pipeline of the module: the transitions that leave the record's current state, whether the caller " +
				"may fire each now, why not (guard messages, roles, permissions; in the caller's language) and which fields the target " +
				"state requires that are empty.",
			"responses": responses(obj{"200": ok("The transitions.", ref("TransitionOptions"))}, 401, 403, 404),
		},
	}
	d.paths[base+"/transitions/{key}"] = obj{
		"parameters": append(append([]any{}, rec...), obj{"name": "key", "in": "path", "required": true, "schema": obj{"type": "string"},
			"description": "The transition."}),
		"post": obj{
			"tags": tag, "operationId": "flows.fire", "summary": "Fire a transition",
			"description": "Moves the record (at \"version\") along the transition, writing \"values\" with it, through the one write " +
				"path: the guard, required fields, roles and the reason field are checked against the record as the move leaves it " +
				"(422 with the guard message and one error per missing field; 403 for roles), a stale version is a 409, and the new " +
				"state, the stage history, the audit entry and the on-enter action jobs commit together. A transition that requires " +
				"approval starts it instead (202) and the record stays. ?flow= names the pipeline when several have the key.",
			"parameters": []any{obj{"name": "flow", "in": "query", "schema": obj{"type": "string"}}},
			"requestBody": body(obj{"type": "object", "required": []any{"version"}, "additionalProperties": false, "properties": obj{
				"version": obj{"type": "integer", "minimum": 1},
				"values":  obj{"type": "object", "description": "Fields written with the move (not the stage field)."},
			}}, ""),
			"responses": responses(obj{
				"200": ok("The moved record.", ref("Record")),
				"202": ok("The approval the transition waits for.", obj{"type": "object", "properties": obj{"instance": obj{
					"type": "object", "properties": obj{"id": obj{"type": "string"}, "status": obj{"type": "string"}}}}}),
			}, 400, 401, 403, 404, 409, 413, 422),
		},
	}
	d.paths[base+"/stage-history"] = obj{
		"parameters": rec,
		"get": obj{
			"tags": tag, "operationId": "flows.history", "summary": "A record's stage history",
			"description": "Oldest first: each state the record entered, from where, through which transition, by whom, when, and " +
				"the time spent in the previous state (seconds, and business seconds by the pipeline's calendar).",
			"responses": responses(obj{"200": ok("The history.", ref("StageHistory"))}, 401, 403, 404),
		},
	}
	d.paths["/api/apps/{app}/modules/{module}/board"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module")},
		"get": obj{
			"tags": tag, "operationId": "flows.board", "summary": "Records by stage (board)",
			"description": "One column per state with the number of matching records, the sum of a number field and the first " +
				"page of records; with ?state= only that column, paged with ?cursor=. Inside the caller's record scope and field " +
				"permissions: summing a hidden field is refused.",
			"parameters": []any{
				obj{"name": "flow", "in": "query", "schema": obj{"type": "string"}, "description": "The pipeline (optional when the module has one)."},
				paramRef("Filter"),
				obj{"name": "sum", "in": "query", "schema": obj{"type": "string"}, "description": "A number field summed per column."},
				paramRef("Sort"),
				obj{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
				obj{"name": "state", "in": "query", "schema": obj{"type": "string"}},
				paramRef("Cursor"), paramRef("Expand"),
			},
			"responses": responses(obj{"200": ok("The columns.", ref("Board"))}, 400, 401, 403, 404),
		},
	}
}

func (d *doc) addFlowComponents() {
	s := d.schemas
	key := obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
	d.parameters["FlowKey"] = obj{"name": "key", "in": "path", "required": true, "schema": key}
	s["FlowState"] = obj{"type": "object", "required": []any{"key", "label"}, "properties": obj{
		"key": key, "label": ref("Label"),
		"probability": obj{"type": "number", "minimum": 0, "maximum": 100, "description": "Percent, for the weighted forecast."},
		"kind":        obj{"type": "string", "enum": []any{"open", "won", "lost"}, "default": "open"},
		"color":       obj{"type": "string"},
		"required":    obj{"type": "array", "items": obj{"type": "string"}, "description": "Fields that must be filled in to enter."},
		"initial":     obj{"type": "boolean", "description": "Records may start here (none marked: the first state)."},
	}}
	s["FlowTransition"] = obj{"type": "object", "required": []any{"key", "label", "from", "to"}, "properties": obj{
		"key": key, "label": ref("Label"),
		"from": obj{"oneOf": []any{obj{"type": "string", "const": "*"}, obj{"type": "array", "items": obj{"type": "string"}}},
			"description": "The states it leaves, or \"*\" for every state but its target."},
		"to":              obj{"type": "string"},
		"guard":           obj{"type": "string", "description": "A boolean expression over the record as the move leaves it (rollups included)."},
		"message":         ref("Label"),
		"roles":           obj{"type": "array", "items": obj{"type": "string"}},
		"reason_required": obj{"type": "string", "description": "A field the move must fill in."},
		"approval":        obj{"type": "string", "description": "The approval process the move waits for."},
		"actions":         arrayOf(ref("RuleAction")),
	}}
	props := obj{
		"key": key, "label": ref("Label"), "module": obj{"type": "string"},
		"field":       obj{"type": "string", "description": "The select field holding the state."},
		"calendar":    obj{"type": "string", "description": "Business calendar for time in stage (default \"default\")."},
		"states":      arrayOf(ref("FlowState")),
		"transitions": arrayOf(ref("FlowTransition")),
		"version":     obj{"type": "integer", "description": "On replace: the version being replaced."},
	}
	in := obj{}
	for k, v := range props {
		in[k] = v
	}
	in["move_to"] = obj{"type": "object", "additionalProperties": obj{"type": "string"},
		"description": "On replace: removed state → the state its records move to."}
	s["FlowInput"] = obj{"type": "object", "required": []any{"key", "label", "module", "field", "states", "transitions"}, "properties": in}
	out := obj{}
	for k, v := range props {
		out[k] = v
	}
	out["id"] = obj{"type": "string", "format": "uuid"}
	out["app"] = obj{"type": "string"}
	out["created_at"] = obj{"type": "string", "format": "date-time"}
	out["updated_at"] = obj{"type": "string", "format": "date-time"}
	s["Flow"] = obj{"type": "object", "properties": out}
	s["FlowList"] = obj{"type": "object", "required": []any{"flows"}, "properties": obj{"flows": arrayOf(ref("Flow"))}}
	s["TransitionOptions"] = obj{"type": "object", "properties": obj{"transitions": arrayOf(obj{"type": "object", "properties": obj{
		"flow": obj{"type": "string"}, "key": obj{"type": "string"}, "label": ref("Label"),
		"from": obj{"type": "string"}, "to": obj{"type": "string"}, "allowed": obj{"type": "boolean"},
		"reasons": arrayOf(obj{"type": "string"}), "missing": arrayOf(obj{"type": "string"}),
		"reason_required": obj{"type": "string"}, "approval": obj{"type": "string"},
	}})}}
	num := obj{"type": []any{"number", "null"}}
	s["StageHistory"] = obj{"type": "object", "properties": obj{"history": arrayOf(obj{"type": "object", "properties": obj{
		"id": obj{"type": "string"}, "flow": obj{"type": "string"}, "record_id": obj{"type": "string"},
		"from": obj{"type": "string"}, "to": obj{"type": "string"}, "transition": obj{"type": "string"},
		"actor": obj{"type": "string"}, "at": obj{"type": "string", "format": "date-time"},
		"seconds_in_prev": obj{"type": "integer"}, "business_seconds_in_prev": obj{"type": []any{"integer", "null"}},
	}})}}
	s["FlowStats"] = obj{"type": "object", "properties": obj{
		"flow": obj{"type": "string"}, "from": obj{"type": "string", "format": "date-time"}, "to": obj{"type": "string", "format": "date-time"},
		"states": arrayOf(obj{"type": "object", "properties": obj{
			"state": obj{"type": "string"}, "label": ref("Label"), "kind": obj{"type": "string"},
			"entered": obj{"type": "integer"}, "left": obj{"type": "integer"},
			"conversion_next": num, "conversion_won": num, "avg_days": num, "median_days": num,
			"avg_business_hours": num, "median_business_hours": num,
		}}),
	}}
	s["Board"] = obj{"type": "object", "properties": obj{
		"flow": obj{"type": "string"}, "field": obj{"type": "string"},
		"columns": arrayOf(obj{"type": "object", "properties": obj{
			"state": obj{"type": "string"}, "label": ref("Label"), "kind": obj{"type": "string"}, "color": obj{"type": "string"},
			"probability": obj{"type": "number"}, "count": obj{"type": "integer"},
			"sum":     obj{"type": []any{"number", "null"}},
			"records": arrayOf(ref("Record")), "next_cursor": obj{"type": "string"},
		}}),
	}}
}
