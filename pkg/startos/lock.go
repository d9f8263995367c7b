package startos

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrInUse means another process holds the data folder's lock: a running
// `recap serve`, or a restore in progress.
var ErrInUse = errors.New("the data folder is in use by a running Recap (or a restore in progress)")

// lockPath is the file whose lock `recap serve` holds while it runs and
// Restore Backup holds while it replaces the data. StartOS runs actions
// in their own container on the same volume; a lock on the shared file
// works across them.
func lockPath(dataDir string) string {
	return filepath.Join(dataDir, "start9", "serve.lock")
}

// LockDataFolder takes the data folder's lock without waiting and
// returns its release. It fails with ErrInUse when another process has
// it. The lock goes with the process, so a crash never leaves it held.
func LockDataFolder(dataDir string) (release func(), err error) {
	if err := os.MkdirAll(filepath.Join(dataDir, "start9"), 0o700); err != nil {
		return nil, fmt.Errorf("startos: %w", err)
	}
	f, err := os.OpenFile(lockPath(dataDir), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("startos: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrInUse
		}
		return nil, fmt.Errorf("startos: lock %s: %w", lockPath(dataDir), err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
