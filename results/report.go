package results

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ReportFile is the name of the report page inside a results folder.
const ReportFile = "report.html"

// WriteReport writes dir/report.html: one self-contained page (inline CSS,
// images embedded as data: URIs, no scripts and no external requests) that
// shows the experiment's question and how to read it, every table and plot
// that Build wrote (built.Files), the pretraining accuracy of the base
// model, failed runs if any, the config as given with its --set overrides
// and resolved values, and the provenance recorded in the manifest (code
// and Go version, platform, config hash, seeds, agents, and a content hash
// per run, checked against the record files).
//
// Tables are rendered from the tables Build made (built.Tables: title,
// caption, cells and best cells), never read back from the files it wrote.
// A plot is embedded once, as PNG when Build wrote one, else as SVG; other
// formats are listed, and so is every other file Build wrote. The page
// holds no timestamp: the same folder gives the same bytes. It returns the
// path written.
func WriteReport(dir string, built *Built) (string, error) {
	if built == nil {
		return "", errors.New("results: WriteReport needs the outputs of Build")
	}
	m, err := ReadManifest(dir)
	hasManifest := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("report: %w", err)
	}
	if m == nil {
		m = &Manifest{}
	}
	page, err := newReportPage(dir, m, built)
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	page.HasManifest = hasManifest
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, page); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	path := filepath.Join(dir, ReportFile)
	if err := WriteFileAtomic(path, buf.Bytes()); err != nil {
		return "", err
	}
	return path, nil
}

// reportPage is what the template shows.
type reportPage struct {
	Title         string
	HasManifest   bool
	M             *Manifest
	Seeds         string
	Points        string
	RunCounts     string
	Failed        []RunEntry
	Runs          []reportRun
	HashIssues    int
	Pretrain      *reportTable
	PretrainSeeds *reportTable
	Sections      []reportSection
	Other         []string // files shown neither as a table nor as a plot

	ids      map[string]int // HTML ids given out, for uniqueID
	Resolved string
	Sweep    []string
	Days     string
	Splits   string
}

// reportSection groups the tables and figures of one Build section.
type reportSection struct {
	ID     string
	Title  string
	Tables []reportTable
	Plots  []reportPlot
	Wide   bool // a single figure, shown full width
	// Folded sections (a sweep's per-point tables and figures) are shown
	// closed, their figures linked from the folder rather than embedded,
	// so the page grows with the metrics, not with points x metrics.
	Folded bool
}

// reportTable is one table. Rows are already formatted; Align holds a
// CSS class per column ("l" or "r").
type reportTable struct {
	ID      string
	Section string
	Title   string
	Caption template.HTML
	Source  string // files it comes from, relative to the folder
	Header  []string
	Align   []string
	Rows    [][]template.HTML
}

// reportPlot is one embedded figure.
type reportPlot struct {
	ID      string
	Section string
	Title   string
	Caption string
	Source  string
	Src     template.HTMLAttr // src="data:...": base64 needs no escaping, and html/template would write each '+' as &#43;
	Linked  bool              // Src names a file of the folder instead of embedding it
}

// reportRun is one manifest run with its hash checked against its file.
type reportRun struct {
	RunEntry
	Check string // "ok", "differs", "missing" or "" when there is nothing to check
}

func newReportPage(dir string, m *Manifest, built *Built) (*reportPage, error) {
	p := &reportPage{M: m, Title: "grindbench report", ids: map[string]int{}}
	if m.Experiment != "" {
		p.Title += ": " + m.Experiment
	}
	p.Seeds = seedRange(m.Seeds)
	p.Points = strings.Join(m.Points, ", ")
	for _, a := range m.Sweep {
		vals := make([]string, len(a.Values))
		for i, v := range a.Values {
			vals[i] = fmt.Sprint(v)
		}
		p.Sweep = append(p.Sweep, a.Key+" = ["+strings.Join(vals, ", ")+"]")
	}
	if s := built.Summary; s != nil {
		days := make([]string, len(s.Days))
		for i, d := range s.Days {
			days[i] = strconv.Itoa(d)
		}
		p.Days = strings.Join(days, ", ")
		p.Splits = strings.Join(s.Splits, ", ")
	}
	if len(m.Resolved) > 0 {
		var b bytes.Buffer
		if err := json.Indent(&b, m.Resolved, "", "  "); err == nil {
			p.Resolved = b.String()
		}
	}

	var done, failed, pending int
	for _, r := range m.Runs {
		rr := reportRun{RunEntry: r}
		switch r.Status {
		case "done":
			done++
		case "failed":
			failed++
			p.Failed = append(p.Failed, r)
		default:
			pending++
		}
		if r.Hash != "" {
			h, err := built.hashes[r.Key], error(nil)
			if h == "" { // a run Build did not read
				h, err = HashFile(FindRun(dir, r.Key))
			}
			switch {
			case err != nil:
				rr.Check = "missing"
			case h == r.Hash:
				rr.Check = "ok"
			default:
				rr.Check = "differs"
			}
			if rr.Check != "ok" {
				p.HashIssues++
			}
		}
		p.Runs = append(p.Runs, rr)
	}
	// A damaged record file counts as a failed run: its records are in no
	// aggregate.
	byKey := map[string]RunEntry{}
	for _, r := range m.Runs {
		byKey[r.Key] = r
	}
	for _, d := range built.Damaged {
		e, ok := byKey[d.Key]
		if !ok {
			e = RunEntry{Key: d.Key}
		}
		if e.Status == "done" {
			done--
		}
		e.Status, e.Error = "damaged", "damaged record file "+d.Path+": "+d.Err
		p.Failed = append(p.Failed, e)
		failed++
	}
	p.RunCounts = fmt.Sprintf("%d runs: %d done, %d failed or damaged, %d pending", len(m.Runs), done, failed, pending)
	p.Pretrain, p.PretrainSeeds = pretrainTables(m.Pretrain)

	tables, plots, err := p.outputs(dir, built)
	if err != nil {
		return nil, err
	}
	p.Sections = p.sections(tables, plots)
	return p, nil
}

// sectionOrder is the order of Build's sections on the page; sections it
// does not list follow in order of appearance.
var sectionOrder = []string{
	sectionSweep, sectionHeadline, sectionPairs, sectionCurves, sectionSession, sectionGap, sectionForgetting, sectionPassK,
	sectionImprovement, sectionProfiles, sectionReward, sectionEnvs, sectionGrind,
}

// Sections of outputs Build gave no metadata for.
const (
	reportTablesSection = "Tables"
	reportPlotsSection  = "Figures"
)

// uniqueID returns an HTML id for name, distinct from every id given out.
func (p *reportPage) uniqueID(prefix, name string) string {
	id := prefix + "-" + htmlID(name)
	p.ids[id]++
	if n := p.ids[id]; n > 1 {
		id += "-" + strconv.Itoa(n)
	}
	return id
}

// rel returns f relative to dir, with forward slashes.
func rel(dir, f string) string {
	if r, err := filepath.Rel(dir, f); err == nil {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(f)
}

// outputs collects the tables and figures Build wrote: those it described
// (Built.tables and Built.figures) with their titles, captions and
// sections, then the images among the other files of Built.Files, named
// by their paths. The remaining files are listed in p.Other.
func (p *reportPage) outputs(dir string, built *Built) ([]reportTable, []reportPlot, error) {
	var (
		tables  []reportTable
		plots   []reportPlot
		covered = map[string]bool{}
	)
	sources := func(files []string) string {
		rs := make([]string, len(files))
		for i, f := range files {
			rs[i] = rel(dir, f)
			covered[f] = true
		}
		return strings.Join(rs, ", ")
	}
	for _, tf := range built.tables {
		if tf.Table == nil {
			continue // nothing to render: its files are listed with the others
		}
		t := tableOf(tf.Table)
		t.Caption = template.HTML(template.HTMLEscapeString(tf.Table.fullCaption(FormatMarkdown)))
		t.Title = cmp.Or(tf.Table.Title, tf.Name)
		t.Section = cmp.Or(tf.Section, reportTablesSection)
		t.ID, t.Source = p.uniqueID("table", tf.Name), sources(tf.Files)
		tables = append(tables, t)
	}
	sweep := built.Summary != nil && len(built.Summary.Points) > 1
	for _, f := range built.figures {
		source := sources(f.Files)
		var src template.HTMLAttr
		var err error
		linked := sweep && f.Section != sectionSweep
		if linked {
			src = linkImage(dir, f.Files)
		} else {
			src, err = embedImage(f.Files)
		}
		if err != nil {
			return nil, nil, err
		}
		if src == "" { // no PNG or SVG: list the files instead
			for _, file := range f.Files {
				p.Other = append(p.Other, rel(dir, file))
			}
			continue
		}
		plots = append(plots, reportPlot{
			ID: p.uniqueID("plot", f.Name), Section: cmp.Or(f.Section, reportPlotsSection),
			Title: cmp.Or(f.Title, f.Name), Caption: f.Caption, Source: source, Src: src, Linked: linked,
		})
	}
	var rest []string
	for _, f := range built.Files {
		if !covered[f] {
			rest = append(rest, f)
		}
	}
	pl, err := p.addFiles(dir, rest)
	return tables, append(plots, pl...), err
}

// sections groups tables and figures by section, in sectionOrder and
// then order of appearance, each section's tables before its figures.
func (p *reportPage) sections(tables []reportTable, plots []reportPlot) []reportSection {
	var out []reportSection
	index := map[string]int{}
	get := func(title string) *reportSection {
		i, ok := index[title]
		if !ok {
			i = len(out)
			index[title] = i
			out = append(out, reportSection{Title: title})
		}
		return &out[i]
	}
	for _, t := range tables {
		sec := get(t.Section)
		sec.Tables = append(sec.Tables, t)
	}
	for _, pl := range plots {
		sec := get(pl.Section)
		sec.Plots = append(sec.Plots, pl)
	}
	rank := func(title string) int {
		if i := slices.Index(sectionOrder, title); i >= 0 {
			return i
		}
		return len(sectionOrder)
	}
	slices.SortStableFunc(out, func(a, b reportSection) int { return rank(a.Title) - rank(b.Title) })
	for i := range out {
		out[i].ID = p.uniqueID("sec", out[i].Title)
		out[i].Wide = len(out[i].Plots) == 1
		for _, pl := range out[i].Plots {
			out[i].Folded = out[i].Folded || pl.Linked
		}
	}
	return out
}

// tableOf renders a table: cells escaped, best cells in bold, the first
// column left-aligned and the others right-aligned.
func tableOf(t *table) reportTable {
	rt := reportTable{Title: t.Title, Header: t.Header}
	for i := range t.Header {
		a := "r"
		if i == 0 {
			a = "l"
		}
		rt.Align = append(rt.Align, a)
	}
	for i, row := range t.Rows {
		cells := make([]template.HTML, len(row))
		for j, c := range row {
			h := template.HTMLEscapeString(c)
			if t.best(i, j) {
				h = "<strong>" + h + "</strong>"
			}
			cells[j] = template.HTML(h)
		}
		rt.Rows = append(rt.Rows, cells)
	}
	return rt
}

// linkImage returns the src attribute of an <img> naming the first SVG
// among files (else the first PNG) by its path relative to the folder: the
// page shows it when opened in the folder.
func linkImage(dir string, files []string) template.HTMLAttr {
	for _, ext := range []string{".svg", ".png"} {
		for _, f := range files {
			if strings.EqualFold(filepath.Ext(f), ext) {
				return template.HTMLAttr(`src="` + template.HTMLEscapeString(filepath.ToSlash(rel(dir, f))) + `" loading="lazy"`)
			}
		}
	}
	return ""
}

// embedImage returns the src attribute of an <img> showing the first PNG
// among files, else the first SVG; "" if there is neither.
func embedImage(files []string) (template.HTMLAttr, error) {
	for _, want := range []struct{ ext, mime string }{{".png", "image/png"}, {".svg", "image/svg+xml"}} {
		for _, f := range files {
			if strings.EqualFold(filepath.Ext(f), want.ext) {
				data, err := os.ReadFile(f)
				if err != nil {
					return "", err
				}
				return template.HTMLAttr(`src="data:` + want.mime + ";base64," + base64.StdEncoding.EncodeToString(data) + `"`), nil
			}
		}
	}
	return "", nil
}

// addFiles embeds the images among files Build did not describe, keeping
// their order and naming them by their paths, and lists the others in
// p.Other.
func (p *reportPage) addFiles(dir string, files []string) ([]reportPlot, error) {
	var plots []reportPlot
	// Index the files written per stem (path without extension).
	byStem := map[string][]string{}
	var stems []string
	for _, f := range files {
		stem := strings.TrimSuffix(f, filepath.Ext(f))
		if _, ok := byStem[stem]; !ok {
			stems = append(stems, stem)
		}
		byStem[stem] = append(byStem[stem], f)
	}
	for _, stem := range stems {
		fs := byStem[stem]
		rs := make([]string, len(fs))
		for i, f := range fs {
			rs[i] = rel(dir, f)
		}
		src, err := embedImage(fs)
		if err != nil {
			return nil, err
		}
		if src == "" {
			p.Other = append(p.Other, rs...)
			continue
		}
		r := rel(dir, stem)
		section := reportPlotsSection
		if d := filepath.ToSlash(filepath.Dir(r)); d != "plots" && d != "." {
			section = groupTitle(strings.TrimPrefix(d, "plots/"))
		}
		plots = append(plots, reportPlot{ID: p.uniqueID("plot", r), Section: section, Title: plotTitle(r), Source: strings.Join(rs, ", "), Src: src})
	}
	return plots, nil
}

// fileTitle turns a plot's path relative to the folder into a title:
// "plots/curves/train" -> "curves/train".
func fileTitle(rel string) string {
	return strings.TrimPrefix(rel, "plots/")
}

// plotTitle derives a plot's title from its path when Build gave none:
// "plots/splits_<metric>" is a bar chart per split, "plots/curves/<split>"
// a learning curve; anything else is named by its path.
func plotTitle(rel string) string {
	name := fileTitle(rel)
	switch {
	case strings.HasPrefix(name, "curves/"):
		return "Learning curves: " + strings.TrimPrefix(name, "curves/")
	case strings.HasPrefix(name, "splits_"):
		return strings.TrimPrefix(name, "splits_") + " per split"
	}
	return name
}

// htmlID maps a name to a string safe as an HTML id and URL fragment.
func htmlID(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
}

// seedRange formats seeds compactly: "0–19 (20 seeds)" for a contiguous
// run, else the list.
func seedRange(seeds []int) string {
	switch len(seeds) {
	case 0:
		return ""
	case 1:
		return strconv.Itoa(seeds[0]) + " (1 seed)"
	}
	contiguous := true
	for i := 1; i < len(seeds); i++ {
		if seeds[i] != seeds[i-1]+1 {
			contiguous = false
			break
		}
	}
	if contiguous {
		return fmt.Sprintf("%d–%d (%d seeds)", seeds[0], seeds[len(seeds)-1], len(seeds))
	}
	parts := make([]string, len(seeds))
	for i, s := range seeds {
		parts[i] = strconv.Itoa(s)
	}
	return strings.Join(parts, ", ") + fmt.Sprintf(" (%d seeds)", len(seeds))
}

// pretrainTables shows the base model's accuracy: a summary per point
// (mean and range over seeds) and the per-seed detail.
func pretrainTables(entries []PretrainEntry) (summary, detail *reportTable) {
	if len(entries) == 0 {
		return nil, nil
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }
	txt := func(s string) template.HTML { return template.HTML(template.HTMLEscapeString(s)) }
	summary = &reportTable{
		ID:     "pretrain",
		Title:  "The pretrained base model",
		Header: []string{"point", "seeds", "pretrain step accuracy", "job success", "job step accuracy", "tasks per split", "pretraining tasks"},
		Align:  []string{"l", "r", "r", "r", "r", "r", "r"},
		Caption: "Greedy accuracy of the base model before the job: per-step accuracy on its pretraining skills (pretrain split), " +
			"success and per-step accuracy on the job's train split. Mean over seeds [min, max].",
	}
	detail = &reportTable{
		ID:     "pretrain-seeds",
		Title:  "Per seed",
		Header: []string{"point", "seed", "pretrain step accuracy", "job success", "job step accuracy", "tasks per split", "pretraining tasks"},
		Align:  []string{"l", "r", "r", "r", "r", "r", "r"},
	}
	type acc struct{ sum, lo, hi float64 }
	var (
		stats [3]acc
		n     int
		tasks [2]countRange
	)
	flush := func(point string) {
		row := []template.HTML{txt(point), txt(strconv.Itoa(n))}
		for _, a := range stats {
			row = append(row, txt(fmt.Sprintf("%s [%s, %s]", f(a.sum/float64(n)), f(a.lo), f(a.hi))))
		}
		row = append(row, txt(tasks[0].String()), txt(tasks[1].String()))
		summary.Rows = append(summary.Rows, row)
		stats, n, tasks = [3]acc{}, 0, [2]countRange{}
	}
	for i, e := range entries {
		if i > 0 && e.Point != entries[i-1].Point {
			flush(entries[i-1].Point)
		}
		detail.Rows = append(detail.Rows, []template.HTML{
			txt(e.Point), txt(strconv.Itoa(e.Seed)), txt(f(e.PretrainAcc)), txt(f(e.JobSuccess)), txt(f(e.JobStepAcc)),
			txt(strconv.Itoa(e.EvaluatedOn)), txt(strconv.Itoa(e.PretrainTask)),
		})
		for j, x := range []float64{e.PretrainAcc, e.JobSuccess, e.JobStepAcc} {
			if n == 0 {
				stats[j] = acc{x, x, x}
			} else {
				stats[j] = acc{stats[j].sum + x, min(stats[j].lo, x), max(stats[j].hi, x)}
			}
		}
		tasks[0].add(e.EvaluatedOn)
		tasks[1].add(e.PretrainTask)
		n++
	}
	flush(entries[len(entries)-1].Point)
	return summary, detail
}

// AlignOf returns the CSS class of column i, for the template.
func (t reportTable) AlignOf(i int) string {
	if i < len(t.Align) {
		return t.Align[i]
	}
	return "l"
}

// groupTitle names a folder of plots Build gave no section for.
func groupTitle(group string) string {
	return reportPlotsSection + ": " + group
}
