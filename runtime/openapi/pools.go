package openapi

// addPools adds the pools (公海) of modules (runtime/poolapi).
func (d *doc) addPools() {
	tag := []any{"pools"}
	d.parameters["PoolKey"] = obj{"name": "key", "in": "path", "required": true,
		"schema": obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}}
	one := ok("The pool.", ref("Pool"))
	d.paths["/api/apps/{app}/pools"] = obj{
		"parameters": []any{paramRef("App")},
		"get": obj{
			"tags": tag, "operationId": "pools.list", "summary": "List the pools you hold a permission of",
			"description": "Pools granting you view, claim or assign (by role, or by a department you are in or below); administrators: all.",
			"responses": responses(obj{"200": ok("The pools.", obj{"type": "object", "properties": obj{
				"pools": arrayOf(ref("Pool"))}})}, 401, 404),
		},
		"post": obj{
			"tags": tag, "operationId": "pools.create", "summary": "Create a pool (administrators)",
			"description": "The module, filter, claim limit, time zone and reclaim fields are checked; each problem is one " +
				"error naming its place (reclaim.days.A). A pool with reclaim thresholds plans its daily reclaim job.",
			"requestBody": body(ref("Pool"), ""),
			"responses":   responses(obj{"201": ok("The new pool.", ref("Pool"))}, 400, 401, 403, 404, 409, 413, 422),
		},
	}
	d.paths["/api/apps/{app}/pools/{key}"] = obj{
		"parameters": []any{paramRef("App"), paramRef("PoolKey")},
		"get": obj{
			"tags": tag, "operationId": "pools.get", "summary": "Get a pool",
			"description": "404 unless it grants you something. With a claim limit, claimed says how many you claimed this period.",
			"responses":   responses(obj{"200": one}, 401, 404),
		},
		"put": obj{
			"tags": tag, "operationId": "pools.replace", "summary": "Replace a pool (administrators)",
			"description": "Send the version you read: without it a 422, a stale one a 409. The key cannot change; the " +
				"claims counted in the running period stay.",
			"requestBody": body(ref("Pool"), ""),
			"responses":   responses(obj{"200": one}, 400, 401, 403, 404, 409, 413, 422),
		},
		"delete": obj{
			"tags": tag, "operationId": "pools.delete", "summary": "Delete a pool (administrators)",
			"description": "Its records stay without owner (in the module's public pool); its reclaim job is cancelled.",
			"responses":   responses(obj{"204": noContent("Deleted.")}, 401, 403, 404),
		},
	}
	d.paths["/api/apps/{app}/pools/{key}/records"] = obj{
		"parameters": []any{paramRef("App"), paramRef("PoolKey")},
		"get": obj{
			"tags": tag, "operationId": "pools.records", "summary": "List the pool's records",
			"description": "Records without owner meeting the pool's filter (and yours), whatever your role's read scope: the " +
				"pool's view permission is the reach. You need the module's read permission; fields hidden from you stay hidden.",
			"parameters": []any{paramRef("Filter"), paramRef("Sort"), paramRef("Limit"), paramRef("Cursor"), paramRef("Total"), paramRef("Fields")},
			"responses":  responses(obj{"200": ok("A page of records.", ref("RecordPage"))}, 400, 401, 403, 404, 422),
		},
	}
	d.paths["/api/apps/{app}/pools/{key}/records/{id}/claim"] = obj{
		"parameters": []any{paramRef("App"), paramRef("PoolKey"), paramRef("RecordId")},
		"post": obj{
			"tags": tag, "operationId": "pools.claim", "summary": "Claim a record of the pool",
			"description": "You become the owner, through the write path (history, rules). A record not in the pool is a 404, " +
				"one someone claimed first a 409; past the pool's claim limit for the period a 429 that changes nothing — the " +
				"limit is counted in the claim's transaction, so concurrent claims cannot pass it.",
			"responses": responses(obj{"200": ok("The claimed record.", ref("Record"))}, 401, 403, 404, 409, 429),
		},
	}
	d.paths["/api/apps/{app}/pools/{key}/assign"] = obj{
		"parameters": []any{paramRef("App"), paramRef("PoolKey")},
		"post": obj{
			"tags": tag, "operationId": "pools.assign", "summary": "Assign pool records to users in a batch",
			"description": "The records named, or the limit oldest of the pool, dealt to the users in turn (even: counts differ " +
				"by at most one) or each to a user drawn at random, in one transaction: a record no longer in the pool (404) or " +
				"a user who is not a live one (422) assigns none. Claim limits do not apply.",
			"requestBody": body(obj{"type": "object", "required": []any{"users", "mode"}, "additionalProperties": false, "properties": obj{
				"users":   obj{"type": "array", "items": obj{"type": "string", "format": "uuid"}, "minItems": 1, "maxItems": 200},
				"mode":    obj{"type": "string", "enum": []any{"even", "random"}},
				"records": obj{"type": "array", "items": obj{"type": "string", "format": "uuid"}, "maxItems": 500},
				"limit":   obj{"type": "integer", "minimum": 0, "maximum": 500},
			}}, ""),
			"responses": responses(obj{"200": ok("Each record's new owner, and the count per user.", obj{"type": "object", "properties": obj{
				"owners": obj{"type": "object", "additionalProperties": obj{"type": "string"}},
				"counts": obj{"type": "object", "additionalProperties": obj{"type": "integer"}},
			}})}, 400, 401, 403, 404, 409, 413, 422),
		},
	}
	d.paths["/api/apps/{app}/pools/{key}/reclaim"] = obj{
		"parameters": []any{paramRef("App"), paramRef("PoolKey")},
		"post": obj{
			"tags": tag, "operationId": "pools.reclaim", "summary": "Run the pool's reclaim now (administrators)",
			"description": "What the daily job does at midnight in the pool's time zone: owned records of the pool's filter in " +
				"a named status whose last follow-up is older than their tier's days go back to the pool, written by the " +
				"system user pool:{key}. At most 500 per run. A pool without thresholds is a 409.",
			"responses": responses(obj{"200": ok("How many went back.", obj{"type": "object", "properties": obj{
				"reclaimed": obj{"type": "integer"}}})}, 401, 403, 404, 409),
		},
	}
	grant := obj{"type": "object", "additionalProperties": false, "properties": obj{
		"roles":       obj{"type": "array", "items": obj{"type": "string"}, "maxItems": 100},
		"departments": obj{"type": "array", "items": obj{"type": "string"}, "maxItems": 100, "description": "Department keys; members of departments below them hold it too."},
	}}
	d.schemas["Pool"] = obj{"type": "object", "required": []any{"key", "module", "label"}, "properties": obj{
		"key":    obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "maxLength": 40},
		"module": obj{"type": "string"},
		"label":  ref("Label"),
		"filter": str("An expression choosing the pool's records among those without owner (region == \"east\"); empty: all."),
		"view":   grant, "claim": grant, "assign": grant,
		"claim_limit": obj{"type": "object", "required": []any{"count", "period"}, "properties": obj{
			"count":  obj{"type": "integer", "minimum": 1, "maximum": 10000},
			"period": obj{"type": "string", "enum": []any{"day", "week", "month"}},
		}},
		"reclaim": obj{"type": "object", "required": []any{"date_field", "days", "status_field", "statuses"}, "properties": obj{
			"date_field":   str("The date (or date-time) field of the last follow-up; empty counts from the record's creation."),
			"tier_field":   str("The field whose value picks the threshold."),
			"days":         obj{"type": "object", "additionalProperties": obj{"type": "integer", "minimum": 1, "maximum": 3650}, "description": "Days without follow-up per tier value; \"*\" for any other."},
			"status_field": str("The status field."),
			"statuses":     obj{"type": "array", "items": obj{"type": "string"}, "description": "Only records in these statuses are reclaimed."},
		}},
		"time_zone": str("IANA zone of the claim periods and the reclaim job's midnight (default Asia/Shanghai)."),
		"version":   obj{"type": "integer", "description": "On replace: the version you read (optimistic concurrency)."},
		"claimed": obj{"type": "object", "readOnly": true, "description": "GET one pool: your claims this period and the limit.",
			"properties": obj{"count": obj{"type": "integer"}, "limit": obj{"type": "integer"}}},
		"id":         obj{"type": "string", "readOnly": true},
		"app":        obj{"type": "string", "readOnly": true},
		"created_at": obj{"type": "string", "format": "date-time", "readOnly": true},
		"updated_at": obj{"type": "string", "format": "date-time", "readOnly": true},
	}}
}
