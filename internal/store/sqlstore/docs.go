package sqlstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/store"
)

// assetDoc stores an asset with typed facts: a plain JSON round trip would
// turn int64 facts into float64 and lists into []any.
type assetDoc struct {
	ID        string             `json:"id"`
	Processor string             `json:"processor"`
	Item      string             `json:"item"`
	Name      string             `json:"name,omitempty"`
	Sources   []string           `json:"sources,omitempty"`
	BaseDir   string             `json:"base_dir,omitempty"`
	Facts     map[string]factDoc `json:"facts,omitempty"`
}

type factDoc struct {
	T          string          `json:"t"`
	V          json.RawMessage `json:"v"`
	Source     string          `json:"source,omitempty"`
	Provenance string          `json:"provenance,omitempty"`
	Evidence   string          `json:"evidence,omitempty"`
}

func encodeAsset(a *model.Asset) (string, error) {
	d := assetDoc{ID: a.ID, Processor: a.Processor, Item: a.Item, Name: a.Name, Sources: a.Sources, BaseDir: a.BaseDir}
	if len(a.Facts) > 0 {
		d.Facts = make(map[string]factDoc, len(a.Facts))
	}
	for name, fv := range a.Facts {
		var t string
		var v any = fv.Value
		switch x := fv.Value.(type) {
		case nil:
			t = "null"
		case int:
			t, v = "int", int64(x)
		case int32:
			t, v = "int", int64(x)
		case int64:
			t = "int"
		case float32:
			t, v = "number", float64(x)
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return "", store.Errorf(store.CodeInvalid, "asset %s: fact %s: %v cannot be stored", a.ID, name, x)
			}
			t = "number"
		case bool:
			t = "bool"
		case string:
			t = "string"
		case []string:
			t = "list"
		default:
			return "", store.Errorf(store.CodeInvalid, "asset %s: fact %s: value of type %T cannot be stored", a.ID, name, x)
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return "", store.Wrap(store.CodeInvalid, err, "asset %s: fact %s", a.ID, name)
		}
		d.Facts[name] = factDoc{T: t, V: raw, Source: fv.Source, Provenance: fv.Provenance, Evidence: fv.Evidence}
	}
	b, err := json.Marshal(d)
	return string(b), err
}

func decodeAsset(s string) (*model.Asset, error) {
	var d assetDoc
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return nil, err
	}
	a := &model.Asset{ID: d.ID, Processor: d.Processor, Item: d.Item, Name: d.Name, Sources: d.Sources, BaseDir: d.BaseDir}
	if len(d.Facts) > 0 {
		a.Facts = make(model.FactSet, len(d.Facts))
	}
	for name, f := range d.Facts {
		var v any
		dec := json.NewDecoder(bytes.NewReader(f.V))
		dec.UseNumber()
		switch f.T {
		case "null":
		case "int":
			var n json.Number
			if err := dec.Decode(&n); err != nil {
				return nil, fmt.Errorf("fact %s: %w", name, err)
			}
			i, err := n.Int64()
			if err != nil {
				return nil, fmt.Errorf("fact %s: %w", name, err)
			}
			v = i
		case "number":
			var x float64
			if err := json.Unmarshal(f.V, &x); err != nil {
				return nil, fmt.Errorf("fact %s: %w", name, err)
			}
			v = x
		case "bool":
			var x bool
			if err := json.Unmarshal(f.V, &x); err != nil {
				return nil, fmt.Errorf("fact %s: %w", name, err)
			}
			v = x
		case "string":
			var x string
			if err := json.Unmarshal(f.V, &x); err != nil {
				return nil, fmt.Errorf("fact %s: %w", name, err)
			}
			v = x
		case "list":
			x := []string{}
			if err := json.Unmarshal(f.V, &x); err != nil {
				return nil, fmt.Errorf("fact %s: %w", name, err)
			}
			v = x
		default:
			return nil, fmt.Errorf("fact %s: unknown stored type %q", name, f.T)
		}
		a.Facts[name] = model.FactValue{Value: v, Source: f.Source, Provenance: f.Provenance, Evidence: f.Evidence}
	}
	return a, nil
}

func encodeJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
