package server

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/store"
)

// Head metrics: the log size and the inventory version are the database's,
// not this process's. The gateway sets gauges of these names only inside
// check batches, so after a restart, an inventory change or another
// instance's writes they were stale; /metrics reads both from the store's
// one-row head at scrape time instead (one cheap read per scrape) and
// serves them in place of the gateway's.
const (
	metricLogSize    = "xborder_audit_log_size"
	metricInvVersion = "xborder_inventory_version"
)

type headMetrics struct {
	st      store.Store
	reg     *prometheus.Registry // the two gauges only
	logSize atomic.Uint64
	invVer  atomic.Int64
	mu      sync.Mutex // one refresh at a time
}

func newHeadMetrics(st store.Store) *headMetrics {
	h := &headMetrics{st: st, reg: prometheus.NewRegistry()}
	h.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: metricLogSize, Help: "Entries in the audit log (read from the database when scraped)."},
			func() float64 { return float64(h.logSize.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: metricInvVersion, Help: "Version of the stored inventory, which the next check decides with (read from the database when scraped)."},
			func() float64 { return float64(h.invVer.Load()) }))
	return h
}

// refresh reads the head. On failure the last values stay (a scrape must not
// fail because the database is slow; /readyz says so).
func (h *headMetrics) refresh(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return h.st.View(ctx, func(tx store.ReadTx) error {
		size, err := tx.LogSize(ctx)
		if err != nil {
			return err
		}
		v, err := tx.InventoryVersion(ctx)
		if err != nil {
			return err
		}
		h.logSize.Store(size)
		h.invVer.Store(v)
		return nil
	})
}

// gatherer serves reg plus the head metrics (the log size and inventory
// version, read from the database at each scrape so that they are right
// after a restart and count other instances' writes too).
func (h *headMetrics) gatherer(reg prometheus.Gatherer) prometheus.Gatherer {
	return prometheus.Gatherers{reg, h.reg}
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ gateway.Actor) {
	if err := s.head.refresh(r.Context()); err != nil {
		s.log.Warn("metrics: read the log size and inventory version", "err", err)
	}
	promhttp.HandlerFor(s.gather, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}
