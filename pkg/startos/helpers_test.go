package startos

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

// saveRecap files a small valid recap in dir's single-mode library.
func saveRecap(t *testing.T, dataDir, id, typ string) {
	t.Helper()
	lib, err := library.Open(filepath.Join(dataDir, "history"), "")
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"We open with the news.", "Then a long talk about fees.", "Questions from listeners.", "Goodbye."}
	units := make([]recap.Unit, len(texts))
	for i, s := range texts {
		units[i] = recap.Unit{I: i, Start: recap.Secs(float64(i * 10)), End: recap.Secs(float64(i*10 + 9)), Text: s}
	}
	topic := func(a, b int) recap.Topic {
		s, e := recap.TopicTimes(units, a, b)
		return recap.Topic{Title: "Part", Start: s, End: e, StartUnit: a, EndUnit: b, Summary: units[a].Text,
			Segments: []recap.Segment{{Start: units[a].Start, Unit: a, Text: units[a].Text}}}
	}
	doc := &recap.Document{
		Version: recap.Version, ID: id, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Source: recap.Source{Type: typ, Title: "Episode " + id, Duration: 40},
		Engine: recap.Engine{Name: recap.EngineBuiltin},
		Title:  "Episode " + id, Summary: "A short episode.", Keywords: []string{"fees"},
		Topics: []recap.Topic{topic(0, 1), topic(2, 3)}, Transcript: units,
		Stats: recap.Stats{Words: 15, Units: len(units)},
	}
	if err := lib.Save(doc); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
