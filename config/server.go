package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// More kinds of values, for the server and log sections.
const (
	KindAddr     Kind = "addr"     // host:port to listen on
	KindOrigins  Kind = "origins"  // a list of scheme://host[:port]; ','-separated in env and flags
	KindFile     Kind = "file"     // an optional path: unset means none
	KindLogLevel Kind = "loglevel" // debug, info, warn or error
)

// Server is the server.* section of Config: how `attune serve` listens and
// how long its logins last.
type Server struct {
	// Listen is the host:port the HTTP server listens on (server.listen).
	// The default is loopback only; any other address is deliberate.
	Listen string
	// Origins are the browser origins allowed besides the server's own
	// (server.origins), each "scheme://host[:port]" in lower case without
	// a default port; nil if none.
	Origins []string
	// TLSCert and TLSKey are the certificate and key files for HTTPS
	// (server.tls_cert, server.tls_key): both set, or both "" for plain
	// HTTP.
	TLSCert, TLSKey string
	// MaxUpload is the most bytes one upload request may carry in all
	// (server.max_upload); library.max_file_size limits each file.
	MaxUpload int64
	// PatientGrace is how long a tablet's patient token outlives the
	// session it was paired for (server.patient_grace).
	PatientGrace time.Duration
	// SessionTTL is how long a browser login lasts since its last use
	// (server.session_ttl).
	SessionTTL time.Duration
}

// Log is the log.* section of Config.
type Log struct {
	// Level is the least severe level logged (log.level).
	Level slog.Level
}

// serverKeys are the server.* and log.* keys, in the order of the table.
func serverKeys() []Key {
	return []Key{
		addrKey("server.listen", "127.0.0.1:8480",
			"where attune serve listens (host:port); the default is this machine only, "+
				"so serving the LAN (0.0.0.0:8480 or :8480) is a deliberate choice",
			func(c *Config) *string { return &c.Server.Listen }),
		originsKey("server.origins",
			"browser origins allowed besides attune's own, like https://attune.clinic.lan "+
				"(in YAML a list; in env and flags separated by ',')",
			func(c *Config) *[]string { return &c.Server.Origins }),
		fileKey("server.tls_cert", "the TLS certificate (PEM) for HTTPS; set together with server.tls_key",
			func(c *Config) *string { return &c.Server.TLSCert }),
		fileKey("server.tls_key", "the TLS private key (PEM) for HTTPS; set together with server.tls_cert",
			func(c *Config) *string { return &c.Server.TLSKey }),
		sizeKey("server.max_upload", "1GiB",
			"the most one upload request may carry in all (each file is also limited by library.max_file_size)",
			func(c *Config) *int64 { return &c.Server.MaxUpload }),
		durationKey("server.patient_grace", "30m", 0, 24*time.Hour,
			"how long a tablet's patient token outlives the session it was paired for",
			func(c *Config) *time.Duration { return &c.Server.PatientGrace }),
		durationKey("server.session_ttl", "12h", 5*time.Minute, 720*time.Hour,
			"how long a browser login lasts since its last use",
			func(c *Config) *time.Duration { return &c.Server.SessionTTL }),
		logLevelKey("log.level", "info",
			"the least severe messages logged: debug, info, warn or error",
			func(c *Config) *slog.Level { return &c.Log.Level }),
	}
}

func addrKey(name, def, help string, field func(*Config) *string) Key {
	return Key{
		Name: name, Kind: KindAddr, Default: def, Help: help,
		Allowed: "host:port, like 127.0.0.1:8480, 0.0.0.0:8480 (every interface), :8480 or [::1]:8480; " +
			"the port from 0 to 65535",
		def: constDefault(def),
		parse: func(raw any, _ *facts, c *Config) error {
			a, err := parseAddr(raw)
			if err != nil {
				return err
			}
			*field(c) = a
			return nil
		},
		value: func(c *Config) any { return *field(c) },
	}
}

// parseAddr checks a listen address: a host (empty, an IP or a DNS name)
// and a numeric port.
func parseAddr(raw any) (string, error) {
	switch raw.(type) {
	case int, int64, uint64:
		return "", fmt.Errorf("a bare port; write :%v for every interface or 127.0.0.1:%v for this machine only", raw, raw)
	}
	s, ok := raw.(string)
	if !ok {
		return "", errors.New("not an address")
	}
	s = strings.TrimSpace(s)
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if _, perr := strconv.Atoi(s); perr == nil {
			return "", fmt.Errorf("a bare port; write :%s for every interface or 127.0.0.1:%s for this machine only", s, s)
		}
		return "", errors.New("not host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || port != strconv.Itoa(n) {
		return "", fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if host != "" && net.ParseIP(host) == nil && !isDNSName(host) {
		return "", fmt.Errorf("host %q is neither an IP address nor a host name", host)
	}
	return s, nil
}

// isDNSName reports whether s is a plausible host name: labels of letters,
// digits and '-', not starting or ending with '-'.
func isDNSName(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func originsKey(name, help string, field func(*Config) *[]string) Key {
	return Key{
		Name: name, Kind: KindOrigins, Default: "none", Help: help,
		Allowed: "a list of origins, each http:// or https:// and a host with an optional port, " +
			"nothing after it (like https://attune.clinic.lan or http://10.0.0.5:8480); in env and flags separated by ','",
		def: constDefault(""),
		parse: func(raw any, _ *facts, c *Config) error {
			var elems []any
			switch r := raw.(type) {
			case nil:
			case []any:
				elems = r
			case string:
				for _, s := range strings.Split(r, ",") {
					if s = strings.TrimSpace(s); s != "" {
						elems = append(elems, s)
					}
				}
			default:
				return errors.New("not a list")
			}
			var out []string
			seen := map[string]bool{}
			for _, e := range elems {
				o, err := parseOrigin(e)
				if err != nil {
					return fmt.Errorf("%q: %w", rawText(e), err)
				}
				if !seen[o] {
					seen[o] = true
					out = append(out, o)
				}
			}
			*field(c) = out
			return nil
		},
		value: func(c *Config) any {
			if list := *field(c); list != nil {
				return list
			}
			return []string{}
		},
	}
}

// parseOrigin checks one browser origin and returns it as browsers send
// it in the Origin header: scheme and host in lower case, the scheme's
// default port left out. Anything a browser never sends (a path, a query,
// user info, a wildcard) is rejected rather than silently never matching.
func parseOrigin(raw any) (string, error) {
	s, ok := raw.(string)
	if !ok {
		return "", errors.New("not an origin")
	}
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil {
		return "", errors.New("not a URL")
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return "", errors.New("the scheme must be http or https")
	case u.Opaque != "" || u.Host == "":
		return "", errors.New("no host")
	case u.User != nil:
		return "", errors.New("has user info; an origin is scheme://host[:port]")
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || strings.HasSuffix(s, "#"):
		return "", errors.New("has something after the host; an origin is scheme://host[:port] with no path, not even /")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || strings.Contains(host, "*") {
		return "", errors.New("the host must be a name or an address, not a pattern")
	}
	if net.ParseIP(host) == nil && !isDNSName(host) {
		return "", fmt.Errorf("host %q is neither an IP address nor a host name", host)
	}
	hostport := host
	if strings.Contains(host, ":") { // IPv6
		hostport = "[" + host + "]"
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("port %q is not a number from 1 to 65535", port)
		}
		if !(scheme == "http" && n == 80 || scheme == "https" && n == 443) {
			hostport += ":" + strconv.Itoa(n)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return "", errors.New("an empty port")
	}
	return scheme + "://" + hostport, nil
}

// fileKey is an optional path: unset (or empty) means none.
func fileKey(name, help string, field func(*Config) *string) Key {
	return Key{
		Name: name, Kind: KindFile, Default: "none", Help: help,
		Allowed: pathAllowed[:len(pathAllowed)-1] + "; empty for none)",
		def:     constDefault(""),
		parse: func(raw any, f *facts, c *Config) error {
			if s, ok := raw.(string); raw == nil || ok && s == "" {
				*field(c) = ""
				return nil
			}
			p, err := parsePath(raw, f)
			if err != nil {
				return err
			}
			*field(c) = p
			return nil
		},
		value: func(c *Config) any { return *field(c) },
	}
}

// logLevelNames are the log.level values, least severe first.
func logLevelNames() []struct {
	name  string
	level slog.Level
} {
	return []struct {
		name  string
		level slog.Level
	}{{"debug", slog.LevelDebug}, {"info", slog.LevelInfo}, {"warn", slog.LevelWarn}, {"error", slog.LevelError}}
}

func logLevelKey(name, def, help string, field func(*Config) *slog.Level) Key {
	return Key{
		Name: name, Kind: KindLogLevel, Default: def, Help: help,
		Allowed: "one of debug, info, warn, error",
		def:     constDefault(def),
		parse: func(raw any, _ *facts, c *Config) error {
			s, ok := raw.(string)
			if !ok {
				return errors.New("not a level")
			}
			s = strings.ToLower(strings.TrimSpace(s))
			for _, l := range logLevelNames() {
				if l.name == s {
					*field(c) = l.level
					return nil
				}
			}
			if s == "warning" {
				return errors.New(`unknown level; did you mean "warn"?`)
			}
			return errors.New("unknown level")
		},
		value: func(c *Config) any {
			for _, l := range logLevelNames() {
				if l.level == *field(c) {
					return l.name
				}
			}
			return "info"
		},
	}
}

// checkServer checks what no single key can: the TLS certificate and key
// come together.
func checkServer(l *Loaded) error {
	s := l.Config.Server
	if (s.TLSCert == "") == (s.TLSKey == "") {
		return nil
	}
	set, unset, val := "server.tls_cert", "server.tls_key", s.TLSCert
	if s.TLSCert == "" {
		set, unset, val = unset, set, s.TLSKey
	}
	return &Error{Key: set, Value: val, Origin: l.Origin(set), Allowed: "server.tls_cert and server.tls_key both set, or neither",
		Reason: unset + " is not set"}
}
