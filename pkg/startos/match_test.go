package startos

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/recap-startos/recap/pkg/config"
)

// TestConfigPageCopiesAreThePackage keeps the spec and rules built into
// the binary identical to the ones the package ships.
func TestConfigPageCopiesAreThePackage(t *testing.T) {
	t.Parallel()
	for name, embedded := range map[string][]byte{"config_spec.yaml": configSpecYAML, "config_rules.yaml": configRulesYAML} {
		shipped, err := os.ReadFile(filepath.Join(compatDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(shipped, embedded) {
			t.Errorf("pkg/startos/compat/%s differs from startos/assets/compat/%s: copy the package's file over it", name, name)
		}
	}
	if _, _, err := ConfigPage(); err != nil {
		t.Fatal(err)
	}
}

// TestSpecMatches holds Matches to StartOS 0.3.5's rules for each kind.
func TestSpecMatches(t *testing.T) {
	t.Parallel()
	spec, err := ParseSpec([]byte(`
ptr: {type: pointer, name: P, subtype: package, package-id: recap, target: tor-address, interface: main}
flag: {type: boolean, name: F, default: false}
note: {type: string, name: N, nullable: true}
email: {type: string, name: E, nullable: false, pattern: '^[^@]+@[^@]+$', pattern-description: An email address.}
count: {type: number, name: C, nullable: false, integral: true, range: '[1,10]', default: 2}
level: {type: enum, name: L, values: [info, debug], default: info}
nets: {type: list, subtype: string, name: N, range: '[0,2]', default: [], spec: {pattern: '^[0-9./]+$', pattern-description: A network.}}
box:
  type: object
  name: B
  spec:
    inner: {type: boolean, name: I, default: true}
mode:
  type: union
  name: M
  default: single
  tag: {id: type, name: T}
  variants:
    single: {}
    multi:
      admin: {type: string, name: A, nullable: false}
`))
	if err != nil {
		t.Fatal(err)
	}
	good := func() map[string]any {
		return map[string]any{
			"flag": true, "email": "a@b", "count": 3, "level": "debug", "nets": []any{"10.0.0.0/8"},
			"box": map[string]any{"inner": false}, "mode": map[string]any{"type": "single"},
			"unknown": "ignored, as StartOS does",
		}
	}
	cases := []struct {
		name string
		edit func(c map[string]any)
		want string // part of the error, "" for a match
	}{
		{"matches", func(map[string]any) {}, ""},
		{"nullable string and pointer may be null", func(c map[string]any) { c["note"], c["ptr"] = nil, nil }, ""},
		{"whole float", func(c map[string]any) { c["count"] = 4.0 }, ""},
		{"multi with its field", func(c map[string]any) { c["mode"] = map[string]any{"type": "multi", "admin": "x"} }, ""},
		{"missing boolean", func(c map[string]any) { delete(c, "flag") }, "flag: missing"},
		{"missing object", func(c map[string]any) { delete(c, "box") }, "box: missing"},
		{"missing union", func(c map[string]any) { delete(c, "mode") }, "mode: missing"},
		{"missing key inside an object", func(c map[string]any) { c["box"] = map[string]any{} }, "box.inner: missing"},
		{"missing required string", func(c map[string]any) { delete(c, "email") }, "email: missing"},
		{"string against its pattern", func(c map[string]any) { c["email"] = "nope" }, `email: "nope" is not An email address`},
		{"number of the wrong type", func(c map[string]any) { c["count"] = "3" }, "count: 3 is not a number"},
		{"number out of range", func(c map[string]any) { c["count"] = 11 }, "outside [1,10]"},
		{"fraction", func(c map[string]any) { c["count"] = 2.5 }, "not a whole number"},
		{"enum value", func(c map[string]any) { c["level"] = "trace" }, `"trace" is not one of info, debug`},
		{"union without its tag", func(c map[string]any) { c["mode"] = map[string]any{} }, "mode: no type chosen"},
		{"union with an unknown variant", func(c map[string]any) { c["mode"] = map[string]any{"type": "team"} }, `"team" is not one of its choices`},
		{"variant's required field", func(c map[string]any) { c["mode"] = map[string]any{"type": "multi"} }, "mode.admin: missing"},
		{"list too long", func(c map[string]any) { c["nets"] = []any{"1", "2", "3"} }, "3 items, outside [0,2]"},
		{"list item pattern", func(c map[string]any) { c["nets"] = []any{"x"} }, `nets.0: "x" is not A network`},
		{"list items distinct", func(c map[string]any) { c["nets"] = []any{"1", "1"} }, "nets.1: 1 appears twice"},
		{"list of the wrong type", func(c map[string]any) { c["nets"] = "10.0.0.0/8" }, "is not a list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := good()
			tc.edit(c)
			err := spec.Matches(c)
			if tc.want == "" && err != nil {
				t.Fatalf("Matches = %v, want a match", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Matches = %v, want an error containing %q", err, tc.want)
			}
		})
	}

	t.Run("fill defaults", func(t *testing.T) {
		c := map[string]any{"email": "a@b", "box": map[string]any{}}
		added, err := spec.FillDefaults(c)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"box.inner", "count", "flag", "level", "mode", "nets"}
		if fmt.Sprint(added) != fmt.Sprint(want) {
			t.Errorf("added %v, want %v", added, want)
		}
		if err := spec.Matches(c); err != nil {
			t.Fatalf("filled config does not match: %v", err)
		}
		if c["mode"].(map[string]any)["type"] != "single" || c["count"] != 2 || c["note"] != nil {
			t.Errorf("filled %v", c)
		}
		// A required string without a default stays missing: only the
		// owner can give it.
		c = map[string]any{"mode": map[string]any{"type": "multi"}}
		if _, err := spec.FillDefaults(c); err != nil {
			t.Fatal(err)
		}
		if err := spec.Matches(c); err == nil || !strings.Contains(err.Error(), "email: missing") {
			t.Errorf("Matches after filling = %v, want email missing", err)
		}
		if _, ok := c["mode"].(map[string]any)["admin"]; ok {
			t.Error("a required string without a default was invented")
		}
	})
}

// TestMigrateEveryEarlierConfig runs the from-migration on config.yaml as
// every earlier Config page saved it (testdata/configs) and on the short
// hand-written shapes: each comes out configured, and what it leaves
// passes today's spec as StartOS matches it, its rules and Recap's own
// loading, with every value the owner had kept.
func TestMigrateEveryEarlierConfig(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "configs", "*.yaml"))
	if err != nil || len(files) < 20 {
		t.Fatalf("earlier configs: %v, %v", files, err)
	}
	shapes := map[string]string{
		"only the mode":          "mode:\n  type: single\n",
		"multi, no engine":       "mode:\n  type: multi\n  admin-email: owner@example.org\nsmtp:\n  type: custom\n  host: smtp.example.org\n  port: 465\n  security: tls\n  from: recap@example.org\n",
		"pointers and mode only": "tor-address: abc.onion\nlan-address: abc.local\nmode:\n  type: single\n",
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		shapes[filepath.Base(f)] = string(raw)
	}
	spec, rules, err := ConfigPage()
	if err != nil {
		t.Fatal(err)
	}
	for name, old := range shapes {
		t.Run(name, func(t *testing.T) {
			data := t.TempDir()
			writeFile(t, config.Path(data), old)
			res, err := Migrate(data, MigrateFrom, Version{0, 3, 0, 0}, Version{0, 3, 1, 0})
			if err != nil || !res.Configured {
				t.Fatalf("Migrate = %+v, %v; want configured", res, err)
			}
			now := readFile(t, config.Path(data))
			cfg, err := ConfigFromYAML([]byte(now))
			if err != nil {
				t.Fatal(err)
			}
			if err := spec.Matches(cfg); err != nil {
				t.Errorf("StartOS would refuse the migrated config: %v\n%s", err, now)
			}
			for _, r := range rules {
				if ok, err := r.Holds(cfg); !ok || err != nil {
					t.Errorf("rule %q refuses the migrated config: %v", r.Rule, err)
				}
			}
			if _, err := config.Load(data); err != nil {
				t.Errorf("Recap refuses the migrated config: %v", err)
			}
			var before map[string]any
			if err := yaml.Unmarshal([]byte(old), &before); err != nil {
				t.Fatal(err)
			}
			assertKept(t, "", before, cfg)
			if res.Added != nil && now == old {
				t.Error("keys reported added, file unchanged")
			}
			// A second run finds nothing more to add.
			again, err := Migrate(data, MigrateFrom, Version{0, 3, 0, 0}, Version{0, 3, 1, 0})
			if err != nil || !again.Configured || len(again.Added) != 0 || readFile(t, config.Path(data)) != now {
				t.Errorf("second run: %+v, %v", again, err)
			}
		})
	}

	// The configs that were incomplete did not match as they were: without
	// the keys written in, StartOS would have refused them after a
	// configured: true.
	for _, name := range []string{"only the mode", "01-135ef5b-defaults.yaml", "07-67f4aa3-multi.yaml"} {
		cfg, err := ConfigFromYAML([]byte(shapes[name]))
		if err != nil {
			t.Fatal(err)
		}
		if err := spec.Matches(cfg); err == nil {
			t.Errorf("%s matches today's spec as it is; the test proves nothing with it", name)
		}
	}
}

// assertKept fails when a value the old config had is gone or changed.
func assertKept(t *testing.T, prefix string, old, now map[string]any) {
	t.Helper()
	for k, v := range old {
		if sub, ok := v.(map[string]any); ok {
			if nowSub, ok := now[k].(map[string]any); ok {
				assertKept(t, prefix+k+".", sub, nowSub)
				continue
			}
		}
		if !reflect.DeepEqual(now[k], v) {
			t.Errorf("%s%s was %v, is %v", prefix, k, v, now[k])
		}
	}
}

// TestMigrateLeavesWhatNeedsReview checks the configs the owner must
// review: the answer is false, with the reason, and config.yaml is left
// byte for byte.
func TestMigrateLeavesWhatNeedsReview(t *testing.T) {
	t.Parallel()
	cases := map[string]struct{ config, reason string }{
		"the earlier Recap's shape": {"mode:\n  type: single\nemail:\n  enabled: \"false\"\n", `unknown key "email"`},
		"a newer version's key":     {"mode:\n  type: single\nfuture: 1\n", `unknown key "future"`},
		"multi without mail":        {"mode:\n  type: multi\n  admin-email: owner@example.org\n", "Set Email (SMTP)"},
		"multi without its admin":   {"mode:\n  type: multi\nsmtp:\n  type: custom\n  host: h.example.org\n  from: r@example.org\n", "mode.admin-email: missing"},
		"a value of the wrong type": {"mode:\n  type: single\nadvanced:\n  job-concurrency: many\n", "advanced.job-concurrency: many is not a number"},
		"an unknown variant":        {"mode:\n  type: team\n", `mode: "team" is not one of its choices`},
		"not YAML":                  {"mode: [\n", "not YAML"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			data := t.TempDir()
			writeFile(t, config.Path(data), tc.config)
			res, err := Migrate(data, MigrateFrom, Version{0, 3, 0, 0}, Version{0, 3, 1, 0})
			if err != nil || res.Configured || !strings.Contains(res.Reason, tc.reason) {
				t.Fatalf("Migrate = %+v, %v; want not configured because %q", res, err, tc.reason)
			}
			if got := readFile(t, config.Path(data)); got != tc.config {
				t.Fatalf("config.yaml changed:\n%s", got)
			}
		})
	}
}

// TestPacksMatch: the credit packs are the Config page's one list of
// objects; StartOS checks each pack's fields and tells packs apart by id.
func TestPacksMatch(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	gen, err := spec.Generate(nil, sample)
	if err != nil {
		t.Fatal(err)
	}
	pack := func(id string, credits any) map[string]any {
		return map[string]any{"id": id, "credits": credits, "sats": 1000, "fiat": 0}
	}
	cases := []struct {
		name  string
		packs []any
		want  string
	}{
		{"none", []any{}, ""},
		{"two", []any{pack("credits-100", 100), pack("credits-500", 500)}, ""},
		{"same id twice", []any{pack("a", 1), pack("a", 2)}, "payments.packs.1: a appears twice"},
		{"no credits", []any{pack("a", 0)}, "payments.packs.0.credits"},
		{"bad id", []any{pack("Big Pack", 5)}, "payments.packs.0.id"},
		{"credits missing", []any{map[string]any{"id": "a", "sats": 1, "fiat": 1}}, "payments.packs.0.credits: missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sub(gen, "payments")["packs"] = tc.packs
			err := spec.Matches(gen)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Matches = %v, want %q", err, tc.want)
			}
		})
	}
}
