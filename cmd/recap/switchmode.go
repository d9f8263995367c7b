package main

// The switch-mode action, start to end.
//
// single → multi:
//  1. finish any switch a crash interrupted (its journal), then re-read
//     the config; if it already says multi, only step 5 is left;
//  2. check that the config can run multi mode (admin email, mail), so
//     nothing moves when the service could not start afterwards;
//  3. open (creating) the database and find or create the admin account;
//  4. plan and apply the moves history/<id>.json → history/<adminId>/,
//     with the journal that makes them resumable, and set mode.type;
//  5. move the owner's follows (DATA/follows.json) into the database as
//     the admin's;
//  6. index the admin's folder in library_meta (Reconcile).
//
// multi → single:
//  1. as above; if the config already says single, nothing is left;
//  2. look the admin up in the database: the database, the other users
//     and their folders stay as they are, for a later switch back;
//     only the admin's follows move, into DATA/follows.json;
//  3. plan and apply history/<adminId>/<id>.json → history/, set
//     mode.type.
//
// Every step can be interrupted and the action run again: the admin is
// found rather than created twice, moves already done are skipped, and
// indexing brings the index in line with the files whatever it held.
// Multi mode's start-up also resumes the journal and reconciles, so a
// restart in the middle ends in the same state too. At the end the
// running service is restarted to read the new mode.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/follow"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/startos"
	"github.com/recap-startos/recap/pkg/store"
)

// switchStep, when set (tests), is called after each step of a switch;
// an error stops the switch there as a crash would.
var switchStep func(step string) error

// restart asks the running service to restart; tests replace it.
var restart = restartService

func stepDone(name string) error {
	if switchStep == nil {
		return nil
	}
	return switchStep(name)
}

// switchMode switches the data folder to mode `to` and reports whether
// anything changed.
func switchMode(ctx context.Context, data, to string) (bool, error) {
	if _, err := startos.ResumeModeSwitch(data); err != nil {
		return false, err
	}
	cfg, err := config.Load(data)
	if err != nil {
		return false, err
	}
	if to == config.ModeSingle {
		if cfg.Mode.Type == config.ModeSingle {
			return false, nil
		}
		return true, toSingle(ctx, data, cfg)
	}
	if err := checkMulti(cfg); err != nil {
		return false, err
	}
	changed := cfg.Mode.Type != config.ModeMulti
	st, err := store.Open(ctx, data, store.Options{})
	if err != nil {
		return false, err
	}
	defer st.Close()
	admin, err := auth.CanonicalEmail(cfg.Mode.AdminEmail)
	if err != nil {
		return false, fmt.Errorf("mode.admin-email: %q is not one plain email address", cfg.Mode.AdminEmail)
	}
	u, err := st.EnsureAdmin(ctx, admin)
	if err != nil {
		return false, err
	}
	if err := stepDone("admin"); err != nil {
		return false, err
	}
	if changed {
		if err := moveOwnerRecaps(data, config.ModeSingle, config.ModeMulti, u.ID); err != nil {
			return false, err
		}
	}
	// After the mode changed: multi mode's start moves them too, should
	// this be interrupted.
	if _, err := follow.MoveToAccount(ctx, followsFile(data), st, u.ID); err != nil {
		return false, err
	}
	if err := stepDone("follows"); err != nil {
		return false, err
	}
	if _, err := st.Library(filepath.Join(data, "history")).Reconcile(ctx); err != nil {
		return false, err
	}
	return changed, stepDone("index")
}

// moveOwnerRecaps plans and applies the moves of one switch.
func moveOwnerRecaps(data, from, to, adminID string) error {
	plan, err := startos.PlanModeSwitch(data, from, to, adminID)
	if err != nil {
		return err
	}
	return plan.ApplySteps(data, switchStep)
}

// checkMulti refuses a switch to multi mode that could not start.
func checkMulti(cfg *config.Config) error {
	if cfg.Mode.AdminEmail == "" {
		return errors.New("multi mode needs the admin's email address: on the Config page choose Multi for the mode and fill in the admin email, the public URL and the mail (SMTP) settings, then save; Recap moves your library when it starts")
	}
	if _, err := auth.CanonicalEmail(cfg.Mode.AdminEmail); err != nil {
		return fmt.Errorf("mode.admin-email: %q is not one plain email address", cfg.Mode.AdminEmail)
	}
	if _, err := mail.NewSMTP(cfg.SMTP); err != nil {
		return fmt.Errorf("multi mode signs people in by email; set up mail (smtp) on the Config page first: %w", err)
	}
	if _, err := publicURL(cfg); err != nil {
		return err
	}
	return nil
}

// toSingle moves the admin's recaps back to DATA/history and sets the
// mode; the database and everyone else's folders are left alone.
func toSingle(ctx context.Context, data string, cfg *config.Config) error {
	adminID := ""
	if admin, err := auth.CanonicalEmail(cfg.Mode.AdminEmail); err == nil {
		st, err := store.Open(ctx, data, store.Options{NoMigrate: true})
		if err != nil {
			return err
		}
		u, err := st.UserByEmail(ctx, admin)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			st.Close()
			return err
		}
		if u != nil {
			adminID = u.ID
			// Before the mode changes: single mode never opens the
			// database to fetch them.
			if _, err := follow.MoveToOwner(ctx, st, u.ID, followsFile(data)); err != nil {
				st.Close()
				return err
			}
		}
		st.Close()
	}
	if err := stepDone("admin"); err != nil {
		return err
	}
	if adminID == "" {
		// No admin account: there is no folder to move back.
		return startos.SetConfigMode(data, config.ModeSingle)
	}
	return moveOwnerRecaps(data, config.ModeMulti, config.ModeSingle, adminID)
}
