package expr

import "github.com/tessera-app/tessera/engine/meta"

// ReadsClock reports whether the expression src on m reads the clock
// (now, today): its value changes with time alone, so a stored formula
// of that kind must be recomputed as days pass (engine/record/daily.go).
func ReadsClock(src string, m *meta.Module) (bool, error) {
	p, err := CompileLookups(src, m, "", Unknown)
	if err != nil {
		return false, err
	}
	for _, s := range p.slots {
		if s.src == fromNow || s.src == fromToday {
			return true, nil
		}
	}
	return false, nil
}
