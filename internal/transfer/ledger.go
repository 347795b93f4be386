// Package transfer decides the mechanism each cross-border transfer needs
// (security assessment, standard contract or certification, or exempt),
// keeps the yearly totals per processor and group that drive it, checks
// approval coverage and raises findings. It is pure: the inventory, the rule
// packs and a Ledger of earlier transfers come in, a decision goes out.
package transfer

import "github.com/xborder/xborder/internal/model"

// Tally is a yearly total of individuals.
type Tally struct {
	Individuals          int64 `json:"individuals"`
	SensitiveIndividuals int64 `json:"sensitive_individuals"`
	// Unknown is set when a counted transfer gave no count: the totals are
	// then lower bounds.
	Unknown bool `json:"unknown,omitempty"`
}

// Total is individuals plus sensitive individuals.
func (t Tally) Total() int64 { return satAdd(t.Individuals, t.SensitiveIndividuals) }

// Counts converts to the output form.
func (t Tally) Counts() model.Counts {
	return model.Counts{Individuals: t.Individuals, SensitiveIndividuals: t.SensitiveIndividuals, Unknown: t.Unknown}
}

// Add adds a transfer's counts; an absent count marks the total a lower bound.
func (t *Tally) Add(ind, sens *int64) {
	if ind == nil || sens == nil {
		t.Unknown = true
	}
	if ind != nil {
		t.Individuals = satAdd(t.Individuals, *ind)
	}
	if sens != nil {
		t.SensitiveIndividuals = satAdd(t.SensitiveIndividuals, *sens)
	}
}

// satAdd adds without wrapping: counts near the int64 limit stay at the limit.
func satAdd(a, b int64) int64 {
	if b > 0 && a > (1<<63-1)-b {
		return 1<<63 - 1
	}
	return a + b
}

// Key identifies a yearly total of a processor or group.
type Key struct {
	ID   string
	Year int
}

// Ledger is the running state the decision depends on: counted totals per
// processor-year and group-year, and what each approval's max_individuals has
// consumed. The assess command builds it by replaying the inventory's
// transfers; the service loads it from storage.
type Ledger struct {
	Processor   map[Key]*Tally
	Group       map[Key]*Tally
	ApprovalUse map[string]*Tally
	// Members lists the processors seen per group-year, for the splitting check.
	Members map[Key]map[string]bool
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{Processor: map[Key]*Tally{}, Group: map[Key]*Tally{}, ApprovalUse: map[string]*Tally{}, Members: map[Key]map[string]bool{}}
}

func get(m map[Key]*Tally, k Key) Tally {
	if t, ok := m[k]; ok {
		return *t
	}
	return Tally{}
}

// ProcessorTotal returns a processor's counted total for a year.
func (l *Ledger) ProcessorTotal(proc string, year int) Tally {
	return get(l.Processor, Key{proc, year})
}

// GroupTotal returns a group's counted total for a year.
func (l *Ledger) GroupTotal(group string, year int) Tally { return get(l.Group, Key{group, year}) }

// Use returns what an approval's cap has consumed.
func (l *Ledger) Use(approval string) Tally {
	if t, ok := l.ApprovalUse[approval]; ok {
		return *t
	}
	return Tally{}
}

func bump(m map[Key]*Tally, k Key, ind, sens *int64) {
	t, ok := m[k]
	if !ok {
		t = &Tally{}
		m[k] = t
	}
	t.Add(ind, sens)
}

// Apply records a decision: its counts go to the totals when it is counted,
// and to the cap of the approval it relies on.
func (l *Ledger) Apply(d *Decision) {
	if d.Counted {
		pk := Key{d.Processor, d.Year}
		gk := Key{d.Group, d.Year}
		bump(l.Processor, pk, d.Individuals, d.Sensitive)
		bump(l.Group, gk, d.Individuals, d.Sensitive)
		if l.Members[gk] == nil {
			l.Members[gk] = map[string]bool{}
		}
		l.Members[gk][d.Processor] = true
	}
	if d.Approval != "" {
		t, ok := l.ApprovalUse[d.Approval]
		if !ok {
			t = &Tally{}
			l.ApprovalUse[d.Approval] = t
		}
		t.Add(d.Individuals, d.Sensitive)
	}
}
