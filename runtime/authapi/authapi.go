// Package authapi serves sign-in: POST /api/auth/login, POST
// /api/auth/logout, GET /api/auth/me.
package authapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/runtime/httpx"
)

type loginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginReply struct {
	Token string       `json:"token"`
	User  *access.User `json:"user"`
}

// BindPublic registers the routes that need no sign-in.
func BindPublic(g *echo.Group, svc *access.Service) {
	g.POST("/auth/login", func(c echo.Context) error {
		var in loginBody
		if err := httpx.Decode(c, &in, true); err != nil {
			return err
		}
		token, u, err := svc.Login(c.Request().Context(), in.Email, in.Password)
		if err != nil {
			return err
		}
		c.SetCookie(&http.Cookie{
			Name: httpx.SessionCookie, Value: token, Path: "/", HttpOnly: true,
			Secure: c.Scheme() == "https", SameSite: http.SameSiteLaxMode,
			Expires: time.Now().Add(svc.SessionTTL),
		})
		return c.JSON(http.StatusOK, loginReply{Token: token, User: u})
	})
}

// Bind registers the routes for signed-in users.
func Bind(g *echo.Group, svc *access.Service) {
	g.POST("/auth/logout", func(c echo.Context) error {
		if err := svc.Logout(c.Request().Context(), httpx.Token(c)); err != nil {
			return err
		}
		c.SetCookie(&http.Cookie{Name: httpx.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
		return c.NoContent(http.StatusNoContent)
	})
	g.GET("/auth/me", func(c echo.Context) error {
		return c.JSON(http.StatusOK, httpx.User(c))
	})
}
