package openapi

// addReports adds the query specs' API (runtime/reportapi).
func (d *doc) addReports() {
	tag := []any{"reports"}
	d.paths["/api/apps/{app}/query"] = obj{
		"parameters": []any{paramRef("App")},
		"post": obj{
			"tags": tag, "operationId": "reports.query", "summary": "Run a query spec",
			"description": "One SQL GROUP BY over the module's records the caller may read (plus one for compare): " +
				"dimensions (fields, system keys, one lookup deep as \"account.province\" within the caller's scope on the target; " +
				"a date or datetime bucketed by day, week from Monday, month, quarter or year in the caller's time zone, " +
				"a bucket's value being its start date), measures (count, count_distinct, sum, avg, min, max; a measure's " +
				"\"filter\" counts only the rows it selects; calc: an expression over the other measures' names, per row, " +
				"division by zero giving null), sort, limit, range and compare (previous_period, previous_year → compare_rows). " +
				"Dimension cells are raw values; a column's labels map them to select option labels, lookup titles, user names " +
				"and bucket names. Grouping by or measuring a field hidden from the caller is a 400 like an unknown field.",
			"requestBody": body(ref("QuerySpec"), ""),
			"responses":   responses(obj{"200": ok("The result table.", ref("QueryResult"))}, 400, 401, 403, 404, 413),
		},
	}
	d.paths["/api/apps/{app}/query/drill"] = obj{
		"parameters": []any{paramRef("App")},
		"post": obj{
			"tags": tag, "operationId": "reports.drill", "summary": "The records behind one cell of a query",
			"description": "Runs as the caller: the list filter selecting the records of one cell (the spec's filter and range, " +
				"and each dimension named in cell equal to its value; a bucket as its dates) and the first page of them, newest first. " +
				"Further pages: GET …/modules/{module}/records with that filter and the returned next_cursor as cursor. A dimension left out of cell is not restricted.",
			"requestBody": body(obj{"type": "object", "required": []any{"spec", "cell"}, "properties": obj{
				"spec": ref("QuerySpec"), "cell": obj{"type": "object", "additionalProperties": true},
			}}, ""),
			"responses": responses(obj{"200": ok("The filter and the first page.", obj{"type": "object", "properties": obj{
				"filter": obj{"type": "string"}, "records": arrayOf(obj{"type": "object"}), "next_cursor": obj{"type": "string"},
			}})}, 400, 401, 403, 404, 413),
		},
	}
	s := d.schemas
	str := obj{"type": "string"}
	s["QuerySpec"] = obj{"type": "object", "required": []any{"module", "measures"}, "properties": obj{
		"module": str, "filter": str,
		"dimensions": arrayOf(obj{"type": "object", "required": []any{"field"}, "properties": obj{
			"field": str, "bucket": obj{"type": "string", "enum": []any{"day", "week", "month", "quarter", "year"}},
		}}),
		"measures": arrayOf(obj{"type": "object", "required": []any{"op"}, "properties": obj{
			"op":    obj{"type": "string", "enum": []any{"count", "count_distinct", "sum", "avg", "min", "max", "calc"}},
			"field": str, "as": str, "expr": str,
			"filter": obj{"type": "string", "description": "Only rows matching it are aggregated (conditional count/sum)."},
		}}),
		"sort":    arrayOf(obj{"type": "object", "properties": obj{"key": str, "desc": obj{"type": "boolean"}}}),
		"limit":   obj{"type": "integer", "minimum": 0, "maximum": 1000},
		"compare": obj{"type": "string", "enum": []any{"previous_period", "previous_year"}},
		"range":   obj{"type": "object", "properties": obj{"field": str, "from": str, "to": str}},
		"source":  str,
	}}
	s["QueryResult"] = obj{"type": "object", "required": []any{"columns", "rows"}, "properties": obj{
		"columns": arrayOf(obj{"type": "object", "properties": obj{"key": str, "label": str,
			"type":   obj{"type": "string", "enum": []any{"string", "number", "date", "datetime", "bool"}},
			"labels": obj{"type": "object", "additionalProperties": str, "description": "A dimension's values (printed) → their labels in the caller's locale."}}}),
		"rows":         arrayOf(obj{"type": "array", "items": obj{}}),
		"compare_rows": arrayOf(obj{"type": "array", "items": obj{}}),
	}}
}
