package server_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/server"
	"github.com/xborder/xborder/internal/store"
)

// metricsService is serve's wiring: the gateway and the server share one
// registry, so the gateway's gauges of the same names are there too.
type metricsService struct {
	st  store.Store
	gw  *gateway.Gateway
	srv *server.Server
	ts  *httptest.Server
	h   *harness // for req
}

func startMetricsService(t *testing.T, path string, clk *stepClock) *metricsService {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	gw, err := gateway.New(st, gateway.Options{Set: defaultPacks(t), Now: clk.Now, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(st, gw, server.Options{Registry: reg, CheckpointEvery: time.Hour})
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	tok := "xbt_metrics_admin_" + "0123456789abcdef0123456789"
	if err := st.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Token(ctx, store.TokenHash(tok)); err == nil {
			return nil
		}
		return tx.CreateToken(ctx, store.TokenRecord{Hash: store.TokenHash(tok), Role: store.RoleAdmin, Name: "m", Created: harnessStart})
	}); err != nil {
		t.Fatal(err)
	}
	s := &metricsService{st: st, gw: gw, srv: srv, ts: ts,
		h: &harness{t: t, st: st, gw: gw, srv: srv, ts: ts, clock: clk, tokens: map[string]string{"admin": tok}}}
	t.Cleanup(s.stop)
	return s
}

func (s *metricsService) stop() {
	if s.ts == nil {
		return
	}
	s.ts.Close()
	s.srv.Stop(context.Background())
	s.gw.Close()
	s.st.Close()
	s.ts = nil
}

// head returns the log size and inventory version /metrics shows, and the
// stored ones.
func (s *metricsService) head(t *testing.T) (shownSize, shownVer float64, size uint64, ver int64) {
	t.Helper()
	r := s.h.req("GET", "/metrics", "admin", nil, nil)
	if r.status != 200 {
		t.Fatalf("metrics: %d %s", r.status, r.body)
	}
	var ok1, ok2 bool
	shownSize, ok1 = metricValue(t, r.body, "xborder_audit_log_size")
	shownVer, ok2 = metricValue(t, r.body, "xborder_inventory_version")
	if !ok1 || !ok2 {
		t.Fatalf("metrics lack the log size or inventory version:\n%s", r.body)
	}
	ctx := context.Background()
	if err := s.st.View(ctx, func(tx store.ReadTx) error {
		var err error
		if size, err = tx.LogSize(ctx); err != nil {
			return err
		}
		ver, err = tx.InventoryVersion(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return
}

// xborder_audit_log_size and xborder_inventory_version are the database's
// whenever scraped: after a restart (before any check), after an inventory
// or approval change, after a checkpoint.
func TestMetrics_LogSizeAndInventoryVersionAreCurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	clk := &stepClock{t: harnessStart}
	s := startMetricsService(t, path, clk)
	s.h.loadExample()
	for i := 0; i < 3; i++ {
		if r, _ := s.h.check("admin", "m-"+string(rune('a'+i)), smallVolume("t-m-"+string(rune('a'+i)), 10)); r.status != 200 {
			t.Fatalf("check: %d %s", r.status, r.body)
		}
	}
	if gs, gv, size, ver := s.head(t); gs != float64(size) || gv != float64(ver) || size < 4 || ver != 1 {
		t.Fatalf("after checks: shown size %v version %v, stored %d %d", gs, gv, size, ver)
	}
	s.stop()

	// Restart on the same database: nothing checked yet.
	s = startMetricsService(t, path, clk)
	gs, gv, size, ver := s.head(t)
	if gs != float64(size) || gv != float64(ver) || size < 4 {
		t.Errorf("after restart: shown size %v version %v, stored %d %d", gs, gv, size, ver)
	}
	// Inventory and approval changes, no check after them.
	s.h.loadExample()
	if gs, gv, size, ver := s.head(t); gs != float64(size) || gv != float64(ver) || ver != 2 {
		t.Errorf("after PUT /v1/inventory: shown size %v version %v, stored %d %d", gs, gv, size, ver)
	}
	if r := s.h.req("DELETE", "/v1/approvals/sc-2025-01", "admin", nil, nil); r.status != 200 {
		t.Fatalf("delete approval: %d %s", r.status, r.body)
	}
	if gs, gv, size, ver := s.head(t); gs != float64(size) || gv != float64(ver) || ver != 3 {
		t.Errorf("after DELETE /v1/approvals: shown size %v version %v, stored %d %d", gs, gv, size, ver)
	}
	// Another writer (another instance, xborder token create) is seen too.
	ctx := context.Background()
	if err := s.st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.AppendAudit(ctx, auditEntry("token.create"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if gs, _, size, _ := s.head(t); gs != float64(size) {
		t.Errorf("after another writer: shown size %v, stored %d", gs, size)
	}
	// One sample of each: the gateway's gauges of the same names are not
	// served beside them.
	r := s.h.req("GET", "/metrics", "admin", nil, nil)
	if n := countLines(r.body, "xborder_audit_log_size "); n != 1 {
		t.Errorf("%d xborder_audit_log_size samples", n)
	}
}

func auditEntry(kind string) audit.Entry {
	return audit.Entry{Time: harnessStart, Kind: kind, Actor: "cli", Body: []byte(`{"role":"auditor","name":"other"}`)}
}

func countLines(body []byte, prefix string) int {
	n := 0
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}
