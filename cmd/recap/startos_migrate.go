package main

import (
	"encoding/json"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/startos"
)

func startosMigrateCommand() *cli.Command {
	return &cli.Command{
		Name:      "startos-migrate",
		Usage:     "tell StartOS whether the config survives a version change",
		ArgsUsage: "from|to",
		Description: `StartOS runs this when Recap is updated or downgraded, with the other
version (a JSON string) on standard input. "from" runs in the version
being installed, "to" in the version being replaced. It prints
{"configured": true} when the config can stay as it is, false when the
owner should review the Config page first. "to" an older version (a
downgrade) is refused with the reason: an older Recap cannot read what
this one wrote; restore a backup made with it instead. Nothing on disk
changes: Recap brings its files up to date itself when it starts.

Example:
  echo '"0.2.155"' | recap startos-migrate from --data /data`,
		Flags: []cli.Flag{dataFlag()},
		Action: func(c *cli.Context) error {
			dir := c.Args().First()
			if c.NArg() != 1 || (dir != startos.MigrateFrom && dir != startos.MigrateTo) {
				return badInput("give the direction: from or to")
			}
			other, err := startos.ReadMigrationInput(c.App.Reader)
			if err != nil {
				return badInput("%v", err)
			}
			running, err := startos.ParseVersion(version)
			if err != nil {
				running = startos.FirstGoVersion // a development build
			}
			res, err := startos.Migrate(c.String("data"), dir, other, running)
			if err != nil {
				return err
			}
			return json.NewEncoder(c.App.Writer).Encode(res)
		},
	}
}
