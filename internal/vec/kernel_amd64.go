package vec

import "golang.org/x/sys/cpu"

// haveSIMD: AVX2 (and the OS saving the 256-bit registers, which
// cpu.X86.HasAVX includes).
var haveSIMD = cpu.X86.HasAVX && cpu.X86.HasAVX2

// dot4x8SIMD is Dot4x8 with the rows strideBytes apart, or Dot4x8To if
// fromZero.
//
//go:noescape
func dot4x8SIMD(z *[4]float64, rows *float64, strideBytes int, x *[8]float64, fromZero bool)

// addOuter8SIMD is AddOuter8 over n rows.
//
//go:noescape
func addOuter8SIMD(mat, u *float64, n int, v *[8]float64)

// addClearSIMD adds n values (a multiple of 4) of src to dst and zeroes
// them in src.
//
//go:noescape
func addClearSIMD(dst, src *float64, n int)

// project8SIMD is Project8 on quads*4 rows.
//
//go:noescape
func project8SIMD(dst, w *float64, quads int, c *[8]float64)

// addOuterBias4x8SIMD is AddOuterBias4x8.
//
//go:noescape
func addOuterBias4x8SIMD(mat *float64, u *[4]float64, v *[8]float64, b *[4]float64)
