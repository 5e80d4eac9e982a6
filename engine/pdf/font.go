package pdf

import (
	"os"
	"sync"

	"github.com/tessera-app/tessera/engine/errs"
)

// EnvFont names the environment variable holding the path of the CJK
// TrueType font; DefaultFont is where Debian's fonts-droid-fallback puts
// it. The font (about 4 MB, Apache-2.0) is a system file, read at run time
// and never committed; documents embed only the glyphs they use.
const (
	EnvFont     = "TESSERA_CJK_FONT"
	DefaultFont = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
)

// FontPath is the configured CJK font path.
func FontPath() string {
	if p := os.Getenv(EnvFont); p != "" {
		return p
	}
	return DefaultFont
}

// fonts caches the font files read, by path: a document reads its font
// once per process, not once per render.
var fonts struct {
	sync.Mutex
	data map[string][]byte
}

// loadFont returns the bytes of the TrueType font at path; a missing or
// unreadable file is an error naming the path and the variable that sets it.
func loadFont(path string) ([]byte, error) {
	fonts.Lock()
	defer fonts.Unlock()
	if b, ok := fonts.data[path]; ok {
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err == nil && !isTrueType(b) {
		err = errs.New(errs.Internal, "pdf.font_not_truetype", "path", path)
	}
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "pdf.font_missing", "path", path, "env", EnvFont)
	}
	if fonts.data == nil {
		fonts.data = map[string][]byte{}
	}
	fonts.data[path] = b
	return b, nil
}

// isTrueType checks the sfnt version tag (fpdf panics on some non-font
// input rather than failing).
func isTrueType(b []byte) bool {
	if len(b) < 12 {
		return false
	}
	tag := string(b[:4])
	return tag == "\x00\x01\x00\x00" || tag == "true"
}
