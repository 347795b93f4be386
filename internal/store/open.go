package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// DefaultURL is the database used when none is given.
const DefaultURL = "sqlite:./xborder.db"

// Driver opens a store from a URL.
type Driver func(ctx context.Context, url string) (Store, error)

var (
	driversMu sync.RWMutex
	drivers   = map[string]Driver{}
)

// Register makes a backend available to Open under a URL scheme. Backends
// register themselves in init; import them for their side effect
// (_ "github.com/xborder/xborder/internal/store/sqlite").
func Register(scheme string, d Driver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	drivers[scheme] = d
}

// Scheme returns the scheme of a database URL: "sqlite" for sqlite:PATH,
// "postgres" for postgres:// and postgresql://.
func Scheme(url string) string {
	i := strings.IndexByte(url, ':')
	if i <= 0 {
		return ""
	}
	s := strings.ToLower(url[:i])
	if s == "postgresql" {
		s = "postgres"
	}
	return s
}

// Open opens the database at url (sqlite:PATH or postgres://...), running
// migrations first.
func Open(ctx context.Context, url string) (Store, error) {
	if url == "" {
		url = DefaultURL
	}
	s := Scheme(url)
	driversMu.RLock()
	d := drivers[s]
	driversMu.RUnlock()
	if d == nil {
		driversMu.RLock()
		var known []string
		for k := range drivers {
			known = append(known, k)
		}
		driversMu.RUnlock()
		sort.Strings(known)
		return nil, Errorf(CodeInvalid, "database URL %q: unknown scheme %q (known: %s; want sqlite:PATH or postgres://...)", redact(url), s, strings.Join(known, ", "))
	}
	st, err := d(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(url), err)
	}
	return st, nil
}

// redact hides a password in a URL for messages.
func redact(u string) string { return RedactURL(u) }
