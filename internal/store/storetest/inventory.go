package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
)

func i64(n int64) *int64 { return &n }
func boolp(b bool) *bool { return &b }

func sampleInventory() *model.Inventory {
	return &model.Inventory{
		Processors: []*model.Processor{
			{ID: "acme-cn", Name: "ACME Motors (China) Co., Ltd.", Group: "acme", LegalEntityInChina: boolp(true), Kinds: []string{"oem"}, FTZ: "none"},
			{ID: "acme-mobility", Group: "acme", CIIO: true, Kinds: []string{"mobility_service", "platform_operator"}},
			{ID: "solo"},
		},
		Assets: []*model.Asset{
			{ID: "road-test-2026", Processor: "acme-cn", Item: "rd.testing.road_test", Name: "Road test logs 2026",
				Sources: []string{"data/road-test/*.csv"}, BaseDir: "/inv",
				Facts: model.FactSet{
					"vehicles_in_china":        {Value: int64(120000), Source: model.SourceDeclared},
					"time_span_days":           {Value: 45.5, Source: "scan:data/x.csv", Evidence: "first..last"},
					"infers_sensitive_geo":     {Value: false, Source: model.SourceDeclared},
					"region_level":             {Value: "prefecture", Source: model.SourceDeclared, Provenance: model.ProvInferred},
					"safety_functions":         {Value: []string{"emergency_braking", "lane_keeping"}, Source: model.SourceDeclared},
					"big":                      {Value: int64(9007199254740993), Source: model.SourceDeclared}, // 2^53+1: breaks a float round trip
					"outbound_individuals_ytd": {Value: nil, Source: model.SourceDerived},
				}},
			{ID: "vins", Processor: "acme-mobility", Item: "connected.vehicle.vin"},
		},
		Approvals: []*model.Approval{
			{ID: "sa-2026-01", Kind: model.SecurityAssessment, Processor: "acme-cn", Issued: model.MustDate("2026-02-01"),
				Expires: model.MustDate("2029-02-01"), Reference: "CAC-SA-2026-0001",
				Scope: model.Scope{Assets: []string{"road-test-2026"}, Recipients: []string{"ACME GmbH"}, MaxIndividuals: i64(500000)}},
			{ID: "sc-1", Kind: model.StandardContract, Group: "acme", Effective: model.MustDate("2026-01-05"), Filed: model.MustDate("2026-01-12"),
				Issued: model.NoDate, Expires: model.NoDate},
		},
	}
}

func testInventory(t *testing.T, h *Harness) {
	st := h.Open(t)
	in := sampleInventory()
	var v1 int64
	update(t, st, func(tx store.Tx) error {
		var err error
		if v1, err = tx.PutInventory(ctx(), in); err != nil {
			return err
		}
		// Reads in the same transaction see the write.
		got, err := tx.Inventory(ctx())
		if err != nil {
			return err
		}
		if got.Version != v1 || len(got.Assets) != 2 {
			t.Errorf("in-transaction read: version %d (want %d), %d assets", got.Version, v1, len(got.Assets))
		}
		return nil
	})
	if v1 != 1 {
		t.Fatalf("first version %d, want 1", v1)
	}
	view(t, st, func(tx store.ReadTx) error {
		got, err := tx.Inventory(ctx())
		if err != nil {
			return err
		}
		if got.Version != 1 {
			t.Errorf("version %d", got.Version)
		}
		if !reflect.DeepEqual(got.Processors, in.Processors) {
			t.Errorf("processors differ:\n%+v\n%+v", got.Processors, in.Processors)
		}
		if !reflect.DeepEqual(got.Assets, in.Assets) {
			for i := range got.Assets {
				t.Errorf("asset %d:\n got %#v\nwant %#v", i, got.Assets[i], in.Assets[i])
			}
		}
		if !reflect.DeepEqual(got.Approvals, in.Approvals) {
			t.Errorf("approvals differ:\n%+v\n%+v", got.Approvals[1], in.Approvals[1])
		}
		v, err := tx.InventoryVersion(ctx())
		if err != nil || v != 1 {
			t.Errorf("InventoryVersion %d %v", v, err)
		}
		return nil
	})
	// Replacing drops what is not in the new inventory.
	update(t, st, func(tx store.Tx) error {
		v, err := tx.PutInventory(ctx(), &model.Inventory{Processors: in.Processors[:1]})
		if v != 2 {
			t.Errorf("second version %d", v)
		}
		return err
	})
	view(t, st, func(tx store.ReadTx) error {
		got, err := tx.Inventory(ctx())
		if err == nil && (len(got.Processors) != 1 || len(got.Assets) != 0 || len(got.Approvals) != 0 || got.Version != 2) {
			t.Errorf("after replace: %+v", got)
		}
		return err
	})
}

func testInventoryRefusals(t *testing.T, h *Harness) {
	st := h.Open(t)
	cases := map[string]*model.Inventory{
		"transfers":       {Transfers: []*model.Transfer{{ID: "t"}}},
		"duplicate asset": {Assets: []*model.Asset{{ID: "a"}, {ID: "a"}}},
		"empty id":        {Processors: []*model.Processor{{}}},
		"unstorable fact": {Assets: []*model.Asset{{ID: "a", Facts: model.FactSet{"x": {Value: time.Now()}}}}},
	}
	for name, inv := range cases {
		err := st.Update(ctx(), func(tx store.Tx) error { _, err := tx.PutInventory(ctx(), inv); return err })
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
	view(t, st, func(tx store.ReadTx) error {
		v, err := tx.InventoryVersion(ctx())
		if v != 0 {
			t.Errorf("refused inventories changed the version to %d", v)
		}
		return err
	})
}

func testApprovals(t *testing.T, h *Harness) {
	st := h.Open(t)
	in := sampleInventory()
	update(t, st, func(tx store.Tx) error { _, err := tx.PutInventory(ctx(), in); return err })
	changed := *in.Approvals[0]
	changed.Reference = "CAC-SA-2026-0002"
	added := &model.Approval{ID: "cert-9", Kind: model.Certification, Processor: "solo"}
	update(t, st, func(tx store.Tx) error {
		if v, err := tx.PutApproval(ctx(), &changed); err != nil || v != 2 {
			t.Errorf("replace: %d %v", v, err)
		}
		if v, err := tx.PutApproval(ctx(), added); err != nil || v != 3 {
			t.Errorf("add: %d %v", v, err)
		}
		return nil
	})
	view(t, st, func(tx store.ReadTx) error {
		a, err := tx.Approval(ctx(), "sa-2026-01")
		if err != nil || a.Reference != "CAC-SA-2026-0002" {
			t.Errorf("Approval: %+v %v", a, err)
		}
		inv, err := tx.Inventory(ctx())
		if err != nil {
			return err
		}
		var ids []string
		for _, a := range inv.Approvals {
			ids = append(ids, a.ID)
		}
		if !reflect.DeepEqual(ids, []string{"sa-2026-01", "sc-1", "cert-9"}) {
			t.Errorf("approval order %v: a replaced approval keeps its place, a new one goes last", ids)
		}
		if _, err := tx.Approval(ctx(), "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing approval: %v", err)
		}
		return nil
	})
	update(t, st, func(tx store.Tx) error {
		if v, err := tx.DeleteApproval(ctx(), "sc-1"); err != nil || v != 4 {
			t.Errorf("delete: %d %v", v, err)
		}
		if _, err := tx.DeleteApproval(ctx(), "sc-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete twice: %v", err)
		}
		return nil
	})
	view(t, st, func(tx store.ReadTx) error {
		if _, err := tx.Approval(ctx(), "sc-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted approval still there: %v", err)
		}
		return nil
	})
}

var _ = context.Background
