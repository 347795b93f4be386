package cli

import (
	"io"

	"github.com/xborder/xborder/internal/atomicfile"
)

// writeOutput sends a command's result to stdout, or atomically to path when
// -o is given, so a failed run never leaves a half-written report behind.
func writeOutput(env *Env, path string, fn func(w io.Writer) error) error {
	if path == "" || path == "-" {
		return fn(env.Stdout)
	}
	return atomicfile.Write(path, fn)
}
