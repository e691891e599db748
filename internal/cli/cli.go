// Package cli is the skeleton of the ssoharness commands (cmd/mockidp, cmd/conformance):
// subcommands, help, the version command, flag sets and the exit statuses, so that every
// command reports a mistake the same way.
//
// Exit statuses: 0 on success, 1 on a runtime failure, 2 on a usage error (a bad flag or
// argument, a config or target file that does not load). An error is printed once on
// stderr as "NAME COMMAND: message"; -h prints the usage and exits 0.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// Exit statuses of every command.
const (
	// ExitOK: the command did what it was asked (conformance: every check passed).
	ExitOK = 0
	// ExitFailure: a runtime failure (a port in use, a check failed).
	ExitFailure = 1
	// ExitUsage: a mistake of the caller (flag, argument, config or target file).
	ExitUsage = 2
)

// UsageError is a mistake of the caller: exit status 2.
type UsageError struct{ Err error }

// Error is the mistake's message.
func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap is the mistake.
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef is a UsageError with a formatted message.
func Usagef(format string, a ...any) error { return &UsageError{fmt.Errorf(format, a...)} }

// Usage marks err as a mistake of the caller (nil stays nil).
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return &UsageError{err}
}

// ExitStatus is an error that only sets the exit status: Program.Run prints nothing for it
// (the command has said what went wrong, e.g. conformance's summary of failed checks).
type ExitStatus int

// Error says the status.
func (e ExitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// Command is a subcommand of a Program.
type Command struct {
	// Name is what selects it: the first argument.
	Name string
	// Run runs it with the arguments after its name. A UsageError (or an error IsUsage
	// accepts) exits with status 2, flag.ErrHelp with 0, an ExitStatus with its value, any
	// other error with 1.
	Run func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// Program is a command made of subcommands, with help ("help", "-h", "-help", "--help") and
// "version" built in.
type Program struct {
	// Name is the command's name: the prefix of its messages.
	Name string
	// Usage is printed by help on stdout and, on stderr, when no subcommand is given.
	Usage string
	// Commands are the subcommands, in the order the unknown-command message lists them.
	Commands []Command
	// Version is what "NAME version" prints after the name (default: Version).
	Version func() string
	// IsUsage, when set, reports whether an error other than a UsageError is a mistake of the
	// caller (conformance: a target file's FieldError).
	IsUsage func(error) bool
}

// Main runs the program on os.Args, with a context cancelled on SIGINT or SIGTERM, and exits
// with its status.
func (p *Program) Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := p.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run runs the command line args (without the program's name) and returns the exit status.
// A panic is an internal error: status 1, never a stack trace.
func (p *Program) Run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintf(stderr, "%s: internal error: %v\n", p.Name, v)
			code = ExitFailure
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, p.Usage)
		return ExitUsage
	}
	var err error
	switch name := args[0]; name {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, p.Usage)
		return ExitOK
	case "version":
		err = p.version(args[1:], stdout, stderr)
	default:
		err = p.unknown(name)
		for _, c := range p.Commands {
			if c.Name == name {
				err = c.Run(ctx, args[1:], stdout, stderr)
				break
			}
		}
	}
	return p.exit(err, args[0], stderr)
}

// exit prints err (unless it only carries a status) and returns the exit status for it.
func (p *Program) exit(err error, command string, stderr io.Writer) int {
	var ue *UsageError
	var st ExitStatus
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &st):
		return int(st)
	}
	fmt.Fprintf(stderr, "%s %s: %v\n", p.Name, command, err)
	if errors.As(err, &ue) || (p.IsUsage != nil && p.IsUsage(err)) {
		return ExitUsage
	}
	return ExitFailure
}

// unknown is the usage error for a subcommand that does not exist: it lists those that do.
func (p *Program) unknown(name string) error {
	names := make([]string, 0, len(p.Commands)+1)
	for _, c := range p.Commands {
		names = append(names, c.Name)
	}
	names = append(names, "version")
	want := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	return Usagef("unknown command %q (want %s; see %s -h)", name, want, p.Name)
}

// version is the built-in version command: "NAME VERSION".
func (p *Program) version(args []string, stdout, stderr io.Writer) error {
	fs := NewFlagSet(p.Name, "version", "", stderr)
	if err := ParseNoArgs(fs, args); err != nil {
		return err
	}
	v := Version
	if p.Version != nil {
		v = p.Version
	}
	fmt.Fprintln(stdout, p.Name, v())
	return nil
}

// NewFlagSet is the flag set of the subcommand name of program: errors are returned (and
// printed on stderr with the flags), -h prints "Usage: PROGRAM NAME SYNOPSIS" and the flags.
func NewFlagSet(program, name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s %s %s\n\nFlags:\n", program, name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// Parse parses the flags: a bad flag is a UsageError, -h is flag.ErrHelp (exit status 0).
func Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return Usage(err)
	}
	return nil
}

// ParseNoArgs is Parse for a command that takes no positional argument.
func ParseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return Usagef("unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	return nil
}

// IsSet reports whether the flag name was given on the command line (not left at its
// default).
func IsSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// Version is the module version the binary was built from: a tag (v1.2.3) or a
// pseudo-version that go build stamps from the VCS, "(devel)" without one. The reports name
// it in their tool field; conformance version prints it.
func Version() string { return version(false) }

// BuildVersion is Version followed by the VCS revision ("+dirty" when the working tree had
// changes) and the Go version: "v0.0.0-… 0123abc… go1.26.8". mockidp version prints it.
func BuildVersion() string { return version(true) }

func version(build bool) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	if !build {
		return v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += "+dirty"
			}
		}
	}
	return v + " " + bi.GoVersion
}
