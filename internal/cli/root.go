// Package cli builds the xborder command tree. Each subcommand lives in its own
// file and receives its streams, working directory and clock through Env so
// tests can run commands in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/xerr"
)

// Env is what a command may touch in the outside world.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Now is the clock; commands never call time.Now directly.
	Now func() time.Time
	// Getenv reads the environment.
	Getenv func(string) string
	// IsTerminal reports whether stderr is a terminal (progress bars).
	IsTerminal bool
}

// OSEnv is the real environment.
func OSEnv() *Env {
	return &Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Now: time.Now, Getenv: os.Getenv,
		IsTerminal: isTerminal(os.Stderr),
	}
}

// Today is today's date in China time.
func (e *Env) Today() model.Date { return model.DateOf(e.Now()) }

// subcommands registers builders; each file adds its own in init so files
// touched by different people do not collide here.
var subcommands []func(*Env) *cobra.Command

func register(f func(*Env) *cobra.Command) { subcommands = append(subcommands, f) }

// NewRoot builds the root command.
func NewRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "xborder",
		Short:         "Prove that automotive data leaves China lawfully",
		Long:          "xborder identifies important data under the 2026 Guidelines for Security of Automotive Data\nCross-border Transfer, decides the mechanism each transfer needs, scans data files for the facts,\nand enforces and records transfers in a tamper-evident log.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return c.Help()
		},
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return xerr.BadInput(fmt.Errorf("%s: %w", c.CommandPath(), err))
	})
	for _, f := range subcommands {
		root.AddCommand(f(env))
	}
	return root
}

// Run executes the command line and returns the exit status, printing the
// error (and hint) on stderr.
func Run(ctx context.Context, env *Env, args []string) int {
	root := NewRoot(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	code := xerr.ExitCode(err)
	// Cobra reports unknown commands and bad arguments as plain errors: usage.
	if code == 1 && isUsageError(err) {
		code = xerr.ExitBadInput
	}
	fmt.Fprintf(env.Stderr, "xborder: %v\n", err)
	if h := xerr.HintOf(err); h != "" {
		fmt.Fprintf(env.Stderr, "hint: %s\n", h)
	}
	return code
}

func isUsageError(err error) bool {
	var e *xerr.Error
	if errors.As(err, &e) {
		return false
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument", "flag needs an argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
