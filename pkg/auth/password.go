// Package auth owns sign-in for single mode: the owner password (stored
// only as an argon2id hash under the data folder), server-side sessions
// (random tokens stored only as SHA-256), the session cookie, and the rate
// limiter for failed sign-ins. It imports nothing of the project.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/recap-startos/recap/pkg/atomicfile"
)

// Errors returned by the owner password store.
var (
	// ErrWrongPassword means the password given does not match.
	ErrWrongPassword = errors.New("auth: wrong password")
	// ErrWeakPassword means a new password is too short.
	ErrWeakPassword = errors.New("auth: password too short")
	// ErrNoOwner means no owner password has been set up yet.
	ErrNoOwner = errors.New("auth: no owner password")
	// ErrBusy means too many passwords are being checked at once; the
	// attempt was not made.
	ErrBusy = errors.New("auth: too many password checks at once")
)

// Concurrent argon2id work is bounded: each hash holds argonMemory, so
// a burst of sign-ins must not hash all at once. A caller waits up to
// hashWait for a slot, then gets ErrBusy.
var (
	hashSlots = make(chan struct{}, max(2, runtime.NumCPU()))
	hashWait  = 2 * time.Second
)

// withHashSlot runs f while holding one of the hashing slots, waiting at
// most wait for it; it reports whether f ran.
func withHashSlot(wait time.Duration, f func()) bool {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case hashSlots <- struct{}{}:
	case <-t.C:
		return false
	}
	defer func() { <-hashSlots }()
	f()
	return true
}

// Password lengths.
const (
	// GeneratedLength is the length of generated owner passwords, in
	// characters (about 143 bits of entropy).
	GeneratedLength = 24
	// MinLength is the shortest password an owner may choose, in
	// characters.
	MinLength = 12
	// MaxLength bounds what is hashed, in bytes, so a huge form field
	// cannot make a sign-in expensive.
	MaxLength = 1024
)

// Argon2id cost. The memory and time follow the common recommendation
// for interactive sign-in (19 MiB, two passes); tests lower them through
// SetCostForTests.
var (
	argonMemory  uint32 = 19 * 1024 // KiB
	argonTime    uint32 = 2
	argonThreads uint8  = 1
)

const (
	argonKeyLen  = 32 // bytes
	argonSaltLen = 16 // bytes
)

// SetCostForTests makes hashing cheap. Only tests call it.
func SetCostForTests() {
	argonMemory, argonTime = 64, 1
}

// HashPassword returns an encoded argon2id hash of password in the usual
// "$argon2id$v=19$m=…,t=…,p=…$salt$key" form.
func HashPassword(password string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// dummyHash is verified against when there is nothing to verify, so a
// failed sign-in costs the same time whatever the reason.
var dummyHash = sync.OnceValue(func() string { return HashPassword("not a password") })

// CheckPassword reports whether password matches an encoded hash. It
// always does the full hashing work, also for a malformed hash.
func CheckPassword(encoded, password string) bool {
	if len(password) > MaxLength {
		password = password[:MaxLength]
	}
	var m, t uint32
	var p uint8
	var salt, key string
	parts := strings.Split(encoded, "$")
	ok := len(parts) == 6 && parts[1] == "argon2id" && parts[2] == fmt.Sprintf("v=%d", argon2.Version)
	if ok {
		_, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p)
		ok = err == nil && m > 0 && m <= 1<<22 && t > 0 && t <= 16 && p > 0
		salt, key = parts[4], parts[5]
	}
	if !ok {
		CheckPassword(dummyHash(), password)
		return false
	}
	b64 := base64.RawStdEncoding
	s, err1 := b64.DecodeString(salt)
	want, err2 := b64.DecodeString(key)
	if err1 != nil || err2 != nil || len(want) == 0 {
		CheckPassword(dummyHash(), password)
		return false
	}
	got := argon2.IDKey([]byte(password), s, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// GeneratePassword returns a random password of GeneratedLength
// characters from an alphabet without look-alike characters.
func GeneratePassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, GeneratedLength)
	for i := range b {
		// Rejection sampling keeps every character equally likely.
		for {
			var r [1]byte
			rand.Read(r[:])
			if int(r[0]) < 256-256%len(alphabet) {
				b[i] = alphabet[int(r[0])%len(alphabet)]
				break
			}
		}
	}
	return string(b)
}

// OwnerRecord is what the owner file holds.
type OwnerRecord struct {
	Hash string `json:"hash"` // argon2id, see HashPassword
	// Generated is true while the password is one Recap made (and may show
	// in Properties); false once the owner chose their own.
	Generated bool      `json:"generated"`
	ChangedAt time.Time `json:"changed_at"`
}

// Owner is the owner password kept in a file. Every method reads the file
// again, so a reset from the command line takes effect in a running
// server at once.
type Owner struct {
	path string
	mu   sync.Mutex // serializes writers in this process
}

// NewOwner returns the owner password store in file path.
func NewOwner(path string) *Owner { return &Owner{path: path} }

// Record reads the owner file. It returns ErrNoOwner when there is none.
func (o *Owner) Record() (OwnerRecord, error) {
	var rec OwnerRecord
	data, err := os.ReadFile(o.path)
	if errors.Is(err, fs.ErrNotExist) {
		return rec, ErrNoOwner
	}
	if err != nil {
		return rec, fmt.Errorf("auth: read owner: %w", err)
	}
	if err := json.Unmarshal(data, &rec); err != nil || rec.Hash == "" {
		return rec, fmt.Errorf("auth: owner file %s is unreadable; run recap owner reset-password", filepath.Base(o.path))
	}
	return rec, nil
}

// Ensure makes sure an owner password exists. When env is not empty (the
// RECAP_OWNER_PASSWORD variable) it becomes the password unless it is the
// current one already. Otherwise, when no password exists yet, one is
// generated. It returns the new password when it generated one, else "".
func (o *Owner) Ensure(env string) (generated string, err error) {
	rec, err := o.Record()
	if env != "" {
		if err == nil && CheckPassword(rec.Hash, env) {
			return "", nil
		}
		return "", o.set(env, false)
	}
	if err == nil {
		return "", nil
	}
	if !errors.Is(err, ErrNoOwner) {
		return "", err
	}
	return o.Reset()
}

// Reset sets a new generated password and returns it.
func (o *Owner) Reset() (string, error) {
	pw := GeneratePassword()
	return pw, o.set(pw, true)
}

// Verify checks that password is the owner's: nil, ErrWrongPassword, or
// ErrBusy when too many checks are running (nothing was hashed). It
// takes the same time whether or not an owner exists.
func (o *Owner) Verify(password string) error {
	rec, err := o.Record()
	hash := rec.Hash
	if err != nil {
		hash = dummyHash()
	}
	ok := false
	if !withHashSlot(hashWait, func() { ok = CheckPassword(hash, password) }) {
		return ErrBusy
	}
	if !ok || err != nil {
		return ErrWrongPassword
	}
	return nil
}

// Check reports whether password is the owner's (Verify returns nil).
func (o *Owner) Check(password string) bool { return o.Verify(password) == nil }

// Change replaces the password after checking the current one.
func (o *Owner) Change(current, next string) error {
	if err := o.Verify(current); err != nil {
		return err
	}
	if len([]rune(next)) < MinLength || len(next) > MaxLength {
		return ErrWeakPassword
	}
	return o.set(next, false)
}

func (o *Owner) set(password string, generated bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var hash string
	withHashSlot(time.Hour, func() { hash = HashPassword(password) })
	rec := OwnerRecord{Hash: hash, Generated: generated, ChangedAt: time.Now().UTC().Truncate(time.Second)}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(o.path, append(data, '\n')); err != nil {
		return fmt.Errorf("auth: write owner: %w", err)
	}
	return nil
}

// writeFileAtomic writes a private file atomically, creating its folder.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o600)
}
