package main

import (
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/startos"
)

func ownerCommand() *cli.Command {
	return &cli.Command{
		Name:  "owner",
		Usage: "manage the owner's sign-in (single mode)",
		Description: `The owner signs in to the web app with a password. Recap keeps only its
hash, under DATA/auth.

Examples:
  recap owner reset-password --data ./data
  recap owner reset-password --data /data --action   # the StartOS action`,
		Subcommands: []*cli.Command{{
			Name:  "reset-password",
			Usage: "make a new owner password, print it, and sign out every browser",
			Flags: []cli.Flag{
				dataFlag(),
				&cli.BoolFlag{Name: "action", Usage: "print a StartOS action result (JSON) instead of the bare password"},
			},
			Action: runResetPassword,
		}},
	}
}

// ownerPaths returns where the owner password hash and the sessions live.
func ownerPaths(data string) (ownerFile, sessionsFile string) {
	return filepath.Join(data, "auth", "owner.json"), filepath.Join(data, "auth", "sessions.json")
}

func runResetPassword(c *cli.Context) error {
	data := c.String("data")
	cfg, err := config.Load(data)
	if err != nil {
		return usageError{err}
	}
	ownerFile, sessionsFile := ownerPaths(data)
	owner := auth.NewOwner(ownerFile)
	sessions, err := auth.OpenSessions(sessionsFile)
	if err != nil {
		return err
	}
	pw, err := owner.Reset()
	if err != nil {
		return err
	}
	if err := sessions.DeleteAll(); err != nil {
		return err
	}
	lib, _ := openLibrary(data)
	props := newProperties(data, version, cfg, owner, lib)
	props.remember(pw)
	props.write()
	if c.Bool("action") {
		return startos.Result("The new owner password. Every browser was signed out; sign in again with this password.").WithValue(pw, true).Write(c.App.Writer)
	}
	fmt.Fprintln(c.App.Writer, pw)
	fmt.Fprintln(c.App.ErrWriter, "recap: new owner password printed above; every browser was signed out")
	return nil
}
