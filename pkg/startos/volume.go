package startos

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/recap-startos/recap/pkg/atomicfile"
)

// backupIgnore is DATA/.backupignore: what StartOS backups (compat
// duplicity) leave out, relative to DATA. Only re-creatable data.
const backupIgnore = "cache\n"

// PrepareVolume readies the data folder when the service starts: it
// finishes an interrupted restore or mode switch, creates DATA/start9
// and writes DATA/.backupignore.
func PrepareVolume(dataDir string) error {
	if err := FinishRestore(dataDir); err != nil {
		return err
	}
	if _, err := ResumeModeSwitch(dataDir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dataDir, "start9"), 0o700); err != nil {
		return fmt.Errorf("startos: %w", err)
	}
	p := filepath.Join(dataDir, ".backupignore")
	if cur, err := os.ReadFile(p); err == nil && bytes.Equal(cur, []byte(backupIgnore)) {
		return nil
	}
	if err := atomicfile.Write(p, []byte(backupIgnore), 0o644); err != nil {
		return fmt.Errorf("startos: %w", err)
	}
	return nil
}
