package main

import (
	"context"
	"net/http"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/startos"
)

func healthcheckCommand() *cli.Command {
	return &cli.Command{
		Name:  "healthcheck",
		Usage: "tell StartOS whether the web interface is ready (exit 0 ready, 60 starting, 61 loading, other failing)",
		Description: `StartOS runs this inside the running container every few seconds with
the milliseconds since the service started on standard input. It asks
GET /healthz on the loopback address. Exit codes: 0 ready; 60 starting
(not listening yet, early after start); 61 loading, with the reason on
standard error; any other code is a failure, with the reason on standard
error.

Example:
  echo 30000 | recap healthcheck`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "url", Value: "http://127.0.0.1:8080/healthz", EnvVars: []string{"RECAP_HEALTH_URL"}, Usage: "the health endpoint to ask"},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Second, Usage: "how long to wait for an answer"},
		},
		Action: func(c *cli.Context) error {
			uptime, err := startos.ReadUptime(c.App.Reader)
			if err != nil {
				return badInput("%v", err)
			}
			ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
			defer cancel()
			client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
			st := startos.CheckHealth(ctx, client, c.String("url"), uptime)
			if st.Code == startos.HealthOK {
				return nil
			}
			return plainExit{st.Message, st.Code}
		},
	}
}
