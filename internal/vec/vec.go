// Package vec holds the small-vector comparison and copy the hot loop
// (environment step, act, update) shares across packages: the default
// skills family's vectors have 8 values, at which length both are inline,
// without a call or a loop.
package vec

import "unsafe"

// Same reports whether a and b have the same length and hold the same
// bits value by value (so -0 differs from 0 and a NaN equals itself):
// what comparing math.Float64bits one value at a time reports.
func Same(a, b []float64) bool {
	if len(a) == 8 && len(b) == 8 {
		x := (*[8]uint64)(unsafe.Pointer(unsafe.SliceData(a)))
		y := (*[8]uint64)(unsafe.Pointer(unsafe.SliceData(b)))
		return (x[0]^y[0])|(x[1]^y[1])|(x[2]^y[2])|(x[3]^y[3])|
			(x[4]^y[4])|(x[5]^y[5])|(x[6]^y[6])|(x[7]^y[7]) == 0
	}
	return sameAny(a, b)
}

func sameAny(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 {
		return true
	}
	return string(unsafe.Slice((*byte)(unsafe.Pointer(&a[0])), 8*len(a))) ==
		string(unsafe.Slice((*byte)(unsafe.Pointer(&b[0])), 8*len(b)))
}

// Copy is copy(dst, src) for float slices, without the call to memmove
// when both hold 8 values (the skills family's vectors). The value goes
// through a temporary: assigning *dst = *src directly would compile to
// memmove, dst and src possibly overlapping.
func Copy(dst, src []float64) {
	if len(dst) == 8 && len(src) == 8 {
		t := *(*[8]float64)(src)
		*(*[8]float64)(dst) = t
		return
	}
	copy(dst, src)
}

// Copy4 is Copy inline at 4 values (the skills family's actions).
func Copy4(dst, src []float64) {
	if len(dst) == 4 && len(src) == 4 {
		t := *(*[4]float64)(src)
		*(*[4]float64)(dst) = t
		return
	}
	copy(dst, src)
}
