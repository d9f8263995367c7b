package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/recap-startos/recap/pkg/atomicfile"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/startos"
	"github.com/recap-startos/recap/pkg/store"
)

func startosAdoptCommand() *cli.Command {
	return &cli.Command{
		Name:  "startos-adopt",
		Usage: "take over a data folder of the earlier Recap (0.2.x): its settings become config.yaml; prints a report",
		Description: `The StartOS 0.4 package runs this when it updates the earlier Recap
(versions 0.2.x). The library and the database are used as they are; the
earlier settings (store.json in the data folder) are mapped onto
config.yaml where their meaning is known: the mode, the admin, the public
URL, sign-ups, trial and credit settings. Mail goes through System SMTP,
as it did. Settings it does not know are listed in the report and left
at Recap's defaults. A config.yaml that already exists and loads is kept
as it is. The report is one JSON document on standard output.

Example:
  recap startos-adopt --data /data`,
		Flags:  []cli.Flag{dataFlag()},
		Action: runStartOSAdopt,
	}
}

func runStartOSAdopt(c *cli.Context) error {
	data := c.String("data")
	rep, err := adoptDataFolder(c.Context, data)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(c.App.Writer)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func adoptDataFolder(ctx context.Context, data string) (startos.AdoptReport, error) {
	raw, settings, err := readNodeSettings(data)
	if err != nil {
		return startos.AdoptReport{}, err
	}
	admin, err := nodeAdmin(ctx, data)
	if err != nil {
		return startos.AdoptReport{}, err
	}
	cfg, rep, err := startos.MapNodeSettings(raw, admin)
	if err != nil {
		return rep, err
	}
	rep.Settings = settings
	if old, err := os.ReadFile(config.Path(data)); err == nil {
		if _, err := config.Parse(old); err == nil {
			rep.KeptConfig = true
			return rep, nil
		}
		rep.Problems = append(rep.Problems, "config.yaml did not load and was replaced")
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return rep, err
	}
	if err := os.MkdirAll(filepath.Dir(config.Path(data)), 0o700); err != nil {
		return rep, err
	}
	if err := atomicfile.Write(config.Path(data), out.Bytes(), 0o600); err != nil {
		return rep, err
	}
	rep.Wrote = true
	loaded, err := config.Load(data)
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("Recap will not start until this is fixed: %v", err))
	} else if loaded.Mode.Type == config.ModeMulti {
		if _, err := publicURL(loaded); err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("Recap will not start until this is fixed: %v; set it with Configure Multi Mode", err))
		}
	}
	return rep, nil
}

// readNodeSettings returns the earlier settings file and its name, or
// nothing when there is none.
func readNodeSettings(data string) ([]byte, string, error) {
	for _, name := range startos.NodeSettingsFiles {
		raw, err := os.ReadFile(filepath.Join(data, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("adopt: %w", err)
		}
		return raw, name, nil
	}
	return nil, "", nil
}

// nodeAdmin returns the earlier database's first admin, or "" when there
// is no database (single mode) or no admin. Opening the database brings
// it up to date, as the service would at its start.
func nodeAdmin(ctx context.Context, data string) (string, error) {
	if _, err := os.Stat(store.PathIn(data)); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	st, err := store.Open(ctx, data, store.Options{})
	if err != nil {
		return "", err
	}
	defer st.Close()
	users, _, err := st.ListUsers(ctx, store.UserQuery{Limit: 1000})
	if err != nil {
		return "", err
	}
	admin := ""
	for _, u := range users { // newest first: the last admin seen is the oldest
		if u.IsAdmin {
			admin = u.Email
		}
	}
	return admin, nil
}
