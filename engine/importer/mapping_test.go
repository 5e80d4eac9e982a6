package importer

import (
	"testing"
	"time"
)

func TestFloatNoise(t *testing.T) {
	for _, c := range []struct {
		in    string
		scale int
		want  string
	}{
		{"0.30000000000000004", 2, "0.3"}, {"12345.670000000002", 2, "12345.67"}, {"1.005", 2, "1.005"},
		{"1.25", 2, "1.25"}, {"7", 2, "7"}, {"-2.9999999999999996", 2, "-3"}, {"1e-7", 2, "1e-7"},
	} {
		if got := floatNoise(c.in, c.scale); got != c.want {
			t.Errorf("floatNoise(%s, %d) = %s, want %s", c.in, c.scale, got, c.want)
		}
	}
}

func TestParseNumberAndTime(t *testing.T) {
	for in, want := range map[string]string{"12,000.50": "12000.50", "¥1,234": "1234", " 8 ": "8", "007": "7", "1.5E3": "1.5E3", "100元": "100"} {
		if got, ok := parseNumber(in); !ok || got != want {
			t.Errorf("parseNumber(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "abc", "1,2,x", "NaN", "Inf", "1e999"} {
		if got, ok := parseNumber(in); ok {
			t.Errorf("parseNumber(%q) = %q, want refused", in, got)
		}
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	for in, want := range map[string]string{
		"2026/3/1": "2026-03-01T00:00:00+08:00", "2026年3月1日": "2026-03-01T00:00:00+08:00", "2026-03-01 14:30": "2026-03-01T14:30:00+08:00",
		"46082": "2026-03-01T00:00:00+08:00", "46082.5": "2026-03-01T12:00:00+08:00", "2026-03-01T06:30:00Z": "2026-03-01T14:30:00+08:00",
	} {
		got, ok := parseTime(in, sh, false)
		if !ok || got.Format(time.RFC3339) != want {
			t.Errorf("parseTime(%q) = %v %v, want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"明天", "2026-13-01", "0", "-5", "99999999"} {
		if got, ok := parseTime(in, sh, false); ok {
			t.Errorf("parseTime(%q) = %v, want refused", in, got)
		}
	}
}
