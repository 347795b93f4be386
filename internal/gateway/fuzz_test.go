package gateway_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/gateway"
)

// FuzzParse: any body either parses into a request that satisfies the
// documented limits, or is refused with invalid_request and details; it
// never panics, and the hash of a parsed request is stable.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"id":"t-1","processor":"acme-cn","assets":["a"],"recipient":{"name":"ACME GmbH","country":"DE"},"individuals":10,"sensitive_individuals":0}`))
	f.Add([]byte(`{"id":"t-1","processor":"p","assets":["a","a"],"recipient":{"name":"x"}}`))
	f.Add([]byte(`{"id":"t-1","processor":"p","assets":["a"],"recipient":{"name":"x"},"date":"2026-02-30","backfill":true}`))
	f.Add([]byte(`{"id":"","processor":"p","assets":[],"recipient":{"name":""},"individuals":-1}`))
	f.Add([]byte(`{"id":"t","processor":"p","assets":["a"],"recipient":{"name":"x"},"exemption":"vulnerability_report","exemption_ref":"MIIT-1","exemption_filed":"2026-01-01"}`))
	f.Add([]byte(`{"id":"t","processor":"p","assets":["a"],"recipient":{"name":"x"}} {}`))
	f.Add([]byte(`{"unknown":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"id":"t","processor":"p","assets":["a"],"recipient":{"name":"x"},"purpose":"xbt_secret"}`))
	f.Add([]byte("\xff\xfe{"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := gateway.Parse(body)
		if err != nil {
			var ge *gateway.Error
			if !errors.As(err, &ge) || ge.Code != gateway.CodeInvalid || len(ge.Details) == 0 {
				t.Fatalf("refusal without code invalid_request and details: %v", err)
			}
			return
		}
		if strings.TrimSpace(r.ID) == "" || strings.TrimSpace(r.Processor) == "" || strings.TrimSpace(r.Recipient.Name) == "" || len(r.Assets) == 0 {
			t.Fatalf("accepted a request without id, processor, recipient or assets: %+v", r)
		}
		if len(r.ID) > gateway.MaxIDLen || len(r.Assets) > gateway.MaxAssets || len(r.Purpose) > gateway.MaxTextLen {
			t.Fatalf("accepted a request over the limits: %+v", r)
		}
		if (r.Individuals != nil && *r.Individuals < 0) || (r.SensitiveIndividuals != nil && *r.SensitiveIndividuals < 0) {
			t.Fatalf("accepted negative counts: %+v", r)
		}
		if r.Backfill != (r.Date != "") {
			t.Fatalf("accepted a date without backfill or a backfill without date: %+v", r)
		}
		if strings.Contains(string(body), "xbt_") {
			t.Fatalf("accepted a body holding an API token prefix")
		}
		// The canonical form parses back to the same request and hash.
		canon, _ := json.Marshal(r)
		r2, err := gateway.Parse(canon)
		if err != nil {
			t.Fatalf("canonical form %s refused: %v", canon, err)
		}
		if string(r2.Hash()) != string(r.Hash()) {
			t.Fatalf("hash changed through the canonical form")
		}
	})
}
