package server

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/recap-startos/recap/pkg/atomicfile"
)

// An uploaded podcast feed file names several episodes, so the web app
// asks which one before it starts a job (episode.go). Between the upload
// and the choice the file waits here, in DIR/<owner>/<token>:
//
//   - <owner> is derived from the uploader's user id (a trial's own id
//     for an anonymous trial, "" for single mode's owner), so a token
//     only opens a file in the folder of the caller who uploaded it;
//     another user's token is not found, like a wrong one.
//   - <token> is 128 random bits, carried by the chooser's address and
//     its form. It is the choice's CSRF token too: another site cannot
//     know it, and the cross-origin check refuses its POSTs anyway.
//   - A file waits pendingLife; a later upload of the same caller drops
//     their oldest beyond pendingPerOwner, every upload sweeps out the
//     expired ones, and no more than pendingTotal wait in all. Each is
//     within the upload limit already (the route's body limit).
//
// Folders are 0700 and files 0600. serve puts DIR under DATA/cache,
// which backups leave out: a lost upload is uploaded again.

const (
	pendingLife     = time.Hour
	pendingPerOwner = 3
	pendingTotal    = 200
)

// pendingFeed is an uploaded feed file, or the feed of a pasted link,
// waiting for its episode.
type pendingFeed struct {
	Token   string    `json:"-"`
	Name    string    `json:"name"`             // the file's name as uploaded, or the link's for people
	URL     string    `json:"url,omitempty"`    // the feed's link, when it was pasted rather than uploaded
	Engine  string    `json:"engine,omitempty"` // the engine chosen with it
	Created time.Time `json:"-"`                // from the file's time
	Data    []byte    `json:"-"`
}

// Expires is when the upload stops waiting.
func (p *pendingFeed) Expires() time.Time { return p.Created.Add(pendingLife) }

// pendingFeeds is the folder of waiting uploads.
type pendingFeeds struct {
	dir string
	mu  sync.Mutex // serialises put: the counts, the eviction and the sweep
	now func() time.Time
}

// ownerDir is the folder name of a user's waiting uploads.
func ownerDir(userID string) string {
	sum := sha256.Sum256([]byte("recap pending upload\x00" + userID))
	return hex.EncodeToString(sum[:16])
}

// validToken reports whether s can be a token put made (32 hex digits).
func validToken(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func (p *pendingFeeds) path(userID, token string) string {
	return filepath.Join(p.dir, ownerDir(userID), token)
}

// put keeps an upload of userID and returns its token.
func (p *pendingFeeds) put(userID string, f pendingFeed) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	total, err := p.sweep()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(p.dir, ownerDir(userID))
	mine, _ := waiting(dir)
	for len(mine) >= pendingPerOwner {
		os.Remove(filepath.Join(dir, mine[0].Name()))
		mine, total = mine[1:], total-1
	}
	if total >= pendingTotal {
		return "", errPendingFull
	}
	var b [16]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	head, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("server: keep an upload: %w", err)
	}
	body := append(append(head, '\n'), f.Data...)
	if err := atomicfile.Write(filepath.Join(dir, token), body, 0o600); err != nil {
		return "", fmt.Errorf("server: keep an upload: %w", err)
	}
	return token, nil
}

// get returns a waiting upload of userID. A token of another user, or
// none, is errUploadGone; one that waited too long errUploadExpired
// (the next put removes it: get changes nothing).
func (p *pendingFeeds) get(userID, token string) (*pendingFeed, error) {
	if !validToken(token) {
		return nil, errUploadGone
	}
	name := p.path(userID, token)
	info, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errUploadGone
	}
	if err != nil {
		return nil, fmt.Errorf("server: read an upload: %w", err)
	}
	if p.now().Sub(info.ModTime()) > pendingLife {
		return nil, errUploadExpired
	}
	body, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errUploadGone // taken meanwhile
	}
	if err != nil {
		return nil, fmt.Errorf("server: read an upload: %w", err)
	}
	head, data, ok := bytes.Cut(body, []byte{'\n'})
	f := &pendingFeed{Token: token, Created: info.ModTime(), Data: data}
	if !ok || json.Unmarshal(head, f) != nil {
		return nil, errUploadGone
	}
	return f, nil
}

// remove drops an upload once its job has started.
func (p *pendingFeeds) remove(userID, token string) {
	if validToken(token) {
		os.Remove(p.path(userID, token))
	}
}

// sweep removes expired uploads (and empty owner folders) and returns
// how many are left.
func (p *pendingFeeds) sweep() (int, error) {
	owners, err := os.ReadDir(p.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("server: sweep uploads: %w", err)
	}
	left := 0
	for _, o := range owners {
		if !o.IsDir() {
			continue
		}
		dir := filepath.Join(p.dir, o.Name())
		files, _ := waiting(dir)
		n := 0
		for _, f := range files {
			info, err := f.Info()
			if err == nil && p.now().Sub(info.ModTime()) > pendingLife {
				os.Remove(filepath.Join(dir, f.Name()))
				continue
			}
			n++
		}
		if n == 0 {
			os.Remove(dir) // only when empty
		}
		left += n
	}
	return left, nil
}

// waiting lists the uploads in an owner's folder, oldest first.
func waiting(dir string) ([]fs.DirEntry, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []fs.DirEntry
	times := map[string]time.Time{}
	for _, de := range des {
		if !de.Type().IsRegular() || !validToken(de.Name()) {
			continue // a temporary file of a write in progress
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		out = append(out, de)
		times[de.Name()] = info.ModTime()
	}
	sort.Slice(out, func(i, j int) bool { return times[out[i].Name()].Before(times[out[j].Name()]) })
	return out, nil
}
