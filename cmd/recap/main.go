// Command recap turns long videos, podcast episodes and transcripts into
// short, timestamped recaps and keeps them in a searchable library.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

// Set at build time with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "0.3.0"
	commit  = "dev"
)

// Exit codes shared by every command.
const (
	exitOK       = 0
	exitFailure  = 1 // something went wrong that retrying or waiting may fix
	exitBadInput = 2 // the command line or the input must be changed
)

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line and returns the process exit code. Tests
// call it with buffers in place of the standard streams.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp()
	app.Reader, app.Writer, app.ErrWriter = stdin, stdout, stderr
	code := exitOK
	app.ExitErrHandler = func(c *cli.Context, err error) {
		if err == nil {
			return
		}
		code = exitCode(err)
		var pe plainExit
		if errors.As(err, &pe) {
			fmt.Fprintln(stderr, pe.msg)
			return
		}
		fmt.Fprintf(stderr, "recap: %v\n", err)
	}
	app.CommandNotFound = func(c *cli.Context, name string) {
		fmt.Fprintf(stderr, "recap: unknown command %q (see recap --help)\n", name)
		code = exitBadInput
	}
	if err := app.Run(args); err != nil && code == exitOK {
		// Errors from flag parsing or unknown commands.
		fmt.Fprintf(stderr, "recap: %v\n", err)
		code = exitBadInput
	}
	return code
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "recap",
		Usage:   "turn long videos, podcasts and transcripts into short, timestamped recaps",
		Version: version,
		Description: `Recap fetches a transcript (YouTube captions, a podcast feed's transcript,
a subtitle file or pasted text), splits it into topics, writes a title, a
summary and timestamped key points for each, and files the result in your
library.

Examples:
  recap summarize --format md https://www.youtube.com/watch?v=VIDEO_ID
  recap summarize --save --data ./data talk.vtt
  recap library search --data ./data "lightning channels"`,
		HideVersion:          false,
		EnableBashCompletion: true,
		Commands: []*cli.Command{
			summarizeCommand(),
			libraryCommand(),
			followCommand(),
			versionCommand(),
			actionCommand(),
			healthcheckCommand(),
			startosMigrateCommand(),
			startosAdoptCommand(),
			serveCommand(),
			ownerCommand(),
			evalCommand(),
			dbCommand(),
			userCommand(),
			configCommand(),
			relayCommand(),
			paymentsCommand(),
		},
	}
}

// dataFlag is the --data flag every command that touches the data folder
// shares.
func dataFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:    "data",
		Usage:   "the data folder (library, config, database)",
		EnvVars: []string{"RECAP_DATA_DIR"},
		Value:   "/data",
	}
}

// plainExit is an exit code with a message printed as it is, without the
// "recap: " prefix: the health check's reason, which StartOS shows the
// owner word for word.
type plainExit struct {
	msg  string
	code int
}

func (e plainExit) Error() string { return e.msg }
func (e plainExit) ExitCode() int { return e.code }

// usageError marks an error as the caller's to fix (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func badInput(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) {
		return exitBadInput
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return exitFailure
}
