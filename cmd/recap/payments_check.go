package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/relay"
	"github.com/recap-startos/recap/pkg/startos"
	"github.com/recap-startos/recap/pkg/store"
)

func paymentsCheckCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "test the payments keys against BTCPay and Zaprite",
		Description: `Asks each configured provider whether the keys in the payments section
work: BTCPay's API key must reach payments.btcpay.store-id with the
permissions to create and to view invoices; Zaprite's key must read the
organisation's orders. With a relay, it also asks the relay which plans
it sells (they are sold through it). It says precisely what is wrong, and exits 1 when
something is.`,
		Flags:  []cli.Flag{dataFlag(), &cli.BoolFlag{Name: "json", Usage: "print the results as JSON"}},
		Action: runPaymentsCheck,
	}
}

func runPaymentsCheck(c *cli.Context) error {
	cfg, err := config.Load(c.String("data"))
	if err != nil {
		return err
	}
	results, err := checkPayments(c.Context, cfg)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			mark := "ok  "
			if !r.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(c.App.Writer, "%s %s: %s\n", mark, r.Provider, r.Message)
		}
	}
	for _, r := range results {
		if !r.OK {
			return cli.Exit("", 1)
		}
	}
	return nil
}

// checkPayments runs billing.Check on the config, with a clear error
// when nothing is configured.
func checkPayments(ctx context.Context, cfg *config.Config) ([]billing.CheckResult, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	results, err := billing.Check(ctx, cfg.Payments, nil)
	if errors.Is(err, billing.ErrNotConfigured) && cfg.Relay.Enabled() {
		err = nil
	}
	if errors.Is(err, billing.ErrNotConfigured) {
		return nil, badInput("no payment provider is configured: fill in payments.btcpay (Lightning) or payments.zaprite.api-key (card)")
	}
	if err != nil {
		return nil, err
	}
	if cfg.Relay.Enabled() {
		results = append(results, checkRelayShop(ctx, cfg.Relay))
	}
	return results, nil
}

// checkRelayShop asks the relay which plans it sells (with a relay, the
// instance sells plans through it).
func checkRelayShop(ctx context.Context, rc config.Relay) billing.CheckResult {
	res := billing.CheckResult{Provider: billing.ProviderRelay}
	client, err := relay.NewClient(rc.URL, rc.License, nil)
	if err != nil {
		res.Message = "relay: " + err.Error()
		return res
	}
	offers, err := client.Offers(ctx)
	if err != nil {
		res.Message = fmt.Sprintf("the relay at %s does not say what it sells: %v", rc.URL, err)
		return res
	}
	var plans []string
	for _, p := range offers.Plans {
		var prices []string
		if p.Sats > 0 {
			prices = append(prices, fmt.Sprintf("%d sats", p.Sats))
		}
		if p.Fiat > 0 {
			prices = append(prices, fmt.Sprintf("%d.%02d %s", p.Fiat/100, p.Fiat%100, p.Currency))
		}
		plans = append(plans, fmt.Sprintf("%s (%s)", billing.PlanName(p.Plan), strings.Join(prices, " or ")))
	}
	res.OK = true
	if len(plans) == 0 {
		res.Message = "the relay at " + rc.URL + " sells no plans, so none are sold here"
		return res
	}
	res.Message = "plans are sold through the relay at " + rc.URL + ": " + strings.Join(plans, ", ") + " for 30 days"
	return res
}

func paymentsReconcileCommand() *cli.Command {
	return &cli.Command{
		Name:  "reconcile",
		Usage: "re-check every unpaid order of the last 72 hours with its provider (serve does it every minute)",
		Description: `Re-reads each order that is not applied yet and is younger than 72 hours
from BTCPay or Zaprite, and applies the ones that are paid (a payment
whose webhook never arrived, or a Lightning payment that came after the
invoice expired). Running it while serve runs is safe: an order is
applied once.`,
		Flags:  []cli.Flag{dataFlag(), &cli.BoolFlag{Name: "json", Usage: "print the report as JSON"}},
		Action: runPaymentsReconcile,
	}
}

func runPaymentsReconcile(c *cli.Context) error {
	rep, err := reconcilePayments(c.Context, c.String("data"))
	if err != nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintln(c.App.Writer, describeReconcile(rep))
	for _, e := range rep.Errors {
		fmt.Fprintln(c.App.ErrWriter, "  "+e)
	}
	return nil
}

func describeReconcile(rep billing.ReconcileReport) string {
	return fmt.Sprintf("payments: %d orders checked, %d settled now, %d closed (expired, underpaid or invalid), %d not answered by their provider",
		rep.Checked, rep.Settled, rep.Closed, rep.Failed)
}

// reconcilePayments opens a multi-mode data folder's payments and
// reconciles them once.
func reconcilePayments(ctx context.Context, data string) (billing.ReconcileReport, error) {
	cfg, err := config.Load(data)
	if err != nil {
		return billing.ReconcileReport{}, err
	}
	if cfg.Mode.Type != config.ModeMulti {
		return billing.ReconcileReport{}, badInput("payments are for multi mode; this data folder is in %s mode", cfg.Mode.Type)
	}
	if !cfg.Payments.Enabled() && !cfg.Relay.Enabled() {
		return billing.ReconcileReport{}, badInput("no payment provider is configured (payments.btcpay, payments.zaprite) and no relay sells plans (relay.url)")
	}
	l, st, _, err := openLedger(ctx, data)
	if err != nil {
		return billing.ReconcileReport{}, err
	}
	defer st.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	opt := billing.Options{Store: st, Ledger: l, Payments: cfg.Payments, Log: quiet}
	if cfg.Relay.Enabled() {
		// Orders sold through the relay are polled from it.
		rel, err := newInstanceRelay(cfg.Relay, st, quiet)
		if err != nil {
			return billing.ReconcileReport{}, err
		}
		opt.Relay = rel.shop
	}
	if opt.PublicURL, err = publicURL(cfg); err != nil {
		return billing.ReconcileReport{}, usageError{err}
	}
	// An order paid by someone without an account makes one and mails
	// its sign-in link, as in serve.
	if sender, err := mail.NewSMTP(cfg.SMTP); err == nil {
		acc, err := auth.NewAccounts(auth.AccountsOptions{Store: st, Mail: sender, PublicURL: opt.PublicURL, AdminEmail: cfg.Mode.AdminEmail, Log: quiet})
		if err != nil {
			return billing.ReconcileReport{}, usageError{err}
		}
		defer acc.Wait()
		opt.Mail = acc
	}
	svc, err := billing.New(opt)
	if err != nil {
		return billing.ReconcileReport{}, err
	}
	return svc.Reconcile(ctx)
}

// paymentsOffNote is the actions' answer when no provider is set up.
const paymentsOffNote = "Payments are off: no BTCPay Server or Zaprite is set up in the Payments section of the config, so nothing is sold. See the instructions to set them up."

// actionPaymentsCheck is the payments-check action.
func actionPaymentsCheck(c *cli.Context) error {
	if err := startos.DecodeInput(c.App.Reader, &struct{}{}); err != nil {
		return badInput("%v", err)
	}
	cfg, err := config.Load(c.String("data"))
	if err != nil {
		return err
	}
	if !cfg.Payments.Enabled() && !cfg.Relay.Enabled() {
		return startos.Result("%s", paymentsOffNote).Write(c.App.Writer)
	}
	results, err := checkPayments(c.Context, cfg)
	if err != nil {
		return err
	}
	var lines []string
	ok := true
	for _, r := range results {
		lines = append(lines, r.Message)
		ok = ok && r.OK
	}
	if !ok {
		return errors.New(strings.Join(lines, "\n"))
	}
	return startos.Result("%s", strings.Join(lines, "\n")).Write(c.App.Writer)
}

// actionReconcilePayments is the reconcile-payments action.
func actionReconcilePayments(c *cli.Context) error {
	if err := startos.DecodeInput(c.App.Reader, &struct{}{}); err != nil {
		return badInput("%v", err)
	}
	cfg, err := config.Load(c.String("data"))
	if err != nil {
		return err
	}
	switch {
	case cfg.Mode.Type != config.ModeMulti:
		return startos.Result(singleModeNote).Write(c.App.Writer)
	case !cfg.Payments.Enabled() && !cfg.Relay.Enabled():
		return startos.Result("%s", paymentsOffNote).Write(c.App.Writer)
	}
	rep, err := reconcilePayments(c.Context, c.String("data"))
	if errors.Is(err, store.ErrNotFound) {
		return badInput("multi mode has not run in this data folder yet")
	}
	if err != nil {
		return err
	}
	return startos.Result("%s.", describeReconcile(rep)).Write(c.App.Writer)
}

// reconcileEvery runs the payments reconciler every interval until the
// returned function is called; that function waits for a running pass.
func reconcileEvery(svc *billing.Service, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.Run(ctx, interval)
	}()
	return func() { cancel(); <-done }
}
