package store

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/tessera-app/tessera/engine/meta"
)

func TestSignificantDigits(t *testing.T) {
	cases := map[string]int{
		"0": 0, "0.01": 1, "-12.50": 3, "1234567890123456.78": 18, "100": 1,
		"0.000123": 3, "1e300": 1, "999999999999999": 15, "+7.0": 1, "1000000000000000": 1, "120.0": 2,
	}
	for n, want := range cases {
		if got := significantDigits(n); got != want {
			t.Errorf("significantDigits(%s) = %d, want %d", n, got, want)
		}
	}
}

func TestEncodeDecimalOnSQLite(t *testing.T) {
	c := meta.Column{Kind: meta.ColDecimal, Precision: 18, Scale: 2}
	if _, err := Encode(sqliteDialect{}, c, json.Number("1234567890123456.78")); !errors.Is(err, ErrTooPrecise) {
		t.Errorf("18 digits on SQLite: err = %v, want ErrTooPrecise", err)
	}
	if v, err := Encode(sqliteDialect{}, c, json.Number("1234567890123.45")); err != nil || v != 1234567890123.45 {
		t.Errorf("15 digits on SQLite = %v, %v", v, err)
	}
	if v, err := Encode(postgresDialect{}, c, json.Number("1234567890123456.78")); err != nil || v != "1234567890123456.78" {
		t.Errorf("PostgreSQL keeps the exact text: %v, %v", v, err)
	}
}

func TestFormatFloat(t *testing.T) {
	cases := map[float64]string{1e300: "1e+300", 12.3456: "12.3456", 0.001: "0.001", 1e-9: "1e-09", 0: "0", -5e21: "-5e+21", 123456789: "123456789"}
	for f, want := range cases {
		if got := formatFloat(f); got != want {
			t.Errorf("formatFloat(%g) = %s, want %s", f, got, want)
		}
	}
}
