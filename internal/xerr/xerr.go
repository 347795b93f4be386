// Package xerr carries an exit status and a hint alongside an error without
// hiding the wrapped cause from errors.Is/As (the k6 errext pattern).
package xerr

import (
	"errors"
	"fmt"
)

// Exit statuses shared by every command (SPEC §1).
const (
	ExitOK       = 0
	ExitCheck    = 1 // a --fail-on condition was met, or verification failed
	ExitBadInput = 2 // bad input or usage
)

// Error wraps an error with an exit status and an optional hint.
type Error struct {
	Err  error
	Code int
	Hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// BadInput marks err as a user-input problem (exit 2).
func BadInput(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Code: ExitBadInput}
}

// BadInputf formats a user-input error (exit 2).
func BadInputf(format string, args ...any) error {
	return &Error{Err: fmt.Errorf(format, args...), Code: ExitBadInput}
}

// CheckFailed marks a failed check (exit 1).
func CheckFailed(err error) error {
	return &Error{Err: err, Code: ExitCheck}
}

// WithHint adds a hint for the user.
func WithHint(err error, hint string) error {
	var e *Error
	if errors.As(err, &e) {
		return &Error{Err: err, Code: e.Code, Hint: hint}
	}
	return &Error{Err: err, Code: ExitBadInput, Hint: hint}
}

// ExitCode returns the exit status for err: 0 for nil, the carried code,
// else 2. Status 1 is kept for a check that ran and failed (--fail-on, a log
// that does not verify), which is only ever set explicitly: a CI job must
// never read a database or I/O failure as "the check failed", nor as a pass.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitBadInput
}

// HintOf returns the first hint attached to err, if any.
func HintOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Hint
	}
	return ""
}

// PosError is an error at a position in a user file.
type PosError struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (e *PosError) Error() string {
	switch {
	case e.File == "":
		return e.Msg
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	default:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
}

// List is several input errors reported together, so a user fixes them in one pass.
type List []error

func (l List) Error() string {
	s := ""
	for i, e := range l {
		if i > 0 {
			s += "\n"
		}
		s += e.Error()
	}
	return s
}

// Unwrap exposes the members to errors.Is/As.
func (l List) Unwrap() []error { return l }
