package main

import "github.com/urfave/cli/v2"

// paymentsCommand groups the commands about purchases and paid periods
// (multi mode).
func paymentsCommand() *cli.Command {
	return &cli.Command{
		Name:  "payments",
		Usage: "purchases and paid periods: provider checks, reconciling, expiry reminders (multi mode)",
		Description: `Pro and Max periods and credit packs are sold through BTCPay (Lightning)
and Zaprite (card), set up in the payments section of the config; orders
and paid periods live in DATA/recap.db. See docs/payments.md.

Examples:
  recap payments check --data ./data
  recap payments reconcile --data ./data
  recap payments remind --data ./data`,
		Subcommands: []*cli.Command{
			paymentsCheckCommand(),
			paymentsReconcileCommand(),
			paymentsRemindCommand(),
		},
	}
}
