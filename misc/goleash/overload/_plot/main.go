// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Plot draws what overload run measured: the server's memory and
// goroutines over time, abort off against abort on (the first round of
// each), from the samples in a results directory, into DIR/overload.png.
//
// Usage:
//
//	go run . [DIR]
package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

type run struct {
	Abort      bool    `json:"abort"`
	Round      int     `json:"round"`
	Samples    string  `json:"samples"`
	FloodStart float64 `json:"floodStart"`
}

// series are the columns of a samples file, by name, with t made relative
// to the start of the flood.
type series map[string]plotter.XYs

func main() {
	dir := "results"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := drawPlot(dir); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

func drawPlot(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		return err
	}
	var results struct{ Results []run }
	if err := json.Unmarshal(data, &results); err != nil {
		return err
	}
	memory := newPlot("Server memory", "resident set (MiB)")
	goroutines := newPlot("Server goroutines and LIST handlers", "count")
	for _, r := range results.Results {
		if r.Round != 1 {
			continue // one round of each: lines of several rounds would hide each other
		}
		mode, col := "abort off", color.Color(color.RGBA{R: 200, G: 40, B: 40, A: 255})
		if r.Abort {
			mode, col = "abort on", color.RGBA{R: 30, G: 90, B: 200, A: 255}
		}
		s, err := readSamples(filepath.Join(dir, r.Samples), r.FloodStart)
		if err != nil {
			return err
		}
		if err := addLine(memory, s["rss_mib"], mode, col, nil); err != nil {
			return err
		}
		if err := addLine(goroutines, s["goroutines"], mode+": goroutines", col, nil); err != nil {
			return err
		}
		if err := addLine(goroutines, s["inflight"], mode+": LIST handlers running", col, []vg.Length{vg.Points(4), vg.Points(3)}); err != nil {
			return err
		}
	}

	const width, height = 9 * vg.Inch, 8 * vg.Inch
	img := vgimg.New(width, height)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter, PadY: 4 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	plots := [][]*plot.Plot{{memory}, {goroutines}}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	out := filepath.Join(dir, "overload.png")
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Println("wrote", out)
	return nil
}

func newPlot(title, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seconds since the clients' first LIST"
	p.Y.Label.Text = y
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	return p
}

func addLine(p *plot.Plot, xys plotter.XYs, name string, col color.Color, dashes []vg.Length) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = col
	l.Width = vg.Points(1.5)
	l.Dashes = dashes
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// readSamples reads a samples file of overload's server.
func readSamples(name string, floodStart float64) (series, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("%s: no samples", name)
	}
	s := series{}
	for _, row := range rows[1:] {
		t, err := strconv.ParseFloat(row[0], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		for i, col := range rows[0][1:] {
			v, err := strconv.ParseFloat(row[i+1], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", name, err)
			}
			s[col] = append(s[col], plotter.XY{X: t - floodStart, Y: v})
		}
	}
	return s, nil
}
