package startos

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/recap-startos/recap/pkg/config"
)

const compatDir = "../../startos/assets/compat"

func loadSpec(t *testing.T) Spec {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(compatDir, "config_spec.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := ParseSpec(raw)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func loadRules(t *testing.T) []ConfigRule {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(compatDir, "config_rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := ParseRules(raw)
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

func TestConfigSpecGrammar(t *testing.T) {
	t.Parallel()
	for _, err := range loadSpec(t).Check() {
		t.Error(err)
	}
}

func TestSpecCheckCatchesMistakes(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"name is required":            "a:\n  type: boolean\n  default: true\n",
		"boolean needs":               "a:\n  type: boolean\n  name: A\n",
		"nullable is required":        "a:\n  type: string\n  name: A\n",
		"pattern and pattern-desc":    "a:\n  type: string\n  name: A\n  nullable: true\n  pattern: x\n",
		"does not match the pattern":  "a:\n  type: string\n  name: A\n  nullable: false\n  default: b\n  pattern: '^a$'\n  pattern-description: an a\n",
		"is outside":                  "a:\n  type: number\n  name: A\n  nullable: false\n  range: '[1,5]'\n  default: 9\n",
		"not a whole number":          "a:\n  type: number\n  name: A\n  nullable: false\n  integral: true\n  default: 1.5\n",
		"not one of the values":       "a:\n  type: enum\n  name: A\n  values: [x, y]\n  default: z\n",
		"does not name a variant":     "a:\n  type: union\n  name: A\n  tag: type\n  default: c\n  variants:\n    b: {}\n",
		"named like the tag":          "a:\n  type: union\n  name: A\n  tag: type\n  default: b\n  variants:\n    b:\n      type:\n        type: boolean\n        name: T\n        default: true\n",
		"needs interface":             "a:\n  type: pointer\n  name: A\n  subtype: package\n  package-id: recap\n  target: tor-address\n",
		"is not boolean, string":      "a:\n  type: text\n  name: A\n",
		"a.b: nullable is required":   "a:\n  type: object\n  name: A\n  spec:\n    b:\n      type: string\n      name: B\n",
		"a.x.b: nullable is required": "a:\n  type: union\n  name: A\n  tag: {id: type, name: T}\n  default: x\n  variants:\n    x:\n      b:\n        type: number\n        name: B\n",
	}
	for want, src := range cases {
		t.Run(want, func(t *testing.T) {
			spec, err := ParseSpec([]byte(src))
			if err != nil {
				t.Fatal(err)
			}
			errs := fmt.Sprint(spec.Check())
			if !strings.Contains(errs, want) {
				t.Fatalf("errors %s, want one containing %q", errs, want)
			}
		})
	}
	if _, err := ParseSpec([]byte("a:\n  type: enum\n  name: A\n  valueNames: {}\n")); err == nil {
		t.Error("unknown spec key accepted")
	}
}

// sample supplies what StartOS or the owner would fill in: the pointer
// addresses and the strings without a default (every field is given a
// value, so every key shows up on both sides).
func sample(path string, v *ValueSpec) any {
	switch path {
	case "tor-address":
		return "abcdefghijklmnop.onion"
	case "lan-address":
		return "abcdefghijklmnop.local"
	case "mode.admin-email":
		return "owner@example.org"
	case "mode.public-url":
		return "https://recap.example.org"
	case "smtp.host":
		return "smtp.example.org"
	case "smtp.username":
		return "recap"
	case "smtp.password":
		return "hunter2"
	case "smtp.from":
		return "recap@example.org"
	case "engine.base-url":
		return "http://llama.embassy:8080/v1"
	case "engine.api-key":
		return "sk-test"
	case "engine.model":
		return "llama3.1:8b"
	case "relay.url":
		return "https://relay.example.org"
	case "relay.license":
		return "rly1_testkey"
	case "payments.btcpay.url":
		return "http://btcpayserver.embassy"
	case "payments.btcpay.api-key":
		return "btcpay-key"
	case "payments.btcpay.store-id":
		return "StoreId1"
	case "payments.btcpay.webhook-secret":
		return "whsec"
	case "payments.zaprite.api-key":
		return "zaprite-key"
	case "advanced.yt-dlp-path":
		return "/usr/local/bin/yt-dlp"
	}
	panic("no sample value for " + path)
}

// keyPaths lists every key of a decoded YAML document, as a.b.c.
func keyPaths(v any, prefix string, out *[]string) {
	if m, ok := v.(map[string]any); ok {
		for k, sub := range m {
			*out = append(*out, prefix+k)
			keyPaths(sub, prefix+k+".", out)
		}
	}
	sort.Strings(*out)
}

// variantSets lists the union choices to generate: the defaults, then
// each variant of each union.
func variantSets(spec Spec) []map[string]string {
	sets := []map[string]string{{}}
	var walk func(s Spec, prefix string)
	walk = func(s Spec, prefix string) {
		for _, k := range s.Keys() {
			v := s[k]
			switch v.Type {
			case "union":
				for name, variant := range v.Variants {
					sets = append(sets, map[string]string{prefix + k: name})
					walk(variant, prefix+k+".")
				}
			case "object":
				sub, _ := v.ObjectSpec()
				walk(sub, prefix+k+".")
			}
		}
	}
	walk(spec, "")
	// Multi mode cannot work without mail: pair it with the custom server
	// (the rules and config.Validate refuse it alone; tested below).
	for _, s := range sets {
		if s["mode"] == config.ModeMulti {
			s["smtp"] = "custom"
		}
	}
	return sets
}

// TestConfigStructAgreesWithSpec generates configs from the spec (defaults
// and every union variant), loads each with pkg/config, and compares the
// keys each side knows.
func TestConfigStructAgreesWithSpec(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	rules := loadRules(t)
	for _, variants := range variantSets(spec) {
		t.Run(fmt.Sprint(variants), func(t *testing.T) {
			gen, err := spec.Generate(variants, sample)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := yaml.Marshal(gen)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rules {
				if ok, err := r.Holds(gen); err != nil || !ok {
					t.Errorf("rule %q refuses the spec's own config: %v", r.Rule, err)
				}
			}
			data := t.TempDir()
			writeFile(t, config.Path(data), string(raw))
			c, err := config.Load(data)
			if err != nil {
				t.Fatalf("pkg/config refuses a config generated from the spec: %v\n%s", err, raw)
			}
			back, err := c.YAML()
			if err != nil {
				t.Fatal(err)
			}
			var round map[string]any
			if err := yaml.Unmarshal(back, &round); err != nil {
				t.Fatal(err)
			}
			var specKeys, goKeys []string
			keyPaths(gen, "", &specKeys)
			keyPaths(round, "", &goKeys)
			if strings.Join(specKeys, " ") != strings.Join(goKeys, " ") {
				t.Fatalf("keys differ\nspec: %v\n  go: %v", specKeys, goKeys)
			}
			// Defaults agree too: the values the spec writes are the ones
			// pkg/config would assume when the key is absent.
			for _, p := range specKeys {
				if a, b := fmt.Sprint(lookup(gen, strings.Split(p, "."))), fmt.Sprint(lookup(round, strings.Split(p, "."))); !strings.HasPrefix(a, "map[") && a != b {
					t.Errorf("%s: spec writes %s, pkg/config reads %s", p, a, b)
				}
			}
		})
	}
}

// TestRulesAgreeWithValidate feeds the same configs to the Config page's
// rules and to config.Validate: both accept or both refuse.
func TestRulesAgreeWithValidate(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	rules := loadRules(t)
	cases := []struct {
		name     string
		variants map[string]string
		edit     func(c map[string]any)
		ok       bool
	}{
		{"defaults", nil, nil, true},
		{"multi without mail", map[string]string{"mode": "multi"}, nil, false},
		{"multi with mail", map[string]string{"mode": "multi", "smtp": "custom"}, nil, true},
		{"username without password", map[string]string{"smtp": "custom"}, func(c map[string]any) { sub(c, "smtp")["password"] = nil }, false},
		{"no sign-in at all", map[string]string{"smtp": "custom"}, func(c map[string]any) {
			sub(c, "smtp")["password"] = nil
			sub(c, "smtp")["username"] = nil
		}, true},
		{"password in clear", map[string]string{"smtp": "custom"}, func(c map[string]any) { sub(c, "smtp")["security"] = "none" }, false},
		{"unencrypted without sign-in", map[string]string{"smtp": "custom"}, func(c map[string]any) {
			sub(c, "smtp")["security"] = "none"
			sub(c, "smtp")["username"] = nil
			sub(c, "smtp")["password"] = nil
		}, true},
		{"btcpay without its key", nil, func(c map[string]any) { sub(sub(c, "payments"), "btcpay")["api-key"] = nil }, false},
		{"btcpay without its secret", nil, func(c map[string]any) { sub(sub(c, "payments"), "btcpay")["webhook-secret"] = nil }, false},
		{"no btcpay", nil, func(c map[string]any) {
			for _, k := range []string{"url", "api-key", "store-id", "webhook-secret"} {
				sub(sub(c, "payments"), "btcpay")[k] = nil
			}
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gen, err := spec.Generate(tc.variants, sample)
			if err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				tc.edit(gen)
			}
			rulesOK := true
			for _, r := range rules {
				ok, err := r.Holds(gen)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					rulesOK = false
				}
			}
			raw, _ := yaml.Marshal(gen)
			_, err = config.Parse(raw)
			if err == nil {
				c, _ := config.Parse(raw)
				err = c.Validate()
			}
			if rulesOK != tc.ok || (err == nil) != tc.ok {
				t.Fatalf("rules accept %v, config.Validate error %v; want accepted %v", rulesOK, err, tc.ok)
			}
		})
	}
}

func sub(c map[string]any, key string) map[string]any { return c[key].(map[string]any) }

func TestRuleLanguage(t *testing.T) {
	t.Parallel()
	cfg := map[string]any{"a": map[string]any{"s": "x", "n": 3, "t": true, "f": false}}
	cases := map[string]bool{
		`'a.s = "x"`:                   true,
		`'a.s != "x"`:                  false,
		`'a.missing = "x"`:             false,
		`'a.missing != "x"`:            true,
		`a.t?`:                         true,
		`a.f?`:                         false,
		`a.missing?`:                   false,
		`!(a.t?)`:                      false,
		`#a.n >= 3`:                    true,
		`#a.n < 3`:                     false,
		`a.f? OR a.t? AND a.f?`:        false,
		`(a.f? OR a.t?) AND a.t?`:      true,
		`a.t? XOR a.t?`:                false,
		`'a.s = "y" OR #a.missing = 1`: false, // errors below: missing number
	}
	for src, want := range cases {
		got, err := ConfigRule{Rule: src}.Holds(cfg)
		if strings.Contains(src, "#a.missing") {
			if err == nil {
				t.Errorf("%s: a missing number should be an error", src)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", src, got, err, want)
		}
	}
	for _, bad := range []string{`a.s`, `'a.s =`, `("x" = "x"`, `'a.s = "x" junk`} {
		if _, err := parseRule(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
