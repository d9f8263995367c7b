package startos

import (
	"errors"
	"testing"
)

func TestLockDataFolder(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	release, err := LockDataFolder(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockDataFolder(data); !errors.Is(err, ErrInUse) {
		t.Fatalf("second lock = %v, want ErrInUse", err)
	}
	release()
	again, err := LockDataFolder(data)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}
