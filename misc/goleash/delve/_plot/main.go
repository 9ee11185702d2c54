// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Plot draws what run.bash measured: the seconds of each run of Delve's
// BenchmarkConditionalBreakpoints in each configuration, and their median,
// from DIR/results.json into DIR/delve.png.
//
// Usage:
//
//	go run . [DIR]
package main

import (
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

type config struct {
	Name         string    `json:"name"`
	GoVersion    string    `json:"goversion"`
	Delve        string    `json:"delve"`
	BenchSeconds []float64 `json:"benchSeconds"`
}

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
	var results struct {
		Machine string
		Configs []config
	}
	if err := json.Unmarshal(data, &results); err != nil {
		return err
	}
	if len(results.Configs) == 0 {
		return fmt.Errorf("%s: no configuration", dir)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Delve %s, BenchmarkConditionalBreakpoints (lower is better)", results.Configs[0].Delve)
	p.Y.Label.Text = "seconds per run"
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	colors := []color.Color{
		color.RGBA{R: 200, G: 40, B: 40, A: 255},
		color.RGBA{R: 230, G: 140, B: 30, A: 255},
		color.RGBA{R: 30, G: 90, B: 200, A: 255},
	}
	var names []string
	base := median(results.Configs[0].BenchSeconds)
	top := 0.0
	for _, c := range results.Configs {
		for _, s := range c.BenchSeconds {
			top = max(top, s)
		}
	}
	p.Y.Max = 1.15 * top // room for the legend above the runs
	for i, c := range results.Configs {
		col := colors[i%len(colors)]
		m := median(c.BenchSeconds)
		bars, err := plotter.NewBarChart(plotter.Values{m}, vg.Points(60))
		if err != nil {
			return err
		}
		bars.XMin = float64(i)
		bars.Color = col
		bars.LineStyle.Width = 0
		p.Add(bars)
		pts := make(plotter.XYs, len(c.BenchSeconds))
		for j, s := range c.BenchSeconds {
			// Spread the runs across the bar, in run order.
			pts[j] = plotter.XY{X: float64(i) + 0.15*(float64(j)-float64(len(c.BenchSeconds)-1)/2)/float64(max(len(c.BenchSeconds)-1, 1))*2, Y: s}
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = color.Black
		sc.GlyphStyle.Radius = vg.Points(2.5)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(sc)
		label := fmt.Sprintf("%s\n%s\nmedian %.2f s", c.Name, c.GoVersion, m)
		if i > 0 && m > 0 {
			label += fmt.Sprintf(" (%.2fx)", base/m)
		}
		names = append(names, label)
		if i == 0 {
			p.Legend.Add("one run", sc)
		}
	}
	p.NominalX(names...)
	p.X.Tick.Label.Font.Size = vg.Points(10)
	p.Legend.Top = true
	p.X.Label.Text = results.Machine

	const width, height = 8 * vg.Inch, 5 * vg.Inch
	img := vgimg.New(width, height)
	p.Draw(draw.New(img))
	out := filepath.Join(dir, "delve.png")
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

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
