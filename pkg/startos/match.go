package startos

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Matching a config against a spec, as StartOS 0.3.5 does before it
// accepts a config it did not write itself (after an update whose
// migration answered configured: true, for one): every key of the spec
// is looked up, a missing key reads as null, and null is accepted only
// by a nullable string or number and by a pointer (StartOS fills those).
// Keys the spec does not name are ignored. A union's value is an object
// whose tag names a variant; the variant's spec is matched against the
// object without the tag. A list's length must be in its range and its
// items distinct.

// Matches reports the first way cfg fails the spec, naming the key path
// as StartOS does ("mode.admin-email: …"), or nil when it matches.
func (s Spec) Matches(cfg map[string]any) error {
	return s.matches("", cfg)
}

func (s Spec) matches(prefix string, cfg map[string]any) error {
	for _, key := range s.Keys() {
		if err := s[key].matches(prefix+key, cfg[key]); err != nil {
			return err
		}
	}
	return nil
}

// matchers holds one matcher per type; each gets the key path and the
// value, which is nil when the key is missing or null.
var matchers map[string]func(v *ValueSpec, path string, x any) error

func init() {
	matchers = map[string]func(*ValueSpec, string, any) error{
		"boolean": matchBoolean,
		"string":  matchString,
		"number":  matchNumber,
		"enum":    matchEnum,
		"list":    matchList,
		"object":  matchObject,
		"union":   matchUnion,
		"pointer": func(*ValueSpec, string, any) error { return nil },
	}
}

func (v *ValueSpec) matches(path string, x any) error {
	if v == nil {
		return fmt.Errorf("%s: no spec", path)
	}
	if x == nil && v.Nullable != nil && *v.Nullable && (v.Type == "string" || v.Type == "number") {
		return nil
	}
	m, ok := matchers[v.Type]
	if !ok {
		return fmt.Errorf("%s: type %q cannot be matched", path, v.Type)
	}
	return m(v, path, x)
}

// mismatch describes a value of the wrong type, or a missing one.
func mismatch(path, want string, x any) error {
	if x == nil {
		return fmt.Errorf("%s: missing, and it cannot be empty", path)
	}
	return fmt.Errorf("%s: %v is not a %s", path, x, want)
}

func matchBoolean(_ *ValueSpec, path string, x any) error {
	if _, ok := x.(bool); !ok {
		return mismatch(path, "boolean", x)
	}
	return nil
}

func matchString(v *ValueSpec, path string, x any) error {
	s, ok := x.(string)
	if !ok {
		return mismatch(path, "string", x)
	}
	if v.Pattern == "" {
		return nil
	}
	re, err := regexp.Compile(v.Pattern)
	if err != nil {
		return fmt.Errorf("%s: pattern: %w", path, err)
	}
	if !re.MatchString(s) {
		return fmt.Errorf("%s: %q is not %s", path, s, strings.TrimSuffix(v.PatternDescription, "."))
	}
	return nil
}

func matchNumber(v *ValueSpec, path string, x any) error {
	n, ok := asNumber(x)
	if !ok {
		return mismatch(path, "number", x)
	}
	if v.Integral && n != math.Floor(n) {
		return fmt.Errorf("%s: %v is not a whole number", path, n)
	}
	if v.Range == "" {
		return nil
	}
	r, err := ParseRange(v.Range)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !r.Contains(n) {
		return fmt.Errorf("%s: %v is outside %s", path, n, v.Range)
	}
	return nil
}

// asNumber reads a number as yaml.v3 decodes one into an any.
func asNumber(x any) (float64, bool) {
	switch n := x.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func matchEnum(v *ValueSpec, path string, x any) error {
	s, ok := x.(string)
	if !ok {
		return mismatch(path, "string", x)
	}
	for _, allowed := range v.Values {
		if s == allowed {
			return nil
		}
	}
	return fmt.Errorf("%s: %q is not one of %s", path, s, strings.Join(v.Values, ", "))
}

func matchObject(v *ValueSpec, path string, x any) error {
	m, ok := x.(map[string]any)
	if !ok {
		return mismatch(path, "object", x)
	}
	sub, err := v.ObjectSpec()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return sub.matches(path+".", m)
}

func matchUnion(v *ValueSpec, path string, x any) error {
	m, ok := x.(map[string]any)
	if !ok {
		return mismatch(path, "object", x)
	}
	tag, err := v.UnionTag()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	name, ok := m[tag.ID].(string)
	if !ok {
		return fmt.Errorf("%s: no %s chosen", path, tag.ID)
	}
	variant, ok := v.Variants[name]
	if !ok {
		return fmt.Errorf("%s: %q is not one of its choices", path, name)
	}
	rest := make(map[string]any, len(m))
	for k, val := range m {
		if k != tag.ID {
			rest[k] = val
		}
	}
	return variant.matches(path+".", rest)
}

func matchList(v *ValueSpec, path string, x any) error {
	items, ok := x.([]any)
	if !ok {
		return mismatch(path, "list", x)
	}
	r, err := ParseRange(v.Range)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !r.Contains(float64(len(items))) {
		return fmt.Errorf("%s: %d items, outside %s", path, len(items), v.Range)
	}
	item, uniqueBy, err := v.listItemSpec()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	seen := map[string]bool{}
	for i, it := range items {
		at := path + "." + strconv.Itoa(i)
		if err := item.matches(at, it); err != nil {
			return err
		}
		key, shown := fmt.Sprintf("%T:%v", it, it), it
		if m, ok := it.(map[string]any); ok {
			if uniqueBy == "" {
				continue
			}
			key, shown = fmt.Sprintf("%v", m[uniqueBy]), m[uniqueBy]
		}
		if seen[key] {
			return fmt.Errorf("%s: %v appears twice", at, shown)
		}
		seen[key] = true
	}
	return nil
}

// listItemSpec returns the spec of a list's items. Lists of strings,
// numbers and enums (compared by value) and lists of objects (the
// credit packs; compared by their unique-by field) are read: the kinds
// Recap's forms use. uniqueBy is the field that tells objects apart
// ("" for other lists, and for objects without a one-field unique-by).
func (v *ValueSpec) listItemSpec() (item *ValueSpec, uniqueBy string, err error) {
	switch v.Subtype {
	case "string", "number", "enum":
	case "object":
		var obj struct {
			Spec      yaml.Node `yaml:"spec"`
			DisplayAs string    `yaml:"display-as"`
			UniqueBy  yaml.Node `yaml:"unique-by"`
		}
		if err := decodeNodeStrict(&v.Spec, &obj); err != nil {
			return nil, "", fmt.Errorf("list item spec: %w", err)
		}
		if obj.UniqueBy.Kind == yaml.ScalarNode {
			uniqueBy = obj.UniqueBy.Value
		}
		return &ValueSpec{Type: "object", Spec: obj.Spec}, uniqueBy, nil
	default:
		return nil, "", fmt.Errorf("a list of %s cannot be matched", v.Subtype)
	}
	item = &ValueSpec{Type: v.Subtype, Nullable: new(bool)}
	if v.Spec.Kind == 0 {
		return item, "", nil
	}
	var fields struct {
		Pattern            string            `yaml:"pattern"`
		PatternDescription string            `yaml:"pattern-description"`
		Range              string            `yaml:"range"`
		Integral           bool              `yaml:"integral"`
		Units              string            `yaml:"units"`
		Values             []string          `yaml:"values"`
		ValueNames         map[string]string `yaml:"value-names"`
		Placeholder        string            `yaml:"placeholder"`
		Masked             bool              `yaml:"masked"`
		Copyable           bool              `yaml:"copyable"`
	}
	if err := decodeNodeStrict(&v.Spec, &fields); err != nil {
		return nil, "", fmt.Errorf("list item spec: %w", err)
	}
	item.Pattern, item.PatternDescription = fields.Pattern, fields.PatternDescription
	item.Range, item.Integral, item.Values = fields.Range, fields.Integral, fields.Values
	return item, "", nil
}

// FillDefaults adds to cfg, in place, the default of every key the spec
// would refuse as missing: booleans, enums, lists, and strings and
// numbers that cannot be empty but have a default; objects and unions
// are filled key by key (a missing union takes its default variant). It
// leaves alone what is there, keys that may stay empty, pointers (StartOS
// fills them) and required strings without a default (only the owner
// can give those). It returns the key paths it added.
func (s Spec) FillDefaults(cfg map[string]any) ([]string, error) {
	var added []string
	err := s.fill("", cfg, &added)
	return added, err
}

func (s Spec) fill(prefix string, cfg map[string]any, added *[]string) error {
	for _, key := range s.Keys() {
		v, path := s[key], prefix+key
		switch x := cfg[key].(type) {
		case nil:
			val, ok, err := v.defaultValue(path, added)
			if err != nil {
				return err
			}
			if ok {
				cfg[key] = val
				*added = append(*added, path)
			}
		case map[string]any:
			if err := v.fillInside(path, x, added); err != nil {
				return err
			}
		}
	}
	return nil
}

// fillInside fills the missing keys of an object or of a union whose
// tag names a variant.
func (v *ValueSpec) fillInside(path string, m map[string]any, added *[]string) error {
	switch v.Type {
	case "object":
		sub, err := v.ObjectSpec()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return sub.fill(path+".", m, added)
	case "union":
		tag, err := v.UnionTag()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		name, _ := m[tag.ID].(string)
		if variant, ok := v.Variants[name]; ok {
			return variant.fill(path+".", m, added)
		}
	}
	return nil
}

// defaultValue is what a missing key gets, and whether it gets one.
func (v *ValueSpec) defaultValue(path string, added *[]string) (any, bool, error) {
	if v.Nullable != nil && *v.Nullable {
		return nil, false, nil
	}
	switch v.Type {
	case "object":
		m := map[string]any{}
		return m, true, v.fillInside(path, m, added)
	case "union":
		tag, err := v.UnionTag()
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		m := map[string]any{tag.ID: v.Default.Value}
		return m, true, v.fillInside(path, m, added)
	case "pointer":
		return nil, false, nil
	}
	if !v.hasDefault() || v.Default.Kind == yaml.MappingNode { // none, or entropy: the owner's to give
		return nil, false, nil
	}
	var x any
	if err := v.Default.Decode(&x); err != nil {
		return nil, false, fmt.Errorf("%s: default: %w", path, err)
	}
	return x, true, nil
}
