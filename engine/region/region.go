// Package region is the shipped list of China's administrative divisions
// (province › city › district, GB/T 2260 six-digit codes) that the region
// field stores, validates and groups by. The list is generated from an npm
// package by gen.go (source and licence there and in Source); names are
// Chinese only, since the source has no English or pinyin names.
//
// A code names its ancestors by prefix: 310115 (浦东新区) lies in city
// 310100 (市辖区 of 上海) and province 310000 (上海市). So a province's
// subtree is every code sharing its first two digits, and rolling a city
// up to its province is arithmetic on the code, in Go or in SQL.
package region

import (
	_ "embed"
	"encoding/json"
	"sort"
	"strings"
)

// Levels of a division, outermost first.
const (
	Province = 1
	City     = 2
	District = 3
)

// LevelNames are the names x-field.level accepts, by level.
var LevelNames = map[string]int{"province": Province, "city": City, "district": District}

// Division is one administrative division.
type Division struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level int    `json:"level"`
}

// Node is a division with the divisions inside it, as the picker shows them.
type Node struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Children []Node `json:"children,omitempty"`
}

//go:embed divisions.json
var raw []byte

var (
	source   string
	byCode   map[string]Division // code → division
	children map[string][]string // parent code ("" for the top) → child codes, in order
)

func init() {
	var doc struct {
		Source    string      `json:"source"`
		Divisions [][2]string `json:"divisions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		panic("region: divisions.json: " + err.Error()) // the embedded file is part of the build
	}
	source = doc.Source
	byCode = make(map[string]Division, len(doc.Divisions))
	children = map[string][]string{}
	for _, d := range doc.Divisions {
		div := Division{Code: d[0], Name: d[1], Level: levelOf(d[0])}
		byCode[div.Code] = div
		p := Parent(div.Code)
		children[p] = append(children[p], div.Code)
	}
	byName = names()
}

// Source names the package (and version) the list was generated from.
func Source() string { return source }

// levelOf reads a well-formed code's level from its trailing zeros.
func levelOf(code string) int {
	switch {
	case strings.HasSuffix(code, "0000"):
		return Province
	case strings.HasSuffix(code, "00"):
		return City
	}
	return District
}

// Lookup returns the division with code.
func Lookup(code string) (Division, bool) {
	d, ok := byCode[code]
	return d, ok
}

// Parent is the code of the division code lies in: "" for a province or
// a malformed code.
func Parent(code string) string {
	if len(code) != 6 {
		return ""
	}
	switch levelOf(code) {
	case District:
		return code[:4] + "00"
	case City:
		return code[:2] + "0000"
	}
	return ""
}

// ProvinceOf is the code of the province code lies in (itself for a
// province), or "" when code is unknown.
func ProvinceOf(code string) string {
	if _, ok := byCode[code]; !ok {
		return ""
	}
	return code[:2] + "0000"
}

// Path is the division and those it lies in, outermost first; nil when
// code is unknown.
func Path(code string) []Division {
	d, ok := byCode[code]
	if !ok {
		return nil
	}
	path := []Division{d}
	for p := Parent(code); p != ""; p = Parent(p) {
		if pd, ok := byCode[p]; ok {
			path = append([]Division{pd}, path...)
		}
	}
	return path
}

// Label is the division's path of names joined by " › ", e.g.
// "上海市 › 市辖区 › 浦东新区"; "" when code is unknown.
func Label(code string) string {
	path := Path(code)
	names := make([]string, len(path))
	for i, d := range path {
		names[i] = d.Name
	}
	return strings.Join(names, " › ")
}

// Subtree is code and every division inside it, sorted; nil when code is
// unknown.
func Subtree(code string) []string {
	if _, ok := byCode[code]; !ok {
		return nil
	}
	out := []string{code}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	sort.Strings(out)
	return out
}

// Tree is the divisions down to maxLevel (Province, City or District) as
// nested nodes, in the source's order.
func Tree(maxLevel int) []Node {
	var build func(parent string, level int) []Node
	build = func(parent string, level int) []Node {
		if level > maxLevel {
			return nil
		}
		codes := children[parent]
		nodes := make([]Node, len(codes))
		for i, c := range codes {
			nodes[i] = Node{Code: c, Name: byCode[c].Name, Children: build(c, level+1)}
		}
		return nodes
	}
	return build("", Province)
}

// Valid reports whether code is a known division no deeper than maxLevel.
func Valid(code string, maxLevel int) bool {
	d, ok := byCode[code]
	return ok && d.Level <= maxLevel
}

// nameSuffixes are stripped, longest first, to give a province's or
// city's short name: 广西壮族自治区 → 广西, 江苏省 → 江苏, 深圳市 → 深圳.
var nameSuffixes = []string{"维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"}

// byName maps the full and short names of provinces and cities to their
// code; a name two divisions share (市辖区, 县) maps to "" (ambiguous).
// Districts are left out: their names repeat across the country (朝阳区).
var byName map[string]string

// names builds byName (from init, once byCode is filled).
func names() map[string]string {
	out := map[string]string{}
	put := func(name, code string) {
		if old, seen := out[name]; seen && old != code {
			out[name] = ""
			return
		}
		out[name] = code
	}
	for code, d := range byCode {
		if d.Level == District {
			continue
		}
		put(d.Name, code)
		for _, suf := range nameSuffixes {
			if short, ok := strings.CutSuffix(d.Name, suf); ok && short != "" {
				put(short, code)
				break
			}
		}
	}
	return out
}

// pathSeparators split "广东省 › 深圳市", "广东/深圳", "广东 深圳".
var pathSeparators = strings.NewReplacer("›", " ", "/", " ", ">", " ", "-", " ", "，", " ", ",", " ")

// Find reads what a person (or a web form) calls a division: its code,
// its name or short name (上海, 江苏省, 深圳), or a path of names from the
// province down (广东 深圳, 广东省 › 深圳市 › 南山区). ok is false when nothing,
// or more than one division, answers to it.
func Find(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if _, ok := byCode[s]; ok {
		return s, true
	}
	if code := byName[s]; code != "" {
		return code, true
	}
	parts := strings.Fields(pathSeparators.Replace(s))
	if len(parts) < 2 {
		return "", false
	}
	code := ""
	for i, p := range parts {
		var next string
		if i == 0 {
			next = byName[p]
		} else {
			next = childNamed(code, p)
		}
		if next == "" {
			return "", false
		}
		code = next
	}
	return code, true
}

// childNamed is the division directly inside parent called name (in full
// or short).
func childNamed(parent, name string) string {
	for _, c := range children[parent] {
		full := byCode[c].Name
		if full == name {
			return c
		}
		for _, suf := range nameSuffixes {
			if short, ok := strings.CutSuffix(full, suf); ok && short == name {
				return c
			}
		}
	}
	return ""
}
