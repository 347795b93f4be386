package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/gateway"
	"github.com/xborder/xborder/internal/inventory"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
	"github.com/xborder/xborder/internal/xerr"
)

// readBody reads at most max bytes; a larger body is refused with 413.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large", fmt.Sprintf("the body is larger than %d bytes", max), nil)
		} else {
			writeError(w, http.StatusBadRequest, "invalid_request", "cannot read the body: "+err.Error(), nil)
		}
		return nil, false
	}
	return b, true
}

// detailsOf flattens positioned input errors for an API error body.
func detailsOf(err error) []string {
	var l xerr.List
	if errors.As(err, &l) {
		out := make([]string, 0, len(l))
		for _, e := range l {
			out = append(out, e.Error())
		}
		return out
	}
	return strings.Split(err.Error(), "\n")
}

func (s *Server) putInventory(w http.ResponseWriter, r *http.Request, a gateway.Actor) {
	body, ok := readBody(w, r, s.opt.MaxInventoryBytes)
	if !ok {
		return
	}
	// An empty body would replace the inventory with nothing: refuse it, so
	// that a script uploading an empty file cannot wipe the inventory by
	// accident. Clearing it on purpose is "processors: []".
	if len(bytes.TrimSpace(body)) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_inventory", "the body is empty: send processors, assets and approvals (to clear the inventory on purpose, send \"processors: []\")", nil)
		return
	}
	set := s.gw.Set()
	inv, err := inventory.Parse("body", body, inventory.Options{Facts: set, Items: set, RejectTransfers: true})
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_inventory", "the inventory is not valid", detailsOf(err))
		return
	}
	sum := sha256.Sum256(body)
	var version int64
	err = s.gw.Group().Do(r.Context(), func(tx store.Tx) error {
		v, err := tx.PutInventory(r.Context(), inv)
		if err != nil {
			return err
		}
		version = v
		eb := inventoryEntry(v, inv, sum[:])
		_, err = tx.AppendAudit(r.Context(), audit.Entry{Time: s.gw.Now(), Kind: "inventory.put", Actor: a.String(), Body: eb})
		return err
	})
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, 200, map[string]any{"version": version, "processors": len(inv.Processors), "assets": len(inv.Assets), "approvals": len(inv.Approvals)})
}

func (s *Server) getInventory(w http.ResponseWriter, r *http.Request, _ gateway.Actor) {
	var inv *store.Inventory
	err := s.st.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		inv, err = tx.Inventory(r.Context())
		return err
	})
	if err != nil {
		s.writeErr(w, err)
		return
	}
	doc := inventoryDoc(inv.Processors, inv.Assets, inv.Approvals, nil)
	doc["version"] = inv.Version
	writeJSON(w, 200, doc)
}

func (s *Server) getApproval(w http.ResponseWriter, r *http.Request, _ gateway.Actor) {
	var ap *model.Approval
	err := s.st.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		ap, err = tx.Approval(r.Context(), r.PathValue("id"))
		return err
	})
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, 200, approvalDoc(ap))
}

// putApproval validates one approval in the inventory format against the
// stored processors and assets. It builds a synthetic document: the stored
// processors and assets first (one line each), then the body as the one
// approval, every body line indented. Putting the body last means nothing in
// it can change how the stored lines parse, and error positions map back to
// the body (synthLines lines up, four columns left).
func (s *Server) putApproval(w http.ResponseWriter, r *http.Request, a gateway.Actor) {
	id := r.PathValue("id")
	body, ok := readBody(w, r, 1<<20)
	if !ok {
		return
	}
	var cur *store.Inventory
	if err := s.st.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		cur, err = tx.Inventory(r.Context())
		return err
	}); err != nil {
		s.writeErr(w, err)
		return
	}
	var doc strings.Builder
	rest := inventoryDoc(cur.Processors, cur.Assets, nil, nil)
	pj, _ := json.Marshal(rest["processors"])
	aj, _ := json.Marshal(rest["assets"])
	fmt.Fprintf(&doc, "processors: %s\nassets: %s\napprovals:\n", pj, aj)
	// Split on every YAML line break (CRLF, CR, LF) so that no line of the
	// body escapes the indentation: a bare CR would otherwise start a
	// top-level key of the synthetic document.
	for i, line := range yamlLines(strings.TrimRight(string(body), "\r\n")) {
		if i == 0 {
			doc.WriteString("  - " + line + "\n")
		} else {
			doc.WriteString("    " + line + "\n")
		}
	}
	set := s.gw.Set()
	inv, err := inventory.Parse("body", []byte(doc.String()), inventory.Options{Facts: set, Items: set, RejectTransfers: true})
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_approval", "the approval is not valid", shiftPositions(detailsOf(err)))
		return
	}
	if len(inv.Approvals) != 1 {
		writeError(w, http.StatusBadRequest, "invalid_approval", "the body must be one approval (a mapping)", nil)
		return
	}
	ap := inv.Approvals[0]
	if ap.ID != id {
		writeError(w, http.StatusBadRequest, "invalid_approval", fmt.Sprintf("the body's id %q differs from the path's %q", ap.ID, id), nil)
		return
	}
	var version int64
	err = s.gw.Group().Do(r.Context(), func(tx store.Tx) error {
		v, err := tx.PutApproval(r.Context(), ap)
		if err != nil {
			return err
		}
		version = v
		eb, _ := json.Marshal(map[string]any{"version": v, "approval": approvalDoc(ap)})
		_, err = tx.AppendAudit(r.Context(), audit.Entry{Time: s.gw.Now(), Kind: "approval.put", Actor: a.String(), Body: eb})
		return err
	})
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, 200, map[string]any{"version": version, "approval": approvalDoc(ap)})
}

// synthLines is the number of lines before the body in putApproval's
// synthetic document.
const synthLines = 3

// shiftPositions maps "body:L:C: msg" in the synthetic approval document back
// to the user's body. A position before the body (in the stored processors
// and assets) can only come from the body's effect on the whole document, so
// it is reported at the body's start.
func shiftPositions(ds []string) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		parts := strings.SplitN(d, ":", 4)
		if len(parts) == 4 && parts[0] == "body" {
			l, e1 := strconv.Atoi(parts[1])
			c, e2 := strconv.Atoi(parts[2])
			if e1 == nil && e2 == nil {
				l -= synthLines
				// Every body line was indented by four columns ("  - " or
				// four spaces); a position inside that indent is column 1.
				if c > 4 {
					c -= 4
				} else {
					c = 1
				}
				if l < 1 {
					l, c = 1, 1
				}
				d = fmt.Sprintf("body:%d:%d:%s", l, c, parts[3])
			}
		}
		out = append(out, d)
	}
	return out
}

// yamlLines splits text at the line breaks YAML recognises: CRLF, CR, LF.
func yamlLines(text string) []string {
	return strings.Split(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(text), "\n")
}

func (s *Server) deleteApproval(w http.ResponseWriter, r *http.Request, a gateway.Actor) {
	id := r.PathValue("id")
	var version int64
	err := s.gw.Group().Do(r.Context(), func(tx store.Tx) error {
		v, err := tx.DeleteApproval(r.Context(), id)
		if err != nil {
			return err
		}
		version = v
		eb, _ := json.Marshal(map[string]any{"version": v, "approval": id})
		_, err = tx.AppendAudit(r.Context(), audit.Entry{Time: s.gw.Now(), Kind: "approval.delete", Actor: a.String(), Body: eb})
		return err
	})
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, 200, map[string]any{"version": version, "deleted": id})
}

func (s *Server) check(w http.ResponseWriter, r *http.Request, a gateway.Actor) {
	body, ok := readBody(w, r, gateway.MaxBodyBytes)
	if !ok {
		return
	}
	_, raw, replay, err := s.gw.Check(r.Context(), a, r.Header.Get("Idempotency-Key"), body)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if replay {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.WriteHeader(200)
	_, _ = w.Write(raw)
	_, _ = w.Write([]byte("\n"))
}

func queryDate(r *http.Request, name string) (*model.Date, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	d, err := model.ParseDate(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return &d, nil
}

func queryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: want a non-negative integer", name)
	}
	return n, nil
}

func (s *Server) listTransfers(w http.ResponseWriter, r *http.Request, _ gateway.Actor) {
	var errs []string
	from, err := queryDate(r, "from")
	if err != nil {
		errs = append(errs, err.Error())
	}
	to, err := queryDate(r, "to")
	if err != nil {
		errs = append(errs, err.Error())
	}
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		errs = append(errs, err.Error())
	}
	offset, err := queryInt(r, "offset", 0)
	if err != nil {
		errs = append(errs, err.Error())
	}
	dec := r.URL.Query().Get("decision")
	if dec != "" && dec != store.DecisionAllow && dec != store.DecisionDeny {
		errs = append(errs, "decision: want allow or deny")
	}
	if limit > 10000 {
		errs = append(errs, "limit: at most 10000")
	}
	if len(errs) > 0 {
		writeError(w, 400, "invalid_request", "bad query", errs)
		return
	}
	var recs []store.CheckRecord
	err = s.st.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		recs, err = tx.Checks(r.Context(), store.CheckFilter{Processor: r.URL.Query().Get("processor"), From: from, To: to, Decision: dec, Limit: limit, Offset: offset})
		return err
	})
	if err != nil {
		s.writeErr(w, err)
		return
	}
	out := make([]map[string]any, 0, len(recs))
	for _, c := range recs {
		m := transferDoc(&c.Transfer)
		m["seq"], m["decision"], m["counted"], m["log_index"], m["at"], m["actor"] = c.Seq, c.Decision, c.Counted, c.LogIndex, c.At, c.Actor
		if c.Backfill {
			m["backfill"] = true
		}
		var resp gateway.Response
		if json.Unmarshal(c.Response, &resp) == nil {
			m["mechanism"], m["coverage"], m["deny_reasons"] = resp.Mechanism, resp.Coverage.Status, resp.DenyReasons
		}
		out = append(out, m)
	}
	writeJSON(w, 200, map[string]any{"transfers": out, "limit": limit, "offset": offset})
}

// Assessment computes GET /v1/assessment: the same JSON as `xborder assess
// --format json --no-scan` over the stored inventory and the allowed
// transfers (the assessment decides again which of them count).
func Assessment(ctx context.Context, st store.Store, gw *gateway.Gateway, asOf model.Date) (*model.Assessment, error) {
	var inv *store.Inventory
	var ts []*model.Transfer
	err := st.View(ctx, func(tx store.ReadTx) error {
		var err error
		if inv, err = tx.Inventory(ctx); err != nil {
			return err
		}
		ts, err = tx.AllowedTransfers(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	m := &model.Inventory{Processors: inv.Processors, Assets: inv.Assets, Approvals: inv.Approvals, Transfers: ts}
	return assess.Run(ctx, m, gw.Set(), assess.Options{AsOf: asOf, Calendar: gw.Calendar(), Residuals: true}), nil
}

func (s *Server) assessment(w http.ResponseWriter, r *http.Request, _ gateway.Actor) {
	asOf := model.DateOf(s.gw.Now())
	if d, err := queryDate(r, "as_of"); err != nil {
		writeError(w, 400, "invalid_request", err.Error(), nil)
		return
	} else if d != nil {
		asOf = *d
	}
	a, err := Assessment(r.Context(), s.st, s.gw, asOf)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, 200, a)
}

func b64s(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h)
	}
	return out
}

func checkpointJSON(c audit.SignedCheckpoint) map[string]any {
	return map[string]any{"origin": c.Origin, "size": c.Size, "root": base64.StdEncoding.EncodeToString(c.Root), "note": string(c.Note), "key_ids": c.KeyIDs}
}

func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request, _ gateway.Actor) {
	var c audit.SignedCheckpoint
	err := s.st.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		c, err = tx.LatestCheckpoint(r.Context())
		return err
	})
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, 200, checkpointJSON(c))
}

func queryU64(r *http.Request, name string) (uint64, error) {
	v := r.URL.Query().Get(name)
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: want a non-negative integer", name)
	}
	return n, nil
}

func (s *Server) inclusion(w http.ResponseWriter, r *http.Request, _ gateway.Actor) {
	idx, err1 := queryU64(r, "index")
	size, err2 := queryU64(r, "size")
	if err := errors.Join(err1, err2); err != nil {
		writeError(w, 400, "invalid_request", "bad query", detailsOf(err))
		return
	}
	if idx >= size {
		writeError(w, 400, "invalid_request", "index must be below size", nil)
		return
	}
	var proof [][]byte
	var leaf []byte
	var cp audit.SignedCheckpoint
	err := s.st.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		if cp, err = tx.CheckpointAt(r.Context(), size); err != nil {
			return store.Wrap(store.CodeNotFound, err, "no signed checkpoint at size %d: proofs are pinned to a checkpoint (GET /v1/audit/checkpoint)", size)
		}
		if proof, err = tx.InclusionProof(r.Context(), idx, size); err != nil {
			return err
		}
		return tx.Entries(r.Context(), idx, idx+1, func(e audit.StoredEntry) error {
			leaf = e.Leaf
			if leaf == nil && e.Data != nil {
				leaf = audit.LeafHash(e.Data)
			}
			return nil
		})
	})
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, 200, map[string]any{"index": idx, "size": size, "leaf_hash": base64.StdEncoding.EncodeToString(leaf), "proof": b64s(proof), "checkpoint": checkpointJSON(cp)})
}

func (s *Server) consistency(w http.ResponseWriter, r *http.Request, _ gateway.Actor) {
	from, err1 := queryU64(r, "from")
	to, err2 := queryU64(r, "to")
	if err := errors.Join(err1, err2); err != nil {
		writeError(w, 400, "invalid_request", "bad query", detailsOf(err))
		return
	}
	if from > to {
		writeError(w, 400, "invalid_request", "from must not exceed to", nil)
		return
	}
	var proof [][]byte
	err := s.st.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		proof, err = tx.ConsistencyProof(r.Context(), from, to)
		return err
	})
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, 200, map[string]any{"from": from, "to": to, "proof": b64s(proof)})
}

func (s *Server) entries(w http.ResponseWriter, r *http.Request, _ gateway.Actor) {
	from, err := queryInt(r, "from", 0)
	if err != nil {
		writeError(w, 400, "invalid_request", err.Error(), nil)
		return
	}
	limit, err := queryInt(r, "limit", 100)
	if err != nil || limit > 1000 {
		writeError(w, 400, "invalid_request", "limit: want 0 to 1000", nil)
		return
	}
	out := []map[string]any{}
	var size uint64
	err = s.st.View(r.Context(), func(tx store.ReadTx) error {
		var err error
		if size, err = tx.LogSize(r.Context()); err != nil {
			return err
		}
		return tx.Entries(r.Context(), uint64(from), uint64(from+limit), func(e audit.StoredEntry) error {
			m := map[string]any{"index": e.Index}
			if e.Data == nil {
				m["archived"] = true
			} else {
				// The canonical bytes let a client (the console) hash the
				// entry itself instead of trusting leaf_hash.
				m["data"] = base64.StdEncoding.EncodeToString(e.Data)
				if d, err := audit.Decode(e.Data); err == nil {
					m["time"], m["kind"], m["actor"] = d.Time, d.Kind, d.Actor
					m["body"] = json.RawMessage(d.Body)
				}
			}
			if e.Leaf != nil {
				m["leaf_hash"] = base64.StdEncoding.EncodeToString(e.Leaf)
			}
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, 200, map[string]any{"size": size, "from": from, "entries": out})
}

// maxInventoryEntry bounds the inventory content logged with inventory.put
// (an audit entry holds at most 1 MiB).
const maxInventoryEntry = 768 << 10

// inventoryEntry is the inventory.put body: counts, the body's digest and,
// when it fits, the content in the GET /v1/inventory form, so an inspector
// can tell from the log alone what an approval or a declared fact said when
// a later check relied on it (the stored inventory is replaced in place).
func inventoryEntry(version int64, inv *model.Inventory, sum []byte) []byte {
	m := map[string]any{"version": version, "processors": len(inv.Processors), "assets": len(inv.Assets),
		"approvals": len(inv.Approvals), "body_sha256": hex.EncodeToString(sum)}
	content, err := json.Marshal(inventoryDoc(inv.Processors, inv.Assets, inv.Approvals, nil))
	if err == nil && len(content) <= maxInventoryEntry {
		m["content"] = json.RawMessage(content)
	} else {
		m["content_omitted"] = fmt.Sprintf("the inventory's content (%d bytes) exceeds what one entry holds; body_sha256 identifies the body", len(content))
	}
	eb, _ := json.Marshal(m)
	return eb
}
