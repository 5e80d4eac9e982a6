package meta

import (
	"regexp"
	"strconv"
	"strings"
)

// Palette is the named colours an option may use: Ant Design's preset
// colours, which the web UI renders as tags. Anything else an option's
// color holds must be a hex colour: the value reaches style attributes
// and documents, so free text (say "red;x:url(javascript:1)") is refused.
var Palette = []string{"red", "volcano", "orange", "gold", "yellow", "lime", "green", "cyan", "blue", "geekblue", "purple", "magenta", "grey"}

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// ValidColor reports whether c is an option colour: #rgb, #rrggbb or a
// name of the Palette.
func ValidColor(c string) bool {
	if hexColor.MatchString(c) {
		return true
	}
	for _, p := range Palette {
		if c == p {
			return true
		}
	}
	return false
}

// checkColors reports each option whose color is not ValidColor.
func checkColors(f *Field) []Problem {
	var probs []Problem
	for i, o := range f.Options {
		if o.Color == "" || ValidColor(o.Color) {
			continue
		}
		probs = append(probs, Problem{Path: "x-field.options." + strconv.Itoa(i) + ".color", Code: "bad_color", Key: "meta.bad_color",
			Args: []any{"value", o.Value, "color", o.Color, "palette", strings.Join(Palette, ", ")}})
	}
	return probs
}
