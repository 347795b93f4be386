package xerr

import (
	"errors"
	"fmt"
	"testing"
)

func TestExitCodes(t *testing.T) {
	base := errors.New("x")
	cases := []struct {
		err  error
		code int
	}{
		// An uncoded failure is never 1: that status means a check ran and failed.
		{nil, 0}, {base, 2}, {WithHint(base, "h"), 2}, {BadInput(base), 2}, {fmt.Errorf("wrapped: %w", BadInput(base)), 2},
		{CheckFailed(base), 1}, {BadInputf("n %d", 1), 2}, {WithHint(BadInput(base), "h"), 2},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.code {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.code)
		}
	}
	if !errors.Is(BadInput(base), base) {
		t.Error("BadInput hides the cause from errors.Is")
	}
	if HintOf(WithHint(BadInput(base), "try --help")) != "try --help" {
		t.Error("hint lost")
	}
}

func TestPosErrorAndList(t *testing.T) {
	l := List{&PosError{File: "a.yaml", Line: 3, Col: 5, Msg: "bad"}, &PosError{File: "b.yaml", Msg: "unreadable"}, &PosError{Msg: "plain"}}
	want := "a.yaml:3:5: bad\nb.yaml: unreadable\nplain"
	if l.Error() != want {
		t.Errorf("%q", l.Error())
	}
	var pe *PosError
	if !errors.As(BadInput(l), &pe) || pe.Line != 3 {
		t.Error("errors.As cannot reach a PosError inside a List")
	}
}
