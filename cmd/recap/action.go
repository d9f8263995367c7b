package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/startos"
	"github.com/recap-startos/recap/pkg/store"
)

// actionCommand holds the StartOS actions. Each reads its form's values
// as JSON on stdin (nothing, for an action without a form), prints
// exactly one result document on stdout, and on failure prints the
// reason on stderr and exits non-zero. manifest.yaml declares each with
// its form; a test keeps the two in step.
func actionCommand() *cli.Command {
	return &cli.Command{
		Name:  "action",
		Usage: "run a StartOS action (JSON input on stdin, one result document on stdout)",
		Description: `These are the administration actions of the StartOS Actions menu. They
work the same from a shell:

  echo '{"keep": 3}' | recap action create-backup --data ./data
  echo '{"snapshot": "latest"}' | recap action restore-backup --data ./data
  recap action library-stats --data ./data < /dev/null`,
		Subcommands: []*cli.Command{
			{Name: "reset-owner-password", Usage: "make a new owner password and sign every browser out", Action: actionResetOwnerPassword,
				Flags: []cli.Flag{dataFlag(), &cli.BoolFlag{Name: "action", Value: true, Hidden: true}}},
			{Name: "create-backup", Usage: "snapshot the library and settings into DATA/backups", Flags: []cli.Flag{dataFlag()}, Action: actionCreateBackup},
			{Name: "restore-backup", Usage: "replace the data with a snapshot (service stopped)", Flags: []cli.Flag{dataFlag()}, Action: actionRestoreBackup},
			{Name: "library-stats", Usage: "count recaps, words and disk use", Flags: []cli.Flag{dataFlag()}, Action: actionLibraryStats},
			{Name: "check-follows", Usage: "check every followed show for new episodes now", Flags: []cli.Flag{dataFlag()}, Action: actionCheckFollows},
			{Name: "switch-mode", Usage: "switch between single and multi mode, moving the library", Flags: []cli.Flag{dataFlag()}, Action: actionSwitchMode},
			{Name: "admin-login-link", Usage: "multi mode: a one-time sign-in link for the admin, without mail", Flags: []cli.Flag{dataFlag()}, Action: actionAdminLoginLink},
			{Name: "revoke-sessions", Usage: "multi mode: sign one account out everywhere ({\"email\"})", Flags: []cli.Flag{dataFlag()}, Action: actionRevokeSessions},
			{Name: "list-users", Usage: "multi mode: list the accounts", Flags: []cli.Flag{dataFlag()}, Action: actionListUsers},
			{Name: "invite-user", Usage: "multi mode: invite someone by email ({\"email\"})", Flags: []cli.Flag{dataFlag()}, Action: actionInviteUser},
			{Name: "remove-user", Usage: "multi mode: remove an account with its recaps ({\"email\", \"recaps\"})", Flags: []cli.Flag{dataFlag()}, Action: actionRemoveUser},
			{Name: "duplicate-accounts", Usage: "multi mode: list accounts that share an address", Flags: []cli.Flag{dataFlag()}, Action: actionDuplicateAccounts},
			{Name: "grant-credits", Usage: "multi mode: give an account credits ({\"email\", \"credits\", \"note\"})", Flags: []cli.Flag{dataFlag()}, Action: actionGrantCredits},
			{Name: "set-tier", Usage: "multi mode: set an account's tier ({\"email\", \"tier\", \"days\"})", Flags: []cli.Flag{dataFlag()}, Action: actionSetTier},
			{Name: "payments-check", Usage: "test the payments keys against BTCPay and Zaprite", Flags: []cli.Flag{dataFlag()}, Action: actionPaymentsCheck},
			{Name: "reconcile-payments", Usage: "multi mode: re-check the unpaid orders of the last 72 hours with their providers", Flags: []cli.Flag{dataFlag()}, Action: actionReconcilePayments},
		},
	}
}

func actionCreateBackup(c *cli.Context) error {
	in := struct {
		Keep *float64 `json:"keep"`
	}{}
	if err := startos.DecodeInput(c.App.Reader, &in); err != nil {
		return badInput("%v", err)
	}
	keep := startos.DefaultKeep
	if in.Keep != nil {
		if *in.Keep < 1 || *in.Keep > 100 || *in.Keep != float64(int(*in.Keep)) {
			return badInput("keep must be a whole number from 1 to 100")
		}
		keep = int(*in.Keep)
	}
	opt := startos.SnapshotOptions{Keep: keep, Version: version}
	if cfg, err := config.Load(c.String("data")); err == nil && cfg.Mode.Type == config.ModeMulti {
		// A consistent copy of the database while serve keeps writing it.
		opt.SnapshotDB = store.SnapshotFile
	}
	snap, err := startos.CreateSnapshot(c.Context, c.String("data"), opt)
	if err != nil {
		return err
	}
	return startos.Result("Made snapshot %s (%s, %d files). The newest %d snapshots are kept in the backups folder.",
		snap.Name, startos.HumanBytes(snap.Size), snap.Files, keep).WithValue(snap.Name, true).Write(c.App.Writer)
}

func actionRestoreBackup(c *cli.Context) error {
	in := struct {
		Snapshot string `json:"snapshot"`
	}{}
	if err := startos.DecodeInput(c.App.Reader, &in); err != nil {
		return badInput("%v", err)
	}
	data := c.String("data")
	// StartOS does not enforce allowed-statuses, and the command line
	// knows none: the lock keeps a running Recap's data from being
	// replaced under it, and keeps serve from starting mid-restore.
	release, err := startos.LockDataFolder(data)
	if errors.Is(err, startos.ErrInUse) {
		return badInput("Recap is running: stop it, then restore (%v)", err)
	}
	if err != nil {
		return err
	}
	defer release()
	snaps, err := startos.ListSnapshots(data)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(in.Snapshot)
	if name == "latest" {
		name = ""
		for _, s := range snaps {
			if !strings.Contains(s.Name, "-before-restore") {
				name = s.Name
				break
			}
		}
		if name == "" {
			return badInput("there are no snapshots yet; run Create Backup first")
		}
	}
	if name == "" {
		var names []string
		for _, s := range snaps {
			names = append(names, s.Name)
		}
		if len(names) == 0 {
			return badInput("there are no snapshots yet; run Create Backup first")
		}
		return badInput("name the snapshot to restore (or latest); there are: %s", strings.Join(names, ", "))
	}
	restored, safety, err := startos.RestoreSnapshot(c.Context, data, name, startos.SnapshotOptions{Version: version})
	if err != nil {
		return err
	}
	return startos.Result("Restored %s (%d files, made %s). Your data from just before is in %s. Start Recap to use it.",
		restored.Name, restored.Files, restored.Created.Format("2006-01-02 15:04 UTC"), safety).WithValue(safety, true).Write(c.App.Writer)
}

func actionLibraryStats(c *cli.Context) error {
	if err := startos.DecodeInput(c.App.Reader, &struct{}{}); err != nil {
		return badInput("%v", err)
	}
	s, err := startos.CollectStats(c.String("data"))
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Recaps: %d\n", s.Recaps)
	fmt.Fprintf(&b, "Words summarized: %s\n", groupDigits(s.Words))
	for _, t := range s.ByType {
		fmt.Fprintf(&b, "  %s: %d recaps, %s words, %s\n", t.Type, t.Recaps, groupDigits(t.Words), startos.HumanBytes(t.Bytes))
	}
	fmt.Fprintf(&b, "Library on disk: %s\n", startos.HumanBytes(s.LibraryBytes))
	fmt.Fprintf(&b, "Backup snapshots: %s\n", startos.HumanBytes(s.BackupBytes))
	fmt.Fprintf(&b, "All data: %s", startos.HumanBytes(s.DataBytes))
	if s.Skipped > 0 {
		fmt.Fprintf(&b, "\nUnreadable files skipped: %d", s.Skipped)
	}
	return startos.Result("Your library holds %d recaps.", s.Recaps).WithValue(b.String(), false).Write(c.App.Writer)
}

// groupDigits renders 1234567 as 1,234,567.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func actionSwitchMode(c *cli.Context) error {
	in := struct {
		Mode string `json:"mode"`
	}{}
	if err := startos.DecodeInput(c.App.Reader, &in); err != nil {
		return badInput("%v", err)
	}
	if in.Mode != config.ModeSingle && in.Mode != config.ModeMulti {
		return badInput("mode must be single or multi")
	}
	changed, err := switchMode(c.Context, c.String("data"), in.Mode)
	if err != nil {
		return err
	}
	if !changed {
		return startos.Result("Recap is already in %s mode; nothing changed.", in.Mode).Write(c.App.Writer)
	}
	// The result goes out in full before the restart: when serve stops,
	// StartOS stops the container this action runs in, and a result not
	// yet written would be lost.
	stop, err := restart()
	if err != nil {
		return err
	}
	msg := "Switched to %s mode and moved your library."
	if stop != nil {
		msg += " Recap is restarting."
	} else {
		msg += " Start Recap to use it."
	}
	if in.Mode == config.ModeMulti {
		msg += " Sign in with your admin email address; the Admin Login Link action gives you a link if mail does not arrive."
	}
	if err := startos.Result(msg, in.Mode).Write(c.App.Writer); err != nil {
		return err
	}
	if f, ok := c.App.Writer.(interface{ Sync() error }); ok {
		f.Sync() // stdout may be a pipe, where there is nothing to sync
	}
	if stop == nil {
		return nil
	}
	return stop()
}

// restartService finds a running "recap serve" in this container and
// returns a function that asks it to stop (StartOS starts it again at
// once, now reading the new config), or nil when there is none.
func restartService() (func() error, error) {
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, p := range procs {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		if len(args) < 2 || filepath.Base(args[0]) != "recap" || args[1] != "serve" {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil || pid == os.Getpid() {
			continue
		}
		pids = append(pids, pid)
	}
	if len(pids) == 0 {
		return nil, nil
	}
	return func() error {
		for _, pid := range pids {
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				return fmt.Errorf("restart recap serve (pid %d): %w", pid, err)
			}
		}
		return nil
	}, nil
}

// actionResetOwnerPassword is "recap owner reset-password --action":
// a new password (shown once, copyable), every session ended, the
// Properties page updated.
func actionResetOwnerPassword(c *cli.Context) error {
	if err := startos.DecodeInput(c.App.Reader, &struct{}{}); err != nil {
		return badInput("%v", err)
	}
	return runResetPassword(c)
}
