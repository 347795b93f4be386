package store

import (
	"errors"
	"fmt"
)

// Code is a stable error code: the HTTP layer maps it to a status and puts it
// in API error bodies, so it never changes meaning (OPA storage-errors style).
type Code string

// Error codes.
const (
	CodeNotFound    Code = "not_found"   // the thing asked for does not exist
	CodeConflict    Code = "conflict"    // it already exists (idempotency key, token)
	CodeInvalid     Code = "invalid"     // the value cannot be stored as given
	CodeRetention   Code = "retention"   // audit entries inside the retention period cannot be removed
	CodeUnavailable Code = "unavailable" // the database is busy or unreachable; retry later
	CodeClosed      Code = "closed"      // the store was closed
	CodeInternal    Code = "internal"    // a bug or a broken database
)

// Error is a store error with a stable code. errors.Is(err, ErrNotFound)
// holds for any Error whose code is not_found.
type Error struct {
	Code Code
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	switch {
	case e.Msg != "" && e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Msg, e.Err)
	case e.Msg != "":
		return e.Msg
	case e.Err != nil:
		return e.Err.Error()
	default:
		return string(e.Code)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches sentinel errors by code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && t.Err == nil && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrNotFound    = &Error{Code: CodeNotFound}
	ErrConflict    = &Error{Code: CodeConflict}
	ErrInvalid     = &Error{Code: CodeInvalid}
	ErrRetention   = &Error{Code: CodeRetention}
	ErrUnavailable = &Error{Code: CodeUnavailable}
	ErrClosed      = &Error{Code: CodeClosed}
)

// Errorf makes an Error with a code and message.
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Wrap gives err a code and context, keeping it for errors.Is/As.
func Wrap(code Code, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of the first store Error in err's chain, or
// internal for any other non-nil error.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
