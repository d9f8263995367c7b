package main

import (
	"encoding/json"
	"fmt"
	"strings"

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
{"configured": true} when the config passes this version's Config page
(StartOS's own matching against the spec, the page's rules) and Recap's
validation, after the settings this version added are written into
config.yaml with their defaults; false, with config.yaml left as it was
and the reason on standard error, when the owner should review the
Config page first. "to" an older version (a downgrade) is refused with
the reason: an older Recap cannot read what this one wrote; restore a
backup made with it instead. Nothing else on disk changes: Recap brings
its library and database up to date itself when it starts.

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
			if len(res.Added) > 0 {
				fmt.Fprintf(c.App.ErrWriter, "config.yaml: added with their defaults: %s\n", strings.Join(res.Added, ", "))
			}
			if res.Reason != "" {
				fmt.Fprintf(c.App.ErrWriter, "config.yaml needs a review on the Config page: %s\n", res.Reason)
			}
			return json.NewEncoder(c.App.Writer).Encode(res)
		},
	}
}
