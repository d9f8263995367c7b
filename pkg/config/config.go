// Package config owns Recap's configuration: the struct that
// DATA/start9/config.yaml (written by the StartOS Config page) decodes
// into, its defaults, environment overrides for development, validation
// that names the offending key, and a dump with secrets masked. Keys are
// kebab-case, as StartOS writes them; unions carry their variant in "type".
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Modes.
const (
	ModeSingle = "single"
	ModeMulti  = "multi"
)

// Defaults for keys that are absent.
const (
	DefaultYouTubeBaseURL    = "https://www.youtube.com"
	DefaultMaxUploadMB       = 20     // megabytes per uploaded file or download
	DefaultMaxDurationHours  = 6      // hours of transcript per recap
	DefaultMaxWords          = 250000 // words per transcript
	DefaultMaxWordsPerHour   = 30000  // words per hour of duration (an hour's worth for shorter ones)
	DefaultJobConcurrency    = 2      // recaps made at the same time
	DefaultFollowHours       = 3      // hours between checks of a followed show
	DefaultMaxFollows        = 50     // follows per user (the owner in single mode)
	DefaultFollowRecapsDay   = 20     // automatic recaps of followed shows per user per 24 hours
	DefaultLogLevel          = "info"
	DefaultTrialCredits      = 3  // credits an anonymous visitor may spend
	DefaultTrialsPerIPPerDay = 3  // trial cookies minted per address bucket per 24 h
	DefaultTenantCredits     = 20 // allowance per replenish period
	DefaultReplenishDays     = 30 // days between allowance refills
	DefaultCreditsPerHour    = 1  // credits per started hour of transcript
	DefaultSMTPPort          = 587
	// DefaultContextSize is the context window (tokens) assumed for an
	// OpenAI-compatible model when engine.context-size is absent.
	DefaultContextSize = 8192
	DefaultGeminiModel = "gemini-2.5-flash"
)

// SMTP types. SMTPSystem is StartOS 0.4's System SMTP: the package writes
// its values to DATA/start9/system-smtp.yaml (see SystemSMTPPath) and
// Load fills them in.
const (
	SMTPDisabled = "disabled"
	SMTPCustom   = "custom"
	SMTPSystem   = "system"
)

// How often the digest mail of followed shows goes out
// (advanced.follow-digest and each user's own choice).
const (
	DigestOff    = "off"
	DigestDaily  = "daily"
	DigestWeekly = "weekly"
	// DefaultFollowDigest is the digest of users who chose none.
	DefaultFollowDigest = DigestOff
)

// Engines and the flavors of the openai engine.
const (
	EngineBuiltin = "builtin"
	EngineOpenAI  = "openai"
	EngineGemini  = "gemini"
	// EngineRelay recaps through the relay of the relay section.
	EngineRelay = "relay"
	// FlavorCompatible speaks the OpenAI-compatible chat completions API.
	FlavorCompatible = "compatible"
	// FlavorOllama speaks Ollama's native chat API, which can set the
	// context size per request.
	FlavorOllama = "ollama"
)

// Config is the whole configuration.
type Config struct {
	// TorAddress and LANAddress are filled in by StartOS (pointer fields).
	TorAddress string   `yaml:"tor-address,omitempty"`
	LANAddress string   `yaml:"lan-address,omitempty"`
	Mode       Mode     `yaml:"mode"`
	Engine     Engine   `yaml:"engine"`
	SMTP       SMTP     `yaml:"smtp"`
	Relay      Relay    `yaml:"relay,omitempty"`
	Payments   Payments `yaml:"payments"`
	Advanced   Advanced `yaml:"advanced"`
}

// Relay is where a relay is, for tiers and the relay engine. With no
// URL there is no relay and everything is decided on this server.
type Relay struct {
	URL     string `yaml:"url,omitempty"`     // the relay's base address, e.g. https://relay.example.org
	License string `yaml:"license,omitempty"` // secret: this instance's key at the relay
}

// Enabled reports whether a relay is configured.
func (r Relay) Enabled() bool { return r.URL != "" }

func (r Relay) validate() error {
	if r.URL == "" {
		if r.License != "" {
			return errors.New("relay.url: required when relay.license is set (or clear the license)")
		}
		return nil
	}
	if !httpURL(r.URL) {
		return fmt.Errorf("relay.url: %q is not an http(s) URL", r.URL)
	}
	if r.License == "" {
		return errors.New("relay.license: required when relay.url is set (the relay's operator issues it)")
	}
	if len(r.License) > 4096 || strings.ContainsAny(r.License, " \t\r\n") {
		return errors.New("relay.license: must be one word of at most 4096 characters")
	}
	return nil
}

// Mode is the mode union: single (one owner) or multi (accounts).
type Mode struct {
	Type string `yaml:"type"`
	// Multi mode only.
	AdminEmail        string `yaml:"admin-email,omitempty"`
	PublicURL         string `yaml:"public-url,omitempty"`
	AllowSignups      *bool  `yaml:"allow-signups,omitempty"`
	TrialCredits      *int   `yaml:"trial-credits,omitempty"`         // credits per anonymous visitor; 0 disables trials
	TrialsPerIPPerDay *int   `yaml:"trials-per-ip-per-day,omitempty"` // per IPv4 address or IPv6 /64
	TenantCredits     *int   `yaml:"default-credits,omitempty"`       // core's allowance per period (tiers.core.credits overrides)
	ReplenishDays     *int   `yaml:"replenish-days,omitempty"`        // length of an allowance period in days
	CreditsPerHour    *int   `yaml:"credits-per-hour,omitempty"`      // what a started hour of transcript costs
	Tiers             *Tiers `yaml:"tiers,omitempty"`
}

// Tiers holds the plan of each tier (multi mode).
type Tiers struct {
	Core Plan `yaml:"core"`
	Pro  Plan `yaml:"pro"`
	Max  Plan `yaml:"max"`
}

// Plan is what one tier gets. Absent fields take the tier's defaults
// (DefaultPlan).
type Plan struct {
	Credits    *int  `yaml:"credits,omitempty"`     // allowance refilled each period
	MaxHours   *int  `yaml:"max-hours,omitempty"`   // longest transcript, in hours
	LLM        *bool `yaml:"llm,omitempty"`         // may use the configured LLM engine (builtin always may)
	MaxWaiting *int  `yaml:"max-waiting,omitempty"` // jobs one user may have waiting at once
}

// DefaultPlan returns a tier's plan when the config sets none of it;
// core's credits are mode.default-credits.
func DefaultPlan(tier string) (credits, maxHours int, llm bool, maxWaiting int) {
	switch tier {
	case "pro":
		return 200, 6, true, 10
	case "max":
		return 1000, 6, true, 20
	}
	return DefaultTenantCredits, 2, false, 3
}

func (p *Plan) fill(tier string, credits int) {
	c, h, llm, w := DefaultPlan(tier)
	if tier == "core" {
		c = credits
	}
	setInt(&p.Credits, c)
	setInt(&p.MaxHours, h)
	setInt(&p.MaxWaiting, w)
	if p.LLM == nil {
		p.LLM = &llm
	}
}

func (p Plan) validate(key string) error {
	return checkRanges(
		intRange{key + ".credits", *p.Credits, 0, 1_000_000},
		intRange{key + ".max-hours", *p.MaxHours, 1, 100},
		intRange{key + ".max-waiting", *p.MaxWaiting, 1, 64},
	)
}

// Engine is the engine union: builtin (needs nothing), openai (any
// OpenAI-compatible server: Ollama, llama.cpp, vLLM, hosted APIs) or
// gemini (Google's Generative Language API).
type Engine struct {
	Type string `yaml:"type"`
	// BaseURL is where the openai engine reaches its server, up to and
	// including /v1 (e.g. http://llama.embassy:8080/v1). For gemini it is
	// empty unless RECAP_GEMINI_BASE_URL points it at a stand-in.
	BaseURL string `yaml:"base-url,omitempty"`
	APIKey  string `yaml:"api-key,omitempty"` // secret; optional for openai
	Model   string `yaml:"model,omitempty"`
	// ContextSize is the openai model's context window in tokens.
	ContextSize int `yaml:"context-size,omitempty"`
	// Flavor is FlavorCompatible or FlavorOllama (openai only).
	Flavor string `yaml:"flavor,omitempty"`
}

// SMTP is the mail union: disabled, a custom server, or StartOS's System
// SMTP (type system: the server's values come from system-smtp.yaml and
// From, when set, overrides its sender address).
type SMTP struct {
	Type     string `yaml:"type"`
	Host     string `yaml:"host,omitempty"`
	Port     int    `yaml:"port,omitempty"`
	Security string `yaml:"security,omitempty"` // starttls, tls or none
	Username string `yaml:"username,omitempty"`
	Password string `yaml:"password,omitempty"` // secret
	From     string `yaml:"from,omitempty"`
}

// Advanced holds settings most owners never touch.
type Advanced struct {
	YouTubeBaseURL   string `yaml:"youtube-base-url,omitempty"`
	YTDLPPath        string `yaml:"yt-dlp-path,omitempty"`
	MaxUploadMB      int    `yaml:"max-upload-mb,omitempty"`      // megabytes
	MaxDurationHours int    `yaml:"max-duration-hours,omitempty"` // hours
	MaxWords         int    `yaml:"max-words,omitempty"`          // words per transcript
	MaxWordsPerHour  int    `yaml:"max-words-per-hour,omitempty"` // words per hour of duration
	JobConcurrency   int    `yaml:"job-concurrency,omitempty"`
	// FollowHours is the time between two checks of a followed show.
	FollowHours int `yaml:"follow-interval-hours,omitempty"` // hours
	// MaxFollows is how many shows one user may follow.
	MaxFollows int `yaml:"max-follows,omitempty"`
	// FollowRecapsPerDay bounds the recaps followed shows make for one
	// user in 24 hours; further new items wait for the next day.
	FollowRecapsPerDay int `yaml:"max-follow-recaps-per-day,omitempty"`
	// FollowDigest is how often a user who has not chosen gets the mail
	// listing the new recaps of their follows (multi mode): DigestOff,
	// DigestDaily or DigestWeekly.
	FollowDigest string `yaml:"follow-digest,omitempty"`
	LogLevel     string `yaml:"log-level,omitempty"` // debug, info, warn, error
	// TrustedProxies lists the networks (CIDR, or one address) of the
	// reverse proxies whose X-Forwarded-For or X-Real-IP header names the
	// client. Empty (the default) trusts no header: every limit keys on
	// the TCP peer.
	TrustedProxies []string `yaml:"trusted-proxies"`
}

// Proxies parses TrustedProxies. A plain address is a network of one;
// IPv4-mapped IPv6 networks are read as IPv4 ones.
func (a Advanced) Proxies() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(a.TrustedProxies))
	for i, s := range a.TrustedProxies {
		s = strings.TrimSpace(s)
		p, err := netip.ParsePrefix(s)
		if err != nil {
			addr, aerr := netip.ParseAddr(s)
			if aerr != nil || addr.Zone() != "" {
				return nil, fmt.Errorf("advanced.trusted-proxies[%d]: %q is not a network like 10.0.3.0/24 or an address", i, s)
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Default returns the configuration used when no file exists: single
// mode, builtin engine, mail disabled.
func Default() *Config {
	c := &Config{}
	c.applyDefaults()
	return c
}

// applyDefaults fills every absent key, section by section. Multi-mode
// keys are filled only in multi mode so that a single-mode dump stays
// short.
func (c *Config) applyDefaults() {
	fillString(&c.Mode.Type, ModeSingle)
	c.Engine.applyDefaults()
	c.SMTP.applyDefaults()
	if c.Mode.Type == ModeMulti {
		c.Mode.applyMultiDefaults()
	}
	c.Payments.applyDefaults()
	c.Advanced.applyDefaults()
}

func (e *Engine) applyDefaults() {
	switch e.Type {
	case "":
		e.Type = EngineBuiltin
	case EngineOpenAI:
		fillInt(&e.ContextSize, DefaultContextSize)
		fillString(&e.Flavor, FlavorCompatible)
	case EngineGemini:
		fillString(&e.Model, DefaultGeminiModel)
	}
}

func (s *SMTP) applyDefaults() {
	fillString(&s.Type, SMTPDisabled)
	if s.Type == SMTPCustom {
		fillInt(&s.Port, DefaultSMTPPort)
		fillString(&s.Security, "starttls")
	}
}

func (m *Mode) applyMultiDefaults() {
	setInt(&m.TrialCredits, DefaultTrialCredits)
	setInt(&m.TrialsPerIPPerDay, DefaultTrialsPerIPPerDay)
	setInt(&m.TenantCredits, DefaultTenantCredits)
	setInt(&m.ReplenishDays, DefaultReplenishDays)
	setInt(&m.CreditsPerHour, DefaultCreditsPerHour)
	if m.Tiers == nil {
		m.Tiers = &Tiers{}
	}
	m.Tiers.Core.fill("core", *m.TenantCredits)
	m.Tiers.Pro.fill("pro", 0)
	m.Tiers.Max.fill("max", 0)
	if m.AllowSignups == nil {
		f := false
		m.AllowSignups = &f
	}
}

func (a *Advanced) applyDefaults() {
	fillString(&a.YouTubeBaseURL, DefaultYouTubeBaseURL)
	fillInt(&a.MaxUploadMB, DefaultMaxUploadMB)
	fillInt(&a.MaxDurationHours, DefaultMaxDurationHours)
	fillInt(&a.MaxWords, DefaultMaxWords)
	fillInt(&a.MaxWordsPerHour, DefaultMaxWordsPerHour)
	fillInt(&a.JobConcurrency, DefaultJobConcurrency)
	fillInt(&a.FollowHours, DefaultFollowHours)
	fillInt(&a.MaxFollows, DefaultMaxFollows)
	fillInt(&a.FollowRecapsPerDay, DefaultFollowRecapsDay)
	fillString(&a.FollowDigest, DefaultFollowDigest)
	fillString(&a.LogLevel, DefaultLogLevel)
}

// fillInt sets an absent (zero) number to its default v.
func fillInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

// fillString sets an absent (empty) string to its default v.
func fillString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

// setInt sets an absent (nil) optional number to its default v.
func setInt(p **int, v int) {
	if *p == nil {
		*p = &v
	}
}

// Path returns where the config file lives under a data folder.
func Path(dataDir string) string {
	return filepath.Join(dataDir, "start9", "config.yaml")
}

// SystemSMTPPath returns where the StartOS 0.4 package writes the System
// SMTP values (host, port, security, username, password, from) for a
// config whose smtp.type is system. It is absent while System SMTP is
// not set up in StartOS.
func SystemSMTPPath(dataDir string) string {
	return filepath.Join(dataDir, "start9", "system-smtp.yaml")
}

// Load reads DATA/start9/config.yaml. A missing file gives the defaults;
// an unreadable, malformed or invalid one is an error naming the key.
// Environment overrides (see applyEnv) are applied before validation.
func Load(dataDir string) (*Config, error) {
	return LoadFile(dataDir, Path(dataDir))
}

// LoadFile is Load with the config file at path instead of its usual
// place: the StartOS 0.4 package checks a candidate file this way before
// it replaces config.yaml. Other files (system-smtp.yaml) still come
// from dataDir.
func LoadFile(dataDir, path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		c := Default()
		if err := c.applyEnv(os.Getenv); err != nil {
			return nil, err
		}
		return c, c.Validate()
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	if err := c.applyEnv(os.Getenv); err != nil {
		return nil, err
	}
	if err := c.SMTP.resolveSystem(dataDir); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return c, nil
}

// systemSMTP is system-smtp.yaml, as the StartOS package writes it from
// StartOS's System SMTP.
type systemSMTP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	Security string `yaml:"security"` // starttls or tls
	Username string `yaml:"username,omitempty"`
	Password string `yaml:"password,omitempty"` // secret
	From     string `yaml:"from"`
}

// resolveSystem fills a type system SMTP from system-smtp.yaml. A missing
// file leaves Host empty: System SMTP is not set up, so no mail is sent
// (and multi mode refuses to start, see validateMulti).
func (s *SMTP) resolveSystem(dataDir string) error {
	if s.Type != SMTPSystem {
		return nil
	}
	path := SystemSMTPPath(dataDir)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var sys systemSMTP
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&sys); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config: %s: %w", path, friendlyYAMLError(err))
	}
	s.Host, s.Port, s.Security = sys.Host, sys.Port, sys.Security
	s.Username, s.Password = sys.Username, sys.Password
	if s.From == "" {
		s.From = sys.From
	}
	return nil
}

// Parse decodes YAML strictly (unknown keys are errors) and fills
// defaults. It does not validate.
func Parse(data []byte) (*Config, error) {
	c := &Config{}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, friendlyYAMLError(err)
	}
	if err := checkWholeNumbers(&root, ""); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, friendlyYAMLError(err)
	}
	c.applyDefaults()
	return c, nil
}

// checkWholeNumbers refuses fractional numbers: every number in the
// config counts something, and yaml.v3 would silently truncate 0.5 to 0.
// Whole floats such as 5.0 are accepted.
func checkWholeNumbers(n *yaml.Node, path string) error {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if err := checkWholeNumbers(c, path); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if path != "" {
				key = path + "." + key
			}
			if err := checkWholeNumbers(n.Content[i+1], key); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		if n.ShortTag() == "!!float" {
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil || f != float64(int64(f)) {
				return fmt.Errorf("line %d: %s: %s is not a whole number", n.Line, path, n.Value)
			}
		}
	}
	return nil
}

var (
	fieldNotFound = regexp.MustCompile(`line (\d+): field (\S+) not found in type config\.(\w+)`)
	cannotDecode  = regexp.MustCompile(`line (\d+): cannot unmarshal !!\w+ ` + "`" + `?([^` + "`" + `]*)` + "`" + `? into (\S+)`)
)

// typeKeys maps the Go types of the config to their key paths.
var typeKeys = map[string]string{"Config": "", "Mode": "mode.", "Engine": "engine.", "SMTP": "smtp.", "Relay": "relay.", "Advanced": "advanced.",
	"Payments": "payments.", "BTCPay": "payments.btcpay.", "Zaprite": "payments.zaprite.", "Price": "payments.<plan>.", "Pack": "payments.packs[].",
	"Tiers": "mode.tiers.", "Plan": "mode.tiers.<tier>."}

// friendlyYAMLError rewrites yaml.v3's messages to name config keys.
func friendlyYAMLError(err error) error {
	msg := err.Error()
	if m := fieldNotFound.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("line %s: unknown key %q", m[1], typeKeys[m[3]]+m[2])
	}
	if m := cannotDecode.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("line %s: value %q has the wrong type (want %s)", m[1], m[2], strings.TrimPrefix(m[3], "*"))
	}
	return errors.New(strings.TrimPrefix(strings.ReplaceAll(msg, "\n", " "), "yaml: "))
}

// applyEnv applies development overrides: RECAP_MODE,
// RECAP_YOUTUBE_BASE_URL, RECAP_YTDLP_PATH, RECAP_MAX_UPLOAD_MB,
// RECAP_JOB_CONCURRENCY, RECAP_LOG_LEVEL, RECAP_TRUSTED_PROXIES (a
// comma-separated list), and RECAP_GEMINI_BASE_URL (where
// the gemini engine reaches the API: a proxy or a local stand-in).
func (c *Config) applyEnv(getenv func(string) string) error {
	if v := getenv("RECAP_GEMINI_BASE_URL"); v != "" && c.Engine.Type == EngineGemini {
		c.Engine.BaseURL = v
	}
	if v := getenv("RECAP_MODE"); v != "" {
		c.Mode.Type = v
		c.applyDefaults()
	}
	if v := getenv("RECAP_YOUTUBE_BASE_URL"); v != "" {
		c.Advanced.YouTubeBaseURL = v
	}
	if v := getenv("RECAP_YTDLP_PATH"); v != "" {
		c.Advanced.YTDLPPath = v
	}
	for env, p := range map[string]*int{"RECAP_MAX_UPLOAD_MB": &c.Advanced.MaxUploadMB, "RECAP_JOB_CONCURRENCY": &c.Advanced.JobConcurrency} {
		if v := getenv(env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("config: %s=%q is not a whole number", env, v)
			}
			*p = n
		}
	}
	if v := getenv("RECAP_LOG_LEVEL"); v != "" {
		c.Advanced.LogLevel = v
	}
	if v := getenv("RECAP_TRUSTED_PROXIES"); v != "" {
		c.Advanced.TrustedProxies = strings.Split(v, ",")
	}
	return nil
}

// Validate checks every key and names the first bad one. The sections
// are checked in a fixed order, so the same file always gives the same
// message.
func (c *Config) Validate() error {
	for _, check := range []func() error{
		c.validateMode,
		c.Engine.Validate,
		c.SMTP.validate,
		c.Relay.validate,
		c.Payments.validate,
		c.validateRelayEngine,
		c.Advanced.validate,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateMode() error {
	switch c.Mode.Type {
	case ModeSingle:
		return nil
	case ModeMulti:
		return c.validateMulti()
	}
	return fmt.Errorf("mode.type: %q is not single or multi", c.Mode.Type)
}

func (c *Config) validateRelayEngine() error {
	if c.Engine.Type == EngineRelay && !c.Relay.Enabled() {
		return errors.New("relay.url: the relay engine needs a relay; fill in relay.url and relay.license, or choose another engine")
	}
	return nil
}

func (a Advanced) validate() error {
	if !httpURL(a.YouTubeBaseURL) {
		return fmt.Errorf("advanced.youtube-base-url: %q is not an http(s) URL", a.YouTubeBaseURL)
	}
	if err := checkRanges(
		intRange{"advanced.max-upload-mb", a.MaxUploadMB, 1, 1024},
		intRange{"advanced.max-duration-hours", a.MaxDurationHours, 1, 48},
		intRange{"advanced.max-words", a.MaxWords, 1000, 2000000},
		intRange{"advanced.max-words-per-hour", a.MaxWordsPerHour, 1000, 200000},
		intRange{"advanced.job-concurrency", a.JobConcurrency, 1, 16},
		intRange{"advanced.follow-interval-hours", a.FollowHours, 1, 168},
		intRange{"advanced.max-follows", a.MaxFollows, 1, 1000},
		intRange{"advanced.max-follow-recaps-per-day", a.FollowRecapsPerDay, 1, 1000},
	); err != nil {
		return err
	}
	switch a.FollowDigest {
	case DigestOff, DigestDaily, DigestWeekly:
	default:
		return fmt.Errorf("advanced.follow-digest: %q is not off, daily or weekly", a.FollowDigest)
	}
	switch a.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("advanced.log-level: %q is not debug, info, warn or error", a.LogLevel)
	}
	_, err := a.Proxies()
	return err
}

// intRange is a whole-number key and the bounds its value must lie
// within, both included.
type intRange struct {
	key             string
	value, min, max int
}

// checkRanges names the first key whose value is out of its bounds.
func checkRanges(ranges ...intRange) error {
	for _, r := range ranges {
		if r.value < r.min || r.value > r.max {
			return fmt.Errorf("%s: %d is outside %d..%d", r.key, r.value, r.min, r.max)
		}
	}
	return nil
}

// Validate checks the engine union and names the first bad key.
func (e Engine) Validate() error {
	switch e.Type {
	case EngineBuiltin, EngineRelay:
		return nil
	case EngineOpenAI:
		if e.BaseURL == "" {
			return errors.New("engine.base-url: required when engine.type is openai (e.g. http://llama.embassy:8080/v1)")
		}
		if !httpURL(e.BaseURL) {
			return fmt.Errorf("engine.base-url: %q is not an http(s) URL", e.BaseURL)
		}
		if e.ContextSize < 1024 || e.ContextSize > 10_000_000 {
			return fmt.Errorf("engine.context-size: %d is outside 1024..10000000 tokens", e.ContextSize)
		}
		switch e.Flavor {
		case FlavorCompatible, FlavorOllama:
		default:
			return fmt.Errorf("engine.flavor: %q is not compatible or ollama", e.Flavor)
		}
	case EngineGemini:
		if e.APIKey == "" {
			return errors.New("engine.api-key: required when engine.type is gemini")
		}
		if e.BaseURL != "" && !httpURL(e.BaseURL) {
			return fmt.Errorf("engine.base-url: %q is not an http(s) URL", e.BaseURL)
		}
	default:
		return fmt.Errorf("engine.type: %q is not a known engine (builtin, openai, gemini or relay)", e.Type)
	}
	if !modelPattern.MatchString(e.Model) {
		return fmt.Errorf("engine.model: %q is not a model name (letters, digits and . _ : / @ -)", e.Model)
	}
	if strings.ContainsAny(e.APIKey, " \t\r\n") {
		return errors.New("engine.api-key: contains white space")
	}
	return nil
}

var modelPattern = regexp.MustCompile(`^[A-Za-z0-9._:/@+-]{1,200}$`)

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (c *Config) validateMulti() error {
	m := c.Mode
	if _, err := mail.ParseAddress(m.AdminEmail); err != nil || !strings.Contains(m.AdminEmail, "@") {
		return fmt.Errorf("mode.admin-email: %q is not an email address", m.AdminEmail)
	}
	if m.PublicURL != "" && !httpURL(m.PublicURL) {
		return fmt.Errorf("mode.public-url: %q is not an http(s) URL", m.PublicURL)
	}
	if err := checkRanges(
		intRange{"mode.trial-credits", *m.TrialCredits, 0, 1_000_000},
		intRange{"mode.trials-per-ip-per-day", *m.TrialsPerIPPerDay, 0, 1_000_000},
		intRange{"mode.default-credits", *m.TenantCredits, 0, 1_000_000},
		intRange{"mode.replenish-days", *m.ReplenishDays, 1, 365},
		intRange{"mode.credits-per-hour", *m.CreditsPerHour, 1, 1000},
	); err != nil {
		return err
	}
	for _, t := range []struct {
		key  string
		plan Plan
	}{{"mode.tiers.core", m.Tiers.Core}, {"mode.tiers.pro", m.Tiers.Pro}, {"mode.tiers.max", m.Tiers.Max}} {
		if err := t.plan.validate(t.key); err != nil {
			return err
		}
	}
	switch {
	case c.SMTP.Type == SMTPSystem && c.SMTP.Host == "":
		return errors.New("smtp.type: multi mode signs people in by email, and System SMTP is not set up in StartOS (System → SMTP); set it up or choose your own SMTP server")
	case c.SMTP.Type != SMTPCustom && c.SMTP.Type != SMTPSystem:
		return errors.New("smtp.type: multi mode signs people in by email; set smtp to custom (or switch mode back to single)")
	}
	return nil
}

func (s SMTP) validate() error {
	switch s.Type {
	case SMTPDisabled:
		return nil
	case SMTPCustom:
		return s.validateServer()
	case SMTPSystem:
		if s.Host == "" {
			return nil // not set up in StartOS: no mail
		}
		if s.Security != "starttls" && s.Security != "tls" {
			return fmt.Errorf("smtp: System SMTP's security %q is not starttls or tls", s.Security)
		}
		return s.validateServer()
	}
	return fmt.Errorf("smtp.type: %q is not disabled, custom or system", s.Type)
}

// validateServer checks the server's address, security and sender, for
// a custom server and for System SMTP alike.
func (s SMTP) validateServer() error {
	if s.Host == "" {
		return errors.New("smtp.host: required when smtp.type is custom")
	}
	if s.Port < 1 || s.Port > 65535 {
		return fmt.Errorf("smtp.port: %d is not a port number", s.Port)
	}
	switch s.Security {
	case "starttls", "tls", "none":
	default:
		return fmt.Errorf("smtp.security: %q is not starttls, tls or none", s.Security)
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return fmt.Errorf("smtp.from: %q is not an email address", s.From)
	}
	// The same two checks as the Config page's rules (config_rules.yaml).
	if s.Username != "" && s.Password == "" {
		return errors.New("smtp.password: required when smtp.username is set (or clear the username)")
	}
	if s.Username != "" && s.Security == "none" {
		return errors.New("smtp.security: none would send the password unencrypted; use starttls or tls, or clear the username")
	}
	return nil
}

// Redacted returns a copy with secrets replaced by "********", for dumps
// and logs.
func (c *Config) Redacted() *Config {
	r := *c
	if r.SMTP.Password != "" {
		r.SMTP.Password = "********"
	}
	if r.Engine.APIKey != "" {
		r.Engine.APIKey = "********"
	}
	if r.Relay.License != "" {
		r.Relay.License = "********"
	}
	r.Payments = r.Payments.redacted()
	return &r
}

// YAML renders the configuration as YAML.
func (c *Config) YAML() ([]byte, error) {
	return yaml.Marshal(c)
}

// Keys lists every key the config file may hold, as dotted paths
// (mode.admin-email), in the struct's order. Union fields appear once,
// whichever variants use them. The StartOS 0.4 package's tests compare
// its typed model of the file with this list.
func Keys() []string {
	return appendKeys(nil, "", reflect.TypeOf(Config{}))
}

func appendKeys(out []string, prefix string, t reflect.Type) []string {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			out = appendKeys(out, prefix+name+".", ft)
			continue
		}
		out = append(out, prefix+name)
	}
	return out
}
