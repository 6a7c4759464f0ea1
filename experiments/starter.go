package experiments

import (
	_ "embed"
	"strings"
)

//go:embed starter/starter.toml
var starter string

// Starter is the commented starter config `grind new` writes, its
// experiment named name (which must be a valid experiment name).
func Starter(name string) []byte {
	return []byte(strings.ReplaceAll(starter, "NAME", name))
}

// StarterName makes an experiment name of a file name: the base name
// without .toml, lowercased, other characters than letters, digits, '-' and
// '_' replaced by '-', at most 64 bytes; "my-experiment" if nothing is left.
func StarterName(file string) string {
	base := file
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	base = strings.ToLower(strings.TrimSuffix(base, ".toml"))
	var b strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-_")
	if len(name) > 64 {
		name = name[:64]
	}
	if name == "" {
		return "my-experiment"
	}
	return name
}
