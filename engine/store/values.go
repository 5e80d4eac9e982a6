package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tessera-app/tessera/engine/meta"
)

// SQLiteTime is how instants are stored as TEXT on SQLite: fixed width, so
// that text order is time order and filters can compare strings.
const SQLiteTime = "2006-01-02T15:04:05.000000Z"

// DateLayout is the storage and JSON form of dates.
const DateLayout = "2006-01-02"

// NewID returns a UUIDv7: time-ordered, so inserts append to the primary
// key index instead of scattering across it.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// TimeArg binds an instant for the dialect.
func TimeArg(d Dialect, t time.Time) any {
	if d.Name() == "sqlite" {
		return t.UTC().Format(SQLiteTime)
	}
	return t.UTC()
}

// Encode turns a validated JSON value (from encoding/json with UseNumber)
// into a driver argument for a column of kind c. nil stays nil (SQL NULL).
func Encode(d Dialect, c meta.Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	sqlite := d.Name() == "sqlite"
	switch c.Kind {
	case meta.ColText, meta.ColRef:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want string, got %T", v)
		}
		return s, nil
	case meta.ColInteger:
		return toInt64(v)
	case meta.ColFloat:
		return toFloat(v)
	case meta.ColDecimal:
		n, err := toNumberText(v)
		if err != nil || !sqlite {
			return n, err // PostgreSQL NUMERIC takes the exact text
		}
		// SQLite keeps numbers as 64-bit floats, exact to 15 significant
		// digits; refuse more rather than round silently.
		if significantDigits(n) > SQLiteDecimalDigits {
			return nil, ErrTooPrecise
		}
		return strconv.ParseFloat(n, 64)
	case meta.ColBool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want boolean, got %T", v)
		}
		if sqlite {
			if b {
				return int64(1), nil
			}
			return int64(0), nil
		}
		return b, nil
	case meta.ColDate:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want date string, got %T", v)
		}
		if _, err := time.Parse(DateLayout, s); err != nil {
			return nil, err
		}
		return s, nil
	case meta.ColTime:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want date-time string, got %T", v)
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, err
		}
		return TimeArg(d, t), nil
	case meta.ColJSON:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
	return nil, fmt.Errorf("unknown column kind %v", c.Kind)
}

// Decode turns a scanned driver value into its JSON form.
func Decode(c meta.Column, v any) any {
	if v == nil {
		return nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch c.Kind {
	case meta.ColInteger:
		switch x := v.(type) {
		case int64:
			return x
		case float64:
			return int64(x)
		case string:
			n, _ := strconv.ParseInt(x, 10, 64)
			return n
		}
	case meta.ColFloat, meta.ColDecimal:
		switch x := v.(type) {
		case float64:
			return json.Number(formatFloat(x))
		case int64:
			return json.Number(strconv.FormatInt(x, 10))
		case string:
			return json.Number(trimDecimal(x))
		}
	case meta.ColBool:
		switch x := v.(type) {
		case bool:
			return x
		case int64:
			return x != 0
		}
	case meta.ColDate:
		switch x := v.(type) {
		case time.Time:
			return x.Format(DateLayout)
		case string:
			if len(x) > 10 {
				return x[:10]
			}
			return x
		}
	case meta.ColTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Format(time.RFC3339Nano)
		case string:
			if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return t.UTC().Format(time.RFC3339Nano)
			}
			return x
		}
	case meta.ColJSON:
		if s, ok := v.(string); ok {
			return json.RawMessage(s)
		}
	case meta.ColRef:
		if u, ok := v.([16]byte); ok {
			return uuid.UUID(u).String()
		}
	}
	return v
}

// DecodeTime reads a system timestamp column.
func DecodeTime(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case string:
		t, _ := time.Parse(time.RFC3339Nano, x)
		return t
	case []byte:
		t, _ := time.Parse(time.RFC3339Nano, string(x))
		return t
	}
	return time.Time{}
}

// trimDecimal drops trailing fraction zeros PostgreSQL NUMERIC keeps
// ("12.50" → "12.5"), so both dialects answer the same JSON.
func trimDecimal(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, nil
		}
		f, err := x.Float64()
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
			return 0, fmt.Errorf("not an integer: %s", x)
		}
		return int64(f), nil
	case float64:
		if x != math.Trunc(x) {
			return 0, fmt.Errorf("not an integer: %v", x)
		}
		return int64(x), nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	}
	return 0, fmt.Errorf("want integer, got %T", v)
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case json.Number:
		return x.Float64()
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case int:
		return float64(x), nil
	}
	return 0, fmt.Errorf("want number, got %T", v)
}

func toNumberText(v any) (string, error) {
	switch x := v.(type) {
	case json.Number:
		if _, err := x.Float64(); err != nil {
			return "", err
		}
		return x.String(), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int:
		return strconv.Itoa(x), nil
	}
	return "", fmt.Errorf("want number, got %T", v)
}

// SQLiteDecimalDigits is how many significant digits a decimal may have on
// SQLite (PostgreSQL's NUMERIC is exact to the field's precision).
const SQLiteDecimalDigits = 15

// ErrTooPrecise is returned for a decimal SQLite cannot store exactly.
var ErrTooPrecise = errors.New("more significant digits than the embedded database stores exactly")

// significantDigits counts the digits of a decimal literal, ignoring sign,
// leading and trailing zeros and any exponent.
func significantDigits(n string) int {
	if i := strings.IndexAny(n, "eE"); i >= 0 {
		n = n[:i]
	}
	n = strings.TrimLeft(n, "+-")
	// Leading and trailing zeros are not significant (1000000000000000 is
	// one digit, stored exactly), whichever side of the point they are on.
	n = strings.Trim(strings.Replace(n, ".", "", 1), "0")
	return len(n)
}

// formatFloat writes a float as JavaScript does: plain digits for ordinary
// magnitudes, exponent notation for very large or small ones (1e+300, not
// three hundred zeros).
func formatFloat(x float64) string {
	var buf [32]byte
	return string(appendFloat(buf[:0], x))
}

// appendFloat appends formatFloat's text of x.
func appendFloat(b []byte, x float64) []byte {
	if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	}
	return strconv.AppendFloat(b, x, 'f', -1, 64)
}
