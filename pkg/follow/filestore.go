package follow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/recap-startos/recap/pkg/atomicfile"
)

// FileStore keeps follows in one JSON file (single mode, which never
// opens the database), e.g. DATA/follows.json. Every change is written
// (atomically, by rename) before the method returns, so a change that
// returned survives a crash. The file is shared with the command line
// (recap follow add while recap serve runs): each call takes an flock on
// PATH.lock and reads the file again when another process replaced it.
// It is meant for one owner's few dozen follows.
type FileStore struct {
	path string

	file sync.Mutex // serializes this process's use of the file; taken before mu, never under it

	mu      sync.Mutex
	follows map[string]*Follow          // guarded by mu
	items   map[string]map[string]*Item // follow id → key → item; guarded by mu
	stamp   os.FileInfo                 // of the file as last read or written; guarded by file
}

var _ Store = (*FileStore)(nil)

// fileDoc is the file's content.
type fileDoc struct {
	Version int      `json:"version"`
	Follows []Follow `json:"follows"`
	Items   []Item   `json:"items"`
}

// OpenFileStore reads the file at path; a missing file is an empty store.
func OpenFileStore(path string) (*FileStore, error) {
	s := &FileStore{path: path, follows: map[string]*Follow{}, items: map[string]map[string]*Item{}}
	if err := s.do(false, func() error { return nil }); err != nil {
		return nil, err
	}
	return s, nil
}

// lock takes the cross-process lock of the file.
func (s *FileStore) lock() (func(), error) {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return nil, fmt.Errorf("follow: %w", err)
	}
	f, err := os.OpenFile(s.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("follow: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("follow: lock %s: %w", s.path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// refresh reads the file again when it is not the one last read or
// written. Callers hold s.file and the flock.
func (s *FileStore) refresh() error {
	fi, err := os.Stat(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	if s.stamp != nil && os.SameFile(fi, s.stamp) && fi.ModTime().Equal(s.stamp.ModTime()) && fi.Size() == s.stamp.Size() {
		return nil
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("follow: read %s: %w", s.path, err)
	}
	var doc fileDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("follow: %s is damaged: %w", s.path, err)
	}
	follows, items := map[string]*Follow{}, map[string]map[string]*Item{}
	for i := range doc.Follows {
		f := doc.Follows[i]
		follows[f.ID] = &f
		items[f.ID] = map[string]*Item{}
	}
	for i := range doc.Items {
		it := doc.Items[i]
		if m := items[it.FollowID]; m != nil {
			m[it.Key] = &it
		}
	}
	s.mu.Lock()
	s.follows, s.items = follows, items
	s.mu.Unlock()
	s.stamp = fi
	return nil
}

// do runs fn on the current content under the locks; when write is set
// and fn returned nil, the file is written before do returns.
func (s *FileStore) do(write bool, fn func() error) error {
	s.file.Lock()
	defer s.file.Unlock()
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.refresh(); err != nil {
		return err
	}
	s.mu.Lock()
	if err := fn(); err != nil || !write {
		s.mu.Unlock()
		return err
	}
	doc := fileDoc{Version: 1}
	for _, f := range s.follows {
		doc.Follows = append(doc.Follows, *f)
		for _, it := range s.items[f.ID] {
			doc.Items = append(doc.Items, *it)
		}
	}
	s.mu.Unlock()
	sort.Slice(doc.Follows, func(a, b int) bool { return doc.Follows[a].ID < doc.Follows[b].ID })
	sort.Slice(doc.Items, func(a, b int) bool {
		x, y := doc.Items[a], doc.Items[b]
		return x.FollowID < y.FollowID || (x.FollowID == y.FollowID && x.Key < y.Key)
	})
	data, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return fmt.Errorf("follow: encode: %w", err)
	}
	if err := atomicfile.Write(s.path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("follow: write %s: %w", s.path, err)
	}
	if fi, err := os.Stat(s.path); err == nil {
		s.stamp = fi
	}
	return nil
}

// change runs fn and writes the file when fn returns nil.
func (s *FileStore) change(fn func() error) error { return s.do(true, fn) }

// view runs fn on the current content.
func (s *FileStore) view(fn func()) error {
	return s.do(false, func() error { fn(); return nil })
}

// Add implements Store.
func (s *FileStore) Add(_ context.Context, f Follow, limit int) error {
	return s.change(func() error {
		n := 0
		for _, o := range s.follows {
			if o.Owner != f.Owner {
				continue
			}
			if o.Kind == f.Kind && o.Ref == f.Ref {
				return ErrExists
			}
			n++
		}
		if limit > 0 && n >= limit {
			return fmt.Errorf("%w: you may follow up to %d sources", ErrTooMany, limit)
		}
		s.follows[f.ID] = &f
		s.items[f.ID] = map[string]*Item{}
		return nil
	})
}

func (s *FileStore) list(keep func(*Follow) bool) ([]Follow, error) {
	var out []Follow
	err := s.view(func() {
		for _, f := range s.follows {
			if keep(f) {
				out = append(out, *f)
			}
		}
	})
	sort.Slice(out, func(a, b int) bool {
		if !out[a].CreatedAt.Equal(out[b].CreatedAt) {
			return out[a].CreatedAt.Before(out[b].CreatedAt)
		}
		return out[a].ID < out[b].ID
	})
	return out, err
}

// List implements Store.
func (s *FileStore) List(_ context.Context, owner string) ([]Follow, error) {
	return s.list(func(f *Follow) bool { return f.Owner == owner })
}

// All implements Store.
func (s *FileStore) All(context.Context) ([]Follow, error) {
	return s.list(func(*Follow) bool { return true })
}

// Get implements Store.
func (s *FileStore) Get(_ context.Context, owner, id string) (Follow, error) {
	var out Follow
	err := s.do(false, func() error {
		f, err := s.owned(owner, id)
		if err == nil {
			out = *f
		}
		return err
	})
	return out, err
}

// owned returns one of owner's follows for a change. Callers hold mu.
func (s *FileStore) owned(owner, id string) (*Follow, error) {
	f, ok := s.follows[id]
	if !ok || f.Owner != owner {
		return nil, ErrNotFound
	}
	return f, nil
}

// SaveCheck implements Store.
func (s *FileStore) SaveCheck(_ context.Context, n Follow) error {
	return s.change(func() error {
		f, ok := s.follows[n.ID]
		if !ok {
			return ErrNotFound
		}
		f.Title, f.LastCheck, f.LastOK, f.NextCheck, f.LastError = n.Title, n.LastCheck, n.LastOK, n.NextCheck, n.LastError
		f.Failures, f.Broken, f.ETag, f.Modified = n.Failures, n.Broken, n.ETag, n.Modified
		return nil
	})
}

// SetNotice implements Store.
func (s *FileStore) SetNotice(_ context.Context, id, notice string) error {
	return s.change(func() error {
		f, ok := s.follows[id]
		if !ok {
			return ErrNotFound
		}
		f.Notice = notice
		return nil
	})
}

// SetPaused implements Store.
func (s *FileStore) SetPaused(_ context.Context, owner, id string, paused bool, now time.Time) error {
	return s.change(func() error {
		f, err := s.owned(owner, id)
		if err != nil {
			return err
		}
		f.Paused = paused
		if !paused {
			f.Broken, f.Failures, f.NextCheck = false, 0, now
		}
		return nil
	})
}

// MarkRead implements Store.
func (s *FileStore) MarkRead(_ context.Context, owner, id string) error {
	return s.change(func() error {
		if id != "" {
			f, err := s.owned(owner, id)
			if err != nil {
				return err
			}
			f.Unread = 0
			return nil
		}
		for _, f := range s.follows {
			if f.Owner == owner {
				f.Unread = 0
			}
		}
		return nil
	})
}

// Remove implements Store.
func (s *FileStore) Remove(_ context.Context, owner, id string) error {
	return s.change(func() error {
		if _, err := s.owned(owner, id); err != nil {
			return err
		}
		delete(s.follows, id)
		delete(s.items, id)
		return nil
	})
}

// AddItems implements Store.
func (s *FileStore) AddItems(_ context.Context, items []Item) (int, error) {
	added := 0
	err := s.change(func() error {
		for _, it := range items {
			m := s.items[it.FollowID]
			if m == nil || m[it.Key] != nil {
				continue
			}
			m[it.Key] = &it
			added++
		}
		return nil
	})
	return added, err
}

func (s *FileStore) itemsWhere(keep func(*Item) bool) ([]Item, error) {
	var out []Item
	err := s.view(func() {
		for _, m := range s.items {
			for _, it := range m {
				if keep(it) {
					out = append(out, *it)
				}
			}
		}
	})
	return out, err
}

// Items implements Store.
func (s *FileStore) Items(_ context.Context, followID string) ([]Item, error) {
	out, err := s.itemsWhere(func(it *Item) bool { return it.FollowID == followID })
	sort.Slice(out, func(a, b int) bool {
		if !out[a].Published.Equal(out[b].Published) {
			return out[a].Published.After(out[b].Published)
		}
		return out[a].Key < out[b].Key
	})
	return out, err
}

// Active implements Store.
func (s *FileStore) Active(context.Context) ([]Item, error) {
	out, err := s.itemsWhere(func(it *Item) bool {
		return it.State == ItemNew || it.State == ItemQueued || it.State == ItemWaiting
	})
	sort.Slice(out, func(a, b int) bool {
		if !out[a].Published.Equal(out[b].Published) {
			return out[a].Published.Before(out[b].Published)
		}
		return out[a].Key < out[b].Key
	})
	return out, err
}

// SaveItem implements Store.
func (s *FileStore) SaveItem(_ context.Context, it Item) error {
	err := s.change(func() error {
		old := s.items[it.FollowID][it.Key]
		if old == nil {
			return ErrNotFound // the follow was removed meanwhile
		}
		if it.State == ItemDone && old.State != ItemDone {
			s.follows[it.FollowID].Unread++
		}
		it.Published, it.FirstSeen = old.Published, old.FirstSeen
		*old = it
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Started implements Store.
func (s *FileStore) Started(_ context.Context, owner string, since time.Time) (int, error) {
	out, err := s.itemsWhere(func(it *Item) bool {
		return it.Owner == owner && !it.Started.IsZero() && !it.Started.Before(since)
	})
	return len(out), err
}
