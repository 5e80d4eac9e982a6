// Package errs is Tessera's one error type. Engine code returns *Error with
// a Code; the HTTP layer maps codes to statuses in exactly one place and
// renders messages in the caller's locale. Internal details (the wrapped
// Err) are logged, never sent.
package errs

import (
	"errors"
	"fmt"

	"github.com/tessera-app/tessera/engine/i18n"
)

// Code classifies an error; each maps to one HTTP status.
type Code string

const (
	Invalid          Code = "invalid"            // 400: the request itself is malformed
	Unprocessable    Code = "unprocessable"      // 422: well-formed but fails validation
	NotFound         Code = "not_found"          // 404
	Conflict         Code = "conflict"           // 409: stale version, duplicate key
	Unauthorized     Code = "unauthorized"       // 401
	Forbidden        Code = "forbidden"          // 403
	TooLarge         Code = "too_large"          // 413
	TooMany          Code = "too_many"           // 429: slow down (see Retry-After)
	MethodNotAllowed Code = "method_not_allowed" // 405
	Internal         Code = "internal"           // 500
)

// FieldError is one problem with one field of the input.
type FieldError struct {
	Field string
	Code  string
	Msg   i18n.Msg
}

// Error is the error type every engine package returns for expected failures.
type Error struct {
	Code   Code
	Msg    i18n.Msg
	Fields []FieldError
	Err    error // cause, for logs only
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + i18n.T(i18n.EN, e.Msg)
	for _, f := range e.Fields {
		s += fmt.Sprintf("; %s: %s", f.Field, i18n.T(i18n.EN, f.Msg))
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// New builds an error with a message key and alternating name, value args.
func New(code Code, key string, kv ...any) *Error {
	return &Error{Code: code, Msg: i18n.M(key, kv...)}
}

// Wrap attaches a cause to a new error (the cause is logged, not sent).
func Wrap(err error, code Code, key string, kv ...any) *Error {
	e := New(code, key, kv...)
	e.Err = err
	return e
}

// Fields builds a 422 carrying field errors.
func Fields(fes ...FieldError) *Error {
	return &Error{Code: Unprocessable, Msg: i18n.M("errs.validation"), Fields: fes}
}

// Field builds one FieldError.
func Field(field, code, key string, kv ...any) FieldError {
	return FieldError{Field: field, Code: code, Msg: i18n.M(key, kv...)}
}

// Detail is err as an argument of another message: its own message (or,
// for a validation error, its first field's), rendered in the reader's
// language with the message around it; a foreign error's text otherwise.
func Detail(err error) any {
	if e, ok := As(err); ok {
		if len(e.Fields) > 0 && e.Msg.Key == "errs.validation" {
			return e.Fields[0].Msg
		}
		return e.Msg
	}
	return err.Error()
}

// CodeOf returns the code of err, or Internal for foreign errors.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns err as *Error when it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err is an *Error with the given code.
func Is(err error, code Code) bool { return CodeOf(err) == code }

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"errs.validation": {i18n.EN: "The input is not valid.", i18n.ZhCN: "输入内容无效。"},
		"errs.internal":   {i18n.EN: "Something went wrong on the server.", i18n.ZhCN: "服务器内部错误。"},
	})
}

// Replacing refuses the replace of a keyed definition (a print template,
// a pool) that does not send the version its editor read, or that would
// change its key: messages "<kind>.version_required" and "<kind>.key_fixed",
// which the kind registers. sent is the key in the new definition ("" for
// none).
func Replacing(kind, key, sent string, version int) error {
	if version == 0 {
		return Fields(Field("version", "required", kind+".version_required"))
	}
	if sent != "" && sent != key {
		return Fields(Field("key", "fixed", kind+".key_fixed"))
	}
	return nil
}
