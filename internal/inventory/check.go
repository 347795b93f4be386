package inventory

import (
	"github.com/xborder/xborder/internal/model"
)

// check verifies references across every loaded file: ids unique per kind,
// and every processor, asset, item and group named somewhere exists.
func (l *loaded) check(opts Options, errs *errList) {
	procs := map[string]procRec{}
	groups := map[string]bool{}
	for _, r := range l.procs {
		if !r.id.ok() {
			continue
		}
		if first, dup := procs[r.id.val]; dup {
			errs.at(r.id.pos, r.id.path, "duplicate processor id %q (first at %s)", r.id.val, first.id.pos)
			continue
		}
		procs[r.id.val] = r
		groups[r.id.val] = true
		if r.p.Group != "" {
			groups[r.p.Group] = true
		}
	}
	assets := map[string]assetRec{}
	for _, r := range l.assets {
		if r.proc.ok() {
			if _, ok := procs[r.proc.val]; !ok {
				errs.at(r.proc.pos, r.proc.path, "unknown processor %q", r.proc.val)
			}
		}
		if r.item.ok() && opts.Items != nil && !opts.Items.Item(r.item.val) {
			errs.at(r.item.pos, r.item.path, "unknown data item %q (see xborder rules list)", r.item.val)
		}
		if !r.id.ok() {
			continue
		}
		if first, dup := assets[r.id.val]; dup {
			errs.at(r.id.pos, r.id.path, "duplicate asset id %q (first at %s)", r.id.val, first.id.pos)
			continue
		}
		assets[r.id.val] = r
	}
	transfers := map[string]transferRec{}
	for _, r := range l.transfers {
		if r.id.ok() {
			if first, dup := transfers[r.id.val]; dup {
				errs.at(r.id.pos, r.id.path, "duplicate transfer id %q (first at %s)", r.id.val, first.id.pos)
			} else {
				transfers[r.id.val] = r
			}
		}
		var proc *model.Processor
		if r.proc.ok() {
			if p, ok := procs[r.proc.val]; ok {
				proc = p.p
			} else {
				errs.at(r.proc.pos, r.proc.path, "unknown processor %q", r.proc.val)
			}
		}
		for _, ar := range r.assets {
			a, ok := assets[ar.val]
			switch {
			case !ok:
				errs.at(ar.pos, ar.path, "unknown asset %q", ar.val)
			case proc != nil && a.a.Processor != proc.ID:
				// The law counts per legal entity: an entity cannot send
				// another's data under its own totals and approvals.
				errs.at(ar.pos, ar.path, "asset %q belongs to processor %q, not %q", ar.val, a.a.Processor, proc.ID)
			}
		}
		if r.exemption.val == "ftz_negative_list" && proc != nil && proc.FTZ == "none" {
			errs.at(r.exemption.pos, r.exemption.path, "ftz_negative_list needs processor %q to name its free trade zone (ftz)", proc.ID)
		}
	}
	approvals := map[string]approvalRec{}
	for _, r := range l.approvals {
		if r.id.ok() {
			if first, dup := approvals[r.id.val]; dup {
				errs.at(r.id.pos, r.id.path, "duplicate approval id %q (first at %s)", r.id.val, first.id.pos)
			} else {
				approvals[r.id.val] = r
			}
		}
		procKnown, groupKnown := false, false
		if r.proc.ok() {
			if _, procKnown = procs[r.proc.val]; !procKnown {
				errs.at(r.proc.pos, r.proc.path, "unknown processor %q", r.proc.val)
			}
		}
		if r.group.ok() {
			if groupKnown = groups[r.group.val]; !groupKnown {
				errs.at(r.group.pos, r.group.path, "unknown group %q: no processor has it as group or id", r.group.val)
			}
		}
		for _, ar := range r.scopeAssets {
			a, ok := assets[ar.val]
			if !ok {
				errs.at(ar.pos, ar.path, "unknown asset %q", ar.val)
				continue
			}
			owner, known := procs[a.a.Processor]
			if !known {
				continue // already reported at the asset
			}
			switch {
			case procKnown && owner.p.ID != r.proc.val:
				errs.at(ar.pos, ar.path, "asset %q belongs to processor %q, not %q", ar.val, owner.p.ID, r.proc.val)
			case groupKnown && owner.p.GroupID() != r.group.val && owner.p.ID != r.group.val:
				errs.at(ar.pos, ar.path, "asset %q belongs to processor %q, outside group %q", ar.val, owner.p.ID, r.group.val)
			}
		}
	}
}
