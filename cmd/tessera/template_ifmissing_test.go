package main

import (
	"strings"
	"testing"
)

// make run installs the CRM with --if-missing on every start: the first
// run installs it, later ones leave the app (and its data) alone; without
// the flag a second install is still refused.
func TestTemplateInstallIfMissing(t *testing.T) {
	dialects(t, func(t *testing.T, db []string) {
		args := append([]string{"template", "install", "../../templates/crm", "--if-missing"}, db...)
		if out, err := run(t, args...); err != nil || !strings.Contains(out, "installed crm 0.2.0 as app crm") {
			t.Fatalf("first install: %v, %q", err, out)
		}
		if out, err := run(t, args...); err != nil || !strings.Contains(out, "app crm exists; nothing installed") {
			t.Fatalf("second install with --if-missing: %v, %q", err, out)
		}
		if _, err := run(t, append([]string{"template", "install", "../../templates/crm"}, db...)...); err == nil {
			t.Fatal("second install without --if-missing: no error")
		}
	})
}
