package startos

// Switching between single and multi mode (the switch-mode action).
//
// The library lives in DATA/history/<recapId>.json in single mode and in
// DATA/history/<userId>/<recapId>.json in multi mode, where the owner is
// the admin account. A switch therefore moves the owner's files and
// rewrites mode.type in DATA/start9/config.yaml, and must survive a crash
// at any point:
//
//  1. PlanModeSwitch lists every move (nothing is touched);
//  2. Apply writes the plan to DATA/start9/mode-switch.json (atomically)
//     before the first move;
//  3. each file is renamed (same file system: atomic); a move whose source
//     is gone and whose target exists was done by an earlier, interrupted
//     run and is skipped;
//  4. mode.type is rewritten in config.yaml, every other key and comment
//     kept;
//  5. the plan file is removed.
//
// ResumeModeSwitch, called when the service starts, re-applies a plan
// file it finds, so an interrupted switch always completes. Creating the
// admin account (before planning) and indexing the moved files in the
// database (library_meta, after applying) belong to multi mode: the
// switch-mode action does both, and multi mode's start-up does them
// again, so an interruption anywhere ends in the same state.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/recap-startos/recap/pkg/atomicfile"

	"gopkg.in/yaml.v3"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/recap"
)

// ModeSwitch is a planned switch: the target mode and the file moves,
// paths relative to DATA.
type ModeSwitch struct {
	From    string `json:"from"`
	To      string `json:"to"`
	AdminID string `json:"admin_id"` // the owner's account id in multi mode
	Moves   []Move `json:"moves"`
}

// Move is one file rename.
type Move struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func modeSwitchPath(dataDir string) string {
	return filepath.Join(dataDir, "start9", "mode-switch.json")
}

// PlanModeSwitch lists the moves that switch the owner's library from one
// layout to the other. adminID names the owner's folder in multi mode.
func PlanModeSwitch(dataDir, from, to, adminID string) (ModeSwitch, error) {
	p := ModeSwitch{From: from, To: to, AdminID: adminID, Moves: []Move{}}
	if err := checkModeSwitch(from, to, adminID); err != nil {
		return p, err
	}
	src, dst := "history", "history/"+adminID
	if to == config.ModeSingle {
		src, dst = dst, src
	}
	des, err := os.ReadDir(filepath.Join(dataDir, filepath.FromSlash(src)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return p, fmt.Errorf("mode switch: %w", err)
	}
	for _, de := range des {
		name := de.Name()
		if !isRecapFile(de) {
			continue
		}
		if exists(filepath.Join(dataDir, filepath.FromSlash(dst), name)) {
			return p, fmt.Errorf("mode switch: %s exists in both %s and %s; move one away first", name, src, dst)
		}
		p.Moves = append(p.Moves, Move{From: src + "/" + name, To: dst + "/" + name})
	}
	sort.Slice(p.Moves, func(i, j int) bool { return p.Moves[i].From < p.Moves[j].From })
	return p, nil
}

// checkModeSwitch refuses a switch that is not single ↔ multi or whose
// admin id cannot be a folder name.
func checkModeSwitch(from, to, adminID string) error {
	if from == to {
		return fmt.Errorf("mode switch: already in %s mode", to)
	}
	if !knownMode(from) || !knownMode(to) {
		return fmt.Errorf("mode switch: %s → %s is not a switch between single and multi", from, to)
	}
	if adminID == "" || strings.ContainsAny(adminID, `/\.`) {
		return fmt.Errorf("mode switch: admin id %q cannot name a folder", adminID)
	}
	return nil
}

func knownMode(mode string) bool { return mode == config.ModeSingle || mode == config.ModeMulti }

// isRecapFile reports whether a history entry is a saved recap
// (ID.json), the only files a switch moves.
func isRecapFile(de fs.DirEntry) bool {
	name := de.Name()
	return de.Type().IsRegular() && strings.HasSuffix(name, ".json") && recap.ValidID(strings.TrimSuffix(name, ".json"))
}

// Apply carries out the switch (see the comment at the top of this file).
func (p ModeSwitch) Apply(dataDir string) error { return p.ApplySteps(dataDir, nil) }

// ApplySteps is Apply calling after (when not nil) once each step is
// done: "journal", "move <from>" for each file, "config". An error from
// after stops the switch there, as a crash would (tests use it).
func (p ModeSwitch) ApplySteps(dataDir string, after func(step string) error) error {
	step := func(name string) error {
		if after == nil {
			return nil
		}
		return after(name)
	}
	journal := modeSwitchPath(dataDir)
	if err := p.writeJournal(journal); err != nil {
		return err
	}
	if err := step("journal"); err != nil {
		return err
	}
	dirs := map[string]bool{}
	for _, m := range p.Moves {
		if err := m.apply(dataDir, dirs); err != nil {
			return err
		}
		if err := step("move " + m.From); err != nil {
			return err
		}
	}
	for d := range dirs {
		_ = atomicfile.SyncDir(d) // best effort: the renames are done either way
	}
	if err := SetConfigMode(dataDir, p.To); err != nil {
		return err
	}
	if err := step("config"); err != nil {
		return err
	}
	if err := os.Remove(journal); err != nil {
		return fmt.Errorf("mode switch: %w", err)
	}
	return nil
}

// writeJournal writes the plan where ResumeModeSwitch finds it.
func (p ModeSwitch) writeJournal(journal string) error {
	raw, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(journal), 0o700); err != nil {
		return fmt.Errorf("mode switch: %w", err)
	}
	if err := atomicfile.Write(journal, raw, 0o600); err != nil {
		return fmt.Errorf("mode switch: %w", err)
	}
	return nil
}

// apply renames one file, unless an earlier run already did, and notes
// the folders it changed in dirs so they can be synced once.
func (m Move) apply(dataDir string, dirs map[string]bool) error {
	from := filepath.Join(dataDir, filepath.FromSlash(m.From))
	to := filepath.Join(dataDir, filepath.FromSlash(m.To))
	if !exists(from) && exists(to) {
		return nil // moved by an earlier run
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return fmt.Errorf("mode switch: %w", err)
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("mode switch: move %s: %w", m.From, err)
	}
	dirs[filepath.Dir(from)], dirs[filepath.Dir(to)] = true, true
	return nil
}

// ResumeModeSwitch completes a switch that was interrupted, if any. It
// reports whether there was one.
func ResumeModeSwitch(dataDir string) (bool, error) {
	raw, err := os.ReadFile(modeSwitchPath(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mode switch: %w", err)
	}
	var p ModeSwitch
	if err := json.Unmarshal(raw, &p); err != nil {
		return false, fmt.Errorf("mode switch: unreadable plan %s: %w", modeSwitchPath(dataDir), err)
	}
	return true, p.Apply(dataDir)
}

// SetConfigMode sets mode.type in DATA/start9/config.yaml, keeping every
// other key, its order and its comments, and writes the file atomically.
// A missing file is created with just the mode.
func SetConfigMode(dataDir, mode string) error {
	path := config.Path(dataDir)
	raw, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("mode switch: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("mode switch: %s: %w", path, err)
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("mode switch: %s is not a YAML mapping", path)
	}
	modeNode := mappingValue(root, "mode")
	if modeNode == nil || modeNode.Kind != yaml.MappingNode {
		if modeNode == nil {
			modeNode = &yaml.Node{Kind: yaml.MappingNode}
			root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "mode"}, modeNode)
		} else {
			*modeNode = yaml.Node{Kind: yaml.MappingNode}
		}
	}
	if t := mappingValue(modeNode, "type"); t != nil {
		*t = yaml.Node{Kind: yaml.ScalarNode, Value: mode, HeadComment: t.HeadComment, LineComment: t.LineComment}
	} else {
		modeNode.Content = append([]*yaml.Node{{Kind: yaml.ScalarNode, Value: "type"}, {Kind: yaml.ScalarNode, Value: mode}}, modeNode.Content...)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("mode switch: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("mode switch: %w", err)
	}
	if err := atomicfile.Write(path, out.Bytes(), 0o600); err != nil {
		return fmt.Errorf("mode switch: %w", err)
	}
	return nil
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
