package startos

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/config"
)

func TestSetConfigModeKeepsEverythingElse(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	orig := "# my notes\ntor-address: abc.onion\nmode:\n  type: single # chosen on day one\n  admin-email: owner@example.org\nsmtp:\n  type: custom\n  host: smtp.example.org\n  from: recap@example.org\n  password: hunter2\nadvanced:\n  job-concurrency: 4\n"
	writeFile(t, config.Path(data), orig)
	if err := SetConfigMode(data, config.ModeMulti); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, config.Path(data))
	want := strings.Replace(orig, "type: single", "type: multi", 1)
	if got != want {
		t.Fatalf("rewritten config:\n%s\nwant:\n%s", got, want)
	}
	c, err := config.Load(data)
	if err != nil || c.Mode.Type != config.ModeMulti || c.Advanced.JobConcurrency != 4 {
		t.Fatalf("load after rewrite: %+v, %v", c, err)
	}

	empty := t.TempDir()
	if err := SetConfigMode(empty, config.ModeSingle); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, config.Path(empty)); got != "mode:\n  type: single\n" {
		t.Fatalf("new config = %q", got)
	}
}

func TestModeSwitchMovesAndResumes(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	ids := []string{"20260102-030405-aaaaaaaa", "20260102-030405-bbbbbbbb", "20260102-030405-cccccccc"}
	for _, id := range ids {
		saveRecap(t, data, id, "youtube")
	}
	writeFile(t, config.Path(data), "mode:\n  type: single\n")
	plan, err := PlanModeSwitch(data, config.ModeSingle, config.ModeMulti, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Moves) != 3 || plan.Moves[0].To != "history/u1/"+ids[0]+".json" {
		t.Fatalf("plan = %+v", plan)
	}
	// Crash after the plan was written and one file moved.
	os.MkdirAll(filepath.Join(data, "history", "u1"), 0o700)
	os.Rename(filepath.Join(data, "history", ids[0]+".json"), filepath.Join(data, "history", "u1", ids[0]+".json"))
	raw, _ := json.Marshal(plan)
	writeFile(t, modeSwitchPath(data), string(raw))

	resumed, err := ResumeModeSwitch(data)
	if err != nil || !resumed {
		t.Fatalf("resume: %v, %v", resumed, err)
	}
	for _, id := range ids {
		if !exists(filepath.Join(data, "history", "u1", id+".json")) || exists(filepath.Join(data, "history", id+".json")) {
			t.Errorf("%s not moved", id)
		}
	}
	if exists(modeSwitchPath(data)) {
		t.Error("plan left behind")
	}
	if !strings.Contains(readFile(t, config.Path(data)), "type: multi") {
		t.Error("config not switched")
	}
	if again, err := ResumeModeSwitch(data); again || err != nil {
		t.Fatalf("second resume: %v, %v", again, err)
	}

	// And back.
	back, err := PlanModeSwitch(data, config.ModeMulti, config.ModeSingle, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Apply(data); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if !exists(filepath.Join(data, "history", id+".json")) {
			t.Errorf("%s not moved back", id)
		}
	}
}

func TestPlanModeSwitchRefuses(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	saveRecap(t, data, "20260102-030405-aaaaaaaa", "youtube")
	writeFile(t, filepath.Join(data, "history", "u1", "20260102-030405-aaaaaaaa.json"), "{}")
	cases := map[string][3]string{
		"already":     {config.ModeSingle, config.ModeSingle, "u1"},
		"bad mode":    {config.ModeSingle, "double", "u1"},
		"bad admin":   {config.ModeSingle, config.ModeMulti, "../x"},
		"both places": {config.ModeSingle, config.ModeMulti, "u1"},
	}
	for name, c := range cases {
		if _, err := PlanModeSwitch(data, c[0], c[1], c[2]); err == nil {
			t.Errorf("%s: planned", name)
		}
	}
}
