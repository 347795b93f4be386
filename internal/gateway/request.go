// Package gateway is the enforcement decision as a service: it checks a
// transfer before it happens with the same core as `xborder assess`, against
// the stored inventory and the running yearly counts, and in one durable
// transaction counts an allowed transfer, stores the idempotency key and
// appends the decision to the audit log.
package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/model"
)

// Request is the body of POST /v1/transfers/check (SPEC §7).
type Request struct {
	ID                   string          `json:"id"`
	Processor            string          `json:"processor"`
	Assets               []string        `json:"assets"`
	Recipient            model.Recipient `json:"recipient"`
	Purpose              string          `json:"purpose,omitempty"`
	Individuals          *int64          `json:"individuals"`
	SensitiveIndividuals *int64          `json:"sensitive_individuals"`
	Exemption            string          `json:"exemption,omitempty"`
	ExemptionRef         string          `json:"exemption_ref,omitempty"`
	ExemptionFiled       string          `json:"exemption_filed,omitempty"`
	// Date and Backfill let an admin record a past transfer.
	Date     string `json:"date,omitempty"`
	Backfill bool   `json:"backfill,omitempty"`
}

// Response is the answer to a check.
type Response struct {
	Decision         string                `json:"decision"`
	Transfer         string                `json:"transfer"`
	Date             model.Date            `json:"date"`
	Mechanism        string                `json:"mechanism"`
	Exemption        *string               `json:"exemption"`
	Coverage         model.Coverage        `json:"coverage"`
	Reasons          []model.Reason        `json:"reasons"`
	DenyReasons      []string              `json:"deny_reasons"`
	Missing          []model.Missing       `json:"missing"`
	Findings         []model.Finding       `json:"findings"`
	Assets           []model.TransferAsset `json:"assets"`
	Cumulative       model.Cumulative      `json:"cumulative"`
	Backfill         bool                  `json:"backfill,omitempty"`
	LogIndex         uint64                `json:"log_index"`
	InventoryVersion int64                 `json:"inventory_version"`
}

// Limits on a request.
const (
	MaxIDLen     = 200
	MaxAssets    = 1000
	MaxTextLen   = 2000
	MaxBodyBytes = 1 << 20
)

// Error is a request error with a stable code (the HTTP layer maps codes to
// statuses).
type Error struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Details []string `json:"details,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Stable error codes.
const (
	CodeInvalid          = "invalid_request"
	CodeIdempotencyKey   = "idempotency_key_required"
	CodeIdempotencyReuse = "idempotency_key_reused"
	CodeTransferExists   = "transfer_exists"
	CodeForbidden        = "forbidden"
	CodeOverloaded       = "overloaded"
	CodeUnavailable      = "unavailable"
	CodeNoInventory      = "no_inventory"
	CodeInternal         = "internal"
)

func invalid(details []string) *Error {
	return &Error{Code: CodeInvalid, Message: "the check request is not valid", Details: details}
}

// Parse decodes a check body strictly (unknown fields are errors) and
// validates it.
func Parse(body []byte) (*Request, error) {
	// The audit log refuses anything that looks like an API token; say so
	// now rather than fail the commit.
	if bytes.Contains(body, []byte(audit.TokenPrefix)) {
		return nil, invalid([]string{fmt.Sprintf("body: contains %q, the prefix of an API token: tokens must never reach the audit log", audit.TokenPrefix)})
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var r Request
	if err := dec.Decode(&r); err != nil {
		return nil, invalid([]string{"body: " + err.Error()})
	}
	if dec.More() {
		return nil, invalid([]string{"body: more than one JSON value"})
	}
	var errs []string
	req := func(name, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, name+": required")
		} else if len(v) > MaxIDLen {
			errs = append(errs, fmt.Sprintf("%s: longer than %d characters", name, MaxIDLen))
		}
	}
	req("id", r.ID)
	req("processor", r.Processor)
	req("recipient.name", r.Recipient.Name)
	// Control characters have no place in ids or names (and PostgreSQL
	// refuses NUL in text): refuse them here, with the field's name, rather
	// than at commit. Free text may hold tabs and line breaks.
	ctl := func(name, v string, text bool) {
		for i, c := range v {
			if c == 0 || c == 0x7f || c < 0x20 && !(text && (c == '\t' || c == '\n' || c == '\r')) {
				errs = append(errs, fmt.Sprintf("%s: control character U+%04X at byte %d", name, c, i+1))
				return
			}
		}
	}
	ctl("id", r.ID, false)
	ctl("processor", r.Processor, false)
	ctl("recipient.name", r.Recipient.Name, false)
	ctl("recipient.country", r.Recipient.Country, false)
	for i, a := range r.Assets {
		ctl(fmt.Sprintf("assets[%d]", i), a, false)
	}
	ctl("purpose", r.Purpose, true)
	ctl("exemption", r.Exemption, false)
	ctl("exemption_ref", r.ExemptionRef, false)
	if len(r.Assets) == 0 {
		errs = append(errs, "assets: at least one asset is required")
	}
	if len(r.Assets) > MaxAssets {
		errs = append(errs, fmt.Sprintf("assets: more than %d", MaxAssets))
	}
	seen := map[string]bool{}
	for i, a := range r.Assets {
		if strings.TrimSpace(a) == "" {
			errs = append(errs, fmt.Sprintf("assets[%d]: empty", i))
		}
		if seen[a] {
			errs = append(errs, fmt.Sprintf("assets[%d]: %s is listed twice", i, a))
		}
		seen[a] = true
	}
	if r.Individuals != nil && *r.Individuals < 0 {
		errs = append(errs, "individuals: must not be negative")
	}
	if r.SensitiveIndividuals != nil && *r.SensitiveIndividuals < 0 {
		errs = append(errs, "sensitive_individuals: must not be negative")
	}
	if len(r.Purpose) > MaxTextLen {
		errs = append(errs, fmt.Sprintf("purpose: longer than %d characters", MaxTextLen))
	}
	if r.ExemptionFiled != "" {
		if _, err := model.ParseDate(r.ExemptionFiled); err != nil {
			errs = append(errs, "exemption_filed: "+err.Error())
		}
	}
	if r.Date != "" {
		if _, err := model.ParseDate(r.Date); err != nil {
			errs = append(errs, "date: "+err.Error())
		}
		if !r.Backfill {
			errs = append(errs, `date: only a backfill ("backfill": true, admin) may give a date; checks are dated today in China time`)
		}
	}
	if r.Backfill && r.Date == "" {
		errs = append(errs, "date: a backfill needs the transfer's date")
	}
	if len(errs) > 0 {
		return nil, invalid(errs)
	}
	return &r, nil
}

// Hash identifies a request body for idempotency: the canonical JSON of the
// parsed request, so whitespace and key order do not matter.
func (r *Request) Hash() []byte {
	b, _ := json.Marshal(r)
	h := sha256.Sum256(b)
	return h[:]
}

// Transfer converts the request into a transfer dated d.
func (r *Request) Transfer(d model.Date) *model.Transfer {
	t := &model.Transfer{ID: r.ID, Processor: r.Processor, Date: d, Assets: append([]string{}, r.Assets...),
		Recipient: r.Recipient, Purpose: r.Purpose, Individuals: r.Individuals, SensitiveIndividuals: r.SensitiveIndividuals,
		Exemption: r.Exemption, ExemptionRef: r.ExemptionRef, ExemptionFiled: model.NoDate}
	if r.ExemptionFiled != "" {
		t.ExemptionFiled, _ = model.ParseDate(r.ExemptionFiled)
	}
	return t
}
