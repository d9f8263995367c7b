package startos

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// ConfigRule is one entry of config_rules.yaml: an expression that must
// hold for the Config page to save, and the message shown when it does
// not.
type ConfigRule struct {
	Rule        string `yaml:"rule"`
	Description string `yaml:"description"`
}

// ParseRules decodes config_rules.yaml and checks that every expression
// parses.
func ParseRules(data []byte) ([]ConfigRule, error) {
	var rules []ConfigRule
	if err := decodeStrict(data, &rules); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	for i, r := range rules {
		if r.Description == "" {
			return nil, fmt.Errorf("rules: rule %d has no description", i+1)
		}
		if _, err := parseRule(r.Rule); err != nil {
			return nil, fmt.Errorf("rules: rule %d: %w", i+1, err)
		}
	}
	return rules, nil
}

// Holds evaluates the rule against a config as StartOS's compat image
// does: a missing key reads as null; a null string equals only another
// null; "key?" is true unless the value is false or null; "#key" of a
// value that is not a number is an error (compat crashes on it). AND
// binds tighter than XOR, XOR tighter than OR.
//
// This covers the part of the rule language Recap's rules use: string,
// number and boolean variables, literals, comparisons, AND, OR, XOR,
// parentheses and !( ). Not covered: arithmetic, string concatenation,
// list access and other packages' configs.
func (r ConfigRule) Holds(config map[string]any) (bool, error) {
	e, err := parseRule(r.Rule)
	if err != nil {
		return false, err
	}
	return e.eval(config)
}

type ruleExpr interface {
	eval(cfg map[string]any) (bool, error)
}

type (
	ruleBinary struct {
		op   string // AND, OR, XOR
		l, r ruleExpr
	}
	ruleNot     struct{ e ruleExpr }
	ruleBoolVar struct{ path []string }
	ruleCompare struct {
		op   string
		l, r ruleOperand
	}
	ruleOperand struct {
		kind byte // '\'' string var, '#' number var, 's' string literal, 'n' number literal
		path []string
		str  string
		num  float64
	}
)

func (b ruleBinary) eval(cfg map[string]any) (bool, error) {
	l, err := b.l.eval(cfg)
	if err != nil {
		return false, err
	}
	switch {
	case b.op == "AND" && !l:
		return false, nil
	case b.op == "OR" && l:
		return true, nil
	}
	r, err := b.r.eval(cfg)
	if err != nil {
		return false, err
	}
	if b.op == "XOR" {
		return l != r, nil
	}
	return r, nil
}

func (n ruleNot) eval(cfg map[string]any) (bool, error) {
	v, err := n.e.eval(cfg)
	return !v, err
}

func lookup(cfg map[string]any, path []string) any {
	var v any = cfg
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func (b ruleBoolVar) eval(cfg map[string]any) (bool, error) {
	v := lookup(cfg, b.path)
	return v != nil && v != false, nil
}

func (o ruleOperand) text(cfg map[string]any) (string, bool) {
	if o.kind == 's' {
		return o.str, true
	}
	switch v := lookup(cfg, o.path).(type) {
	case string:
		return v, true
	case bool, int, int64, float64:
		return fmt.Sprint(v), true
	}
	return "", false
}

func (o ruleOperand) number(cfg map[string]any) (float64, error) {
	if o.kind == 'n' {
		return o.num, nil
	}
	switch v := lookup(cfg, o.path).(type) {
	case int:
		return float64(v), nil
	case int64:
		return float64(v), nil
	case float64:
		return v, nil
	case string:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f, nil
		}
	}
	return 0, fmt.Errorf("#%s is not a number", strings.Join(o.path, "."))
}

func (c ruleCompare) eval(cfg map[string]any) (bool, error) {
	if c.l.kind == '#' || c.l.kind == 'n' {
		l, err := c.l.number(cfg)
		if err != nil {
			return false, err
		}
		r, err := c.r.number(cfg)
		if err != nil {
			return false, err
		}
		switch c.op {
		case "=":
			return l == r, nil
		case "!=":
			return l != r, nil
		case "<":
			return l < r, nil
		case "<=":
			return l <= r, nil
		case ">":
			return l > r, nil
		}
		return l >= r, nil
	}
	l, lok := c.l.text(cfg)
	r, rok := c.r.text(cfg)
	switch c.op {
	case "=":
		return lok == rok && l == r, nil
	case "!=":
		return lok != rok || l != r, nil
	}
	return false, fmt.Errorf("string comparison %s is not supported here", c.op)
}

// ruleParser is a recursive-descent parser over the rule's text.
type ruleParser struct {
	s   string
	pos int
}

func parseRule(src string) (ruleExpr, error) {
	p := &ruleParser{s: src}
	e, err := p.or()
	if err != nil {
		return nil, fmt.Errorf("%q: %w", src, err)
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("%q: unexpected %q", src, p.s[p.pos:])
	}
	return e, nil
}

func (p *ruleParser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *ruleParser) keyword(k string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.pos:], k) {
		p.pos += len(k)
		return true
	}
	return false
}

func (p *ruleParser) binary(op string, next func() (ruleExpr, error)) (ruleExpr, error) {
	l, err := next()
	if err != nil {
		return nil, err
	}
	for p.keyword(op) {
		r, err := next()
		if err != nil {
			return nil, err
		}
		l = ruleBinary{op, l, r}
	}
	return l, nil
}

func (p *ruleParser) or() (ruleExpr, error)  { return p.binary("OR", p.xor) }
func (p *ruleParser) xor() (ruleExpr, error) { return p.binary("XOR", p.and) }
func (p *ruleParser) and() (ruleExpr, error) { return p.binary("AND", p.term) }

func (p *ruleParser) term() (ruleExpr, error) {
	p.space()
	negate := p.keyword("!(")
	if negate || p.keyword("(") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.keyword(")") {
			return nil, fmt.Errorf("missing ) at %d", p.pos)
		}
		if negate {
			return ruleNot{e}, nil
		}
		return e, nil
	}
	if p.pos < len(p.s) && (unicode.IsLetter(rune(p.s[p.pos]))) {
		path := p.ident()
		if !p.keyword("?") {
			return nil, fmt.Errorf("%s needs ' (string), # (number) or ? (boolean)", strings.Join(path, "."))
		}
		return ruleBoolVar{path}, nil
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	p.space()
	var op string
	for _, o := range []string{"<=", ">=", "!=", "=", "<", ">"} {
		if p.keyword(o) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, fmt.Errorf("expected a comparison at %d", p.pos)
	}
	r, err := p.operand()
	if err != nil {
		return nil, err
	}
	return ruleCompare{op, l, r}, nil
}

func (p *ruleParser) ident() []string {
	start := p.pos
	for p.pos < len(p.s) {
		c := rune(p.s[p.pos])
		if !(unicode.IsLetter(c) || unicode.IsDigit(c) || c == '-' || c == '.') {
			break
		}
		p.pos++
	}
	return strings.Split(p.s[start:p.pos], ".")
}

// operand reads a variable ('key or #key), a string literal or a
// number literal.
func (p *ruleParser) operand() (ruleOperand, error) {
	p.space()
	if p.pos >= len(p.s) {
		return ruleOperand{}, fmt.Errorf("expression ends early")
	}
	switch c := p.s[p.pos]; {
	case c == '\'' || c == '#':
		return p.variable(c)
	case c == '"':
		return p.stringLiteral()
	case c == '-' || c == '+' || isDigit(c):
		return p.numberLiteral()
	}
	return ruleOperand{}, fmt.Errorf("unexpected %q", p.s[p.pos:])
}

// variable reads 'key (a string) or #key (a number) after its sigil.
func (p *ruleParser) variable(sigil byte) (ruleOperand, error) {
	p.pos++
	path := p.ident()
	if len(path) == 0 || path[0] == "" {
		return ruleOperand{}, fmt.Errorf("missing key after %c", sigil)
	}
	return ruleOperand{kind: sigil, path: path}, nil
}

func (p *ruleParser) stringLiteral() (ruleOperand, error) {
	end := strings.IndexByte(p.s[p.pos+1:], '"')
	if end < 0 {
		return ruleOperand{}, fmt.Errorf("unterminated string")
	}
	s := p.s[p.pos+1 : p.pos+1+end]
	p.pos += end + 2
	return ruleOperand{kind: 's', str: s}, nil
}

// numberLiteral reads a sign or digit and the digits and dots after it.
func (p *ruleParser) numberLiteral() (ruleOperand, error) {
	start := p.pos
	p.pos++
	for p.pos < len(p.s) && (p.s[p.pos] == '.' || isDigit(p.s[p.pos])) {
		p.pos++
	}
	n, err := strconv.ParseFloat(p.s[start:p.pos], 64)
	if err != nil {
		return ruleOperand{}, err
	}
	return ruleOperand{kind: 'n', num: n}, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// ConfigFromYAML decodes a config.yaml into the generic shape rules read.
func ConfigFromYAML(data []byte) (map[string]any, error) {
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}
