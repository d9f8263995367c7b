package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/relay"
	"github.com/recap-startos/recap/pkg/summarize"
)

func relayCommand() *cli.Command {
	return &cli.Command{
		Name:  "relay",
		Usage: "run a relay: tiers for many instances' users, and recaps paid from credit pools",
		Description: `A relay is the tier authority for the users of the Recap instances it has
licensed, sells them Pro and Max, and makes recaps for them with its own
model, paid from each instance's credit pool. Its state is DATA/relay.db;
its model is the engine section of DATA/relay.yaml and its BTCPay Server
and Zaprite the payments section (the same keys as in config.yaml; the
stores' webhooks go to /relay/v1/webhooks/btcpay and /zaprite on the
relay). See docs/relay.md.

Examples:
  recap relay serve --data ./relay --listen 127.0.0.1:8090
  recap relay license add --data ./relay --label "Ann's node" INSTALL_ID
  recap relay credits grant --data ./relay INSTALL_ID 500
  recap relay user set-tier --data ./relay INSTALL_ID USER_ID pro --days 30
  recap relay orders --data ./relay INSTALL_ID`,
		Subcommands: []*cli.Command{
			relayServeCommand(),
			relayLicenseCommand(),
			relayCreditsCommand(),
			relayUserCommand(),
			relayLedgerCommand(),
			relayOrdersCommand(),
		},
	}
}

func relayDataFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "data", Usage: "the relay's data folder (relay.db, relay.yaml)", EnvVars: []string{"RECAP_RELAY_DATA_DIR"}, Value: "/data/relay"}
}

// relaySetup is what DATA/relay.yaml configures: the model and the
// payment providers.
type relaySetup struct {
	engine   summarize.Engine // nil: the relay makes no recaps
	model    string
	payments relay.Payments // nil: the relay sells nothing
}

// loadRelaySetup reads DATA/relay.yaml, a config.yaml of which only
// engine and payments count. No file, or engine type builtin, means the
// relay makes no recaps (tiers only); no payment provider means it sells
// no plans.
func loadRelaySetup(data string, log *slog.Logger) (relaySetup, error) {
	var out relaySetup
	path := filepath.Join(data, "relay.yaml")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	c, err := config.Parse(b)
	if err != nil {
		return out, usageError{fmt.Errorf("%s: %w", path, err)}
	}
	if err := c.Engine.Validate(); err != nil {
		return out, usageError{fmt.Errorf("%s: %w", path, err)}
	}
	if err := c.Payments.Validate(); err != nil {
		return out, usageError{fmt.Errorf("%s: %w", path, err)}
	}
	if c.Payments.Enabled() {
		p, err := billing.NewRelayPayments(c.Payments, nil, log)
		if err != nil {
			return out, usageError{fmt.Errorf("%s: %w", path, err)}
		}
		out.payments = p
	}
	if c.Engine.Type == config.EngineBuiltin {
		return out, nil
	}
	out.engine, err = summarize.FromConfig(c.Engine, summarize.LLMOptions{Log: log})
	if err != nil {
		return out, usageError{fmt.Errorf("%s: %w", path, err)}
	}
	out.model = c.Engine.Model
	return out, nil
}

func relayServeCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the relay's API",
		Flags: []cli.Flag{relayDataFlag(),
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8090", EnvVars: []string{"RECAP_RELAY_LISTEN"}, Usage: "address and port to serve on (put TLS in front of it)"},
			&cli.IntFlag{Name: "recaps", Value: relay.DefaultRecapConcurrency, Usage: "recaps the model makes at once"},
		},
		Action: runRelayServe,
	}
}

func runRelayServe(c *cli.Context) error {
	data := c.String("data")
	log := newLogger(c, "info")
	st, err := relay.OpenStore(c.Context, data, relay.StoreOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	setup, err := loadRelaySetup(data, log)
	if err != nil {
		return err
	}
	eng, model := setup.engine, setup.model
	srv := relay.NewServer(relay.ServerOptions{Store: st, Engine: eng, Model: model, Payments: setup.payments,
		RecapConcurrency: c.Int("recaps"), Log: log})
	ln, err := net.Listen("tcp", c.String("listen"))
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with --listen)", c.String("listen"), err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	engineName := "none (tiers only)"
	if eng != nil {
		engineName = eng.Name() + " " + model
	}
	sells := "nothing"
	if setup.payments != nil {
		sells = "plans by " + strings.Join(setup.payments.Providers(), " and ")
	}
	log.Info("relay started", "listen", ln.Addr().String(), "engine", engineName, "sells", sells, "db", st.Path())
	fmt.Fprintf(c.App.Writer, "Relay is running at http://%s (model: %s; sells: %s)\n", ln.Addr().String(), engineName, sells)
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	reconciled := make(chan struct{})
	go func() {
		defer close(reconciled)
		srv.RunReconciler(ctx, relayReconcileEvery())
	}()
	defer func() { stop(); <-reconciled }()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	hctx, cancel := context.WithTimeout(context.Background(), shutdownHTTP)
	defer cancel()
	if err := hs.Shutdown(hctx); err != nil {
		hs.Close()
	}
	log.Info("relay stopped")
	return nil
}

// relayReconcileEvery is how often the relay re-reads its unsettled
// checkouts; RECAP_RELAY_RECONCILE_INTERVAL (a Go duration) changes it
// for development and tests.
func relayReconcileEvery() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("RECAP_RELAY_RECONCILE_INTERVAL")); err == nil && d >= 10*time.Millisecond {
		return d
	}
	return relay.ReconcileEvery
}

func openRelayStore(c *cli.Context) (*relay.Store, error) {
	return relay.OpenStore(c.Context, c.String("data"), relay.StoreOptions{})
}
