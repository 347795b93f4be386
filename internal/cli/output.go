package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/xborder/xborder/internal/atomicfile"
	"github.com/xborder/xborder/internal/xerr"
)

// writeOutput sends a command's result to stdout, or atomically to path when
// -o is given, so a failed run never leaves a half-written report behind.
// An output that cannot be written is bad usage (exit 2, naming the path),
// never a failed check (exit 1, which SPEC §1 keeps for --fail-on and
// verification).
func writeOutput(env *Env, path string, fn func(w io.Writer) error) error {
	if path == "" || path == "-" {
		ow := &outWriter{w: env.Stdout}
		err := fn(ow)
		if ow.err != nil { // even if fn ignored it
			return xerr.BadInput(fmt.Errorf("cannot write to standard output: %w", ow.err))
		}
		return err
	}
	return writeFile(path, fn)
}

// writeFile writes what fn produces to path atomically: a temporary file in
// the same directory, renamed over path once complete. Errors of fn itself
// (a database read, say) come back as they are; errors of the file (no such
// directory, permission, disk full) are bad usage naming the path. Either
// way nothing is left at path, and a file already there is untouched.
func writeFile(path string, fn func(w io.Writer) error) error {
	if err := checkOutput(path); err != nil {
		return err
	}
	var ow *outWriter
	var fnErr error
	err := atomicfile.Write(path, func(w io.Writer) error {
		ow = &outWriter{w: w}
		fnErr = fn(ow)
		if fnErr == nil && ow.err != nil {
			return ow.err // fn ignored a failed write: do not keep a partial file
		}
		return fnErr
	})
	switch {
	case err == nil:
		return nil
	case ow != nil && ow.err != nil:
		return outputError(path, ow.err)
	case fnErr != nil:
		return fnErr
	}
	return outputError(path, err)
}

// checkOutput refuses early an output path that cannot be written: its
// directory is missing or not a directory, or the path is a directory. A
// command calls it before its work, so a long run does not end in vain.
func checkOutput(path string) error {
	if path == "" || path == "-" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return xerr.BadInput(&outputErr{path: path, reason: "it is a directory"})
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return outputError(path, err)
	case !fi.IsDir():
		return xerr.BadInput(&outputErr{path: path, reason: dir + " is not a directory"})
	}
	return nil
}

func outputError(path string, err error) error {
	reason := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		reason = pe.Err.Error()
	}
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(filepath.Dir(path)); serr != nil {
			reason = "directory " + filepath.Dir(path) + " does not exist"
		}
	}
	return xerr.BadInput(&outputErr{path: path, reason: reason, err: err})
}

// outputErr is an output file that could not be written.
type outputErr struct {
	path, reason string
	err          error
}

func (e *outputErr) Error() string {
	return fmt.Sprintf("cannot write output %s: %s; nothing was written", e.path, e.reason)
}

func (e *outputErr) Unwrap() error { return e.err }

// outWriter remembers the first error writing to the output, to tell a
// failed write from a failure of what produces the output.
type outWriter struct {
	w   io.Writer
	err error
}

func (o *outWriter) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil && o.err == nil {
		o.err = err
	}
	return n, err
}

// writeSecret creates path, which must not exist, readable by its owner only
// (mode 0600 from the start, never renamed over anything), and removes it if
// the write fails.
func writeSecret(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return xerr.BadInputf("%s exists: refusing to overwrite a signing key", path)
		}
		return outputError(path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return outputError(path, err)
	}
	return nil
}
