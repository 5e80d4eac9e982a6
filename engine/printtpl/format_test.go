package printtpl

import "testing"

func TestPercent(t *testing.T) {
	for in, want := range map[string]string{
		"0.2500": "25%", "0.125": "12.5%", "1": "100%", "0": "0%", "0.0000": "0%", ".05": "5%",
		"-0.1": "-10%", "12.3456": "1234.56%", "0.00001": "0.001%", "abc": "abc", "": "", "1e-3": "1e-3",
	} {
		if got := Percent(in); got != want {
			t.Errorf("Percent(%q) = %q, want %q", in, got, want)
		}
	}
}
