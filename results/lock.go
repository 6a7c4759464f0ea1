package results

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gofrs/flock"
)

// LockFile is the advisory lock of a results folder. A command that
// writes the folder (grind run, report, merge) holds it exclusively for as
// long as it runs; one that only reads it (compare, reproduce, merge's
// shards) holds it shared. The file stays: removing a lock file while
// another process waits on it would let two writers in.
const LockFile = ".grind.lock"

// Lock is a held lock on a results folder.
type Lock struct {
	fl        *flock.Flock
	exclusive bool
}

// BusyError is LockFolder's error when another grind command holds the
// folder and the caller would not wait.
type BusyError struct {
	Dir    string
	Holder string // what the holding writer wrote into the lock file; "" if unknown
}

func (e *BusyError) Error() string {
	msg := fmt.Sprintf("results folder %s is in use by another grind command", e.Dir)
	if e.Holder != "" {
		msg += " (" + e.Holder + ")"
	}
	return msg + ": wait for it to finish, or pass --wait to wait for it"
}

// lockPoll is how often a waiting LockFolder tries again.
const lockPoll = 100 * time.Millisecond

// LockFolder takes the lock of results folder dir: exclusive for a
// command that writes the folder, shared for one that only reads it. When
// another command holds it, LockFolder returns a *BusyError at once, or,
// with wait, calls waiting (if not nil) and waits until the lock is free or
// ctx is done. An exclusive lock first creates dir, and once taken removes
// the temporary files a killed writer left behind (RemoveStaleTemps): no
// other writer can be using them. A shared lock needs dir to exist.
func LockFolder(ctx context.Context, dir string, exclusive, wait bool, waiting func(*BusyError)) (*Lock, error) {
	if exclusive {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("results folder: %w", err)
		}
	} else if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("results folder: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("results folder: %s is not a folder", dir)
	}
	path := filepath.Join(dir, LockFile)
	fl := flock.New(path, flock.SetPermissions(0o644))
	try := fl.TryRLock
	if exclusive {
		try = fl.TryLock
	}
	ok, err := try()
	if err != nil && !exclusive && (errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)) {
		// A folder a reader may not write (a read-only checkout, a
		// published folder): no writer can be at work in it either.
		return &Lock{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		busy := &BusyError{Dir: dir, Holder: readHolder(path)}
		if !wait {
			return nil, busy
		}
		if waiting != nil {
			waiting(busy)
		}
		if exclusive {
			ok, err = fl.TryLockContext(ctx, lockPoll)
		} else {
			ok, err = fl.TryRLockContext(ctx, lockPoll)
		}
		if err != nil || !ok {
			return nil, fmt.Errorf("waiting for %s: %w", path, err)
		}
	}
	l := &Lock{fl: fl, exclusive: exclusive}
	if exclusive {
		// The holder says who it is, for a command it turns away.
		os.WriteFile(path, []byte(fmt.Sprintf("pid %d: %s, since %s", os.Getpid(), commandLine(), time.Now().Format(time.DateTime))), 0o644)
		if err := RemoveStaleTemps(dir); err != nil {
			l.Unlock()
			return nil, err
		}
	}
	return l, nil
}

// Unlock releases the lock.
func (l *Lock) Unlock() error {
	if l == nil || l.fl == nil {
		return nil
	}
	if l.exclusive {
		os.Truncate(l.fl.Path(), 0)
	}
	return l.fl.Unlock()
}

// readHolder returns what the holder of the lock at path wrote, cut short.
func readHolder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func commandLine() string {
	args := append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...)
	return strings.Join(args, " ")
}

// RemoveStaleTemps removes the temporary files of atomic writes
// (WriteFileAtomic, CreateRun) anywhere under results folder dir: those a
// writer killed before its rename left behind. Call it only with the
// folder's exclusive lock held, when no writer can be using one.
func RemoveStaleTemps(dir string) error {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if name := d.Name(); !d.IsDir() && strings.HasPrefix(name, ".") && strings.Contains(name, tempInfix) {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove stale temporary files in %s: %w", dir, err)
	}
	return nil
}
