package startos

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/recap-startos/recap/pkg/library"
)

// TypeStats are the figures for one source type.
type TypeStats struct {
	Type   string // youtube, podcast, file or text
	Recaps int
	Words  int // transcript words summarized
	Bytes  int64
}

// LibraryStats are the figures the library-stats action reports.
type LibraryStats struct {
	Recaps       int
	Words        int   // transcript words summarized, over all recaps
	LibraryBytes int64 // recap files
	BackupBytes  int64 // snapshots in DATA/backups
	DataBytes    int64 // everything under DATA
	Libraries    int   // 1 in single mode; one per account in multi mode
	Skipped      int   // files in the library folders that are not readable recaps
	ByType       []TypeStats
}

// CollectStats reads the library (DATA/history, and its per-account
// folders in multi mode) without writing anything.
func CollectStats(dataDir string) (LibraryStats, error) {
	var s LibraryStats
	history := filepath.Join(dataDir, "history")
	dirs := []string{history}
	if des, err := os.ReadDir(history); err == nil {
		for _, de := range des {
			if de.IsDir() && !strings.HasPrefix(de.Name(), ".") {
				dirs = append(dirs, filepath.Join(history, de.Name()))
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return s, fmt.Errorf("stats: %w", err)
	}
	byType := map[string]*TypeStats{}
	for _, dir := range dirs {
		if !exists(dir) {
			continue
		}
		lib, err := library.Open(dir, "")
		if err != nil {
			return s, fmt.Errorf("stats: %w", err)
		}
		s.Skipped += len(lib.Problems())
		if lib.Len() > 0 {
			s.Libraries++
		}
		for _, e := range entries(lib) {
			t := byType[e.Type]
			if t == nil {
				t = &TypeStats{Type: e.Type}
				byType[e.Type] = t
			}
			t.Recaps++
			t.Words += e.Words
			t.Bytes += e.Size
			s.Recaps++
			s.Words += e.Words
			s.LibraryBytes += e.Size
		}
	}
	if s.Libraries == 0 {
		s.Libraries = 1
	}
	for _, t := range byType {
		s.ByType = append(s.ByType, *t)
	}
	sort.Slice(s.ByType, func(i, j int) bool {
		if s.ByType[i].Recaps != s.ByType[j].Recaps {
			return s.ByType[i].Recaps > s.ByType[j].Recaps
		}
		return s.ByType[i].Type < s.ByType[j].Type
	})
	s.BackupBytes = dirSize(BackupsDir(dataDir))
	s.DataBytes = dirSize(dataDir)
	return s, nil
}

// entries lists every entry of a library, page by page.
func entries(lib *library.Library) []*library.Entry {
	var out []*library.Entry
	q := library.Query{Sort: library.SortOldest, Limit: library.MaxLimit}
	for {
		page := lib.Find(q)
		for _, h := range page.Hits {
			out = append(out, h.Entry)
		}
		if page.Next == "" || len(page.Hits) == 0 {
			return out
		}
		q.Cursor = page.Next
	}
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// HumanBytes renders a byte count for people: 0 B, 12.3 KB, 4.5 MB.
func HumanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
