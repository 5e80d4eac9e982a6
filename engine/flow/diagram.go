package flow

import (
	"context"
	"fmt"
	"strings"

	"github.com/looplab/fsm"
)

// Diagram returns pipeline key as a Mermaid state diagram in locale:
// looplab/fsm draws the machine (start arrow, one arrow per source and
// transition); state names and transition labels are then given in the
// caller's language, further initial states get a start arrow and won and
// lost states an end arrow.
func (s *Service) Diagram(ctx context.Context, app, key, locale string) (string, error) {
	f, err := s.Flow(ctx, app, key)
	if err != nil {
		return "", err
	}
	return diagram(f, locale)
}

func diagram(f *Flow, locale string) (string, error) {
	initial := f.Initial()
	out, err := fsm.VisualizeForMermaidWithGraphType(machine(f, initial[0].Key, nil), fsm.StateDiagram)
	if err != nil {
		return "", err
	}
	labels := map[string]string{}
	for _, t := range f.Transitions {
		labels[t.Key] = mermaidText(t.Label.In(locale))
	}
	var b strings.Builder
	for i, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		// Transition lines are "    src --> dst: key"; keys are
		// validated identifiers, so the suffix is exactly the key.
		if j := strings.LastIndex(line, ": "); j > 0 && !strings.Contains(line, "[*]") {
			if l := labels[line[j+2:]]; l != "" {
				line = line[:j+2] + l
			}
		}
		b.WriteString(line)
		b.WriteByte('\n')
		if i == 0 {
			for _, st := range f.States {
				fmt.Fprintf(&b, "    state \"%s\" as %s\n", mermaidText(st.Label.In(locale)), st.Key)
			}
		}
	}
	for _, st := range initial[1:] {
		fmt.Fprintf(&b, "    [*] --> %s\n", st.Key)
	}
	for _, st := range f.States {
		if st.Kind != KindOpen {
			fmt.Fprintf(&b, "    %s --> [*]\n", st.Key)
		}
	}
	return b.String(), nil
}

// mermaidText makes a label safe inside a Mermaid quoted name or arrow
// label: no quotes, line breaks, or the characters Mermaid gives meaning
// there.
func mermaidText(s string) string {
	r := strings.NewReplacer("\"", "'", "\n", " ", "\r", " ", ";", ",", "#", "＃", ":", "：", "<", "‹", ">", "›")
	return strings.TrimSpace(r.Replace(s))
}
