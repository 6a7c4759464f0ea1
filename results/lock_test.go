package results

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLockFolder: writers exclude everyone, readers only writers; a
// refused command learns who holds the folder; with wait it gets the lock
// once the holder lets go; an exclusive lock clears killed writers'
// temporary files.
func TestLockFolder(t *testing.T) {
	tests := []struct {
		name         string
		first, again bool // exclusive?
		busy         bool
	}{
		{"writer then writer", true, true, true},
		{"writer then reader", true, false, true},
		{"reader then writer", false, true, true},
		{"reader then reader", false, false, false},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			l, err := LockFolder(ctx, dir, tt.first, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			l2, err := LockFolder(ctx, dir, tt.again, false, nil)
			var busy *BusyError
			if got := errors.As(err, &busy); got != tt.busy {
				t.Fatalf("second lock: %v, want busy %v", err, tt.busy)
			}
			if tt.busy && tt.first && (busy.Holder == "" || busy.Dir != dir) {
				t.Errorf("the refusal does not name the holder: %+v", busy)
			}
			l2.Unlock()
			// With wait, the second gets the lock once the first lets go.
			waited := make(chan error, 1)
			go func() {
				l3, err := LockFolder(ctx, dir, tt.again, true, nil)
				l3.Unlock()
				waited <- err
			}()
			time.Sleep(3 * lockPoll)
			if err := l.Unlock(); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-waited:
				if err != nil {
					t.Fatalf("waiting for the lock: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the waiting lock was not granted")
			}
		})
	}
	t.Run("waiting ends with the context", func(t *testing.T) {
		dir := t.TempDir()
		l, err := LockFolder(ctx, dir, true, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Unlock()
		short, cancel := context.WithTimeout(ctx, 3*lockPoll)
		defer cancel()
		called := false
		if _, err := LockFolder(short, dir, true, true, func(*BusyError) { called = true }); !errors.Is(err, context.DeadlineExceeded) || !called {
			t.Fatalf("got %v (waiting called: %v), want the context's error after saying it waits", err, called)
		}
	})
	t.Run("a writer clears stale temporary files", func(t *testing.T) {
		dir := t.TempDir()
		stale := []string{filepath.Join(dir, ".manifest.json.tmp-1"), filepath.Join(dir, RunsDir, ".k.jsonl.tmp-2"), filepath.Join(dir, "plots", "curves", ".a.pdf.tmp-3")}
		keep := []string{filepath.Join(dir, RunsDir, "k.jsonl"), filepath.Join(dir, "notes.tmp-1")}
		for _, p := range append(stale, keep...) {
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		l, err := LockFolder(ctx, dir, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		l.Unlock()
		if _, err := os.Stat(stale[0]); err != nil {
			t.Fatal("a reader removed a temporary file")
		}
		l, err = LockFolder(ctx, dir, true, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		l.Unlock()
		for _, p := range stale {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s is still there", p)
			}
		}
		for _, p := range keep {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s was removed", p)
			}
		}
	})
	t.Run("a reader of a folder it may not write needs no lock", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes anywhere")
		}
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o755)
		l, err := LockFolder(ctx, dir, false, false, nil)
		if err != nil {
			t.Fatalf("reading a read-only folder: %v", err)
		}
		l.Unlock()
	})
}
