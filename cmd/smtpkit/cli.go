package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// Exit codes, the same for every subcommand.
const (
	exitOK      = 0 // the job was done
	exitFailed  = 1 // the job ran and failed: a recipient refused, a violation found
	exitUsage   = 2 // the command line was wrong
	exitOffline = 3 // the job could not run: no connection, no listener, no file
)

// stdio is what a subcommand talks to; tests give it buffers.
type stdio struct {
	in       io.Reader
	out, err io.Writer
	getenv   func(string) string
	// tty reports whether err is a terminal (progress bars go there).
	tty bool
}

// command is one subcommand: its flags, its help and what it runs.
type command struct {
	name    string
	summary string
	// usage is the synopsis after "smtpkit NAME".
	usage string
	// help is the text after the synopsis: what it does and examples.
	help string
	// setup registers the flags on fs and returns the function that runs
	// the command with the positional arguments.
	setup func(fs *flag.FlagSet, sio *stdio) func(ctx context.Context, args []string) int
}

// commands lists the subcommands in the order help shows them.
func commands() []*command {
	return []*command{serveCommand, sendCommand, loadCommand, checkCommand, verifyCommand, versionCommand}
}

// usageError is a command-line mistake: printed with the usage hint, exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// run dispatches args to a subcommand and returns the exit code.
func run(ctx context.Context, args []string, sio *stdio) int {
	if len(args) == 0 {
		printHelp(sio.err)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				fs := newFlagSet(c, sio)
				c.setup(fs, sio)
				fs.SetOutput(sio.out)
				fs.Usage()
				return exitOK
			}
		}
		printHelp(sio.out)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(sio.err, "smtpkit: unknown command %q\n\n", name)
		printHelp(sio.err)
		return exitUsage
	}
	fs := newFlagSet(c, sio)
	runFn := c.setup(fs, sio)
	pos, err := parseInterspersed(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage // the flag package printed the error and usage
	}
	return runFn(ctx, pos)
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func newFlagSet(c *command, sio *stdio) *flag.FlagSet {
	fs := flag.NewFlagSet("smtpkit "+c.name, flag.ContinueOnError)
	fs.SetOutput(sio.err)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: smtpkit %s %s\n\n%s\n", c.name, c.usage, strings.TrimSpace(c.help))
		if hasFlags(fs) {
			fmt.Fprintf(w, "\nflags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseInterspersed parses flags that may come after positional arguments
// ("smtpkit verify FILE --json"); "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// fail prints err for the command and returns its exit code: exitUsage for
// a usageError, code otherwise.
func fail(sio *stdio, name string, err error, code int) int {
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(sio.err, "smtpkit %s: %s\nrun \"smtpkit help %s\" for usage\n", name, ue.msg, name)
		return exitUsage
	}
	fmt.Fprintf(sio.err, "smtpkit %s: %v\n", name, err)
	return code
}

func printHelp(w io.Writer) {
	fmt.Fprintf(w, "smtpkit: an SMTP, submission and LMTP toolkit.\n\nusage: smtpkit COMMAND [flags] [args]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-8s %s\n", "help", "show a command's flags and examples: smtpkit help serve")
	fmt.Fprintf(w, "\nStart here: smtpkit serve (a local server that keeps every message in ./smtpkit-mail).\n")
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

var versionCommand = &command{
	name:    "version",
	summary: "print the version of smtpkit and of Go",
	usage:   "",
	help:    "Prints the module version (or the VCS revision of a source build) and the Go version.",
	setup: func(fs *flag.FlagSet, sio *stdio) func(context.Context, []string) int {
		return func(_ context.Context, args []string) int {
			if len(args) > 0 {
				return fail(sio, "version", usagef("takes no arguments"), exitUsage)
			}
			fmt.Fprintln(sio.out, versionString())
			return exitOK
		}
	},
}

// versionString describes this build from its embedded build information.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "smtpkit (unknown version)"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v = "devel " + rev + dirty
	}
	if v == "" {
		v = "(devel)"
	}
	return fmt.Sprintf("smtpkit %s %s", v, bi.GoVersion)
}
