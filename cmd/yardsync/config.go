package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"yardsync/api"
	"yardsync/reconcile"
	"yardsync/store"
)

// Config is the whole of yardsync.yaml.
type Config struct {
	Store     StoreConfig     `yaml:"store"`
	API       APIConfig       `yaml:"api"`
	Billing   BillingConfig   `yaml:"billing"`
	Reconcile ReconcileConfig `yaml:"reconcile"`
	Panels    PanelsConfig    `yaml:"panels"`
	UI        UIConfig        `yaml:"ui"`
}

// StoreConfig locates the SmartYard PostgreSQL database.
type StoreConfig struct {
	DSN string `yaml:"dsn"` // env YARDSYNC_STORE_DSN
	// StatementTimeout ends any store statement that runs longer (lock
	// waits included), and bounds each step of a run's store calls: a stuck
	// store fails that run, and the next one tries again.
	StatementTimeout time.Duration `yaml:"statement_timeout"`
}

// APIConfig is the /bill/api listener.
type APIConfig struct {
	Listen      string     `yaml:"listen"`       // host:port
	Tokens      []APIToken `yaml:"tokens"`       // env YARDSYNC_API_TOKENS; with no users either: loopback clients only
	Allow       []string   `yaml:"allow"`        // client CIDRs; empty: any; /healthz and /readyz too unless health_allow is set
	HealthAllow []string   `yaml:"health_allow"` // client CIDRs /healthz and /readyz answer; empty: those of allow
	// TrustedProxies are the reverse proxies (CIDRs) whose X-Forwarded-For,
	// X-Real-IP and X-Forwarded-Proto are believed.
	TrustedProxies []string      `yaml:"trusted_proxies"`
	Users          []APIUser     `yaml:"users"`        // logins of auth/, which hands out tokens, and of the status page
	TokenTTL       time.Duration `yaml:"token_ttl"`    // life of a token from auth/
	SyncWait       time.Duration `yaml:"sync_wait"`    // the longest a sync/ with wait waits; then it answers with the panels still in progress
	BodyTimeout    time.Duration `yaml:"body_timeout"` // how long a request body may take to arrive
}

// APIUser is one login of auth/ (the AXbills billing logs in before every
// call) and of the status page.
type APIUser struct {
	Username     string `yaml:"username"`
	PasswordHash string `yaml:"password_hash"` // bcrypt: htpasswd -nbB or yardsync hash-password
	Role         string `yaml:"role"`          // viewer, operator or billing; empty: every right
}

// BillingConfig is the read-only billing source.
type BillingConfig struct {
	Driver      string         `yaml:"driver"` // postgres | mysql | file; empty: not configured
	DSN         string         `yaml:"dsn"`    // env YARDSYNC_BILLING_DSN
	Path        string         `yaml:"path"`   // driver file
	Timeout     time.Duration  `yaml:"timeout"`
	CacheSize   int            `yaml:"cache_size"`
	CacheTTL    time.Duration  `yaml:"cache_ttl"`
	PhonePrefix string         `yaml:"phone_prefix"`
	Queries     BillingQueries `yaml:"queries"`
	// ChangesOverlap is how far before the previous change-log read's start
	// the next one reaches, for rows committed late or stamped in the past.
	ChangesOverlap time.Duration `yaml:"changes_overlap"`
}

// BillingQueries are the operator's SQL with @phone, @phone10 and @uid.
type BillingQueries struct {
	UIDs     string `yaml:"uids"`
	Cams     string `yaml:"cams"`
	Contract string `yaml:"contract"`
	Snapshot string `yaml:"snapshot"`
	Changes  string `yaml:"changes"` // optional: @since -> rows (uid, changed_at, ...) logged after it, for reconcile.watch
}

// ReconcileConfig tunes the reconciler.
type ReconcileConfig struct {
	Schedule     string        `yaml:"schedule"` // robfig/cron spec; empty: no schedule
	Concurrency  int           `yaml:"concurrency"`
	PanelTimeout time.Duration `yaml:"panel_timeout"`
	Retries      int           `yaml:"retries"`
	Prune        string        `yaml:"prune"` // owned | all
	MaxRevoke    float64       `yaml:"max_revoke"`
	GuardMin     int           `yaml:"guard_min"`     // revoking up to this many contracts is never held
	Watch        time.Duration `yaml:"watch"`         // re-read the billing this often and run what changed; 0: off
	LogRetention time.Duration `yaml:"log_retention"` // how long the change log keeps panel writes
	// BlockCalls turns off the calls of a flat whose contracts on a panel are
	// connected but none is paid, and puts back what it found once one pays.
	BlockCalls bool `yaml:"block_calls"`
}

// PanelsConfig says how to reach panels at devices.panelip.
type PanelsConfig struct {
	Port   int    `yaml:"port"`
	Scheme string `yaml:"scheme"`
	// BewardUpdate rebinds Beward keys with rfid_cgi action=update (one
	// request instead of delete + add); unverified on real firmware, so off
	// by default.
	BewardUpdate bool `yaml:"beward_update"`
	// AkuvoxPause is the pause between two batches of 1,000 users written
	// to an Akuvox S532 (an upload too fast may freeze it); 0: 1 s.
	AkuvoxPause time.Duration `yaml:"akuvox_pause"`
	// Families names the family of each devices.paneltype; entries in the
	// file are added to the defaults (1 beward, 2 sokol, 11 qtech, 12
	// akuvox, 13 rubetek) or replace them.
	Families reconcile.Families `yaml:"families"`
}

// DefaultConfig returns the configuration used for every key the file leaves out.
func DefaultConfig() Config {
	return Config{
		Store: StoreConfig{DSN: "postgres:///smartyard?host=/var/run/postgresql", StatementTimeout: store.DefaultStatementTimeout},
		API: APIConfig{Listen: "127.0.0.1:8080", TokenTTL: 24 * time.Hour, SyncWait: 10 * time.Second,
			BodyTimeout: api.DefaultBodyTimeout},
		Billing: BillingConfig{
			Timeout:        5 * time.Second,
			CacheSize:      10000,
			CacheTTL:       5 * time.Minute,
			PhonePrefix:    "8",
			ChangesOverlap: 2 * time.Minute,
		},
		Reconcile: ReconcileConfig{
			Schedule:     "@every 5m",
			Concurrency:  64,
			PanelTimeout: 10 * time.Second,
			Retries:      3,
			Prune:        "owned",
			MaxRevoke:    0.2,
			GuardMin:     reconcile.DefaultGuardMin,
			LogRetention: 90 * 24 * time.Hour,
		},
		Panels: PanelsConfig{Port: 80, Scheme: "http", Families: reconcile.DefaultFamilies()},
	}
}

// LoadConfig reads path over the defaults, applies env overrides and validates.
// A missing file is an error only when the operator named it (required).
func LoadConfig(path string, required bool, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("config %s: %s", path, nameTypeErrors(placeSyntaxError(err, data), data))
		}
	case errors.Is(err, os.ErrNotExist) && !required:
	default:
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	cfg.applyEnv(getenv)
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// unknownKey matches yaml.v3's complaint about a key the config does not have.
var unknownKey = regexp.MustCompile(`line (\d+): field (\S+) not found in type main\.(\w+)`)

// sections maps config types to their YAML section, to name the full key.
var sections = map[string]string{"Config": "", "StoreConfig": "store.", "APIConfig": "api.", "APIUser": "api.users.", "APIToken": "api.tokens.",
	"BillingConfig": "billing.", "BillingQueries": "billing.queries.", "ReconcileConfig": "reconcile.", "PanelsConfig": "panels.", "UIConfig": "ui."}

func cleanYAMLError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	return unknownKey.ReplaceAllStringFunc(msg, func(m string) string {
		sub := unknownKey.FindStringSubmatch(m)
		return sections[sub[3]] + sub[2] + ": unknown key (line " + sub[1] + ")"
	})
}

func (c *Config) applyEnv(getenv func(string) string) {
	if v := getenv("YARDSYNC_STORE_DSN"); v != "" {
		c.Store.DSN = v
	}
	if v := getenv("YARDSYNC_BILLING_DSN"); v != "" {
		c.Billing.DSN = v
	}
	if v := getenv("YARDSYNC_API_TOKENS"); v != "" {
		c.API.Tokens = nil
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				c.API.Tokens = append(c.API.Tokens, APIToken{Token: t})
			}
		}
	}
}

// Validate checks every key and names the first one that is wrong.
func (c *Config) Validate() error {
	checks := []struct {
		key string
		err error
	}{
		{"store.dsn", nonEmpty(c.Store.DSN)},
		{"store.statement_timeout", atLeastDuration(c.Store.StatementTimeout, time.Second)},
		{"api.listen", validListen(c.API.Listen)},
		{"api.tokens", validTokens(c.API.Tokens)},
		{"api.allow", validCIDRs(c.API.Allow)},
		{"api.health_allow", validCIDRs(c.API.HealthAllow)},
		{"api.trusted_proxies", validCIDRs(c.API.TrustedProxies)},
		{"api.users", validUsers(c.API.Users)},
		{"api.token_ttl", positive(c.API.TokenTTL)},
		{"api.sync_wait", positive(c.API.SyncWait)},
		{"api.body_timeout", positive(c.API.BodyTimeout)},
		{"billing.driver", oneOf(c.Billing.Driver, "", "postgres", "mysql", "file")},
		{"billing.dsn", c.billingDSN()},
		{"billing.path", c.billingPath()},
		{"billing.timeout", positive(c.Billing.Timeout)},
		{"billing.cache_size", atLeast(c.Billing.CacheSize, 0)},
		{"billing.cache_ttl", positive(c.Billing.CacheTTL)},
		{"billing.phone_prefix", digitsOnly(c.Billing.PhonePrefix)},
		{"reconcile.schedule", validSchedule(c.Reconcile.Schedule)},
		{"reconcile.concurrency", atLeast(c.Reconcile.Concurrency, 1)},
		{"reconcile.panel_timeout", positive(c.Reconcile.PanelTimeout)},
		{"reconcile.retries", atLeast(c.Reconcile.Retries, 0)},
		{"reconcile.prune", oneOf(c.Reconcile.Prune, "owned", "all")},
		{"reconcile.max_revoke", share(c.Reconcile.MaxRevoke)},
		{"reconcile.guard_min", atLeast(c.Reconcile.GuardMin, 0)},
		{"reconcile.watch", watchInterval(c.Reconcile.Watch)},
		{"reconcile.log_retention", atLeastDuration(c.Reconcile.LogRetention, time.Hour)},
		{"billing.queries.changes", c.changesQuery()},
		{"billing.changes_overlap", changesOverlap(c.Billing.ChangesOverlap)},
		{"panels.port", portNumber(c.Panels.Port)},
		{"panels.scheme", oneOf(c.Panels.Scheme, "http", "https")},
		{"panels.families", validFamilies(c.Panels.Families)},
		{"panels.akuvox_pause", atLeastDuration(c.Panels.AkuvoxPause, 0)},
		{"ui.time_zone", c.UI.validZone()},
	}
	for _, ch := range checks {
		if ch.err != nil {
			return fmt.Errorf("%s: %w", ch.key, ch.err)
		}
	}
	return nil
}

func (c *Config) billingDSN() error {
	if (c.Billing.Driver == "postgres" || c.Billing.Driver == "mysql") && c.Billing.DSN == "" {
		return fmt.Errorf("required for driver %s (or set YARDSYNC_BILLING_DSN)", c.Billing.Driver)
	}
	return nil
}

func (c *Config) billingPath() error {
	if c.Billing.Driver == "file" && c.Billing.Path == "" {
		return errors.New("required for driver file")
	}
	return nil
}

// watchInterval: off, or at least a second (a tighter loop only loads the billing).
func watchInterval(d time.Duration) error {
	if d != 0 && d < time.Second {
		return fmt.Errorf("%s: want 0 (off) or at least 1s", d)
	}
	return nil
}

func (c *Config) changesQuery() error {
	if c.Billing.Queries.Changes != "" && c.Billing.Driver != "postgres" && c.Billing.Driver != "mysql" {
		return fmt.Errorf("needs an SQL billing (driver postgres or mysql), not %q", c.Billing.Driver)
	}
	return nil
}

// changesOverlap: 0 (each change-log read starts where the previous began) or more.
func changesOverlap(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%s is negative: want 0 or more, e.g. 2m (how far each change-log read reaches back before the previous read began)", d)
	}
	return nil
}

func nonEmpty(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("must not be empty")
	}
	return nil
}

func validListen(s string) error {
	if _, _, err := net.SplitHostPort(s); err != nil {
		return fmt.Errorf("%q is not host:port", s)
	}
	return nil
}

// validCIDRs also refuses IPv4-mapped IPv6 entries (::ffff:a.b.c.d): client
// addresses are unmapped before the check, so such an entry could never match.
func validCIDRs(list []string) error {
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return fmt.Errorf("%q is not a CIDR or an address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() {
			return fmt.Errorf("%q is IPv4-mapped IPv6 and can never match, as clients are compared as IPv4: write %s", s, unmapped(p))
		}
	}
	return nil
}

// unmapped is the IPv4 form of an IPv4-mapped prefix, for the error message.
func unmapped(p netip.Prefix) string {
	if p.Bits() < 96 {
		return "an IPv4 CIDR"
	}
	return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Masked().String()
}

// oneOf lists the choices by name; an empty choice is said in words.
func oneOf(v string, allowed ...string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	named := slices.DeleteFunc(slices.Clone(allowed), func(a string) bool { return a == "" })
	msg := fmt.Sprintf("%q is not one of %s", v, strings.Join(named, ", "))
	if len(named) < len(allowed) {
		msg += ` (or empty: "")`
	}
	return errors.New(msg)
}

func atLeastDuration(d, min time.Duration) error {
	if d < min {
		return fmt.Errorf("%s is below %s", d, min)
	}
	return nil
}

func positive(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s must be a positive duration", d)
	}
	return nil
}

func atLeast(n, min int) error {
	if n < min {
		return fmt.Errorf("%d is below %d", n, min)
	}
	return nil
}

func digitsOnly(s string) error {
	for _, r := range s {
		if r < '0' || r > '9' {
			return fmt.Errorf("%q must be digits", s)
		}
	}
	return nil
}

func validSchedule(s string) error {
	if s == "" {
		return nil
	}
	if _, err := cron.ParseStandard(s); err != nil {
		if _, at := cron.ParseStandard("@" + s); at == nil {
			return fmt.Errorf("%q: %w; write \"@%s\" (with the @) for an interval", s, err, s)
		}
		return fmt.Errorf("%q: %w; write an interval as \"@every 5m\", or five cron fields such as \"*/5 * * * *\"", s, err)
	}
	return nil
}

func share(f float64) error {
	if math.IsNaN(f) || f < 0 || f > 1 {
		return fmt.Errorf("%g must be between 0 and 1", f)
	}
	return nil
}

func portNumber(p int) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("%d is not a TCP port", p)
	}
	return nil
}
