package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"
)

// ErrNoSession means a session token is unknown, expired or malformed.
var ErrNoSession = errors.New("auth: no such session")

// Session lifetimes.
const (
	// SessionTTL is how long a session lives after its last use (sliding).
	SessionTTL = 30 * 24 * time.Hour
	// touchEvery is how stale a session's last-use time may get before a
	// request refreshes it on disk; it keeps reads from writing.
	touchEvery = time.Hour
	// maxSessions bounds the file; the least recently used go first.
	maxSessions = 100
)

// session is one signed-in browser, keyed by the SHA-256 of its token.
type session struct {
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
}

// Sessions is the set of signed-in browsers, kept in a small JSON file
// that holds only the SHA-256 of each token. It notices when another
// process (recap owner reset-password) rewrites or removes the file.
// It is safe for concurrent use.
type Sessions struct {
	path string
	now  func() time.Time

	mu      sync.Mutex
	byHash  map[string]session // guarded by mu
	modTime time.Time          // of the file when last read or written
	size    int64
}

// OpenSessions loads the sessions kept in path (none if it is missing).
func OpenSessions(path string) (*Sessions, error) {
	s := &Sessions{path: path, now: time.Now, byHash: map[string]session{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(true); err != nil {
		return nil, err
	}
	return s, nil
}

// reloadLocked re-reads the file when it changed since last seen.
func (s *Sessions) reloadLocked(force bool) error {
	info, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.byHash = map[string]session{}
		s.modTime, s.size = time.Time{}, 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("auth: sessions: %w", err)
	}
	if !force && info.ModTime().Equal(s.modTime) && info.Size() == s.size {
		return nil
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("auth: sessions: %w", err)
	}
	m := map[string]session{}
	if err := json.Unmarshal(data, &m); err != nil {
		// A damaged file signs everyone out, which is safe.
		m = map[string]session{}
	}
	s.byHash, s.modTime, s.size = m, info.ModTime(), info.Size()
	return nil
}

func (s *Sessions) saveLocked() error {
	now := s.now()
	for h, ss := range s.byHash {
		if now.Sub(ss.LastSeen) > SessionTTL {
			delete(s.byHash, h)
		}
	}
	for len(s.byHash) > maxSessions {
		oldest, at := "", now
		for h, ss := range s.byHash {
			if ss.LastSeen.Before(at) {
				oldest, at = h, ss.LastSeen
			}
		}
		delete(s.byHash, oldest)
	}
	data, err := json.Marshal(s.byHash)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(s.path, data); err != nil {
		return fmt.Errorf("auth: save sessions: %w", err)
	}
	if info, err := os.Stat(s.path); err == nil {
		s.modTime, s.size = info.ModTime(), info.Size()
	}
	return nil
}

func hashToken(token string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 32 {
		return "", false
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), true
}

// Create starts a session and returns its token: 32 random bytes,
// base64url-encoded. Only the token's SHA-256 is kept.
func (s *Sessions) Create() (string, error) {
	raw := make([]byte, 32)
	rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	h, _ := hashToken(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(false); err != nil {
		return "", err
	}
	now := s.now().UTC()
	s.byHash[h] = session{Created: now, LastSeen: now}
	return token, s.saveLocked()
}

// Check reports whether token names a live session and slides its expiry.
// It returns ErrNoSession for unknown or expired tokens.
func (s *Sessions) Check(token string) error {
	h, ok := hashToken(token)
	if !ok {
		return ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(false); err != nil {
		return err
	}
	ss, ok := s.byHash[h]
	now := s.now().UTC()
	if !ok || now.Sub(ss.LastSeen) > SessionTTL {
		return ErrNoSession
	}
	if now.Sub(ss.LastSeen) > touchEvery {
		ss.LastSeen = now
		s.byHash[h] = ss
		// A failed refresh only shortens the session; the request goes on.
		s.saveLocked()
	}
	return nil
}

// Delete ends the session of token, if there is one.
func (s *Sessions) Delete(token string) error {
	h, ok := hashToken(token)
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(false); err != nil {
		return err
	}
	if _, ok := s.byHash[h]; !ok {
		return nil
	}
	delete(s.byHash, h)
	return s.saveLocked()
}

// DeleteOthers ends every session but the one of keep.
func (s *Sessions) DeleteOthers(keep string) error {
	h, _ := hashToken(keep)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(false); err != nil {
		return err
	}
	for k := range s.byHash {
		if k != h {
			delete(s.byHash, k)
		}
	}
	return s.saveLocked()
}

// DeleteAll ends every session.
func (s *Sessions) DeleteAll() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byHash = map[string]session{}
	return s.saveLocked()
}

// Len returns the number of live sessions.
func (s *Sessions) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloadLocked(false)
	n := 0
	for _, ss := range s.byHash {
		if s.now().Sub(ss.LastSeen) <= SessionTTL {
			n++
		}
	}
	return n
}
