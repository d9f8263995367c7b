package main

import "github.com/urfave/cli/v2"

// paymentsCommand groups the commands about purchases and paid periods
// (multi mode).
func paymentsCommand() *cli.Command {
	return &cli.Command{
		Name:  "payments",
		Usage: "purchases and paid periods: expiry reminders (multi mode)",
		Description: `Paid Pro and Max periods and credit packs live in DATA/recap.db.

Examples:
  recap payments remind --data ./data`,
		Subcommands: []*cli.Command{
			paymentsRemindCommand(),
		},
	}
}
