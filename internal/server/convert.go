package server

import (
	"github.com/xborder/xborder/internal/model"
)

// The API speaks the inventory format of SPEC §2 both ways, so what GET
// returns can be edited and PUT back. These convert the model to it.

func dateOrNil(d model.Date) any {
	if !d.Valid() {
		return nil
	}
	return d.String()
}

func omitEmpty(m map[string]any) map[string]any {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case string:
			if x == "" {
				delete(m, k)
			}
		case []string:
			if len(x) == 0 {
				delete(m, k)
			}
		case map[string]any:
			if len(x) == 0 {
				delete(m, k)
			}
		}
	}
	return m
}

func processorDoc(p *model.Processor) map[string]any {
	m := map[string]any{"id": p.ID, "name": p.Name, "group": p.Group, "ciio": p.CIIO, "kinds": p.Kinds, "ftz": p.FTZ}
	if p.LegalEntityInChina != nil {
		m["legal_entity_in_china"] = *p.LegalEntityInChina
	}
	return omitEmpty(m)
}

func assetDoc(a *model.Asset) map[string]any {
	facts := map[string]any{}
	for k, v := range a.Facts {
		facts[k] = v.Value
	}
	return omitEmpty(map[string]any{"id": a.ID, "processor": a.Processor, "item": a.Item, "name": a.Name, "sources": a.Sources, "facts": facts})
}

func approvalDoc(a *model.Approval) map[string]any {
	scope := map[string]any{"assets": a.Scope.Assets, "recipients": a.Scope.Recipients}
	if a.Scope.MaxIndividuals != nil {
		scope["max_individuals"] = *a.Scope.MaxIndividuals
	}
	return omitEmpty(map[string]any{"id": a.ID, "kind": a.Kind, "processor": a.Processor, "group": a.Group,
		"issued": dateOrNil(a.Issued), "expires": dateOrNil(a.Expires), "effective": dateOrNil(a.Effective), "filed": dateOrNil(a.Filed),
		"reference": a.Reference, "scope": omitEmpty(scope)})
}

func transferDoc(t *model.Transfer) map[string]any {
	m := map[string]any{"id": t.ID, "processor": t.Processor, "date": dateOrNil(t.Date), "assets": t.Assets,
		"recipient": omitEmpty(map[string]any{"name": t.Recipient.Name, "country": t.Recipient.Country}), "purpose": t.Purpose,
		"exemption": t.Exemption, "exemption_ref": t.ExemptionRef, "exemption_filed": dateOrNil(t.ExemptionFiled)}
	if t.Individuals != nil {
		m["individuals"] = *t.Individuals
	}
	if t.SensitiveIndividuals != nil {
		m["sensitive_individuals"] = *t.SensitiveIndividuals
	}
	return omitEmpty(m)
}

// inventoryDoc renders processors, assets and approvals (and optionally
// transfers) in the inventory format.
func inventoryDoc(ps []*model.Processor, as []*model.Asset, aps []*model.Approval, ts []*model.Transfer) map[string]any {
	doc := map[string]any{}
	pl := make([]any, 0, len(ps))
	for _, p := range ps {
		pl = append(pl, processorDoc(p))
	}
	al := make([]any, 0, len(as))
	for _, a := range as {
		al = append(al, assetDoc(a))
	}
	apl := make([]any, 0, len(aps))
	for _, a := range aps {
		apl = append(apl, approvalDoc(a))
	}
	doc["processors"], doc["assets"], doc["approvals"] = pl, al, apl
	if ts != nil {
		tl := make([]any, 0, len(ts))
		for _, t := range ts {
			tl = append(tl, transferDoc(t))
		}
		doc["transfers"] = tl
	}
	return doc
}
