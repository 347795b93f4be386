package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/scan"
	"github.com/xborder/xborder/internal/xerr"
)

// measureFlags are the scan options assess passes on when it measures sources.
type measureFlags struct {
	crs           string
	boundaries    string
	boundariesCRS string
}

func (m *measureFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&m.crs, "crs", "", "coordinate system of the scanned sources: wgs84, gcj02 or bd09 (default: named by the file, else wgs84 assumed)")
	c.Flags().StringVar(&m.boundaries, "boundaries", "", "GeoJSON boundaries with GB/T 2260 codes for scanning sources (default: built-in, approximate prefectures)")
	c.Flags().StringVar(&m.boundariesCRS, "boundaries-crs", "", "coordinate system of the --boundaries file: wgs84 (default), gcj02 or bd09")
}

// measureAssets scans the sources of every asset that names some, so the
// assessment rests on the data itself. A source that cannot be read or
// matches nothing is reported on that asset (source_not_measured), never
// silently skipped; the assessment still runs on the declared facts.
func measureAssets(ctx context.Context, env *Env, inv *model.Inventory, f *measureFlags) (map[string]assess.Measurement, error) {
	var todo []*model.Asset
	for _, a := range inv.Assets {
		if len(a.Sources) > 0 {
			todo = append(todo, a)
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	crs, err := scan.NormalizeCRS(f.crs)
	if err != nil {
		return nil, xerr.BadInputf("--crs: %v", err)
	}
	g, err := loadGeo(f.boundaries, f.boundariesCRS)
	if err != nil {
		return nil, err
	}
	out := make(map[string]assess.Measurement, len(todo))
	for _, a := range todo {
		facts, rep, err := scan.Measure(ctx, a.BaseDir, a.Sources, scan.Options{CRS: crs, Geo: g})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			out[a.ID] = assess.Measurement{Problem: err.Error()}
			continue
		}
		m := assess.Measurement{Facts: facts, Unsettled: scan.UnsettledFacts(rep)}
		var partial []string
		for _, fr := range rep.Files {
			if fr.Status != scan.StatusScanned {
				partial = append(partial, fmt.Sprintf("%s is %s", fr.Path, fr.Status))
			}
		}
		if len(partial) > 0 {
			m.Problem = strings.Join(partial, "; ")
		}
		out[a.ID] = m
	}
	return out, nil
}
