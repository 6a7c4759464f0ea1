package envs

import "testing"

func TestThenExtendsKey(t *testing.T) {
	for _, p := range []uint64{0, 1, ^uint64(0), uint64(PurposeAct)} {
		if Key1(p) != Key(p) {
			t.Errorf("Key1(%d) = %x, Key(%d) = %x", p, Key1(p), p, Key(p))
		}
	}
	for _, parts := range [][]uint64{{1}, {1, 2}, {0, 0, 0}, {^uint64(0), 7, 9, 11}} {
		for _, p := range []uint64{0, 3, uint64(PurposeAct)} {
			if got, want := Then(Key(parts...), p), Key(append(append([]uint64(nil), parts...), p)...); got != want {
				t.Errorf("Then(Key(%v), %d) = %x, Key(%v, %d) = %x", parts, p, got, parts, p, want)
			}
		}
	}
}
