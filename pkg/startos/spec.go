package startos

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Spec is a form in StartOS's config-spec language: the Config page
// (config_spec.yaml) and every action's input-spec use it. Recap reads it
// only to check the package (tests); StartOS renders it.
type Spec map[string]*ValueSpec

// ValueSpec is one field of a Spec. Which keys apply depends on Type.
type ValueSpec struct {
	Type        string `yaml:"type"` // boolean, string, number, enum, list, object, union, pointer
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Warning     string `yaml:"warning"`

	Nullable           *bool     `yaml:"nullable"` // string, number: required
	Default            yaml.Node `yaml:"default"`
	Pattern            string    `yaml:"pattern"`
	PatternDescription string    `yaml:"pattern-description"`
	Masked             bool      `yaml:"masked"`
	Copyable           bool      `yaml:"copyable"`
	Textarea           bool      `yaml:"textarea"`
	Placeholder        string    `yaml:"placeholder"`

	Range    string `yaml:"range"` // number: value range; list: item count
	Integral bool   `yaml:"integral"`
	Units    string `yaml:"units"`

	Values     []string          `yaml:"values"` // enum
	ValueNames map[string]string `yaml:"value-names"`

	Subtype string    `yaml:"subtype"` // list item type; pointer: package
	Spec    yaml.Node `yaml:"spec"`    // object: its fields; list: the item spec

	Tag       yaml.Node       `yaml:"tag"` // union: an id, or {id, name, description, variant-names}
	Variants  map[string]Spec `yaml:"variants"`
	DisplayAs string          `yaml:"display-as"`
	UniqueBy  yaml.Node       `yaml:"unique-by"`

	PackageID string `yaml:"package-id"` // pointer
	Target    string `yaml:"target"`
	Interface string `yaml:"interface"`
	Selector  string `yaml:"selector"`
	Multi     bool   `yaml:"multi"`
}

// UnionTag is a union's tag in its long form.
type UnionTag struct {
	ID           string            `yaml:"id"`
	Name         string            `yaml:"name"`
	Description  string            `yaml:"description"`
	VariantNames map[string]string `yaml:"variant-names"`
}

// ParseSpec decodes a spec strictly: a key the language does not have
// (a typo such as valueNames) is an error.
func ParseSpec(data []byte) (Spec, error) {
	var s Spec
	if err := decodeStrict(data, &s); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	return s, nil
}

func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func decodeNodeStrict(n *yaml.Node, v any) error {
	raw, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	return decodeStrict(raw, v)
}

// ObjectSpec returns an object's nested spec.
func (v *ValueSpec) ObjectSpec() (Spec, error) {
	var s Spec
	if v.Spec.Kind == 0 {
		return nil, fmt.Errorf("object has no spec")
	}
	if err := decodeNodeStrict(&v.Spec, &s); err != nil {
		return nil, err
	}
	return s, nil
}

// UnionTag returns a union's tag, whichever form it was written in.
func (v *ValueSpec) UnionTag() (UnionTag, error) {
	var t UnionTag
	switch v.Tag.Kind {
	case yaml.ScalarNode:
		t.ID = v.Tag.Value
	case yaml.MappingNode:
		if err := decodeNodeStrict(&v.Tag, &t); err != nil {
			return t, err
		}
	default:
		return t, fmt.Errorf("union has no tag")
	}
	if t.ID == "" {
		return t, fmt.Errorf("union tag has no id")
	}
	return t, nil
}

// Keys returns the spec's keys, sorted.
func (s Spec) Keys() []string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Check checks a spec against the grammar of the config-spec language as
// StartOS 0.3.5 parses it, returning every problem found, each naming the
// key path.
func (s Spec) Check() []error {
	var errs []error
	s.check("", &errs)
	return errs
}

var rangePattern = regexp.MustCompile(`^([\[(])\s*(\*|-?\d+(?:\.\d+)?)\s*,\s*(\*|-?\d+(?:\.\d+)?)\s*([\])])$`)

// Range is a parsed range such as "[1,65535]" or "(0,*)".
type Range struct {
	Min, Max         float64
	MinOpen, MaxOpen bool // exclusive bounds
	NoMin, NoMax     bool // "*"
}

// ParseRange parses a range in the config-spec syntax.
func ParseRange(s string) (Range, error) {
	m := rangePattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Range{}, fmt.Errorf("range %q is not like [1,10], (0,*) or [0,1)", s)
	}
	r := Range{MinOpen: m[1] == "(", MaxOpen: m[4] == ")", NoMin: m[2] == "*", NoMax: m[3] == "*"}
	r.Min, _ = strconv.ParseFloat(m[2], 64)
	r.Max, _ = strconv.ParseFloat(m[3], 64)
	if !r.NoMin && !r.NoMax && r.Min > r.Max {
		return Range{}, fmt.Errorf("range %q is empty", s)
	}
	return r, nil
}

// Contains reports whether x is inside the range.
func (r Range) Contains(x float64) bool {
	if !r.NoMin && (x < r.Min || (r.MinOpen && x == r.Min)) {
		return false
	}
	if !r.NoMax && (x > r.Max || (r.MaxOpen && x == r.Max)) {
		return false
	}
	return true
}

func (s Spec) check(prefix string, errs *[]error) {
	for _, key := range s.Keys() {
		v := s[key]
		c := &specCheck{path: prefix + key, errs: errs}
		if v == nil {
			c.bad("empty")
			continue
		}
		if v.Name == "" {
			c.bad("name is required")
		}
		if len(v.Name) > 0 && strings.TrimSpace(v.Name) != v.Name {
			c.bad("name has surrounding spaces")
		}
		check, ok := specCheckers[v.Type]
		if !ok {
			c.bad("type %q is not boolean, string, number, enum, list, object, union or pointer", v.Type)
			continue
		}
		check(c, v)
	}
}

// specCheck collects the problems of one field.
type specCheck struct {
	path string
	errs *[]error
}

func (c *specCheck) bad(format string, args ...any) {
	*c.errs = append(*c.errs, fmt.Errorf("%s: %s", c.path, fmt.Sprintf(format, args...)))
}

// specCheckers holds one grammar check per type.
var specCheckers map[string]func(c *specCheck, v *ValueSpec)

func init() {
	specCheckers = map[string]func(*specCheck, *ValueSpec){
		"boolean": checkBooleanSpec,
		"string":  checkStringSpec,
		"number":  checkNumberSpec,
		"enum":    checkEnumSpec,
		"object":  checkObjectSpec,
		"union":   checkUnionSpec,
		"pointer": checkPointerSpec,
		"list":    checkListSpec,
	}
}

// hasDefault reports whether the field has a default other than null.
func (v *ValueSpec) hasDefault() bool {
	return v.Default.Kind != 0 && v.Default.Tag != "!!null"
}

func checkBooleanSpec(c *specCheck, v *ValueSpec) {
	if !v.hasDefault() || v.Default.Tag != "!!bool" {
		c.bad("a boolean needs a true or false default")
	}
}

func checkStringSpec(c *specCheck, v *ValueSpec) {
	if v.Nullable == nil {
		c.bad("nullable is required for a string")
	}
	if (v.Pattern == "") != (v.PatternDescription == "") {
		c.bad("pattern and pattern-description go together")
	}
	var re *regexp.Regexp
	if v.Pattern != "" {
		var err error
		if re, err = regexp.Compile(v.Pattern); err != nil {
			c.bad("pattern: %v", err)
		}
	}
	if !v.hasDefault() {
		return
	}
	switch v.Default.Kind {
	case yaml.ScalarNode:
		if re != nil && !re.MatchString(v.Default.Value) {
			c.bad("default %q does not match the pattern", v.Default.Value)
		}
	case yaml.MappingNode:
		var e struct {
			Charset string `yaml:"charset"`
			Len     int    `yaml:"len"`
		}
		if err := decodeNodeStrict(&v.Default, &e); err != nil || e.Charset == "" || e.Len < 1 {
			c.bad("an entropy default needs charset and len")
		}
	default:
		c.bad("default must be a string or {charset, len}")
	}
}

func checkNumberSpec(c *specCheck, v *ValueSpec) {
	if v.Nullable == nil {
		c.bad("nullable is required for a number")
	}
	r := Range{NoMin: true, NoMax: true}
	if v.Range != "" {
		var err error
		if r, err = ParseRange(v.Range); err != nil {
			c.bad("%v", err)
		}
	}
	if !v.hasDefault() {
		return
	}
	x, err := strconv.ParseFloat(v.Default.Value, 64)
	switch {
	case v.Default.Kind != yaml.ScalarNode || err != nil:
		c.bad("default %q is not a number", v.Default.Value)
	case !r.Contains(x):
		c.bad("default %v is outside %s", x, v.Range)
	case v.Integral && x != float64(int64(x)):
		c.bad("default %v is not a whole number", x)
	}
}

func checkEnumSpec(c *specCheck, v *ValueSpec) {
	if len(v.Values) == 0 {
		c.bad("an enum needs values")
	}
	if !v.hasDefault() || !slices.Contains(v.Values, v.Default.Value) {
		c.bad("default %q is not one of the values", v.Default.Value)
	}
	for k := range v.ValueNames {
		if !slices.Contains(v.Values, k) {
			c.bad("value-names names %q, which is not a value", k)
		}
	}
}

func checkObjectSpec(c *specCheck, v *ValueSpec) {
	sub, err := v.ObjectSpec()
	if err != nil {
		c.bad("%v", err)
		return
	}
	sub.check(c.path+".", c.errs)
}

func checkUnionSpec(c *specCheck, v *ValueSpec) {
	tag, err := v.UnionTag()
	if err != nil {
		c.bad("%v", err)
		return
	}
	if len(v.Variants) == 0 {
		c.bad("a union needs variants")
	}
	if _, ok := v.Variants[v.Default.Value]; !v.hasDefault() || !ok {
		c.bad("default %q does not name a variant", v.Default.Value)
	}
	for k := range tag.VariantNames {
		if _, ok := v.Variants[k]; !ok {
			c.bad("variant-names names %q, which is not a variant", k)
		}
	}
	for name, variant := range v.Variants {
		if _, clash := variant[tag.ID]; clash {
			c.bad("variant %s has a field named like the tag (%s)", name, tag.ID)
		}
		variant.check(c.path+"."+name+".", c.errs)
	}
}

func checkPointerSpec(c *specCheck, v *ValueSpec) {
	if v.Subtype != "package" {
		c.bad("pointer subtype %q: only package pointers have targets", v.Subtype)
	}
	if v.PackageID == "" {
		c.bad("pointer needs package-id")
	}
	switch v.Target {
	case "tor-address", "lan-address", "tor-key":
		if v.Interface == "" {
			c.bad("pointer to %s needs interface", v.Target)
		}
	case "config":
		if v.Selector == "" {
			c.bad("pointer to config needs selector")
		}
	default:
		c.bad("pointer target %q is not tor-address, lan-address, tor-key or config", v.Target)
	}
}

func checkListSpec(c *specCheck, v *ValueSpec) {
	if v.Subtype == "" {
		c.bad("a list needs a subtype")
	}
	if _, err := ParseRange(v.Range); err != nil {
		c.bad("a list needs an item-count range: %v", err)
	}
	if !v.hasDefault() || v.Default.Kind != yaml.SequenceNode {
		c.bad("a list needs a default list")
	}
}

// Generate builds the config StartOS would save for this spec when every
// field keeps its default. variants picks union variants by key path
// ("mode" → "multi"; unlisted unions take their default); fill supplies
// the values StartOS or the owner would: pointers, and strings and
// numbers without a default (it may return nil for "left empty").
func (s Spec) Generate(variants map[string]string, fill func(path string, v *ValueSpec) any) (map[string]any, error) {
	return generator{variants, fill}.spec("", s)
}

// generator builds default configs: Generate's choices for unions and
// its source of values without a default.
type generator struct {
	variants map[string]string
	fill     func(string, *ValueSpec) any
}

// spec builds the values of every field of s, whose keys lie under
// prefix.
func (g generator) spec(prefix string, s Spec) (map[string]any, error) {
	out := map[string]any{}
	for _, key := range s.Keys() {
		v, err := g.value(prefix+key, s[key])
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
	return out, nil
}

// value builds one field: objects and unions recursively, pointers from
// fill, anything else from its default, or from fill when it has none.
func (g generator) value(path string, v *ValueSpec) (any, error) {
	switch v.Type {
	case "object":
		sub, err := v.ObjectSpec()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return g.spec(path+".", sub)
	case "union":
		return g.union(path, v)
	case "pointer":
		return g.fill(path, v), nil
	case "string":
		if v.hasDefault() && v.Default.Kind == yaml.ScalarNode {
			return v.Default.Value, nil
		}
		return g.fill(path, v), nil
	}
	if !v.hasDefault() {
		return g.fill(path, v), nil
	}
	var x any
	if err := v.Default.Decode(&x); err != nil {
		return nil, fmt.Errorf("%s: default: %w", path, err)
	}
	return x, nil
}

// union builds the chosen (or default) variant with its tag set.
func (g generator) union(path string, v *ValueSpec) (any, error) {
	tag, err := v.UnionTag()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	name := v.Default.Value
	if chosen, ok := g.variants[path]; ok {
		name = chosen
	}
	variant, ok := v.Variants[name]
	if !ok {
		return nil, fmt.Errorf("%s: no variant %q", path, name)
	}
	m, err := g.spec(path+".", variant)
	if err != nil {
		return nil, err
	}
	m[tag.ID] = name
	return m, nil
}
