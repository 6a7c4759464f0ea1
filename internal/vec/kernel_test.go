package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// kernelValue draws a value that is now and then a special one: zeros of
// both signs, infinities, subnormals, huge and tiny numbers, a NaN.
func kernelValue(rng *rand.Rand, nan bool) float64 {
	switch rng.IntN(20) {
	case 0:
		return 0
	case 1:
		return math.Copysign(0, -1)
	case 2:
		return math.Inf(1 - 2*rng.IntN(2))
	case 3:
		return 5e-324 * float64(rng.IntN(1000))
	case 4:
		return rng.NormFloat64() * 1e300
	case 5:
		if nan {
			return math.NaN()
		}
	}
	return rng.NormFloat64()
}

// sameOrNaN: the same bits, or both NaN (payloads may differ).
func sameOrNaN(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// TestKernelsMatchGo runs each kernel in SIMD lanes and in plain Go on the
// same inputs and wants the same bits (a NaN's payload aside).
func TestKernelsMatchGo(t *testing.T) {
	if !haveSIMD {
		t.Skip("no SIMD kernels on this machine: the Go code is all there is")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20000 {
		nan := round%7 == 0
		stride := 8 + rng.IntN(40)
		rows := make([]float64, 3*stride+8+rng.IntN(3))
		for i := range rows {
			rows[i] = kernelValue(rng, nan)
		}
		var x [8]float64
		for i := range x {
			x[i] = kernelValue(rng, nan)
		}
		var z0 [4]float64
		for i := range z0 {
			z0[i] = kernelValue(rng, nan)
		}
		zs, zg := z0, z0
		dot4x8SIMD(&zs, &rows[0], 8*stride, &x, false)
		dot4x8Go(&zg, rows, stride, &x)
		z1, z2 := z0, [4]float64{}
		dot4x8SIMD(&z1, &rows[0], 8*stride, &x, true)
		dot4x8Go(&z2, rows, stride, &x)
		for k := range z1 {
			if !sameOrNaN(z1[k], z2[k]) {
				t.Fatalf("round %d: Dot4x8To lane %d: SIMD %v, Go %v", round, k, z1[k], z2[k])
			}
		}
		for k := range zs {
			if !sameOrNaN(zs[k], zg[k]) {
				t.Fatalf("round %d: Dot4x8 lane %d: SIMD %v (%x), Go %v (%x)", round, k, zs[k], math.Float64bits(zs[k]), zg[k], math.Float64bits(zg[k]))
			}
		}

		// AddOuterBias4x8 against AddOuter8's Go loop and the bias's.
		var u4, b4 [4]float64
		for i := range u4 {
			u4[i], b4[i] = kernelValue(rng, nan), kernelValue(rng, nan)
		}
		g1 := make([]float64, 32)
		for i := range g1 {
			g1[i] = kernelValue(rng, nan)
		}
		g2, b2 := append([]float64(nil), g1...), b4
		addOuterBias4x8SIMD(&g1[0], &u4, &x, &b4)
		addOuter8Go(g2, u4[:], &x)
		for a, c := range u4 {
			if c != 0 {
				b2[a] += c
			}
		}
		for i := range g1 {
			if !sameOrNaN(g1[i], g2[i]) {
				t.Fatalf("round %d: AddOuterBias4x8 value %d: SIMD %v, Go %v", round, i, g1[i], g2[i])
			}
		}
		for a := range b4 {
			if !sameOrNaN(b4[a], b2[a]) {
				t.Fatalf("round %d: AddOuterBias4x8 bias %d (u %v): SIMD %v, Go %v", round, a, u4[a], b4[a], b2[a])
			}
		}

		// Project8 against Dot4x8To's Go loop, row by row.
		nr := rng.IntN(14)
		w := make([]float64, 8*nr)
		for i := range w {
			w[i] = kernelValue(rng, nan)
		}
		pd, pg := make([]float64, nr), make([]float64, nr)
		Project8(pd, w, &x)
		for r := range pg {
			s := 0.0
			for j := range 8 {
				s += w[8*r+j] * x[j]
			}
			pg[r] = s
		}
		for r := range pd {
			if !sameOrNaN(pd[r], pg[r]) {
				t.Fatalf("round %d: Project8 row %d of %d: SIMD %v, Go %v", round, r, nr, pd[r], pg[r])
			}
		}

		n := rng.IntN(40)
		u := make([]float64, n)
		for i := range u {
			u[i] = kernelValue(rng, nan)
		}
		ms, mg := make([]float64, 8*n), make([]float64, 8*n)
		for i := range ms {
			ms[i] = kernelValue(rng, nan)
			mg[i] = ms[i]
		}
		if n > 0 {
			addOuter8SIMD(&ms[0], &u[0], n, &x)
		}
		// Add and AddClear against their Go loop, at every length mod 4.
		src := make([]float64, rng.IntN(30))
		for i := range src {
			src[i] = kernelValue(rng, nan)
		}
		d1 := make([]float64, len(src)+rng.IntN(3))
		for i := range d1 {
			d1[i] = kernelValue(rng, nan)
		}
		d2, s1 := append([]float64(nil), d1...), append([]float64(nil), src...)
		AddClear(d1, s1)
		addGo(d2, src)
		for i := range d1 {
			if !sameOrNaN(d1[i], d2[i]) {
				t.Fatalf("round %d: AddClear value %d: SIMD %v, Go %v", round, i, d1[i], d2[i])
			}
		}
		for i, v := range s1 {
			if math.Float64bits(v) != 0 {
				t.Fatalf("round %d: AddClear left src[%d] = %v", round, i, v)
			}
		}
		addOuter8Go(mg, u, &x)
		for i := range ms {
			if !sameOrNaN(ms[i], mg[i]) {
				t.Fatalf("round %d: AddOuter8 value %d: SIMD %v, Go %v", round, i, ms[i], mg[i])
			}
		}
	}
}

func TestKernelsPanicOnShortInput(t *testing.T) {
	var z [4]float64
	var x [8]float64
	for name, f := range map[string]func(){
		"Dot4x8":    func() { Dot4x8(&z, make([]float64, 3*10+7), 10, &x) },
		"AddOuter8": func() { AddOuter8(make([]float64, 15), []float64{1, 2}, &x) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic on rows too short", name)
				}
			}()
			f()
		}()
	}
}

// TestDot4x8IsTheDefinition checks the Go kernel (which the SIMD one
// matches) against the plain loop it stands for.
func TestDot4x8IsTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		stride := 8 + rng.IntN(5)
		rows := make([]float64, 3*stride+8)
		var x [8]float64
		var z [4]float64
		for i := range rows {
			rows[i] = rng.NormFloat64()
		}
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		want := z
		for k := range want {
			for i := range 8 {
				want[k] += rows[k*stride+i] * x[i]
			}
		}
		Dot4x8(&z, rows, stride, &x)
		if z != want {
			t.Fatalf("Dot4x8 = %v, the loop %v", z, want)
		}
	}
}
