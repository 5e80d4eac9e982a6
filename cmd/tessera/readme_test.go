package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeLayoutIsTrue keeps the README's "Layout" table honest (issue 7
// item 20): every folder it names exists, and every package folder under
// engine/, designer/ and runtime/ is named by it (a row may name a parent
// such as `runtime/…`), so a new package cannot land undocumented.
func TestReadmeLayoutIsTrue(t *testing.T) {
	root := filepath.Join("..", "..")
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "## Layout")
	if start < 0 {
		t.Fatal("README has no ## Layout section")
	}
	section := text[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	named := map[string]bool{}
	cell := regexp.MustCompile(`(?m)^\| ([^|]+) \|`)
	code := regexp.MustCompile("`([^`]+)`")
	for _, row := range cell.FindAllStringSubmatch(section, -1) {
		for _, c := range code.FindAllStringSubmatch(row[1], -1) {
			named[strings.TrimSuffix(c[1], "/")] = true
		}
	}
	if len(named) < 10 {
		t.Fatalf("layout table not found or too small: %v", named)
	}
	// Rows may name siblings by their last element ("designer/metaapi",
	// "designer/orgapi" in one cell) and parents with an ellipsis.
	covered := func(dir string) bool {
		if named[dir] {
			return true
		}
		for n := range named {
			if strings.HasSuffix(n, "/…") && strings.HasPrefix(dir, strings.TrimSuffix(n, "…")) {
				return true
			}
		}
		return false
	}
	for n := range named {
		if strings.Contains(n, "…") || strings.ContainsAny(n, " *") {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, n)); err != nil {
			t.Errorf("README layout names %q, which does not exist", n)
		}
	}
	for _, parent := range []string{"engine", "designer", "runtime"} {
		entries, err := os.ReadDir(filepath.Join(root, parent))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			dir := parent + "/" + e.Name()
			if e.IsDir() && !covered(dir) {
				t.Errorf("README layout does not mention %s", dir)
			}
		}
	}
	for _, top := range []string{"templates", "examples"} {
		if _, err := os.Stat(filepath.Join(root, top, "README.md")); err != nil {
			t.Errorf("%s/ needs a README saying what lives there (issue 7 item 21)", top)
		}
	}
}
