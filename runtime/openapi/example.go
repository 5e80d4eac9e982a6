package openapi

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
)

// Fixed example values, so the document is the same on every request.
var (
	exampleTime    = time.Date(2026, 1, 31, 9, 30, 0, 0, time.UTC)
	exampleRecord  = "0f8b4a52-3c1d-4e6f-9a7b-2c5d8e1f3a40"
	exampleUser    = "6a1e2f3b-4c5d-4e7f-8a9b-0c1d2e3f4a5b"
	exampleLookup  = "9d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
	exampleVersion = 3
)

// recordExample is a record with every field filled in where a value can
// be made up from the field's type and constraints.
func recordExample(fields []*meta.Field) obj {
	ts := exampleTime.Format(time.RFC3339)
	ex := obj{
		"id": exampleRecord, "version": exampleVersion,
		"created_at": ts, "updated_at": ts,
		"created_by": exampleUser, "updated_by": exampleUser, "owner": exampleUser,
	}
	for _, f := range fields {
		if v, ok := exampleValue(f); ok {
			ex[f.Key] = v
		} else if !f.Required {
			ex[f.Key] = nil
		}
	}
	return ex
}

// inputExample is a create body: the writable fields of recordExample.
func inputExample(fields []*meta.Field, ro func(*meta.Field) bool) obj {
	ex := obj{}
	for _, f := range fields {
		if ro(f) {
			continue
		}
		if v, ok := exampleValue(f); ok {
			ex[f.Key] = v
		}
	}
	return ex
}

// exampleValue makes up a value for f that its schema accepts, or reports
// false when it cannot (a text field with a pattern, say).
func exampleValue(f *meta.Field) (any, bool) {
	s := f.Schema
	if ex, ok := s["examples"].([]any); ok && len(ex) > 0 {
		return copyValue(ex[0]), true
	}
	if v, ok := s["default"]; ok && v != nil {
		return copyValue(v), true
	}
	if f.Default != nil {
		return copyValue(f.Default), true
	}
	if v, ok := s["const"]; ok {
		return copyValue(v), true
	}
	if e, ok := s["enum"].([]any); ok {
		for _, v := range e {
			if v != nil {
				return copyValue(v), true
			}
		}
	}
	name := ""
	if f.Type != nil {
		name = f.Type.Name()
	}
	switch name {
	case "autonumber":
		return meta.FormatAutonumber(f, 42, exampleTime), true
	case "select":
		if len(f.Options) > 0 {
			return f.Options[0].Value, true
		}
	case "multiselect":
		if len(f.Options) > 0 {
			return []any{f.Options[0].Value}, true
		}
		return []any{}, true
	case "region":
		return "310000", true // 上海市: a province, valid at every level
	case "lookup":
		return exampleLookup, true
	case "user":
		return exampleUser, true
	case "boolean":
		return true, true
	case "json":
		return obj{"note": "any JSON value"}, true
	case "integer":
		return exampleNumber(s, 42, true), true
	case "number":
		return exampleNumber(s, 3.5, false), true
	case "decimal", "currency":
		return exampleNumber(s, 1234.5, false), true
	case "percent":
		return exampleNumber(s, 12.5, false), true
	}
	t, _ := s["type"].(string)
	switch t {
	case "string":
		return exampleString(f, name, s)
	case "integer":
		return exampleNumber(s, 1, true), true
	case "number":
		return exampleNumber(s, 1, false), true
	case "boolean":
		return true, true
	case "array":
		return []any{}, true
	case "object":
		return obj{}, true
	}
	return nil, false
}

// exampleString picks a string by format, then by field type, and fits it
// to minLength and maxLength. A pattern cannot be satisfied in general, so
// such fields get no example.
func exampleString(f *meta.Field, name string, s map[string]any) (any, bool) {
	var v string
	switch format, _ := s["format"].(string); format {
	case "email":
		v = "user@example.com"
	case "uri":
		v = "https://example.com/"
	case "date":
		v = exampleTime.Format("2006-01-02")
	case "date-time":
		v = exampleTime.Format(time.RFC3339)
	case "time":
		v = exampleTime.Format("15:04:05Z")
	case "uuid":
		v = exampleLookup
	case "hostname":
		v = "example.com"
	case "ipv4":
		v = "192.0.2.1"
	case "ipv6":
		v = "2001:db8::1"
	}
	fixed := v != ""
	if !fixed {
		if _, ok := s["pattern"]; ok {
			return nil, false
		}
		switch name {
		case "phone":
			v = "+86 10 5555 0100"
		case "textarea":
			v = "Some longer text.\nIt may span lines."
		default:
			v = labelTitle(f.Label)
			if v == "" {
				v = f.Key
			}
			v = "Example " + strings.ToLower(v)
		}
	}
	if max, ok := toFloat(s["maxLength"]); ok && float64(len([]rune(v))) > max {
		if fixed {
			return nil, false
		}
		v = string([]rune(v)[:int(max)])
	}
	if min, ok := toFloat(s["minLength"]); ok && float64(len([]rune(v))) < min {
		if fixed {
			return nil, false
		}
		v += strings.Repeat("x", int(min)-len([]rune(v)))
	}
	return v, true
}

// exampleNumber moves want into the field's bounds and onto its multipleOf.
func exampleNumber(s map[string]any, want float64, integer bool) any {
	lo, hi := math.Inf(-1), math.Inf(1)
	if v, ok := toFloat(s["minimum"]); ok {
		lo = v
	}
	if v, ok := toFloat(s["exclusiveMinimum"]); ok && v >= lo {
		lo = v + step(integer)
	}
	if v, ok := toFloat(s["maximum"]); ok {
		hi = v
	}
	if v, ok := toFloat(s["exclusiveMaximum"]); ok && v <= hi {
		hi = v - step(integer)
	}
	v := want
	if v < lo {
		v = lo
	}
	if v > hi {
		v = hi
	}
	if m, ok := toFloat(s["multipleOf"]); ok && m > 0 {
		v = math.Ceil(v/m) * m
		if v > hi {
			v -= m
		}
	}
	if integer {
		v = math.Ceil(v)
		return json.Number(formatFloat(v))
	}
	return json.Number(formatFloat(v))
}

func step(integer bool) float64 {
	if integer {
		return 1
	}
	return 0.5
}

func formatFloat(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}
