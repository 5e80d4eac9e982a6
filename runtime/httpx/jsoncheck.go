package httpx

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tessera-app/tessera/engine/errs"
)

// checkJSON refuses, as a 400, what encoding/json would let through
// silently: bytes that are not UTF-8 (it turns them into U+FFFD), the NUL
// character (PostgreSQL cannot store it in text, SQLite would, so the two
// databases would disagree), and a key repeated within one object (the
// last one would win, so a client that sends two values never learns
// which was kept). A syntax error is left to the decoder, which reports
// it with its position.
func checkJSON(body []byte) error {
	if !utf8.Valid(body) {
		return errs.New(errs.Invalid, "http.bad_utf8", "offset", invalidUTF8At(body))
	}
	if !bytes.Contains(body, []byte(`\u0000`)) && !maybeDuplicate(body) {
		return nil // the common case: nothing to look for
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*jsonFrame
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // end of input, or a syntax error the decoder reports
		}
		var top *jsonFrame
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		if top != nil && top.object && top.wantKey {
			if tok == json.Delim('}') {
				stack = stack[:len(stack)-1]
				valueDone(stack)
				continue
			}
			key, _ := tok.(string)
			if strings.ContainsRune(key, 0) {
				return errs.New(errs.Invalid, "http.nul_char", "key", strings.ReplaceAll(top.child(key), "\x00", `\u0000`))
			}
			if top.keys[key] {
				return errs.New(errs.Invalid, "http.duplicate_key", "key", top.child(key))
			}
			top.keys[key], top.key, top.wantKey = true, key, false
			continue
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &jsonFrame{object: true, wantKey: true, keys: map[string]bool{}, path: top.here()})
			case '[':
				stack = append(stack, &jsonFrame{path: top.here()})
			default: // ']'
				stack = stack[:len(stack)-1]
				valueDone(stack)
			}
		case string:
			if strings.ContainsRune(v, 0) {
				return errs.New(errs.Invalid, "http.nul_char", "key", top.here())
			}
			valueDone(stack)
		default:
			valueDone(stack)
		}
	}
}

// jsonFrame is an object or array being read.
type jsonFrame struct {
	object  bool
	wantKey bool            // objects: the next token is a key (or '}')
	keys    map[string]bool // objects: the keys seen
	key     string          // objects: the key of the value being read
	index   int             // arrays: the index of the value being read
	path    string          // where the frame is, as a dotted path
}

// here is the dotted path of the value being read in f ("" at the top).
func (f *jsonFrame) here() string {
	switch {
	case f == nil:
		return ""
	case f.object:
		return f.child(f.key)
	}
	return f.child(strconv.Itoa(f.index))
}

func (f *jsonFrame) child(name string) string {
	if f.path == "" {
		return name
	}
	return f.path + "." + name
}

// valueDone moves the innermost frame past a complete value.
func valueDone(stack []*jsonFrame) {
	if n := len(stack); n > 0 {
		if f := stack[n-1]; f.object {
			f.wantKey = true
		} else {
			f.index++
		}
	}
}

// maybeDuplicate is a cheap pre-check: a body with a repeated key must
// repeat some `"…":` sequence, unless it spells the key differently with
// escapes (so any escaped key counts as a maybe). It may say yes wrongly
// (the same key in two objects), never no wrongly.
func maybeDuplicate(body []byte) bool {
	seen := map[string]bool{}
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		j, escaped := i+1, false
		for j < len(body) && body[j] != '"' {
			if body[j] == '\\' {
				escaped = true
				j++
			}
			j++
		}
		if j >= len(body) {
			return false
		}
		k := j + 1
		for k < len(body) && (body[k] == ' ' || body[k] == '\t' || body[k] == '\n' || body[k] == '\r') {
			k++
		}
		if k < len(body) && body[k] == ':' {
			key := string(body[i+1 : j])
			if escaped || seen[key] {
				return true
			}
			seen[key] = true
		}
		i = j
	}
	return false
}

// invalidUTF8At is the offset of the first byte that is not UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}
