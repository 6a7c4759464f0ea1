package results

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// SummaryFile is the summary table Build writes in a results folder.
const SummaryFile = "summary.csv"

// ExportDir is the folder, inside a results folder, that Export writes.
const ExportDir = "export"

// Export files, one table each.
const (
	ExportCheckpoints = "checkpoints.parquet"
	ExportAttempts    = "attempts.parquet"
	ExportSummary     = "summary.parquet"
)

// Export writes a results folder's records and summary as Parquet files
// for Python, R or DuckDB, into dir/export: every checkpoint record (one
// row per run, day and split, every column of the record), every attempt
// record, and summary.csv when the folder has one. Each swept knob is a
// typed column of its own in the records' tables, named by its knob path
// (env.verifier.coverage), beside the point label. It returns the paths
// written.
func Export(dir string) ([]string, error) {
	recs, err := ReadDir(dir)
	if err != nil {
		return nil, err
	}
	m, err := ReadManifest(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	sweep, err := sweepColumns(m)
	if err != nil {
		return nil, err
	}
	out := filepath.Join(dir, ExportDir)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	var written []string
	write := func(name string, rows []map[string]any, cols []exportColumn) error {
		path := filepath.Join(out, name)
		if err := writeParquet(path, rows, cols); err != nil {
			return fmt.Errorf("export %s: %w", name, err)
		}
		written = append(written, path)
		return nil
	}
	cps := make([]map[string]any, len(recs.Checkpoints))
	for i := range recs.Checkpoints {
		cps[i] = structRow(&recs.Checkpoints[i])
		sweep.fill(cps[i], recs.Checkpoints[i].Point)
	}
	if err := write(ExportCheckpoints, cps, append(structColumns(reflect.TypeFor[Checkpoint]()), sweep.cols...)); err != nil {
		return nil, err
	}
	atts := make([]map[string]any, len(recs.Attempts))
	for i := range recs.Attempts {
		atts[i] = structRow(&recs.Attempts[i])
		sweep.fill(atts[i], recs.Attempts[i].Point)
	}
	if err := write(ExportAttempts, atts, append(structColumns(reflect.TypeFor[Attempt]()), sweep.cols...)); err != nil {
		return nil, err
	}
	rows, cols, err := readSummaryCSV(filepath.Join(dir, SummaryFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := write(ExportSummary, rows, cols); err != nil {
			return nil, err
		}
	}
	return written, nil
}

// exportColumn is one typed column of an exported table.
type exportColumn struct {
	name string
	kind reflect.Kind // Bool, Int64, Float64 or String
}

func (c exportColumn) node() parquet.Node {
	switch c.kind {
	case reflect.Bool:
		return parquet.Leaf(parquet.BooleanType)
	case reflect.Int64:
		return parquet.Int(64)
	case reflect.Float64:
		return parquet.Leaf(parquet.DoubleType)
	}
	return parquet.String()
}

// writeParquet writes rows with the given columns, atomically.
func writeParquet(path string, rows []map[string]any, cols []exportColumn) error {
	group := parquet.Group{}
	for _, c := range cols {
		// Required: parquet-go writes a zero value of an optional column
		// as null, and no exported column has missing values (summary.csv's
		// empty numeric cells become NaN).
		group[c.name] = c.node()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := parquet.NewGenericWriter[map[string]any](tmp, parquet.NewSchema("grindbench", group))
	const batch = 4096
	for len(rows) > 0 {
		n := min(batch, len(rows))
		if _, err := w.Write(rows[:n]); err != nil {
			tmp.Close()
			return err
		}
		rows = rows[n:]
	}
	if err := w.Close(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// structColumns lists the JSON-tagged fields of a record type (embedded
// structs flattened) as columns.
func structColumns(t reflect.Type) []exportColumn {
	var out []exportColumn
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, structColumns(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out = append(out, exportColumn{name, columnKind(f.Type.Kind())})
	}
	return out
}

func columnKind(k reflect.Kind) reflect.Kind {
	switch k {
	case reflect.Bool:
		return reflect.Bool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return reflect.Int64
	case reflect.Float32, reflect.Float64:
		return reflect.Float64
	}
	return reflect.String
}

// structRow returns a record's JSON-tagged fields as a row.
func structRow(rec any) map[string]any {
	row := map[string]any{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous {
				walk(v.Field(i))
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			switch columnKind(fv.Kind()) {
			case reflect.Bool:
				row[name] = fv.Bool()
			case reflect.Int64:
				row[name] = fv.Int()
			case reflect.Float64:
				row[name] = fv.Float()
			default:
				row[name] = fmt.Sprint(fv.Interface())
			}
		}
	}
	walk(reflect.ValueOf(rec).Elem())
	return row
}

// sweepCols holds each sweep point's value of every swept knob.
type sweepCols struct {
	cols   []exportColumn
	values map[string]map[string]any // point -> column -> value
}

func (s sweepCols) fill(row map[string]any, point string) {
	for k, v := range s.values[point] {
		row[k] = v
	}
}

// sweepColumns reads the swept knobs' values per point from the manifest's
// resolved configs, typed by their values: booleans, integers (when every
// value is integral), floats, strings; lists as JSON text.
func sweepColumns(m *Manifest) (sweepCols, error) {
	s := sweepCols{values: map[string]map[string]any{}}
	if m == nil || len(m.Sweep) == 0 {
		return s, nil
	}
	pts, err := m.ResolvedPoints()
	if err != nil {
		return s, err
	}
	for _, axis := range m.Sweep {
		kind := reflect.Invalid
		for _, p := range pts {
			k := jsonKind(axisValue(p.Config, axis.Key))
			switch {
			case kind == reflect.Invalid:
				kind = k
			case kind == reflect.Int64 && k == reflect.Float64, kind == reflect.Float64 && k == reflect.Int64:
				kind = reflect.Float64
			case kind != k:
				kind = reflect.String
			}
		}
		if slices.ContainsFunc(s.cols, func(c exportColumn) bool { return c.name == axis.Key }) {
			continue
		}
		s.cols = append(s.cols, exportColumn{axis.Key, kind})
		for _, p := range pts {
			if s.values[p.Point] == nil {
				s.values[p.Point] = map[string]any{}
			}
			s.values[p.Point][axis.Key] = typed(axisValue(p.Config, axis.Key), kind)
		}
	}
	return s, nil
}

// axisValue returns a point's value of a swept knob path. An axis
// "agent.*.<rest>" sets <rest> of every agent that has it to one value:
// the first such agent's (in key order) is that value.
func axisValue(cfg map[string]any, key string) any {
	rest, ok := strings.CutPrefix(key, "agent.*.")
	if !ok {
		return cfg[key]
	}
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if name, ok := strings.CutPrefix(k, "agent."); ok {
			if name, ok = strings.CutSuffix(name, "."+rest); ok && !strings.Contains(name, ".") {
				return cfg[k]
			}
		}
	}
	return nil
}

func jsonKind(v any) reflect.Kind {
	switch x := v.(type) {
	case bool:
		return reflect.Bool
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return reflect.Int64
		}
		return reflect.Float64
	}
	return reflect.String
}

func typed(v any, kind reflect.Kind) any {
	switch kind {
	case reflect.Bool:
		b, _ := v.(bool)
		return b
	case reflect.Int64:
		f, _ := v.(float64)
		return int64(f)
	case reflect.Float64:
		f, _ := v.(float64)
		return f
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// readSummaryCSV reads summary.csv with its columns typed: a column whose
// every value parses as an integer is an integer column, whose every
// non-empty value parses as a number a float column (empty cells NaN),
// otherwise text.
func readSummaryCSV(path string) ([]map[string]any, []exportColumn, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(all) == 0 {
		return nil, nil, fmt.Errorf("%s: empty", path)
	}
	header, body := all[0], all[1:]
	cols := make([]exportColumn, len(header))
	for j, name := range header {
		kind, any := reflect.Int64, false
		for _, rec := range body {
			any = any || rec[j] != ""
			v := rec[j]
			if v == "" {
				if kind == reflect.Int64 {
					kind = reflect.Float64
				}
				continue
			}
			if _, err := strconv.ParseInt(v, 10, 64); err == nil {
				continue
			}
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				if kind == reflect.Int64 {
					kind = reflect.Float64
				}
				continue
			}
			kind = reflect.String
			break
		}
		if !any {
			kind = reflect.String // an empty column (no baseline): text
		}
		cols[j] = exportColumn{name, kind}
	}
	rows := make([]map[string]any, len(body))
	for i, rec := range body {
		row := map[string]any{}
		for j, c := range cols {
			v := rec[j]
			if v == "" && c.kind == reflect.Float64 {
				row[c.name] = math.NaN()
				continue
			}
			switch c.kind {
			case reflect.Int64:
				row[c.name], _ = strconv.ParseInt(v, 10, 64)
			case reflect.Float64:
				row[c.name], _ = strconv.ParseFloat(v, 64)
			default:
				row[c.name] = v
			}
		}
		rows[i] = row
	}
	return rows, cols, nil
}
