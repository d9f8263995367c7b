// Package startos owns what Recap shows and answers to StartOS: the
// Properties page (DATA/start9/stats.yaml), the result document of
// actions, the health check, the package migrations, the config spec
// reader the packaging tests use, and the backup snapshots the backup and
// restore actions make and load.
package startos

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/recap-startos/recap/pkg/atomicfile"

	"gopkg.in/yaml.v3"
)

// Properties is what the Properties page shows. Zero-valued fields are
// left off the page.
type Properties struct {
	Mode    string // single or multi
	Version string // the running Recap version
	LANURL  string // https://….local, from the lan-address config pointer
	TorURL  string // http://….onion, from the tor-address config pointer
	// InitialPassword is the owner password Recap generated on first
	// start, shown masked and copyable until the owner changes it; empty
	// once changed.
	InitialPassword string
	Recaps          int // recaps in the library (the owner's, in single mode)
	// Users and CreditsSpent are multi mode's: the number of accounts
	// and the credits spent over the last allowance period ("" in single
	// mode, where they are left off the page).
	Users        string
	CreditsSpent string
	// Follows is the number of followed shows and LastFollowCheck when
	// their feeds were last read ("" before the checker ran).
	Follows         string
	LastFollowCheck string
	// PaidUsers is multi mode's count of accounts whose Pro or Max is in
	// force, e.g. "3 Pro, 1 Max" ("" in single mode).
	PaidUsers string
}

// Property labels, as shown on the page; ReadProperties maps them back.
const (
	labelMode     = "Mode"
	labelVersion  = "Version"
	labelLAN      = "LAN Address"
	labelTor      = "Tor Address"
	labelPassword = "Owner Password"
	labelRecaps   = "Recaps"
	labelUsers    = "Users"
	labelSpent    = "Credits Spent This Period"
	labelFollows  = "Followed Shows"
	labelChecked  = "Follows Last Checked"
	labelPaid     = "Pro and Max Users"
)

// StatsPath returns where the Properties file lives under a data folder.
func StatsPath(dataDir string) string {
	return filepath.Join(dataDir, "start9", "stats.yaml")
}

// entry is one version 2 property of type string.
type entry struct {
	Type        string `yaml:"type"`
	Value       string `yaml:"value"`
	Description string `yaml:"description,omitempty"`
	Copyable    bool   `yaml:"copyable"`
	QR          bool   `yaml:"qr"`
	Masked      bool   `yaml:"masked"`
}

type labelled struct {
	label string
	entry entry
}

func (p Properties) entries() []labelled {
	var out []labelled
	add := func(label, value, desc string, copyable, qr, masked bool) {
		if value == "" {
			return
		}
		out = append(out, labelled{label, entry{Type: "string", Value: value, Description: desc, Copyable: copyable, QR: qr, Masked: masked}})
	}
	add(labelMode, p.Mode, "single: one private library for you; multi: accounts for others. Change it with the Switch Mode action.", false, false, false)
	add(labelVersion, p.Version, "The running version of Recap.", false, false, false)
	add(labelLAN, p.LANURL, "Open Recap from a device on your home network (trust your server's certificate authority first).", true, false, false)
	add(labelTor, p.TorURL, "Open Recap from anywhere with a Tor-enabled browser.", true, true, false)
	add(labelPassword, p.InitialPassword, "The password Recap made for you on first start. Sign in with it, then change it; it disappears from here once changed. Lost it? Run the Reset Owner Password action.", true, false, true)
	out = append(out, labelled{labelRecaps, entry{Type: "string", Value: strconv.Itoa(p.Recaps), Description: "Recaps in your library.", Copyable: false}})
	add(labelUsers, p.Users, "Accounts on this Recap, yours included.", false, false, false)
	add(labelSpent, p.CreditsSpent, "Credits all accounts spent on recaps over the last allowance period (the Replenish Period of the Config page).", false, false, false)
	add(labelFollows, p.Follows, "Podcasts, YouTube channels and playlists followed on this Recap; their new episodes are recapped by themselves.", false, false, false)
	add(labelChecked, p.LastFollowCheck, "When Recap last read the feeds of followed shows. The Check Follows Now action checks them at once.", false, false, false)
	add(labelPaid, p.PaidUsers, "Accounts whose Pro or Max plan is in force now, bought or set by you. Updated at start, after each recap and daily.", false, false, false)
	return out
}

// Marshal renders p as a version 2 Properties document, entries in page
// order.
func (p Properties) Marshal() ([]byte, error) {
	data := &yaml.Node{Kind: yaml.MappingNode}
	for _, e := range p.entries() {
		var v yaml.Node
		if err := v.Encode(e.entry); err != nil {
			return nil, err
		}
		data.Content = append(data.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: e.label}, &v)
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "version"}, {Kind: yaml.ScalarNode, Tag: "!!int", Value: "2"},
		{Kind: yaml.ScalarNode, Value: "data"}, data,
	}}
	return yaml.Marshal(doc)
}

// WriteProperties writes DATA/start9/stats.yaml atomically, creating
// DATA/start9 if needed, so StartOS never reads half a file.
func WriteProperties(dataDir string, p Properties) error {
	out, err := p.Marshal()
	if err != nil {
		return fmt.Errorf("startos: properties: %w", err)
	}
	path := StatsPath(dataDir)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("startos: properties: %w", err)
	}
	if err := atomicfile.Write(path, out, 0o600); err != nil {
		return fmt.Errorf("startos: properties: %w", err)
	}
	return nil
}

// ReadProperties reads back what WriteProperties wrote. A missing file
// gives zero Properties and no error.
func ReadProperties(dataDir string) (Properties, error) {
	var p Properties
	raw, err := os.ReadFile(StatsPath(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("startos: properties: %w", err)
	}
	var doc struct {
		Version int              `yaml:"version"`
		Data    map[string]entry `yaml:"data"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return p, fmt.Errorf("startos: properties: %w", err)
	}
	if doc.Version != 2 {
		return p, fmt.Errorf("startos: properties: version %d, want 2", doc.Version)
	}
	p.Mode = doc.Data[labelMode].Value
	p.Version = doc.Data[labelVersion].Value
	p.LANURL = doc.Data[labelLAN].Value
	p.TorURL = doc.Data[labelTor].Value
	p.InitialPassword = doc.Data[labelPassword].Value
	p.Users, p.CreditsSpent = doc.Data[labelUsers].Value, doc.Data[labelSpent].Value
	p.Follows, p.LastFollowCheck = doc.Data[labelFollows].Value, doc.Data[labelChecked].Value
	p.PaidUsers = doc.Data[labelPaid].Value
	if v := doc.Data[labelRecaps].Value; v != "" {
		if p.Recaps, err = strconv.Atoi(v); err != nil {
			return p, fmt.Errorf("startos: properties: recaps %q: %w", v, err)
		}
	}
	return p, nil
}
