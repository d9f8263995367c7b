package startos

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

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

// Migrate decides whether the config survives a version change. Recap
// changes nothing on disk here: the library layout and the database are
// brought up to date by the service itself when it starts. What a
// migration has to settle is the config page:
//
//   - from a Node.js version: its config.yaml has another shape; it is
//     kept as it is when it already loads with this version's rules,
//     otherwise the owner reviews it (the form pre-fills what matches);
//   - from a Go version: the config must load; a newer version's keys
//     this version does not know (a downgrade) need the owner's review;
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
		ok, err := configLoads(dataDir)
		if err != nil {
			return MigrationResult{}, err
		}
		return MigrationResult{Configured: ok}, nil
	case MigrateTo:
		if other.Compare(running) < 0 {
			return MigrationResult{}, fmt.Errorf("Recap %s cannot be downgraded to %s: that version cannot read the settings and data this one has written; to go back, restore a StartOS backup made with %s", running, other, other)
		}
		return MigrationResult{Configured: true}, nil
	}
	return MigrationResult{}, fmt.Errorf("migration direction %q is not from or to", direction)
}

// configLoads reports whether DATA/start9/config.yaml loads and
// validates. A missing file is fine: defaults apply.
func configLoads(dataDir string) (bool, error) {
	raw, err := os.ReadFile(config.Path(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	c, err := config.Parse(raw)
	if err != nil {
		return false, nil
	}
	return c.Validate() == nil, nil
}
