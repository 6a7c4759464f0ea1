package results

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Record files are written compressed (RunExt): the bytes depend on the
// records alone, the content hash is the JSON lines' (as for a plain
// file), and a compressed file damaged in any way is named damaged as a
// plain one is; a folder mixing both forms reads whole.
func TestCompressedRunFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, RunsDir), 0o755)
	lines := encodeRun(t, "p__a__s0001", 1, nil)
	write := func(key string) string {
		t.Helper()
		p := RunPath(dir, key)
		if err := WriteRunLines(p, lines); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := write("p__a__s0001")
	if !strings.HasSuffix(p, ".jsonl.gz") {
		t.Fatalf("RunPath %s: want a .jsonl.gz file", p)
	}
	z, _ := os.ReadFile(p)
	if len(z) >= len(lines) || bytes.Equal(z[:2], lines[:2]) {
		t.Fatalf("%d compressed bytes for %d of lines: not compressed", len(z), len(lines))
	}
	if z[4]|z[5]|z[6]|z[7] != 0 {
		t.Errorf("gzip header carries a modification time: bytes would depend on when they were written")
	}
	rf, err := VerifyRun(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	plainHash, _ := HashFile(writeRunFile(t, t.TempDir(), "p__a__s0001", lines))
	if rf.Hash != plainHash {
		t.Errorf("hash of the compressed file %.12s, of the same lines plain %.12s: want equal", rf.Hash, plainHash)
	}
	if h, _ := HashFile(p); h != plainHash {
		t.Errorf("HashFile of the compressed file %.12s, want the lines' %.12s", h, plainHash)
	}

	// A second folder written from the same records holds the same bytes.
	dir2 := t.TempDir()
	os.MkdirAll(filepath.Join(dir2, RunsDir), 0o755)
	if err := WriteRunLines(RunPath(dir2, "p__a__s0001"), lines); err != nil {
		t.Fatal(err)
	}
	if z2, _ := os.ReadFile(RunPath(dir2, "p__a__s0001")); !bytes.Equal(z, z2) {
		t.Error("the same records compressed twice differ")
	}

	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
		want   string
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }, "unexpected EOF"},
		{"trailer cut", func(b []byte) []byte { return b[:len(b)-4] }, "unexpected EOF"},
		{"empty", func([]byte) []byte { return nil }, "not a whole gzip file"},
		{"byte flipped", func(b []byte) []byte { c := bytes.Clone(b); c[len(c)/2] ^= 0x40; return c }, ""},
		{"garbage appended", func(b []byte) []byte { return append(bytes.Clone(b), "junk\n"...) }, ""},
		{"plain lines under the compressed name", func([]byte) []byte { return lines }, "not a whole gzip file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(p, tc.damage(z), 0o644); err != nil {
				t.Fatal(err)
			}
			_, verr := VerifyRun(p, nil)
			if verr == nil || !strings.Contains(verr.Error(), tc.want) {
				t.Fatalf("VerifyRun of a damaged compressed file: got %v, want an error containing %q", verr, tc.want)
			}
			r, err := readRuns(dir, readOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Runs) != 0 || len(r.Damaged) != 1 || !strings.HasSuffix(r.Damaged[0].Path, RunExt) {
				t.Errorf("read %v, damaged %v: want the one file named damaged", r.Runs, r.Damaged)
			}
			moved, err := MoveAside(dir, "p__a__s0001", verr)
			if err != nil || filepath.Base(filepath.Dir(moved.Path)) != DamagedDir || !strings.HasSuffix(moved.Path, RunExt) {
				t.Errorf("moved aside to %s (%v): want damaged/<key>[.N]%s", moved.Path, err, RunExt)
			}
			write("p__a__s0001")
		})
	}

	// An older folder's plain file beside a compressed one: both read.
	writeRunFile(t, dir, "p__a__s0002", encodeRun(t, "p__a__s0002", 2, nil))
	r, err := readRuns(dir, readOptions{})
	if err != nil || len(r.Damaged) != 0 || len(r.Runs) != 2 {
		t.Fatalf("mixed folder: runs %v, damaged %v, err %v", r.Runs, r.Damaged, err)
	}
	if FindRun(dir, "p__a__s0002") != plainRun(dir, "p__a__s0002") || FindRun(dir, "p__a__s0001") != RunPath(dir, "p__a__s0001") {
		t.Error("FindRun does not find each run's file as it is")
	}
}

// plainRun is a run's record file in the plain form of older folders,
// which every reader still takes.
func plainRun(dir, key string) string { return filepath.Join(dir, RunsDir, key+PlainRunExt) }
