// Package httpxtest has helpers for tests of the HTTP stack.
package httpxtest

import (
	"bytes"
	"strings"
	"sync"
)

// LogBuffer collects what a server logs from its goroutines (give it to
// slog.NewTextHandler) for tests to read.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Lines returns the lines logged so far.
func (b *LogBuffer) Lines() []string {
	return strings.Split(strings.TrimSpace(b.String()), "\n")
}
