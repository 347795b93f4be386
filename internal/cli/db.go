package cli

import (
	"context"

	"github.com/xborder/xborder/internal/store"
	// Storage backends register themselves.
	_ "github.com/xborder/xborder/internal/store/postgres"
	_ "github.com/xborder/xborder/internal/store/sqlite"
	"github.com/xborder/xborder/internal/xerr"
)

// openDB opens the database at url (migrations run on open). An unknown
// scheme or unreachable database is the user's input problem (exit 2). The
// error never repeats a password of the URL (see redactURL), whatever the
// store or the driver put in it.
func openDB(ctx context.Context, url string) (store.Store, error) {
	st, err := store.Open(ctx, url)
	if err != nil {
		return nil, xerr.BadInput(redactErr(err, url))
	}
	return st, nil
}
