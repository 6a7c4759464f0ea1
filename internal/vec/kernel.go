package vec

import (
	"os"
	"unsafe"
)

// The two arithmetic kernels of the bilinear policy at 8 values per row
// (the skills family's d = K = 8): four dot products side by side, and a
// rank-one update. On amd64 with AVX2 they run in 256-bit lanes, each lane
// doing the same IEEE multiplies and adds, in the same order, as the plain
// Go below (no fused multiply-add, which would round once instead of
// twice), so results are bit for bit those of the Go code: only NaN
// payloads may differ. GRINDBENCH_NOSIMD=1 in the environment turns the
// lanes off (the Go code runs everywhere else); TestKernelsMatchGo checks
// the two agree.
var simd = haveSIMD && os.Getenv("GRINDBENCH_NOSIMD") != "1"

// Dot4x8 adds to each z[k] the dot product of row k with x, summing in
// order of i: z[k] = (((z[k] + r_k[0] x[0]) + r_k[1] x[1]) + ... + r_k[7]
// x[7]), where row k is the 8 values at rows[k*stride:]. It panics if a
// row lies outside rows.
func Dot4x8(z *[4]float64, rows []float64, stride int, x *[8]float64) {
	if stride < 0 || len(rows) < 3*stride+8 {
		panic("vec: Dot4x8: rows too short for four rows of 8 at that stride")
	}
	if simd {
		dot4x8SIMD(z, unsafe.SliceData(rows), 8*stride, x, false)
		return
	}
	dot4x8Go(z, rows, stride, x)
}

// Dot4x8To is Dot4x8 from z = 0: it sets z to the four dot products, each
// summed in order from +0. (It does not read z: a 32-byte load of values
// just stored 8 bytes at a time would wait for the stores.)
func Dot4x8To(z *[4]float64, rows []float64, stride int, x *[8]float64) {
	if stride < 0 || len(rows) < 3*stride+8 {
		panic("vec: Dot4x8To: rows too short for four rows of 8 at that stride")
	}
	if simd {
		dot4x8SIMD(z, unsafe.SliceData(rows), 8*stride, x, true)
		return
	}
	*z = [4]float64{}
	dot4x8Go(z, rows, stride, x)
}

func dot4x8Go(z *[4]float64, rows []float64, stride int, x *[8]float64) {
	x0, x1, x2, x3, x4, x5, x6, x7 := x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]
	for k := range z {
		r := (*[8]float64)(rows[k*stride:])
		s := z[k]
		s += r[0] * x0
		s += r[1] * x1
		s += r[2] * x2
		s += r[3] * x3
		s += r[4] * x4
		s += r[5] * x5
		s += r[6] * x6
		s += r[7] * x7
		z[k] = s
	}
}

// Project8 sets dst[r] to the dot product of row r of w (the 8 values at
// w[8r:]) with c, summed in order from +0, for every r < len(dst): Dot4x8To
// over consecutive rows, four at a time in one call. It panics if w holds
// fewer than len(dst) rows.
func Project8(dst, w []float64, c *[8]float64) {
	if len(w) < 8*len(dst) {
		panic("vec: Project8: w has fewer rows than dst values")
	}
	q := len(dst) / 4
	if simd && q > 0 {
		project8SIMD(unsafe.SliceData(dst), unsafe.SliceData(w), q, c)
	} else {
		for i := 0; i < q; i++ {
			z := (*[4]float64)(dst[4*i:])
			*z = [4]float64{}
			dot4x8Go(z, w[32*i:], 8, c)
		}
	}
	for r := 4 * q; r < len(dst); r++ {
		row := (*[8]float64)(w[8*r:])
		s := 0.0
		for j, v := range row {
			s += v * c[j]
		}
		dst[r] = s
	}
}

// AddOuter8 adds u[r] v to row r of mat (the 8 values at mat[8r:]) for
// every r whose u[r] is not zero (of either sign): row[j] = row[j] + u[r]
// v[j]. It panics if mat holds fewer than len(u) rows.
func AddOuter8(mat, u []float64, v *[8]float64) {
	if len(mat) < 8*len(u) {
		panic("vec: AddOuter8: mat has fewer rows than u values")
	}
	if len(u) == 0 {
		return
	}
	if simd {
		addOuter8SIMD(unsafe.SliceData(mat), unsafe.SliceData(u), len(u), v)
		return
	}
	addOuter8Go(mat, u, v)
}

func addOuter8Go(mat, u []float64, v *[8]float64) {
	for r, ur := range u {
		if ur != 0 {
			Axpy8((*[8]float64)(mat[8*r:]), ur, v)
		}
	}
}

// Axpy8 adds alpha v to row: row[j] = row[j] + alpha v[j], unrolled (small
// enough to be inlined where it is called).
func Axpy8(row *[8]float64, alpha float64, v *[8]float64) {
	row[0] += alpha * v[0]
	row[1] += alpha * v[1]
	row[2] += alpha * v[2]
	row[3] += alpha * v[3]
	row[4] += alpha * v[4]
	row[5] += alpha * v[5]
	row[6] += alpha * v[6]
	row[7] += alpha * v[7]
}

// Add8 adds src to dst value by value, unrolled (inlined where called).
func Add8(dst, src *[8]float64) {
	dst[0] += src[0]
	dst[1] += src[1]
	dst[2] += src[2]
	dst[3] += src[3]
	dst[4] += src[4]
	dst[5] += src[5]
	dst[6] += src[6]
	dst[7] += src[7]
}

// AddOuterBias4x8 is AddOuter8 on the 4 rows of g, then b[a] = b[a] + u[a]
// for every a whose u[a] is not zero (of either sign): a rank-one update
// and a bias's, in one call. It panics if g holds fewer than 4 rows.
func AddOuterBias4x8(g []float64, u *[4]float64, v *[8]float64, b *[4]float64) {
	if len(g) < 32 {
		panic("vec: AddOuterBias4x8: g has fewer than 4 rows")
	}
	if simd {
		addOuterBias4x8SIMD(unsafe.SliceData(g), u, v, b)
		return
	}
	addOuter8Go(g, u[:], v)
	for a, c := range u {
		if c != 0 {
			b[a] += c
		}
	}
}

// AddClear adds src to dst value by value (dst[i] = dst[i] + src[i]),
// then zeroes src. It panics if src is longer than dst.
func AddClear(dst, src []float64) {
	if len(src) > len(dst) {
		panic("vec: AddClear: src longer than dst")
	}
	n := len(src)
	if simd && n >= 4 {
		addClearSIMD(unsafe.SliceData(dst), unsafe.SliceData(src), n&^3)
		dst, src = dst[n&^3:], src[n&^3:]
	}
	addGo(dst, src)
	clear(src)
}

func addGo(dst, src []float64) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}
