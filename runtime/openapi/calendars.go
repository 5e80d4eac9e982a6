package openapi

// addCalendars adds the business calendars (designer/calendarapi).
func (d *doc) addCalendars() {
	tags := []any{"calendars"}
	d.parameters["CalendarKey"] = obj{"name": "key", "in": "path", "required": true,
		"schema": obj{"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}, "description": "The calendar; \"default\" always exists."}
	d.paths["/api/calendars/{key}"] = obj{
		"parameters": []any{paramRef("CalendarKey")},
		"get": obj{
			"tags": tags, "operationId": "calendars.get", "summary": "Get a business calendar",
			"description": "Working days and hours, time zone, holidays and make-up workdays (调休). \"default\" is the shipped " +
				"Asia/Shanghai calendar (version 0) until an administrator saves it; due times of approval steps and the " +
				"expression function businessDaysBetween count in it.",
			"responses": responses(obj{"200": ok("The calendar.", ref("Calendar"))}, 401, 404),
		},
		"put": obj{
			"tags": tags, "operationId": "calendars.put", "summary": "Create or replace a business calendar",
			"description": "Send the version you read (0 only for a new calendar or the never-saved default); a stale version is a 409. " +
				"Every problem (time zone, overlapping hours, bad dates, a date that is both holiday and workday) is one error. Administrators only.",
			"requestBody": body(ref("Calendar"), ""),
			"responses":   responses(obj{"200": ok("The saved calendar.", ref("Calendar"))}, 400, 401, 403, 409, 413, 422),
		},
	}
	day := obj{"type": "object", "required": []any{"from"}, "additionalProperties": false, "properties": obj{
		"from":  obj{"type": "string", "format": "date"},
		"to":    obj{"type": "string", "format": "date", "description": "Last day of a range (inclusive); absent: one day."},
		"label": ref("Label"),
	}}
	d.schemas["Calendar"] = obj{"type": "object", "additionalProperties": false, "properties": obj{
		"key":       obj{"type": "string", "readOnly": true},
		"label":     ref("Label"),
		"time_zone": obj{"type": "string", "description": "IANA time zone.", "examples": []any{"Asia/Shanghai"}},
		"weekdays":  obj{"type": "array", "items": obj{"type": "integer", "minimum": 1, "maximum": 7}, "description": "Regular working days, ISO (1 Monday … 7 Sunday)."},
		"hours": obj{"type": "array", "minItems": 1, "maxItems": 8, "description": "Working hours of each working day, in order.", "items": obj{
			"type": "object", "required": []any{"start", "end"}, "additionalProperties": false,
			"properties": obj{"start": obj{"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}, "end": obj{"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}},
		}},
		"holidays":   obj{"type": "array", "items": day, "description": "Days off that would otherwise be working days."},
		"workdays":   obj{"type": "array", "items": day, "description": "Make-up working days (调休) that would otherwise be days off."},
		"version":    obj{"type": "integer", "description": "The version being replaced (PUT); 0 for the built-in default."},
		"updated_at": obj{"type": "string", "format": "date-time", "readOnly": true},
		"note":       obj{"type": "string"},
	}}
}
