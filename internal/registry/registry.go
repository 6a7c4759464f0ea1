// Package registry is the one generic name-to-entry registry behind
// grindbench's families (envs), mechanisms and models (agents): entries register
// from init functions, and lookups name the known entries when they fail.
package registry

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Registry maps names to entries of type T. The zero value is ready to use
// and safe for concurrent use.
type Registry[T any] struct {
	kind    string // what an entry is, for messages: "family", "mechanism"
	mu      sync.RWMutex
	entries map[string]T
}

// New returns an empty registry whose messages call an entry kind.
func New[T any](kind string) *Registry[T] {
	return &Registry[T]{kind: kind, entries: map[string]T{}}
}

// Register adds an entry. It panics on an empty or duplicate name: both are
// programming errors in an init function.
func (r *Registry[T]) Register(name string, e T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "" {
		panic(fmt.Sprintf("registry: %s registered without a name", r.kind))
	}
	if _, dup := r.entries[name]; dup {
		panic(fmt.Sprintf("registry: %s registered twice: %s", r.kind, name))
	}
	r.entries[name] = e
}

// Lookup returns the entry registered under name, or an error that lists
// the known names.
func (r *Registry[T]) Lookup(name string) (T, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.entries[name]
	if !ok {
		var zero T
		return zero, fmt.Errorf("unknown %s %q (known: %s)", r.kind, name, strings.Join(r.namesLocked(), ", "))
	}
	return e, nil
}

// Names lists the registered names in sorted order.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.namesLocked()
}

func (r *Registry[T]) namesLocked() []string {
	out := make([]string, 0, len(r.entries))
	for n := range r.entries {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
