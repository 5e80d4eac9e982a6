package dedupe

import (
	"strings"
	"unicode"
)

// companySuffixes are what a company name is compared without: legal
// forms and the group / China markers, longest first so that 股份有限公司
// goes before 有限公司 would leave 股份.
var companySuffixes = []string{
	"股份有限公司", "有限责任公司", "有限公司", "集团", "(中国)", "（中国）",
}

// Normalize is the value a match key compares: text case-folded without
// spaces; a company name also without its legal form and group markers; a
// phone number as its digits (a +86 / 0086 prefix dropped); an email
// trimmed and lower-cased.
func Normalize(kind, s string) string {
	switch kind {
	case "phone":
		var b strings.Builder
		for _, r := range s {
			if r >= '0' && r <= '9' {
				b.WriteRune(r)
			} else if r >= '０' && r <= '９' {
				b.WriteRune('0' + (r - '０'))
			}
		}
		d := b.String()
		switch {
		case strings.HasPrefix(d, "0086") && len(d) > 11:
			d = d[4:]
		case strings.HasPrefix(d, "86") && len(d) == 13:
			d = d[2:]
		}
		return d
	case "email":
		return strings.ToLower(strings.TrimSpace(s))
	case "company":
		s = fold(s)
		for _, suf := range companySuffixes {
			s = strings.ReplaceAll(s, fold(suf), "")
		}
		return s
	}
	return fold(s)
}

// fold drops white space (any kind) and case-folds, with full-width
// letters and digits as their ASCII forms.
func fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			continue
		case r >= '！' && r <= '～': // full-width ASCII
			r -= '！' - '!'
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
