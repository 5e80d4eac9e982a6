package approval

import (
	"context"
	"fmt"
	"strings"
)

// Diagram renders a process's steps as a Mermaid flowchart: submit, each
// step (approvers, mode, due, timeout), skip edges for skip_if, rejection
// and return edges, approval at the end. Labels are user text: quotes and
// markup are escaped as Mermaid entities, never passed through.
func (s *Service) Diagram(ctx context.Context, app, key, locale string) (string, error) {
	p, err := s.Process(ctx, app, key)
	if err != nil {
		return "", err
	}
	return p.mermaid(locale), nil
}

func (p *Process) mermaid(locale string) string {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	fmt.Fprintf(&b, "  submit([%s])\n", quote(localText(locale, "Submit", "提交")+": "+p.Label.In(locale)))
	fmt.Fprintf(&b, "  approved([%s])\n", quote(localText(locale, "Approved", "已通过")))
	fmt.Fprintf(&b, "  rejected([%s])\n", quote(localText(locale, "Rejected", "已驳回")))
	prev := "submit"
	for i, st := range p.Steps {
		id := fmt.Sprintf("s%d", i)
		desc := []string{st.Label.In(locale), approversText(st.Approvers), map[string]string{"any": "或签 any", "all": "会签 all"}[st.Mode]}
		if st.Due != nil {
			due := fmt.Sprintf("due %gh", st.Due.Hours)
			if st.OnTimeout != "" {
				due += " → " + st.OnTimeout
			}
			desc = append(desc, due)
		}
		fmt.Fprintf(&b, "  %s[%s]\n", id, quote(strings.Join(desc, "<br/>")))
		fmt.Fprintf(&b, "  %s --> %s\n", prev, id)
		if st.SkipIf != "" {
			next := "approved"
			if i+1 < len(p.Steps) {
				next = fmt.Sprintf("s%d", i+1)
			}
			fmt.Fprintf(&b, "  %s -. %s .-> %s\n", prev, quote("skip if "+st.SkipIf), next)
		}
		fmt.Fprintf(&b, "  %s -- %s --> rejected\n", id, quote(localText(locale, "reject", "驳回")))
		if i > 0 {
			fmt.Fprintf(&b, "  %s -. %s .-> submit\n", id, quote(localText(locale, "return", "退回")))
		}
		prev = id
	}
	fmt.Fprintf(&b, "  %s --> approved\n", prev)
	return b.String()
}

func localText(locale, en, zh string) string {
	if locale == "zh-CN" {
		return zh
	}
	return en
}

func approversText(a Approvers) string {
	switch a.Type {
	case "users":
		return fmt.Sprintf("%d user(s)", len(a.Users))
	case "role":
		return "role " + a.Role
	case "manager":
		return fmt.Sprintf("manager of %s ×%d", a.Of, max(a.Levels, 1))
	case "department_manager":
		return "manager of " + a.Department
	case "field":
		return "user in " + a.Field
	case "union":
		parts := make([]string, len(a.Sets))
		for i, set := range a.Sets {
			parts[i] = approversText(set)
		}
		return strings.Join(parts, " + ")
	}
	return a.Type
}

// quote makes text a Mermaid string: in double quotes, with quotes, angle
// brackets (other than the line breaks this file adds), ampersands and
// backticks as entity codes.
func quote(s string) string {
	s = strings.ReplaceAll(s, "<br/>", "\x00")
	r := strings.NewReplacer(`&`, "#amp;", `"`, "#quot;", `<`, "#lt;", `>`, "#gt;", "`", "#96;", "\n", " ")
	s = r.Replace(s)
	return `"` + strings.ReplaceAll(s, "\x00", "<br/>") + `"`
}
