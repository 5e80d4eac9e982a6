// Package authapi serves sign-in and credentials: POST /api/auth/login,
// POST /api/auth/logout, GET /api/auth/me, personal API tokens
// (GET/POST /api/auth/tokens, DELETE /api/auth/tokens/{id}) and the
// signed-in user's sessions (GET /api/auth/sessions, DELETE
// /api/auth/sessions/{id}), their own name, language and time zone
// (PATCH /api/auth/me), and the people directory for user pickers
// (GET /api/people).
package authapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/runtime/httpx"
)

type loginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginReply struct {
	Token string       `json:"token"`
	CSRF  string       `json:"csrf_token"` // send as X-CSRF-Token with cookie-authenticated writes
	User  *access.User `json:"user"`
}

// mePatch is what users may change about themselves.
type mePatch struct {
	Name     *string `json:"name"`
	Locale   *string `json:"locale"`
	TimeZone *string `json:"time_zone"`
}

type tokenBody struct {
	Name      string `json:"name"`
	ExpiresAt string `json:"expires_at"` // RFC 3339; empty or null: never
}

// tokenInfo describes an API token; never the token or its hash.
type tokenInfo struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	State      string     `json:"state"` // active or expired
}

type newTokenReply struct {
	tokenInfo
	Token string `json:"token"` // shown once
}

type sessionInfo struct {
	ID         string     `json:"id"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Current    bool       `json:"current"` // the session of this request
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toToken(s *access.Session, now time.Time) tokenInfo {
	return tokenInfo{ID: s.ID, Name: s.Name, CreatedAt: s.CreatedAt, ExpiresAt: optTime(s.ExpiresAt),
		LastUsedAt: optTime(s.LastUsedAt), State: s.State(now)}
}

// BindPublic registers the routes that need no sign-in.
func BindPublic(g *echo.Group, svc *access.Service) {
	g.POST("/auth/login", func(c echo.Context) error {
		var in loginBody
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		token, u, err := svc.LoginFrom(c.Request().Context(), in.Email, in.Password, c.RealIP())
		if err != nil {
			return err
		}
		c.SetCookie(&http.Cookie{
			Name: httpx.SessionCookie, Value: token, Path: "/", HttpOnly: true,
			Secure: c.Scheme() == "https", SameSite: http.SameSiteLaxMode,
			Expires: time.Now().Add(svc.SessionTTL),
		})
		// The CSRF cookie is readable by the page's own scripts (not
		// HttpOnly), which copy it into the X-CSRF-Token header.
		c.SetCookie(&http.Cookie{
			Name: httpx.CSRFCookie, Value: access.CSRFToken(token), Path: "/",
			Secure: c.Scheme() == "https", SameSite: http.SameSiteStrictMode,
			Expires: time.Now().Add(svc.SessionTTL),
		})
		return c.JSON(http.StatusOK, loginReply{Token: token, CSRF: access.CSRFToken(token), User: u})
	})
}

// Bind registers the routes for signed-in users.
func Bind(g *echo.Group, svc *access.Service) {
	// Sign-out ends the session of this request only. With an API token
	// it ends nothing: tokens are revoked with DELETE /auth/tokens/{id}.
	g.POST("/auth/logout", func(c echo.Context) error {
		if err := svc.Logout(c.Request().Context(), httpx.Token(c)); err != nil {
			return err
		}
		clearCookie(c)
		return c.NoContent(http.StatusNoContent)
	})
	g.GET("/auth/me", func(c echo.Context) error {
		return c.JSON(http.StatusOK, httpx.User(c))
	})
	g.PATCH("/auth/me", func(c echo.Context) error {
		var in mePatch
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		u := httpx.User(c)
		m, err := svc.UpdateMember(c.Request().Context(), u, u.ID,
			access.UserPatch{Name: in.Name, Locale: in.Locale, TimeZone: in.TimeZone})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, m.User)
	})
	// Everyone signed in may find people by name (user pickers) or resolve
	// ids to names; only administrators see more (GET /api/users).
	g.GET("/people", func(c echo.Context) error {
		limit := 0
		if s := c.QueryParam("limit"); s != "" {
			var err error
			if limit, err = strconv.Atoi(s); err != nil || limit < 1 {
				return errs.New(errs.Invalid, "http.bad_param", "name", "limit")
			}
		}
		var ids []string
		if s := c.QueryParam("ids"); s != "" {
			ids = strings.Split(s, ",")
		}
		people, err := svc.People(c.Request().Context(), c.QueryParam("q"), ids, limit)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"people": people})
	})

	g.GET("/auth/tokens", func(c echo.Context) error {
		list, err := svc.Tokens(c.Request().Context(), httpx.User(c))
		if err != nil {
			return err
		}
		out := make([]tokenInfo, len(list))
		for i, s := range list {
			out[i] = toToken(s, svc.Now())
		}
		return c.JSON(http.StatusOK, map[string]any{"tokens": out})
	})
	g.POST("/auth/tokens", func(c echo.Context) error {
		var in tokenBody
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		token, s, err := svc.CreateToken(c.Request().Context(), httpx.User(c), httpx.Session(c),
			access.NewToken{Name: in.Name, ExpiresAt: in.ExpiresAt})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, newTokenReply{tokenInfo: toToken(s, svc.Now()), Token: token})
	})
	g.DELETE("/auth/tokens/:id", func(c echo.Context) error {
		if err := svc.RevokeToken(c.Request().Context(), httpx.User(c), c.Param("id")); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})

	g.GET("/auth/sessions", func(c echo.Context) error {
		list, err := svc.Sessions(c.Request().Context(), httpx.User(c))
		if err != nil {
			return err
		}
		cur := httpx.Session(c)
		out := make([]sessionInfo, len(list))
		for i, s := range list {
			out[i] = sessionInfo{ID: s.ID, CreatedAt: s.CreatedAt, ExpiresAt: optTime(s.ExpiresAt),
				LastUsedAt: optTime(s.LastUsedAt), Current: cur != nil && cur.ID == s.ID}
		}
		return c.JSON(http.StatusOK, map[string]any{"sessions": out})
	})
	g.DELETE("/auth/sessions/:id", func(c echo.Context) error {
		id := c.Param("id")
		if err := svc.RevokeSession(c.Request().Context(), httpx.User(c), id); err != nil {
			return err
		}
		if cur := httpx.Session(c); cur != nil && cur.ID == id {
			clearCookie(c)
		}
		return c.NoContent(http.StatusNoContent)
	})
}

func clearCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: httpx.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
}
