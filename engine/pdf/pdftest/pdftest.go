// Package pdftest reads back the text of PDF documents in tests, with
// pdftotext (Debian's poppler-utils).
package pdftest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// Text is the text pdftotext extracts from doc, page by page (pages are
// separated by form feeds).
func Text(t testing.TB, doc []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is needed (apt-get install poppler-utils)")
	}
	if !bytes.HasPrefix(doc, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %.200q", doc)
	}
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(doc)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftotext: %v: %s", err, errb.String())
	}
	return out.String()
}

// Dump writes doc to the directory $TESSERA_PDF_DUMP names, if any, to
// look at.
func Dump(t testing.TB, name string, doc []byte) {
	if dir := os.Getenv("TESSERA_PDF_DUMP"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), doc, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// Compact drops all white space, so that text can be compared across the
// line breaks and the spacing a PDF and its extraction introduce.
func Compact(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// Pages splits extracted text into its pages.
func Pages(text string) []string {
	pages := strings.Split(text, "\f")
	if len(pages) > 0 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages
}
