package openapi

// addActions adds buttons — rules with a manual trigger (runtime/actionapi)
// — and the rule schema's additions for them and for the convert and merge
// actions (kept here, beside their endpoints).
func (d *doc) addActions() {
	tag := []any{"records"}
	str := obj{"type": "string"}
	mod := "/api/apps/{app}/modules/{module}"
	key := obj{"name": "key", "in": "path", "required": true, "schema": obj{"type": "string"}, "description": "The rule (button)."}
	input := obj{"type": "object", "description": "The values the button asks for (trigger.inputs), validated like a record's."}
	d.paths[mod+"/actions"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module")},
		"get": obj{
			"tags": tag, "operationId": "records.actions", "summary": "The buttons the caller may press",
			"description": "The enabled rules of the module with a manual trigger: key, label and the inputs they ask for — for a caller " +
				"who may update the module's records (none for others). With ?record= only when that record is within their update " +
				"scope, each saying whether its condition holds for it (applies).",
			"parameters": []any{obj{"name": "record", "in": "query", "schema": obj{"type": "string", "format": "uuid"}}},
			"responses":  responses(obj{"200": ok("The buttons.", ref("ButtonList"))}, 401, 403, 404),
		},
	}
	d.paths[mod+"/actions/{key}"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module"), key},
		"post": obj{
			"tags": tag, "operationId": "records.pressMany", "summary": "Press a button on selected records",
			"description": "Runs the button on each of ids (at most 200) as the caller, each record in its own transaction: one " +
				"failing (its status and problem in its row) leaves the others done.",
			"requestBody": body(obj{"type": "object", "required": []any{"ids"}, "additionalProperties": false, "properties": obj{
				"ids": arrayOf(obj{"type": "string", "format": "uuid"}), "input": input}}, ""),
			"responses": responses(obj{"200": ok("Each row's outcome.", obj{"type": "object", "properties": obj{
				"done": obj{"type": "integer"}, "failed": obj{"type": "integer"},
				"results": arrayOf(obj{"type": "object", "properties": obj{"id": str, "status": obj{"type": "integer"},
					"result": ref("ButtonResult"), "error": obj{"type": "object"}}}),
			}})}, 400, 401, 403, 404, 413),
		},
	}
	d.paths[mod+"/records/{id}/actions/{key}"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module"), paramRef("RecordId"), key},
		"post": obj{
			"tags": tag, "operationId": "records.press", "summary": "Press a button on a record",
			"description": "Validates the input against the button's inputs (422, one error per field), needs the caller to be " +
				"allowed to update the record (403; 404 when they cannot see it) and the rule's condition to hold (409), then runs " +
				"every action in one transaction through the write path as the caller — their permissions apply to each write, the " +
				"history names them — and any failure rolls all of it back.",
			"requestBody": body(obj{"type": "object", "additionalProperties": false, "properties": obj{"input": input}}, ""),
			"responses":   responses(obj{"200": ok("The record afterwards and what the actions did.", ref("ButtonResult"))}, 400, 401, 403, 404, 409, 413, 422),
		},
	}
	s := d.schemas
	s["ButtonList"] = obj{"type": "object", "required": []any{"actions"}, "properties": obj{"actions": arrayOf(obj{
		"type": "object", "properties": obj{"key": str, "label": ref("Label"),
			"inputs":  obj{"type": "object", "description": "A module-like document: properties with x-field, and required."},
			"applies": obj{"type": "boolean"}}})}}
	s["ButtonResult"] = obj{"type": "object", "properties": obj{"record": ref("Record"), "effects": arrayOf(str)}}
	if trig, ok := s["RuleTrigger"].(obj); ok {
		props := trig["properties"].(obj)
		typ := props["type"].(obj)
		typ["enum"] = append(typ["enum"].([]any), "manual")
		props["inputs"] = obj{"type": "object", "description": "manual: what the button asks for first, a module-like document " +
			"({\"properties\": {…}, \"required\": […]}); the condition and actions read the values as input.{key}."}
	}
	if act, ok := s["RuleAction"].(obj); ok {
		props := act["properties"].(obj)
		typ := props["type"].(obj)
		typ["enum"] = append(typ["enum"].([]any), "convert")
		links := obj{"type": "object", "additionalProperties": str, "description": "lookup field → the \"as\" of a target created before."}
		props["targets"] = arrayOf(obj{"type": "object", "required": []any{"as", "module"}, "properties": obj{
			"as": str, "module": str, "values": obj{"type": "object", "additionalProperties": str, "description": "field → expression over the source."},
			"links": links}, "description": "convert: the records to create, in order, each through the write path."})
		props["links"] = obj{"type": "object", "additionalProperties": str, "description": "convert: the source's lookup fields → the created records " +
			"(with values, the source is marked converted). All in the action's one transaction: any failure creates nothing."}
	}
}
