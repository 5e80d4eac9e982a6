package access

import "testing"

func TestTokenKind(t *testing.T) {
	session, _ := newToken("")
	api, _ := newToken(TokenPrefix)
	for token, want := range map[string]string{
		session:                         KindSession,
		api:                             KindToken,
		"":                              "",
		"garbage":                       "",
		TokenPrefix + "x":               "",
		session + "=":                   "",
		session[:42] + "!":              "",
		TokenPrefix + TokenPrefix + api: "",
	} {
		if got := tokenKind(token); got != want {
			t.Errorf("tokenKind(%q) = %q, want %q", token, got, want)
		}
	}
}
