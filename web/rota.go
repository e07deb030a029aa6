package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/timefmt"
)

// The Rota page: the revision in force, when and by whom it was
// published, its files, and what this node found on disk if it refused a
// reload.

type rotaPage struct {
	Rev         int64
	Published   string
	PublishedBy string
	Digest      string
	ClusterRev  int64 // the cluster's, when this node has not caught up
	Files       []fileRow
	Teams       int
	People      int
	Warnings    []diagRow // of the rota in force
	Disk        *diskRow
}

type fileRow struct {
	Name  string
	Bytes int
}

type diagRow struct {
	Pos, Severity, Msg, Hint string
}

type diskRow struct {
	Dir, At, Err string
	Refused      bool
	Errors       []diagRow
	Warnings     int
}

func diagRows(ds rotafile.Diagnostics) []diagRow {
	var out []diagRow
	for _, d := range ds {
		out = append(out, diagRow{Pos: fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Col), Severity: string(d.Severity), Msg: d.Msg, Hint: d.Hint})
	}
	return out
}

func (c *Console) rota(w http.ResponseWriter, r *http.Request, s *session) error {
	rt, err := c.rotaInForce()
	if err != nil {
		return err
	}
	p := rotaPage{Rev: rt.Rev, Teams: len(rt.Teams), People: len(rt.People)}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	rec, ok, err := c.Store.Rota(ctx)
	if err != nil {
		return err
	}
	if ok {
		p.Published, p.PublishedBy, p.Digest = timefmt.People(rec.PublishedAt, time.UTC), rec.PublishedBy, rec.Digest
		if rec.Rev != rt.Rev {
			p.ClusterRev = rec.Rev
		}
	}
	for _, f := range rt.Files {
		p.Files = append(p.Files, fileRow{f.Name, len(f.Data)})
	}
	// The warnings of the rota in force: loading it again is cheap (a few
	// kilobytes of YAML) and keeps this page free of state of its own.
	if _, diags := rotafile.Load(rt.Files); len(diags) > 0 {
		p.Warnings = diagRows(diags.Warnings())
	}
	if c.Disk != nil {
		if d := c.Disk(); d != nil {
			dr := &diskRow{Dir: d.Dir, At: timefmt.People(d.At, time.UTC), Errors: diagRows(d.Diags.Errors()), Warnings: len(d.Diags.Warnings())}
			if d.Err != nil {
				dr.Err = d.Err.Error()
			}
			dr.Refused = d.Err != nil || len(dr.Errors) > 0
			p.Disk = dr
		}
	}
	v := c.viewOf(s, "Rota", "rota")
	v.Body = p
	c.render(w, r, http.StatusOK, "rota.html", v, nil)
	return nil
}
