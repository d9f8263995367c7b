package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/config"
)

func configCommand() *cli.Command {
	return &cli.Command{
		Name:  "config",
		Usage: "check or print the configuration",
		Description: `Reads DATA/start9/config.yaml (written by the StartOS Config page; a
missing file means the defaults) with the RECAP_* environment overrides.

With smtp.type: system (StartOS 0.4's System SMTP) the server's values
come from DATA/start9/system-smtp.yaml, which the StartOS package writes.

Examples:
  recap config check --data ./data
  recap config check --data /data --file /data/start9/config.candidate.yaml
  recap config dump --data ./data`,
		Subcommands: []*cli.Command{
			{
				Name:  "check",
				Usage: "exit 0 when the configuration is valid, else name the bad key",
				Flags: []cli.Flag{dataFlag(), &cli.StringFlag{Name: "file", Usage: "check this file instead of DATA/start9/config.yaml (a candidate before it replaces it)"}},
				Action: func(c *cli.Context) error {
					path := c.String("file")
					if path == "" {
						path = config.Path(c.String("data"))
					}
					cfg, err := config.LoadFile(c.String("data"), path)
					if err != nil {
						return usageError{err}
					}
					fmt.Fprintf(c.App.ErrWriter, "configuration is valid (%s mode, %s engine)\n", cfg.Mode.Type, cfg.Engine.Type)
					return nil
				},
			},
			{
				Name:   "keys",
				Usage:  "list every key the config file may hold, one dotted path a line",
				Hidden: true,
				Action: func(c *cli.Context) error {
					for _, k := range config.Keys() {
						fmt.Fprintln(c.App.Writer, k)
					}
					return nil
				},
			},
			{
				Name:  "dump",
				Usage: "print the effective configuration as YAML, secrets masked",
				Flags: []cli.Flag{dataFlag()},
				Action: func(c *cli.Context) error {
					cfg, err := config.Load(c.String("data"))
					if err != nil {
						return usageError{err}
					}
					out, err := cfg.Redacted().YAML()
					if err != nil {
						return err
					}
					_, err = c.App.Writer.Write(out)
					return err
				},
			},
		},
	}
}
