package startos

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestPropertiesRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	want := Properties{Mode: "single", Version: "0.3.0", LANURL: "https://abc.local", TorURL: "http://abc.onion", InitialPassword: "s3cret", Recaps: 7}
	if err := WriteProperties(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadProperties(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("read back %+v, want %+v", got, want)
	}
	multi := Properties{Mode: "multi", Version: "0.3.0", Recaps: 3, Users: "4", CreditsSpent: "12", PaidUsers: "2 Pro, 1 Max"}
	if err := WriteProperties(dir, multi); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadProperties(dir); err != nil || got != multi {
		t.Fatalf("multi mode read back %+v %v, want %+v", got, err, multi)
	}
	if err := WriteProperties(dir, Properties{Mode: "single", Version: "0.3.0"}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(StatsPath(dir))
	if strings.Contains(string(raw), "s3cret") || strings.Contains(string(raw), labelPassword) {
		t.Fatalf("changed password still shown:\n%s", raw)
	}
}

func TestPropertiesShape(t *testing.T) {
	t.Parallel()
	raw, err := Properties{Mode: "single", Version: "0.3.0", TorURL: "http://abc.onion", InitialPassword: "pw", Recaps: 0}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// The StartOS UI reads version 2: {version: 2, data: {label: {type: string, value, …}}}.
	var doc struct {
		Version int                       `yaml:"version"`
		Data    map[string]map[string]any `yaml:"data"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != 2 {
		t.Fatalf("version = %d", doc.Version)
	}
	for label, e := range doc.Data {
		if e["type"] != "string" {
			t.Errorf("%s: type %v", label, e["type"])
		}
		if _, ok := e["value"].(string); !ok {
			t.Errorf("%s: value %T is not a string", label, e["value"])
		}
	}
	pw := doc.Data[labelPassword]
	if pw["masked"] != true || pw["copyable"] != true {
		t.Errorf("password entry %v is not masked and copyable", pw)
	}
	if doc.Data[labelRecaps]["value"] != "0" {
		t.Errorf("recap count %v", doc.Data[labelRecaps])
	}
	if _, ok := doc.Data[labelLAN]; ok {
		t.Errorf("empty LAN address shown")
	}
	if i, j := strings.Index(string(raw), labelMode), strings.Index(string(raw), labelRecaps); i > j {
		t.Errorf("entries out of page order:\n%s", raw)
	}
}

func TestReadPropertiesMissing(t *testing.T) {
	t.Parallel()
	p, err := ReadProperties(t.TempDir())
	if err != nil || p != (Properties{}) {
		t.Fatalf("missing file: %+v, %v", p, err)
	}
}
