package startos

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/recap-startos/recap/pkg/atomicfile"
	"github.com/recap-startos/recap/pkg/config"
)

// FirstGoVersion is the first version of this implementation. Versions
// before it are the earlier Node.js Recap (up to 0.2.155), whose config
// page had a different shape.
var FirstGoVersion = Version{0, 3, 0, 0}

// Migration directions, as the manifest's migrations map names them.
const (
	MigrateFrom = "from" // this version replaces another (update or downgrade to us)
	MigrateTo   = "to"   // this version is being replaced by another
)

// MigrationResult is what a migration prints. Configured false sends
// the service to "Needs Config" so the owner reviews the Config page
// before it starts again.
type MigrationResult struct {
	Configured bool `json:"configured"`

	// Not part of what StartOS reads; the command prints them on
	// standard error, which StartOS keeps in the service's logs.
	Added  []string `json:"-"` // config keys written with their defaults
	Reason string   `json:"-"` // why the owner must review the config
}

// ReadMigrationInput decodes the other version, which StartOS sends as a
// JSON string.
func ReadMigrationInput(r io.Reader) (Version, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return Version{}, fmt.Errorf("read input: %w", err)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		// Tolerate a bare version, as a person testing by hand types it.
		s = strings.TrimSpace(string(raw))
	}
	return ParseVersion(s)
}

// Migrate decides whether the config survives a version change. The
// library layout and the database are brought up to date by the service
// itself when it starts; what a migration settles is the Config page:
//
//   - from any earlier version (the Go versions, and the Node.js ones up
//     to 0.2.155): the keys this version's Config page added are written
//     into config.yaml with their defaults, and the answer is yes only
//     when the result passes the three checks the update goes through:
//     StartOS's own matching of the config against the spec, the Config
//     page's rules, and Recap's own validation. Otherwise config.yaml is
//     left exactly as it was and the owner reviews the Config page (the
//     form pre-fills what matches); Reason says why;
//   - from a newer version (a downgrade): the same checks, so keys this
//     version does not know send the owner to the Config page;
//   - to a newer version (an update): yes; the newer version's own
//     "from" judges the config;
//   - to an older version (a downgrade), refused: on StartOS 0.3.5 only
//     this version's "to" runs, and an older Recap, whose config parser
//     refuses keys it does not know and whose database migrations refuse
//     a newer database, would not start on what this version wrote. The
//     owner restores a backup made with that version instead.
func Migrate(dataDir, direction string, other, running Version) (MigrationResult, error) {
	switch direction {
	case MigrateFrom:
		return migrateFrom(dataDir)
	case MigrateTo:
		if other.Compare(running) < 0 {
			return MigrationResult{}, fmt.Errorf("Recap %s cannot be downgraded to %s: that version cannot read the settings and data this one has written; to go back, restore a StartOS backup made with %s", running, other, other)
		}
		return MigrationResult{Configured: true}, nil
	}
	return MigrationResult{}, fmt.Errorf("migration direction %q is not from or to", direction)
}

// migrateFrom completes DATA/start9/config.yaml with this version's
// defaults when the completed config passes every check, and says
// whether it does. A missing file is not written: StartOS fills a
// config from the spec's defaults itself, which the checks pass.
func migrateFrom(dataDir string) (MigrationResult, error) {
	path := config.Path(dataDir)
	raw, err := os.ReadFile(path)
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !missing {
		return MigrationResult{}, fmt.Errorf("migrate: %w", err)
	}
	spec, rules, err := ConfigPage()
	if err != nil {
		return MigrationResult{}, fmt.Errorf("migrate: %w", err)
	}
	cfg, err := ConfigFromYAML(raw)
	if err != nil {
		return review("config.yaml is not YAML: %v", err), nil
	}
	added, err := spec.FillDefaults(cfg)
	if err != nil {
		return MigrationResult{}, fmt.Errorf("migrate: %w", err)
	}
	completed, err := yaml.Marshal(cfg)
	if err != nil {
		return MigrationResult{}, fmt.Errorf("migrate: %w", err)
	}
	if reason := checkConfig(spec, rules, cfg, completed); reason != "" {
		return review("%s", reason), nil
	}
	if missing || len(added) == 0 {
		return MigrationResult{Configured: true}, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return MigrationResult{}, fmt.Errorf("migrate: %w", err)
	}
	if err := atomicfile.Write(path, completed, info.Mode().Perm()); err != nil {
		return MigrationResult{}, fmt.Errorf("migrate: write %s: %w", path, err)
	}
	return MigrationResult{Configured: true, Added: added}, nil
}

// review is the answer that sends the owner to the Config page.
func review(format string, args ...any) MigrationResult {
	return MigrationResult{Reason: fmt.Sprintf(format, args...)}
}

// checkConfig runs the checks a config meets on its way through an
// update, in StartOS's order, and returns the first failure, or "".
func checkConfig(spec Spec, rules []ConfigRule, cfg map[string]any, raw []byte) string {
	if err := spec.Matches(cfg); err != nil {
		return fmt.Sprintf("the Config page refuses it: %v", err)
	}
	for _, r := range rules {
		ok, err := r.Holds(cfg)
		if err != nil {
			return fmt.Sprintf("a Config page rule cannot be read on it: %v", err)
		}
		if !ok {
			return r.Description
		}
	}
	c, err := config.Parse(raw)
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		return fmt.Sprintf("Recap refuses it: %v", err)
	}
	return ""
}
