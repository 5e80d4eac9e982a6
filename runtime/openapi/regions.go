package openapi

// addRegions adds the China administrative divisions (runtime/regionapi).
func (d *doc) addRegions() {
	d.paths["/api/regions"] = obj{"get": obj{
		"tags": []any{"regions"}, "operationId": "regions.list", "summary": "China's administrative divisions (no sign-in)",
		"description": "The divisions a region field stores, as a tree for a cascading picker: province, city and, with " +
			"level=district, district (县级), each by its six-digit code (310000 上海市, 310100, 310115 浦东新区) and Chinese name. " +
			"A code's province and city are its prefixes, so 310115 lies in 310100 and 310000.",
		"security": []any{},
		"parameters": []any{obj{"name": "level", "in": "query", "description": "The deepest level listed.",
			"schema": obj{"type": "string", "enum": []any{"province", "city", "district"}, "default": "city"}}},
		"responses": responses(obj{"200": ok("The divisions.", ref("Regions"))}, 400),
	}}
	d.schemas["RegionNode"] = obj{"type": "object", "required": []any{"code", "name"}, "properties": obj{
		"code":     obj{"type": "string", "pattern": "^[0-9]{6}$"},
		"name":     obj{"type": "string"},
		"children": obj{"type": "array", "items": ref("RegionNode")},
	}}
	d.schemas["Regions"] = obj{"type": "object", "required": []any{"source", "level", "regions"}, "properties": obj{
		"source":  obj{"type": "string", "description": "The package the list was generated from, its version and licence."},
		"level":   obj{"type": "string"},
		"regions": obj{"type": "array", "items": ref("RegionNode")},
	}}
}
