package experiments

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.toml
var shipped embed.FS

// DefaultName is the experiment `grind run` runs without a config.
const DefaultName = "headline"

// Shipped lists the experiment configs built into the binary.
func Shipped() []string {
	entries, _ := fs.ReadDir(shipped, ".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".toml"))
	}
	sort.Strings(out)
	return out
}

// LoadShipped parses a built-in experiment by name.
func LoadShipped(name string, sets []string) (*Experiment, error) {
	return LoadShippedWith(name, Overrides{Sets: sets})
}

// LoadShippedWith loads a built-in experiment with command-line overrides.
func LoadShippedWith(name string, o Overrides) (*Experiment, error) {
	data, err := shipped.ReadFile(name + ".toml")
	if err != nil {
		return nil, fmt.Errorf("no built-in experiment %q (built in: %s)", name, strings.Join(Shipped(), ", "))
	}
	return ParseWith("<built-in>/"+name+".toml", data, o)
}
