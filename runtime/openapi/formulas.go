package openapi

// addFormulas adds the recompute progress of stored formulas and rollups
// (designer/formulaapi).
func (d *doc) addFormulas() {
	d.paths["/api/apps/{app}/modules/{module}/recompute"] = obj{
		"parameters": []any{paramRef("App"), paramRef("Module")},
		"get": obj{
			"tags": []any{"modules"}, "operationId": "modules.recompute",
			"summary": "Progress of recomputing stored formulas and rollups after a schema change",
			"description": "A schema change that adds or changes a formula or rollup recomputes the existing rows in batches, as jobs. " +
				"status is idle (never), running, done or failed. Administrators only.",
			"responses": responses(obj{"200": ok("The progress.", obj{
				"type": "object", "required": []any{"status", "done", "total"},
				"properties": obj{
					"status": obj{"enum": []any{"idle", "running", "done", "failed"}},
					"done":   obj{"type": "integer"}, "total": obj{"type": "integer"},
					"error": obj{"type": "string"},
				},
			})}, 401, 403, 404),
		},
	}
}
