package agents

import (
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/grindbench/grindbench/envs"
	"github.com/grindbench/grindbench/internal/vec"
)

func init() {
	RegisterModel(ModelFactory{
		Name:      "bilinear",
		Doc:       "softmax over bilinear terms x (x) c, per-identity terms x (x) onehot(id) and a per-action bias, built from the family's channels (docs/science.md)",
		NewConfig: func() any { c := DefaultBilinear(); return &c },
		New: func(s envs.Spec, knobs any, _ uint64) (Model, error) {
			c, ok := knobs.(*BilinearConfig)
			if !ok {
				return nil, fmt.Errorf("knobs have type %T, want *BilinearConfig", knobs)
			}
			return NewBilinear(s, *c)
		},
		// The base model is pretrained with its shared terms and bias; the
		// identity terms stay zero (pretraining never trains memorizing
		// terms), so every agent's switches apply to one shared base.
		PretrainKnobs: func(any) any { c := DefaultBilinear(); return &c },
	})
}

// BilinearConfig switches the bilinear model's terms on and off.
type BilinearConfig struct {
	Bilinear  bool `toml:"bilinear" doc:"the shared terms x (x) c between the first dense channel x and each other dense channel c (x alone when there is none): generalize across descriptions"`
	IDChannel bool `toml:"id_channel" doc:"the memorizing terms x (x) onehot(id) for each index channel: a new identity has zero weight"`
	Bias      bool `toml:"bias" doc:"a per-action bias (makes loopholes such as always-answer-0 expressible)"`
	// IDScale is a parameterization choice the split of what is learned
	// between the channels depends on: a gradient step moves the identity
	// terms' logits IDScale^2 times as far as at scale 1.
	IDScale float64 `toml:"id_scale" range:"0,100" doc:"scale of the memorizing terms' features relative to the shared ones: the identity one-hot is s onehot(id) (1: the plain one-hot)"`
}

// DefaultBilinear turns every term on.
func DefaultBilinear() BilinearConfig {
	return BilinearConfig{Bilinear: true, IDChannel: true, Bias: true, IDScale: 1}
}

// Bilinear is the softmax policy over the logits
//
//	z_a = ( sum_c x^T W^c_a c  +  sum_k x^T U^k_{a,id_k}  +  b_a ) / T
//
// where x is the family's first dense channel, c ranges over its other
// dense channels (the constant 1 when there is none: a linear map) and id_k
// over its index channels. On the skills family (x, desc, id) these are
// DESIGN 3.1's shared channel W, memorizing channel U and bias b.
type Bilinear struct {
	spec  envs.Spec
	cfg   BilinearConfig
	temp  float64
	p     []float64
	x     int          // position of the context channel
	pairs []bilinPair  // W^c blocks
	ids   []bilinIndex // U^k blocks
	bias  int          // offset of b
	terms []Term
}

type bilinPair struct{ ch, k, off int } // ch = -1: the constant 1
type bilinIndex struct{ ch, n, off int }

var one = []float64{1}

// NewBilinear returns a bilinear model for s with all weights zero.
func NewBilinear(s envs.Spec, cfg BilinearConfig) (*Bilinear, error) {
	dense := s.Dense()
	if len(dense) == 0 {
		return nil, fmt.Errorf("bilinear: the family declares no dense channel to use as x")
	}
	m := &Bilinear{spec: s, cfg: cfg, temp: 1, x: dense[0]}
	A, d := s.Actions, s.Channels[m.x].Size
	off := 0
	add := func(name string, role TermRole, n int) int {
		m.terms = append(m.terms, Term{Name: name, Role: role, Lo: off, Hi: off + n})
		off += n
		return off - n
	}
	if len(dense) == 1 {
		m.pairs = append(m.pairs, bilinPair{ch: -1, k: 1, off: add("linear:"+s.Channels[m.x].Name, RoleShared, A*d)})
	}
	for _, ch := range dense[1:] {
		k := s.Channels[ch].Size
		m.pairs = append(m.pairs, bilinPair{ch: ch, k: k, off: add("bilinear:"+s.Channels[ch].Name, RoleShared, A*d*k)})
	}
	for _, ch := range s.Indices() {
		n := s.Channels[ch].Size
		m.ids = append(m.ids, bilinIndex{ch: ch, n: n, off: add("id:"+s.Channels[ch].Name, RoleMemorizing, A*n*d)})
	}
	m.bias = add("bias", RoleOther, A)
	m.p = make([]float64, off)
	return m, nil
}

func (m *Bilinear) Spec() envs.Spec          { return m.spec }
func (m *Bilinear) Params() []float64        { return m.p }
func (m *Bilinear) Terms() []Term            { return m.terms }
func (m *Bilinear) Temperature() float64     { return m.temp }
func (m *Bilinear) SetTemperature(t float64) { m.temp = t }

// Clone implements Model.
func (m *Bilinear) Clone() Model {
	q := *m
	q.p = slices.Clone(m.p)
	return &q
}

// Logits implements Model. The inner products run several outputs side
// by side (independent accumulators across actions and rows), each summed
// in the order of the plain definition, so the result is bit for bit that
// of the loops
//
//	for a: z = 0; for each pair, for i: z += x_i (sum_j W_aij c_j); for each id: for i: z += U_a,id,i x_i; z += b_a
func (m *Bilinear) Logits(dst []float64, o *envs.Obs) {
	A := m.spec.Actions
	z := dst[:A]
	zero(z)
	x := o.Dense[m.x]
	d := len(x)
	if m.cfg.Bilinear {
		for _, q := range m.pairs {
			c := m.channel(q, o)
			K := q.k
			for a := range z {
				z[a] = dotProjected(z[a], x, m.p[q.off+a*d*K:q.off+(a+1)*d*K], c)
			}
		}
	}
	m.finish(z, x, o)
}

// channel returns pair q's dense channel of o (the constant 1 for a linear
// map).
func (m *Bilinear) channel(q bilinPair, o *envs.Obs) []float64 {
	if q.ch >= 0 {
		return o.Dense[q.ch]
	}
	return one
}

// finish adds the identity terms and the bias to z and divides by the
// temperature.
func (m *Bilinear) finish(z, x []float64, o *envs.Obs) {
	p := m.p
	d := len(x)
	if m.cfg.IDChannel {
		for _, k := range m.ids {
			if id := o.Index[k.ch]; id >= 0 && id < k.n {
				// U^k_{a,id} for action a starts at k.off + (a n + id) d:
				// rows n d apart, each added to z[a] in order of i.
				if s := m.cfg.IDScale; s != 1 {
					stride := k.n * d
					u := p[k.off+id*d:]
					for a := range z {
						dot := 0.0
						for i, xi := range x {
							dot += xi * u[a*stride+i]
						}
						z[a] += s * dot
					}
					continue
				}
				accumulateStrided(z, x, p[k.off+id*d:], k.n*d)
			}
		}
	}
	inv := 1 / m.temp
	if len(z) == 4 { // the common action count, without loops
		z4 := (*[4]float64)(z)
		if m.cfg.Bias {
			b := (*[4]float64)(p[m.bias:])
			z4[0] += b[0]
			z4[1] += b[1]
			z4[2] += b[2]
			z4[3] += b[3]
		}
		z4[0] *= inv
		z4[1] *= inv
		z4[2] *= inv
		z4[3] *= inv
		return
	}
	if m.cfg.Bias {
		b := p[m.bias : m.bias+len(z)]
		for a := range z {
			z[a] += b[a]
		}
	}
	for a := range z {
		z[a] *= inv
	}
}

// zero sets z to zeros: at 4 values without a call to the runtime's clear.
func zero(z []float64) {
	if len(z) == 4 {
		*(*[4]float64)(z) = [4]float64{}
		return
	}
	clear(z)
}

// dotProjected returns z + sum_i x_i (sum_j w[i K + j] c_j), adding in
// order of i with each inner sum in order of j, four rows at a time. It
// writes nothing, so a model may be read by several goroutines.
func dotProjected(z float64, x, w, c []float64) float64 {
	K := len(c)
	i := 0
	for ; i+4 <= len(x); i += 4 {
		w0 := w[i*K : (i+1)*K]
		w1 := w[(i+1)*K : (i+2)*K]
		w2 := w[(i+2)*K : (i+3)*K]
		w3 := w[(i+3)*K : (i+4)*K]
		s0, s1, s2, s3 := 0.0, 0.0, 0.0, 0.0
		for j, cj := range c {
			s0 += w0[j] * cj
			s1 += w1[j] * cj
			s2 += w2[j] * cj
			s3 += w3[j] * cj
		}
		z += x[i] * s0
		z += x[i+1] * s1
		z += x[i+2] * s2
		z += x[i+3] * s3
	}
	for ; i < len(x); i++ {
		row := w[i*K : (i+1)*K]
		s := 0.0
		for j, cj := range c {
			s += row[j] * cj
		}
		z += x[i] * s
	}
	return z
}

// project writes dst[r] = sum_j w[r K + j] c[j] (K = len(c)), each sum in
// order of j from 0, four rows at a time.
func project(dst, w, c []float64) {
	K := len(c)
	if K == 8 {
		project8(dst, w, (*[8]float64)(c))
		return
	}
	r := 0
	for ; r+4 <= len(dst); r += 4 {
		w0 := w[r*K : (r+1)*K][:len(c)]
		w1 := w[(r+1)*K : (r+2)*K][:len(c)]
		w2 := w[(r+2)*K : (r+3)*K][:len(c)]
		w3 := w[(r+3)*K : (r+4)*K][:len(c)]
		s0, s1, s2, s3 := 0.0, 0.0, 0.0, 0.0
		for j, cj := range c {
			s0 += w0[j] * cj
			s1 += w1[j] * cj
			s2 += w2[j] * cj
			s3 += w3[j] * cj
		}
		ds := dst[r : r+4]
		ds[0], ds[1], ds[2], ds[3] = s0, s1, s2, s3
	}
	for ; r < len(dst); r++ {
		row := w[r*K : (r+1)*K][:len(c)]
		s := 0.0
		for j, cj := range c {
			s += row[j] * cj
		}
		dst[r] = s
	}
}

// project8 is project at K = 8: c in registers, each row's sum unrolled,
// in the same order from 0.
func project8(dst, w []float64, c *[8]float64) { vec.Project8(dst, w, c) }

// accumulate adds x . proj[a d : (a+1) d] to z[a] for every action a, each
// sum in order of i, four actions at a time.
func accumulate(z, x, proj []float64) {
	d := len(x)
	if d == 8 {
		accumulate8(z, (*[8]float64)(x), proj, 8)
		return
	}
	a := 0
	for ; a+4 <= len(z); a += 4 {
		// Slices as long as x: the loop below runs without bounds checks.
		p0 := proj[a*d : (a+1)*d][:len(x)]
		p1 := proj[(a+1)*d : (a+2)*d][:len(x)]
		p2 := proj[(a+2)*d : (a+3)*d][:len(x)]
		p3 := proj[(a+3)*d : (a+4)*d][:len(x)]
		zs := z[a : a+4]
		z0, z1, z2, z3 := zs[0], zs[1], zs[2], zs[3]
		for i, xi := range x {
			z0 += xi * p0[i]
			z1 += xi * p1[i]
			z2 += xi * p2[i]
			z3 += xi * p3[i]
		}
		zs[0], zs[1], zs[2], zs[3] = z0, z1, z2, z3
	}
	for ; a < len(z); a++ {
		pa := proj[a*d : (a+1)*d][:len(x)]
		za := z[a]
		for i, xi := range x {
			za += xi * pa[i]
		}
		z[a] = za
	}
}

// accumulateStrided adds x . u[a stride : a stride + d] to z[a] for every
// action a, each sum in order of i, four actions at a time.
func accumulateStrided(z, x, u []float64, stride int) {
	d := len(x)
	if d == 8 {
		accumulate8(z, (*[8]float64)(x), u, stride)
		return
	}
	a := 0
	for ; a+4 <= len(z); a += 4 {
		u0 := u[a*stride : a*stride+d][:len(x)]
		u1 := u[(a+1)*stride : (a+1)*stride+d][:len(x)]
		u2 := u[(a+2)*stride : (a+2)*stride+d][:len(x)]
		u3 := u[(a+3)*stride : (a+3)*stride+d][:len(x)]
		zs := z[a : a+4]
		z0, z1, z2, z3 := zs[0], zs[1], zs[2], zs[3]
		for i, xi := range x {
			z0 += u0[i] * xi
			z1 += u1[i] * xi
			z2 += u2[i] * xi
			z3 += u3[i] * xi
		}
		zs[0], zs[1], zs[2], zs[3] = z0, z1, z2, z3
	}
	for ; a < len(z); a++ {
		ua := u[a*stride : a*stride+d][:len(x)]
		za := z[a]
		for i, xi := range x {
			za += ua[i] * xi
		}
		z[a] = za
	}
}

// accumulate8 is accumulate and accumulateStrided at d = 8: x in
// registers, each action's row (8 values at a stride apart) added to z[a]
// in order of i, as there.
func accumulate8(z []float64, x *[8]float64, rows []float64, stride int) {
	a := 0
	for ; a+4 <= len(z); a += 4 {
		vec.Dot4x8((*[4]float64)(z[a:]), rows[a*stride:], stride, x)
	}
	if a == len(z) {
		return
	}
	x0, x1, x2, x3, x4, x5, x6, x7 := x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]
	for ; a < len(z); a++ {
		r := (*[8]float64)(rows[a*stride:])
		za := z[a]
		za += x0 * r[0]
		za += x1 * r[1]
		za += x2 * r[2]
		za += x3 * r[3]
		za += x4 * r[4]
		za += x5 * r[5]
		za += x6 * r[6]
		za += x7 * r[7]
		z[a] = za
	}
}

// AddLogitGrad implements Model: W^c_a += coef[a] x c^T, U^k_{a,id} +=
// coef[a] x, b_a += coef[a], for the terms that are on. Each entry gets
// (coef[a] x_i) c_j, as a rank-one update row by row.
func (m *Bilinear) AddLogitGrad(dst []float64, o *envs.Obs, coef []float64) {
	A := m.spec.Actions
	x := o.Dense[m.x]
	d := len(x)
	if m.cfg.Bilinear {
		for a := 0; a < A; a++ {
			g := coef[a]
			if g == 0 {
				continue
			}
			for _, q := range m.pairs {
				c := m.channel(q, o)
				K := q.k
				block := dst[q.off+a*d*K : q.off+(a+1)*d*K]
				for i, xi := range x {
					axpy(block[i*K:(i+1)*K], g*xi, c)
				}
			}
		}
	}
	m.addIDBiasGrad(dst, o, coef)
}

// addIDBiasGrad adds the identity terms' and the bias's part of
// AddLogitGrad.
func (m *Bilinear) addIDBiasGrad(dst []float64, o *envs.Obs, coef []float64) {
	A := m.spec.Actions
	coef = coef[:A]
	x := o.Dense[m.x]
	d := len(x)
	if m.cfg.IDChannel {
		for _, k := range m.ids {
			if id := o.Index[k.ch]; id >= 0 && id < k.n {
				// U^k_{a,id} starts at k.off + (a n + id) d.
				u := dst[k.off+id*d:]
				stride := k.n * d
				for a, g := range coef {
					if g != 0 {
						axpy(u[a*stride:a*stride+d], g*m.cfg.IDScale, x)
					}
				}
			}
		}
	}
	if m.cfg.Bias {
		b := dst[m.bias : m.bias+A]
		for a, g := range coef {
			if g != 0 {
				b[a] += g
			}
		}
	}
}

// axpy adds alpha c to row (of the same length).
func axpy(row []float64, alpha float64, c []float64) {
	if len(c) == 8 && len(row) >= 8 { // the common length, without bounds checks
		vec.Axpy8((*[8]float64)(row), alpha, (*[8]float64)(c))
		return
	}
	row = row[:len(c)]
	for len(c) >= 4 { // four at a time, one bounds check each
		r, v := row[:4:4], c[:4:4]
		r[0] += alpha * v[0]
		r[1] += alpha * v[1]
		r[2] += alpha * v[2]
		r[3] += alpha * v[3]
		row, c = row[4:], c[4:]
	}
	for j, v := range c {
		row[j] += alpha * v
	}
}

// addOuter adds u[r] v to row r of mat (len(u) rows of len(v) values),
// skipping the rows whose u[r] is 0: axpy row by row, in one call, and at
// len(v) = 8 without bounds checks or calls per row.
func addOuter(mat, u, v []float64) {
	K := len(v)
	if K != 8 {
		for r, ur := range u {
			if ur != 0 {
				axpy(mat[r*K:(r+1)*K], ur, v)
			}
		}
		return
	}
	vec.AddOuter8(mat, u, (*[8]float64)(v))
}

// NewGroupGrad implements GroupGradModel: the shared and identity terms'
// gradient coef[a] x (times c for a shared term) is summed as G += coef
// x^T per distinct input (the values of every description channel and
// every identity, compared bit for bit), and applied at Flush as W^c += G
// c^T and U^k_{.,id} += G, in order of first appearance; the bias is added
// at once, as AddLogitGrad adds it.
func (m *Bilinear) NewGroupGrad() GroupGrad {
	d := m.spec.Channels[m.x].Size
	g := &bilinGroupGrad{m: m, gen: 1} // byObs's zero entries are of no generation
	g.fast = m.spec.Actions == 4 && d == 8 && m.cfg.Bias && (m.cfg.Bilinear || m.cfg.IDChannel)
	k := len(m.ids)
	for _, q := range m.pairs {
		k += q.k
	}
	g.sums = sumTable{k: k, width: m.spec.Actions * d}
	g.key = make([]float64, k)
	return g
}

type bilinGroupGrad struct {
	m    *Bilinear
	sums sumTable // input -> G (A x d)
	key  []float64
	bias bool // Add wrote the bias
	// byObs[same] is the entry of Add's observation named same, when its
	// gen is the current one (Flush starts a new one).
	byObs []obsEntry
	gen   uint32
	fast  bool // A = 4, d = 8, the bias on and G in use: AddNamed's inline case
}

type obsEntry struct {
	gen uint32
	e   int32
	x   []float64 // the observation's x (it stays put until Flush)
}

func (g *bilinGroupGrad) named(same int) bool {
	return same >= 0 && same < len(g.byObs) && g.byObs[same].gen == g.gen
}

func (g *bilinGroupGrad) AddNamed(dst, coef []float64, same int) bool {
	if uint(same) >= uint(len(g.byObs)) {
		return false
	}
	en := &g.byObs[same]
	if en.gen != g.gen {
		return false
	}
	t := &g.sums
	if g.fast {
		// addTo at the skills shape: one rank-one update of 4 rows of 8,
		// the bias's four additions.
		vec.AddOuterBias4x8(t.vals[int(en.e)*32:int(en.e+1)*32], (*[4]float64)(coef), (*[8]float64)(en.x), (*[4]float64)(dst[g.m.bias:]))
		g.bias = true
		return true
	}
	g.addTo(dst, t.vals[int(en.e)*t.width:int(en.e+1)*t.width], coef, en.x)
	return true
}

func (g *bilinGroupGrad) Add(dst []float64, o *envs.Obs, coef []float64, same int) {
	m := g.m
	coef = coef[:m.spec.Actions]
	if !m.cfg.Bilinear && !m.cfg.IDChannel {
		g.addTo(dst, nil, coef, nil)
		return
	}
	t := &g.sums
	if g.named(same) {
		en := &g.byObs[same]
		g.addTo(dst, t.vals[int(en.e)*t.width:int(en.e+1)*t.width], coef, en.x)
		return
	}
	x := o.Dense[m.x]
	e := t.hinted(o.Step)
	if e < 0 || !g.keyOf(t.keys[e*t.k:(e+1)*t.k], o) {
		key := g.key[:0]
		for _, q := range m.pairs {
			key = append(key, m.channel(q, o)...)
		}
		for _, k := range m.ids {
			key = append(key, float64(o.Index[k.ch]))
		}
		e = t.entry(key, o.Step)
	}
	if same >= 0 {
		if same >= len(g.byObs) {
			g.byObs = append(g.byObs, make([]obsEntry, same+1-len(g.byObs))...)
		}
		g.byObs[same] = obsEntry{gen: g.gen, e: int32(e), x: x}
		if g.fast {
			g.AddNamed(dst, coef, same)
			return
		}
	}
	g.addTo(dst, t.vals[e*t.width:(e+1)*t.width], coef, x)
}

// addTo adds coef x^T to the accumulator G (nil: the terms that use it
// are off) and coef to the bias.
func (g *bilinGroupGrad) addTo(dst, G, coef, x []float64) {
	m := g.m
	if G != nil {
		addOuter(G, coef, x)
	}
	if !m.cfg.Bias {
		return
	}
	g.bias = true
	if len(coef) == 4 {
		b, c := (*[4]float64)(dst[m.bias:]), (*[4]float64)(coef)
		for a := range 4 {
			if c[a] != 0 {
				b[a] += c[a]
			}
		}
		return
	}
	b := dst[m.bias : m.bias+len(coef)]
	for a, c := range coef {
		if c != 0 {
			b[a] += c
		}
	}
}

// keyOf reports whether key is o's: its description channels' values and
// identities, as Add builds it.
func (g *bilinGroupGrad) keyOf(key []float64, o *envs.Obs) bool {
	m := g.m
	j := 0
	for _, q := range m.pairs {
		c := m.channel(q, o)
		kc := key[j : j+len(c)]
		if len(c) == 8 {
			// vec.Same inline at 8 values, once per gradient step.
			x := (*[8]uint64)(unsafe.Pointer(unsafe.SliceData(c)))
			y := (*[8]uint64)(unsafe.Pointer(unsafe.SliceData(kc)))
			if (x[0]^y[0])|(x[1]^y[1])|(x[2]^y[2])|(x[3]^y[3])|
				(x[4]^y[4])|(x[5]^y[5])|(x[6]^y[6])|(x[7]^y[7]) != 0 {
				return false
			}
		} else if !vec.Same(c, kc) {
			return false
		}
		j += len(c)
	}
	for _, k := range m.ids {
		if float64(o.Index[k.ch]) != key[j] {
			return false
		}
		j++
	}
	return true
}

func (g *bilinGroupGrad) Flush(dst []float64, mask *GradMask) {
	m := g.m
	t := &g.sums
	A := m.spec.Actions
	d := t.width / max(A, 1)
	for e := 0; e < t.n; e++ {
		key := t.keys[e*t.k : (e+1)*t.k]
		G := t.vals[e*t.width : (e+1)*t.width]
		if m.cfg.Bilinear {
			for _, q := range m.pairs {
				c := key[:q.k]
				key = key[q.k:]
				K := q.k
				addOuter(dst[q.off:q.off+t.width*K], G, c)
				mask.Mark(q.off, q.off+t.width*K)
			}
		} else {
			for _, q := range m.pairs {
				key = key[q.k:]
			}
		}
		if m.cfg.IDChannel {
			for i, k := range m.ids {
				id := int(key[i])
				if id < 0 || id >= k.n {
					continue
				}
				for a := 0; a < A; a++ {
					lo := k.off + (a*k.n+id)*d
					u := dst[lo : lo+d]
					if sc := m.cfg.IDScale; sc != 1 {
						for j, v := range G[a*d : (a+1)*d] {
							u[j] += sc * v
						}
					} else if d == 8 {
						vec.Add8((*[8]float64)(u), (*[8]float64)(G[a*8:]))
					} else {
						for j, v := range G[a*d : (a+1)*d] {
							u[j] += v
						}
					}
					mask.Mark(lo, lo+d)
				}
			}
		}
	}
	if g.bias {
		mask.Mark(m.bias, m.bias+A)
		g.bias = false
	}
	t.reset()
	g.gen++
}

// sumTable maps a channel value c (its bits) to an accumulator of width
// values, kept in order of first appearance.
type sumTable struct {
	k, width int
	index    []int32 // hash slot -> entry + 1; 0 is empty
	hashes   []uint64
	keys     []float64 // k per entry
	vals     []float64 // width per entry
	n        int
	hints    []int // per step index: the entry last found there + 1 (as projTable's)
}

func (t *sumTable) reset() {
	clear(t.index)
	clear(t.hints)
	t.n = 0
	t.keys, t.vals = t.keys[:0], t.vals[:0]
}

// hinted returns the entry last found at step index step, or -1.
func (t *sumTable) hinted(step int) int {
	if step >= 0 && step < len(t.hints) {
		return t.hints[step] - 1
	}
	return -1
}

// entry returns c's accumulator's entry, a new zero one if c is new; step
// is the observation's step index, for the hint.
func (t *sumTable) entry(c []float64, step int) int {
	if step >= 0 && step < len(t.hints) {
		if e := t.hints[step] - 1; e >= 0 && sameBits(t.keys[e*t.k:(e+1)*t.k], c) {
			return e
		}
	}
	_, e := t.find(c)
	if step >= 0 && step < maxHints {
		if step >= len(t.hints) {
			t.hints = append(t.hints, make([]int, step+1-len(t.hints))...)
		}
		t.hints[step] = e + 1
	}
	return e
}

// find is sum without the hint; it also returns the entry.
func (t *sumTable) find(c []float64) ([]float64, int) {
	if 2*(t.n+1) > len(t.index) {
		t.rehash(max(16, 2*len(t.index)))
	}
	h := hashBits(c)
	mask := len(t.index) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		e := int(t.index[i]) - 1
		if e < 0 {
			t.index[i], t.hashes[i] = int32(t.n+1), h
			t.keys = append(t.keys, c...)
			t.vals = extend(t.vals, t.width)
			t.n++
			return t.vals[(t.n-1)*t.width : t.n*t.width], t.n - 1
		}
		if t.hashes[i] == h && sameBits(t.keys[e*t.k:(e+1)*t.k], c) {
			return t.vals[e*t.width : (e+1)*t.width], e
		}
	}
}

func (t *sumTable) rehash(slots int) {
	t.index = make([]int32, slots)
	t.hashes = make([]uint64, slots)
	mask := slots - 1
	for e := 0; e < t.n; e++ {
		h := hashBits(t.keys[e*t.k : (e+1)*t.k])
		i := int(h) & mask
		for t.index[i] != 0 {
			i = (i + 1) & mask
		}
		t.index[i], t.hashes[i] = int32(e+1), h
	}
}

func sameBits(a, b []float64) bool { return vec.Same(a[:len(b)], b) }

// MarkGrad implements SparseGradModel: the shared blocks whole, one
// identity row per action, the bias.
func (m *Bilinear) MarkGrad(mask *GradMask, o *envs.Obs) {
	A := m.spec.Actions
	d := m.spec.Channels[m.x].Size
	if m.cfg.Bilinear && len(m.pairs) > 0 {
		first, last := m.pairs[0], m.pairs[len(m.pairs)-1]
		mask.Mark(first.off, last.off+A*d*last.k) // the pair blocks are contiguous
	}
	if m.cfg.IDChannel {
		for _, k := range m.ids {
			if id := o.Index[k.ch]; id >= 0 && id < k.n {
				for a := 0; a < A; a++ {
					lo := k.off + (a*k.n+id)*d
					mask.Mark(lo, lo+d)
				}
			}
		}
	}
	if m.cfg.Bias {
		mask.Mark(m.bias, m.bias+A)
	}
}

// NewLogitCache implements CachingModel: each pair's projection W^c c is
// computed once per distinct c (compared bit for bit) until Reset.
func (m *Bilinear) NewLogitCache() ModelCache {
	c := &bilinCache{m: m, gen: 1}
	d := m.spec.Channels[m.x].Size
	for _, q := range m.pairs {
		c.tabs = append(c.tabs, newProjTable(q.k, m.spec.Actions*d))
	}
	cfg := m.cfg
	c.fast = m.spec.Actions == 4 && d == 8 && len(m.pairs) == 1 && m.pairs[0].ch >= 0 && m.pairs[0].k == 8 &&
		len(m.ids) == 1 && cfg.Bilinear && cfg.IDChannel && cfg.IDScale == 1 && cfg.Bias
	if c.fast {
		c.tabs[0].byID = make([]projHint, m.ids[0].n)
	}
	return c
}

type bilinCache struct {
	m    *Bilinear
	gen  uint64
	tabs []projTable // one per pair
	// fast: the default skills shape with every term on (A = 4, d = K = 8,
	// one description and one identity channel, id_scale 1): Logits runs
	// logits8, the same operations without the loops over terms.
	fast bool
}

func (c *bilinCache) Reset() {
	c.gen++
	for i := range c.tabs {
		c.tabs[i].used = 0
	}
}

func (c *bilinCache) Logits(dst []float64, o *envs.Obs) {
	if c.fast {
		c.logits8(dst, o)
		return
	}
	m := c.m
	A := m.spec.Actions
	z := dst[:A]
	zero(z)
	x := o.Dense[m.x]
	if m.cfg.Bilinear {
		for i, q := range m.pairs {
			t := &c.tabs[i]
			accumulate(z, x, t.lookup(m.channel(q, o), c.gen, m.p[q.off:q.off+t.width*q.k], o.Step))
		}
	}
	m.finish(z, x, o)
}

// logits8 is Logits on the fast shape: z = 0, then accumulate's and
// finish's sums in their order (the projection's rows, the identity's
// rows, the bias, the temperature), each four actions side by side.
func (c *bilinCache) logits8(dst []float64, o *envs.Obs) {
	m := c.m
	z := (*[4]float64)(dst)
	x := (*[8]float64)(o.Dense[m.x])
	q, t := m.pairs[0], &c.tabs[0]
	k := m.ids[0]
	id := o.Index[k.ch]
	vec.Dot4x8To(z, t.lookupID(o.Dense[q.ch], c.gen, m.p[q.off:q.off+t.width*8], o.Step, id), 8, x)
	if id >= 0 && id < k.n {
		vec.Dot4x8(z, m.p[k.off+id*8:], k.n*8, x)
	}
	b := (*[4]float64)(m.p[m.bias:])
	z[0] += b[0]
	z[1] += b[1]
	z[2] += b[2]
	z[3] += b[3]
	inv := 1 / m.temp
	z[0] *= inv
	z[1] *= inv
	z[2] *= inv
	z[3] *= inv
}

// projTable maps a channel value c (its bits) to the projection W c: open
// addressing, linear probing, at most half full. A slot is live when its
// generation is the cache's.
type projTable struct {
	k, width int
	gens     []uint64
	hashes   []uint64
	keys     []float64 // k per slot
	vals     []float64 // width per slot
	used     int
	// hints remembers, per step index, the slot last found there: the
	// members of a group (and an evaluation's greedy and sampled attempts)
	// meet the same description at the same step, so a hit costs one
	// comparison and no hash.
	hints []projHint
	byID  []projHint // lookupID's hints, by identity
}

type projHint struct {
	gen  uint64
	slot int
}

const maxHints = 64

func newProjTable(k, width int) projTable {
	var t projTable
	t.k, t.width = k, width
	t.alloc(16)
	return t
}

func (t *projTable) alloc(slots int) {
	t.gens = make([]uint64, slots)
	t.hashes = make([]uint64, slots)
	t.keys = make([]float64, slots*t.k)
	t.vals = make([]float64, slots*t.width)
	t.used = 0
}

// hashBits hashes the bits of c: independent multiplies, so the words
// are mixed side by side rather than in a chain.
func hashBits(c []float64) uint64 {
	h := uint64(len(c))
	for i, v := range c {
		h += (math.Float64bits(v) ^ uint64(i)) * 0x9E3779B97F4A7C15
	}
	h ^= h >> 31
	h *= 0xBF58476D1CE4E5B9
	return h ^ h>>29
}

func (t *projTable) equal(slot int, c []float64) bool {
	return vec.Same(t.keys[slot*t.k:(slot+1)*t.k], c)
}

// lookup returns the projection of c by w (width rows of k), computing and
// storing it on a miss. step is the observation's step index, for the
// hint.
func (t *projTable) lookup(c []float64, gen uint64, w []float64, step int) []float64 {
	if step >= 0 && step < len(t.hints) {
		if hn := t.hints[step]; hn.gen == gen && t.gens[hn.slot] == gen && t.equal(hn.slot, c) {
			return t.vals[hn.slot*t.width : (hn.slot+1)*t.width]
		}
	}
	v, slot := t.find(c, gen, w)
	if step >= 0 && step < maxHints {
		if step >= len(t.hints) {
			t.hints = append(t.hints, make([]projHint, step+1-len(t.hints))...)
		}
		t.hints[step] = projHint{gen: gen, slot: slot}
	}
	return v
}

// lookupID is lookup with a second hint: the slot last found for the
// observation's identity id (the skills family's identity names its
// description, so a group's first state at a step, which the step's hint
// misses when the task is new, usually hits it; a hint is always checked
// against c).
func (t *projTable) lookupID(c []float64, gen uint64, w []float64, step, id int) []float64 {
	if uint(id) < uint(len(t.byID)) {
		if hn := t.byID[id]; hn.gen == gen && t.gens[hn.slot] == gen && t.equal(hn.slot, c) {
			return t.vals[hn.slot*t.width : (hn.slot+1)*t.width]
		}
	}
	v := t.lookup(c, gen, w, step)
	if uint(id) < uint(len(t.byID)) && step >= 0 && step < len(t.hints) {
		t.byID[id] = t.hints[step] // lookup left the slot it found there
	}
	return v
}

// find is lookup without the hint; it also returns the slot.
func (t *projTable) find(c []float64, gen uint64, w []float64) ([]float64, int) {
	h := hashBits(c)
	mask := len(t.gens) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		if t.gens[i] != gen {
			if 2*(t.used+1) > len(t.gens) {
				t.grow(gen)
				return t.find(c, gen, w)
			}
			t.gens[i], t.hashes[i] = gen, h
			copy(t.keys[i*t.k:(i+1)*t.k], c)
			v := t.vals[i*t.width : (i+1)*t.width]
			project(v, w, c)
			t.used++
			return v, i
		}
		if t.hashes[i] == h && t.equal(i, c) {
			return t.vals[i*t.width : (i+1)*t.width], i
		}
	}
}

// grow doubles the table, keeping the live slots.
func (t *projTable) grow(gen uint64) {
	clear(t.hints) // slots move
	clear(t.byID)
	old := *t
	t.alloc(2 * len(old.gens))
	mask := len(t.gens) - 1
	for s, g := range old.gens {
		if g != gen {
			continue
		}
		i := int(old.hashes[s]) & mask
		for t.gens[i] == gen {
			i = (i + 1) & mask
		}
		t.gens[i], t.hashes[i] = gen, old.hashes[s]
		copy(t.keys[i*t.k:(i+1)*t.k], old.keys[s*t.k:(s+1)*t.k])
		copy(t.vals[i*t.width:(i+1)*t.width], old.vals[s*t.width:(s+1)*t.width])
		t.used++
	}
}
