//go:build !amd64

package vec

const haveSIMD = false

func dot4x8SIMD(z *[4]float64, rows *float64, strideBytes int, x *[8]float64, fromZero bool) {
	panic("vec: no SIMD kernels on this architecture")
}

func addOuter8SIMD(mat, u *float64, n int, v *[8]float64) {
	panic("vec: no SIMD kernels on this architecture")
}

func addClearSIMD(dst, src *float64, n int) {
	panic("vec: no SIMD kernels on this architecture")
}

func project8SIMD(dst, w *float64, quads int, c *[8]float64) {
	panic("vec: no SIMD kernels on this architecture")
}

func addOuterBias4x8SIMD(mat *float64, u *[4]float64, v *[8]float64, b *[4]float64) {
	panic("vec: no SIMD kernels on this architecture")
}
