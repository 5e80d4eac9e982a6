// Package httpx is the HTTP plumbing shared by the designer and runtime
// APIs: error rendering (RFC 9457 problem+json, localized), the signed-in
// user, locale negotiation and strict JSON decoding. Handlers stay thin:
// read parameters, decode, call one service method, encode.
package httpx

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/store"
)

// Context keys.
const (
	userKey   = "tessera.user"
	localeKey = "tessera.locale"
	tokenKey  = "tessera.token"
	sessKey   = "tessera.session"
)

// SessionCookie is the browser session cookie's name.
const SessionCookie = "tessera_session"

// User returns the signed-in user (nil on public routes).
func User(c echo.Context) *access.User {
	u, _ := c.Get(userKey).(*access.User)
	return u
}

// Token returns the session token the request was authenticated with.
func Token(c echo.Context) string {
	t, _ := c.Get(tokenKey).(string)
	return t
}

// Session returns the session or API token row the request was
// authenticated with (nil on public routes).
func Session(c echo.Context) *access.Session {
	s, _ := c.Get(sessKey).(*access.Session)
	return s
}

// Locale returns the negotiated locale: Accept-Language when sent, else the
// user's own locale, else English.
func Locale(c echo.Context) string {
	if l, ok := c.Get(localeKey).(string); ok {
		return l
	}
	l := i18n.EN
	if h := c.Request().Header.Get("Accept-Language"); h != "" {
		l = i18n.Negotiate(h)
	} else if u := User(c); u != nil && u.Locale != "" {
		l = i18n.Negotiate(u.Locale)
	}
	c.Set(localeKey, l)
	return l
}

// RequireUser authenticates with "Authorization: Bearer <token>" (a
// session token or a personal API token) or the session cookie; anything
// else is a 401.
func RequireUser(svc *access.Service) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			token := bearer(c.Request())
			viaCookie := false
			if token == "" {
				if ck, err := c.Cookie(SessionCookie); err == nil {
					token, viaCookie = ck.Value, true
				}
			}
			u, sess, err := svc.AuthenticateSession(c.Request().Context(), token)
			if err != nil {
				return err
			}
			if viaCookie && !safeMethod(c.Request().Method) && !checkCSRF(c.Request(), token) {
				why := &access.Refusal{Reason: "csrf", Kind: access.KindSession, UserID: u.ID}
				if sess != nil {
					why.SessionID = sess.ID
				}
				return errs.Wrap(why, errs.Forbidden, "http.csrf")
			}
			c.Set(userKey, u)
			c.Set(tokenKey, token)
			c.Set(sessKey, sess)
			if !safeMethod(c.Request().Method) {
				// The store notes this user's commits, so that their
				// reports read what they wrote (see ReplicaContext).
				c.SetRequest(c.Request().WithContext(store.WithWriter(c.Request().Context(), u.ID)))
			}
			return next(c)
		}
	}
}

// ReplicaContext is the request's context for the reads of a report,
// dashboard or export: the store may answer them from the read replica,
// unless the user wrote something it has not replayed yet.
func ReplicaContext(c echo.Context) context.Context {
	ctx := c.Request().Context()
	if u := User(c); u != nil {
		return store.ReadFromReplica(ctx, u.ID, "")
	}
	return ctx
}

// CSRFHeader and CSRFCookie carry the CSRF token of a cookie session.
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFCookie = "tessera_csrf"
)

// A browser sends the session cookie with any request, even one a foreign
// page triggers, so a cookie-authenticated request that changes something
// must also carry the CSRF token in a header. The token is derived from the
// session token (no state to keep); a foreign page can neither read it nor
// compute it. Bearer-token clients are not exposed and need none.
func checkCSRF(r *http.Request, sessionToken string) bool {
	got := r.Header.Get(CSRFHeader)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(access.CSRFToken(sessionToken))) == 1
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// AdminOnly lets only administrators through; anyone else is refused
// with the message key refused, which says what was refused ("only
// administrators may list users"), not just that it was. The key must be
// registered: a typo would otherwise show the key itself to users.
func AdminOnly(refused string) echo.MiddlewareFunc {
	if !i18n.Has(refused) {
		panic("httpx.AdminOnly: no message " + refused)
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if u := User(c); u == nil || !u.IsAdmin {
				return errs.New(errs.Forbidden, refused)
			}
			return next(c)
		}
	}
}

// RequireAdmin lets only administrators through with a generic refusal;
// prefer AdminOnly, which says what was refused.
func RequireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return AdminOnly("access.admin_required")(next)
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// Decode reads a JSON body into v strictly: numbers stay exact
// (json.Number in maps), unknown fields of typed bodies and trailing data
// are refused, all as a 400 the caller can act on.
func Decode(c echo.Context, v any, strict bool) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		// Over the body limit: http.MaxBytesError, or echo's own error when
		// the body had no Content-Length (chunked) and was cut off reading.
		var mbe *http.MaxBytesError
		var he *echo.HTTPError
		if errors.As(err, &mbe) || errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
			return errs.New(errs.TooLarge, "http.too_large")
		}
		return errs.Wrap(err, errs.Invalid, "http.bad_json", "detail", i18n.M("http.json.unreadable"))
	}
	if err := checkJSON(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return errs.New(errs.Invalid, "http.bad_json", "detail", jsonDetail(err))
	}
	if dec.More() {
		return errs.New(errs.Invalid, "http.bad_json", "detail", i18n.M("http.json.trailing"))
	}
	return nil
}

// jsonDetail says why a body does not decode, in the reader's language:
// never with Go's own words or type names ("map[string]interface {}").
func jsonDetail(err error) i18n.Msg {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return i18n.M("http.json.syntax", "offset", se.Offset)
	case errors.As(err, &te):
		if te.Field == "" {
			return i18n.M("http.json.body_type", "expected", jsonKind(te.Type))
		}
		return i18n.M("http.json.type", "key", te.Field, "expected", jsonKind(te.Type))
	case err == io.EOF:
		return i18n.M("http.json.empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return i18n.M("http.json.truncated")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if s, err := strconv.Unquote(name); err == nil {
			name = s
		}
		return i18n.M("http.json.unknown_key", "key", name)
	}
	return i18n.M("http.json.invalid")
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) i18n.Msg {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return i18n.M("http.json.t.value")
	}
	if t == reflect.TypeOf(json.Number("")) {
		return i18n.M("http.json.t.number")
	}
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return i18n.M("http.json.t.object")
	case reflect.Slice, reflect.Array:
		return i18n.M("http.json.t.array")
	case reflect.String:
		return i18n.M("http.json.t.string")
	case reflect.Bool:
		return i18n.M("http.json.t.boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return i18n.M("http.json.t.integer")
	case reflect.Float32, reflect.Float64:
		return i18n.M("http.json.t.number")
	}
	return i18n.M("http.json.t.value")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Problem is an RFC 9457 problem document with Tessera's field errors.
type Problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Code   string         `json:"code"`
	Detail string         `json:"detail,omitempty"`
	Errors []ProblemField `json:"errors,omitempty"`
}

// ProblemField is one field error.
type ProblemField struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

var statusOf = map[errs.Code]int{
	errs.Invalid:          http.StatusBadRequest,
	errs.Unprocessable:    http.StatusUnprocessableEntity,
	errs.NotFound:         http.StatusNotFound,
	errs.Conflict:         http.StatusConflict,
	errs.Unauthorized:     http.StatusUnauthorized,
	errs.Forbidden:        http.StatusForbidden,
	errs.TooLarge:         http.StatusRequestEntityTooLarge,
	errs.MethodNotAllowed: http.StatusMethodNotAllowed,
	errs.TooMany:          http.StatusTooManyRequests,
	errs.Internal:         http.StatusInternalServerError,
}

// ErrorHandler renders every error as problem+json in the caller's
// locale. This is the one place error codes become HTTP statuses; causes
// of internal errors are logged, never sent. So are refusals whose cause
// describes itself for the log (an slog.LogValuer: a forged, revoked or
// expired token, a throttled sign-in), at warning level. A cause with a
// RetryAfter() sets the Retry-After header.
func ErrorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		e := toError(err)
		status := statusOf[e.Code]
		var why slog.LogValuer
		if e.Code == errs.Internal {
			log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
		} else if errors.As(err, &why) {
			log.Warn("request refused", "method", c.Request().Method, "path", c.Path(), "ip", c.RealIP(),
				"status", status, "why", why)
		}
		if status == http.StatusUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", authenticate(err))
		}
		var ra interface{ RetryAfter() time.Duration }
		if errors.As(err, &ra) {
			secs := int64((ra.RetryAfter() + time.Second - 1) / time.Second)
			c.Response().Header().Set("Retry-After", itoa(max(secs, 1)))
		}
		p := ProblemOf(Locale(c), err)
		WriteProblem(c, p.Status, p)
	}
}

// ProblemOf is err as the problem document sent in locale loc (internal
// details left out).
func ProblemOf(loc string, err error) Problem {
	e := toError(err)
	status := statusOf[e.Code]
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: string(e.Code), Detail: i18n.T(loc, e.Msg)}
	for _, f := range e.Fields {
		p.Errors = append(p.Errors, ProblemField{Field: f.Field, Code: f.Code, Message: i18n.T(loc, f.Msg)})
	}
	return p
}

// WriteProblem sends v, a Problem or a document embedding one, as
// problem+json with status.
func WriteProblem(c echo.Context, status int, v any) {
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json; charset=utf-8")
	c.Response().WriteHeader(status)
	json.NewEncoder(c.Response()).Encode(v)
}

// ErrorCode is the code err is answered with (the access log records it).
func ErrorCode(err error) errs.Code { return toError(err).Code }

// Realm is the protection space named in WWW-Authenticate.
const Realm = "tessera"

// authenticate is the WWW-Authenticate challenge of a 401 (RFC 6750): the
// Bearer scheme, which every client may use (browsers may use the session
// cookie instead; the challenge does not make them prompt), and
// error="invalid_token" when a credential was sent but refused.
func authenticate(err error) string {
	h := `Bearer realm="` + Realm + `"`
	var r *access.Refusal
	if errors.As(err, &r) {
		h += `, error="invalid_token"`
	}
	return h
}

// toError converts framework errors to *errs.Error.
func toError(err error) *errs.Error {
	if e, ok := errs.As(err); ok {
		return e
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return errs.New(errs.NotFound, "http.no_route")
		case http.StatusMethodNotAllowed:
			return errs.New(errs.MethodNotAllowed, "http.method_not_allowed")
		case http.StatusRequestEntityTooLarge:
			return errs.New(errs.TooLarge, "http.too_large")
		case http.StatusUnauthorized:
			return errs.New(errs.Unauthorized, "access.signin_required")
		case http.StatusBadRequest:
			return errs.New(errs.Invalid, "http.bad_request", "detail", he.Message)
		}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.New(errs.TooLarge, "http.too_large")
	}
	return errs.Wrap(err, errs.Internal, "errs.internal")
}

// JSON writes v with status as JSON.
func JSON(c echo.Context, status int, v any) error { return c.JSON(status, v) }

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"http.bad_json":           {i18n.EN: "The request body cannot be read: {detail}.", i18n.ZhCN: "无法读取请求体：{detail}。"},
		"http.json.unreadable":    {i18n.EN: "it could not be received", i18n.ZhCN: "接收失败"},
		"http.json.trailing":      {i18n.EN: "there is more after the JSON value", i18n.ZhCN: "JSON 值之后还有多余内容"},
		"http.json.syntax":        {i18n.EN: "it is not valid JSON (error at byte {offset})", i18n.ZhCN: "不是有效的 JSON（第 {offset} 字节处出错）"},
		"http.json.body_type":     {i18n.EN: "it must be {expected}", i18n.ZhCN: "内容必须是{expected}"},
		"http.json.type":          {i18n.EN: "\"{key}\" must be {expected}", i18n.ZhCN: "“{key}”必须是{expected}"},
		"http.json.empty":         {i18n.EN: "it is empty", i18n.ZhCN: "请求体为空"},
		"http.json.truncated":     {i18n.EN: "it ends in the middle of a JSON value", i18n.ZhCN: "JSON 内容不完整"},
		"http.json.unknown_key":   {i18n.EN: "\"{key}\" is not a known key here", i18n.ZhCN: "此处不支持键“{key}”"},
		"http.json.invalid":       {i18n.EN: "it does not have the expected form", i18n.ZhCN: "格式不符合要求"},
		"http.json.t.object":      {i18n.EN: "a JSON object", i18n.ZhCN: "一个 JSON 对象"},
		"http.json.t.array":       {i18n.EN: "a list", i18n.ZhCN: "列表"},
		"http.json.t.string":      {i18n.EN: "text", i18n.ZhCN: "文本"},
		"http.json.t.boolean":     {i18n.EN: "true or false", i18n.ZhCN: "布尔值（true 或 false）"},
		"http.json.t.integer":     {i18n.EN: "a whole number", i18n.ZhCN: "整数"},
		"http.json.t.number":      {i18n.EN: "a number", i18n.ZhCN: "数字"},
		"http.json.t.value":       {i18n.EN: "a JSON value", i18n.ZhCN: "一个 JSON 值"},
		"http.too_large":          {i18n.EN: "The request body is too large.", i18n.ZhCN: "请求体过大。"},
		"http.no_route":           {i18n.EN: "No such endpoint.", i18n.ZhCN: "接口不存在。"},
		"http.method_not_allowed": {i18n.EN: "This method is not allowed here.", i18n.ZhCN: "不支持该请求方法。"},
		"http.wrong_method":       {i18n.EN: "{method} is not allowed here; the allowed methods are {allowed}.", i18n.ZhCN: "此处不支持 {method} 方法，可用的方法为 {allowed}。"},
		"http.bad_utf8":           {i18n.EN: "The request body is not valid UTF-8 (at byte {offset}).", i18n.ZhCN: "请求体不是有效的 UTF-8 编码（第 {offset} 字节）。"},
		"http.nul_char":           {i18n.EN: "Text in the request body must not contain the NUL character (\\u0000); found at \"{key}\".", i18n.ZhCN: "请求体中的文本不能包含 NUL 字符（\\u0000），位置：“{key}”。"},
		"http.duplicate_key":      {i18n.EN: "The key \"{key}\" appears twice in the same object of the request body.", i18n.ZhCN: "请求体的同一对象中出现了重复的键“{key}”。"},
		"http.bad_request":        {i18n.EN: "Bad request: {detail}.", i18n.ZhCN: "请求无效：{detail}。"},
		"http.csrf":               {i18n.EN: "A request signed in with the session cookie must send the CSRF token (header X-CSRF-Token, as given at sign-in).", i18n.ZhCN: "使用会话 Cookie 的请求必须携带 CSRF 令牌（请求头 X-CSRF-Token，登录时提供）。"},
		"http.bad_param":          {i18n.EN: "Query parameter \"{name}\" is not valid.", i18n.ZhCN: "查询参数“{name}”无效。"},
	})
}
