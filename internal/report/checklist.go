package report

import "github.com/xborder/xborder/internal/model"

// checkItem is one fact a person must supply before an asset or a transfer
// can be decided.
type checkItem struct {
	// Asset is the asset the fact is about; empty for a transfer's own fact
	// (its counts, an asset's state at the transfer date).
	Asset string
	// Transfers are, for a transfer's own fact, the transfers waiting for it;
	// for an asset's fact, the transfers that wait for it too.
	Transfers      []string
	Fact, Question string
	// Criteria could still decide once the fact is known.
	Criteria []string
}

// checklist lists the facts still needed: each asset's at --as-of, then each
// transfer's (transfers[].missing). A transfer's fact that an asset it
// carries already asks for, with the same question, is not repeated: the
// asset's entry names the transfer instead. Transfers that ask the same
// question (earlier_counts of one processor and year) share one entry.
func checklist(a *model.Assessment) []checkItem {
	var list []checkItem
	at := map[string]int{} // kind, subject, fact, question -> index in list
	key := func(parts ...string) string {
		k := ""
		for _, p := range parts {
			k += p + "\x00"
		}
		return k
	}
	for _, r := range a.Assets {
		for _, m := range r.Missing {
			k := key("asset", r.ID, m.Fact, m.Question)
			if _, ok := at[k]; ok {
				continue
			}
			at[k] = len(list)
			list = append(list, checkItem{Asset: r.ID, Fact: m.Fact, Question: m.Question, Criteria: m.Criteria})
		}
	}
	for _, t := range a.Transfers {
		for _, m := range t.Missing {
			dup := -1
			for _, ta := range t.Assets {
				if i, ok := at[key("asset", ta.ID, m.Fact, m.Question)]; ok {
					dup = i
					break
				}
			}
			if dup < 0 {
				k := key("transfer", m.Fact, m.Question)
				i, ok := at[k]
				if !ok {
					at[k] = len(list)
					list = append(list, checkItem{Fact: m.Fact, Question: m.Question, Criteria: m.Criteria})
					i = len(list) - 1
				}
				dup = i
			}
			it := &list[dup]
			if n := len(it.Transfers); n == 0 || it.Transfers[n-1] != t.ID {
				it.Transfers = append(it.Transfers, t.ID)
			}
		}
	}
	return list
}
