package main

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/startos"
)

// properties keeps DATA/start9/stats.yaml (the StartOS Properties page)
// up to date. The generated owner password is shown there, masked, until
// the owner changes it; Recap itself keeps only its hash, so after a
// restart the password is taken back from the page and kept only while it
// still matches the hash.
type properties struct {
	data    string
	version string
	cfg     *config.Config
	owner   *auth.Owner
	lib     *library.Library
	// recaps counts every recap in multi mode (nil in single mode, where
	// lib counts the owner's).
	recaps func() (int, error)
	// usage counts accounts and the credits spent this period (multi mode).
	usage func() (users, spent int, err error)
	// follows counts the follows and tells when feeds were last read
	// (set once the checker runs).
	follows func() (n int, last time.Time, err error)
	// paid counts the accounts on Pro and on Max now (multi mode).
	paid func() (pro, max int, err error)

	mu    sync.Mutex
	known map[string]string // owner hash → the generated password it hashes
}

func newProperties(data, version string, cfg *config.Config, owner *auth.Owner, lib *library.Library) *properties {
	return &properties{data: data, version: version, cfg: cfg, owner: owner, lib: lib, known: map[string]string{}}
}

// remember records a password that was just generated.
func (p *properties) remember(password string) {
	rec, err := p.owner.Record()
	if err != nil || password == "" {
		return
	}
	p.mu.Lock()
	p.known[rec.Hash] = password
	p.mu.Unlock()
}

// initialPassword returns the generated owner password while it is still
// the password, else "".
func (p *properties) initialPassword() string {
	if p.owner == nil {
		return "" // multi mode: no owner password
	}
	rec, err := p.owner.Record()
	if err != nil || !rec.Generated {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pw, ok := p.known[rec.Hash]; ok {
		return pw
	}
	prev, err := startos.ReadProperties(p.data)
	if err != nil || prev.InitialPassword == "" || !auth.CheckPassword(rec.Hash, prev.InitialPassword) {
		return ""
	}
	p.known[rec.Hash] = prev.InitialPassword
	return prev.InitialPassword
}

// write rewrites the Properties page. Failures are logged: the page is
// informative and never worth stopping for.
func (p *properties) write() {
	props := startos.Properties{
		Mode:            p.cfg.Mode.Type,
		Version:         p.version,
		LANURL:          withScheme(p.cfg.LANAddress, "https://"),
		TorURL:          withScheme(p.cfg.TorAddress, "http://"),
		InitialPassword: p.initialPassword(),
	}
	switch {
	case p.lib != nil:
		props.Recaps = p.lib.Len()
	case p.recaps != nil:
		n, err := p.recaps()
		if err != nil {
			slog.Warn("cannot count the recaps for the Properties page", "error", err)
		}
		props.Recaps = n
	}
	if p.usage != nil {
		users, spent, err := p.usage()
		if err != nil {
			slog.Warn("cannot count the accounts for the Properties page", "error", err)
		} else {
			props.Users, props.CreditsSpent = strconv.Itoa(users), strconv.Itoa(spent)
		}
	}
	if p.follows != nil {
		n, last, err := p.follows()
		if err != nil {
			slog.Warn("cannot count the follows for the Properties page", "error", err)
		} else {
			props.Follows = strconv.Itoa(n)
			if !last.IsZero() {
				props.LastFollowCheck = last.UTC().Format("2006-01-02 15:04 UTC")
			}
		}
	}
	if p.paid != nil {
		pro, max, err := p.paid()
		if err != nil {
			slog.Warn("cannot count the Pro and Max accounts for the Properties page", "error", err)
		} else {
			props.PaidUsers = fmt.Sprintf("%d Pro, %d Max", pro, max)
		}
	}
	if err := startos.WriteProperties(p.data, props); err != nil {
		slog.Warn("cannot write the Properties page", "error", err)
	}
}

func withScheme(addr, scheme string) string {
	if addr == "" || strings.Contains(addr, "://") {
		return addr
	}
	return scheme + addr
}
