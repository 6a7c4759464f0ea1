#include "textflag.h"

// DOT4X8_HALF adds to Y12 (lane k: row k's sum so far) the products of
// four columns of rows 0..3 (at SI, SI+DX, R8, R8+DX, from byte col) with
// x[j] (broadcast from BX at bytes x0..x3), in order of column: the four
// rows are transposed into columns (col j = r0[j] r1[j] r2[j] r3[j]), then
// Y12 = Y12 + col_j * x[j], lane k doing Dot4x8's scalar operations on row
// k in its order.
#define DOT4X8_HALF(col, x0, x1, x2, x3) \
	VMOVUPD col(SI), Y0 \
	VMOVUPD col(SI)(DX*1), Y1 \
	VMOVUPD col(R8), Y2 \
	VMOVUPD col(R8)(DX*1), Y3 \
	VUNPCKLPD Y1, Y0, Y4 \
	VUNPCKHPD Y1, Y0, Y5 \
	VUNPCKLPD Y3, Y2, Y6 \
	VUNPCKHPD Y3, Y2, Y7 \
	VPERM2F128 $0x20, Y6, Y4, Y8 \
	VPERM2F128 $0x20, Y7, Y5, Y9 \
	VPERM2F128 $0x31, Y6, Y4, Y10 \
	VPERM2F128 $0x31, Y7, Y5, Y11 \
	VBROADCASTSD x0(BX), Y13 \
	VMULPD Y13, Y8, Y13 \
	VADDPD Y13, Y12, Y12 \
	VBROADCASTSD x1(BX), Y13 \
	VMULPD Y13, Y9, Y13 \
	VADDPD Y13, Y12, Y12 \
	VBROADCASTSD x2(BX), Y13 \
	VMULPD Y13, Y10, Y13 \
	VADDPD Y13, Y12, Y12 \
	VBROADCASTSD x3(BX), Y13 \
	VMULPD Y13, Y11, Y13 \
	VADDPD Y13, Y12, Y12

// func dot4x8SIMD(z *[4]float64, rows *float64, strideBytes int, x *[8]float64, fromZero bool)
//
// Rows r0..r3 are transposed into columns (col j = r0[j] r1[j] r2[j] r3[j])
// four at a time; then z = z + col_j * x[j] for j in order: lane k does
// Dot4x8's scalar operations on row k, in its order.
TEXT ·dot4x8SIMD(SB), NOSPLIT, $0-33
	MOVQ z+0(FP), DI
	MOVQ rows+8(FP), SI
	MOVQ strideBytes+16(FP), DX
	MOVQ x+24(FP), BX
	MOVBLZX fromZero+32(FP), CX
	LEAQ (SI)(DX*2), R8 // row 2
	VXORPD Y12, Y12, Y12 // z = +0
	TESTQ CX, CX
	JNZ  cols
	VMOVUPD (DI), Y12 // z

cols:
	DOT4X8_HALF(0, 0, 8, 16, 24)
	DOT4X8_HALF(32, 32, 40, 48, 56)
	VMOVUPD Y12, (DI)
	VZEROUPPER
	RET

// func addOuter8SIMD(mat, u *float64, n int, v *[8]float64)
//
// For each of n rows: skip it if u[r] == 0 (either sign; a NaN is not
// zero), else row = row + u[r]*v, 4 lanes at a time.
TEXT ·addOuter8SIMD(SB), NOSPLIT, $0-32
	MOVQ mat+0(FP), DI
	MOVQ u+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ v+24(FP), BX
	VMOVUPD (BX), Y0   // v[0:4]
	VMOVUPD 32(BX), Y1 // v[4:8]
	VXORPD X2, X2, X2  // 0

loop:
	VMOVSD (SI), X3
	VUCOMISD X2, X3
	JNE   row // not equal
	JPS   row // unordered: a NaN
	JMP   next

row:
	VBROADCASTSD (SI), Y3
	VMULPD Y0, Y3, Y4
	VMOVUPD (DI), Y5
	VADDPD Y4, Y5, Y5
	VMOVUPD Y5, (DI)
	VMULPD Y1, Y3, Y4
	VMOVUPD 32(DI), Y5
	VADDPD Y4, Y5, Y5
	VMOVUPD Y5, 32(DI)

next:
	ADDQ $8, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop
	VZEROUPPER
	RET

// func addClearSIMD(dst, src *float64, n int)
//
// dst = dst + src four lanes at a time (n a multiple of 4), then src = 0.
TEXT ·addClearSIMD(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPD Y2, Y2, Y2
	SHRQ $2, CX
	JZ   done

loop:
	VMOVUPD (DI), Y0
	VMOVUPD (SI), Y1
	VADDPD Y1, Y0, Y0
	VMOVUPD Y0, (DI)
	VMOVUPD Y2, (SI)
	ADDQ $32, DI
	ADDQ $32, SI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// func project8SIMD(dst *float64, w *float64, quads int, c *[8]float64)
//
// Dot4x8To on consecutive rows, a quad at a time: dst[4q+k] = row 4q+k of
// w (8 values each) . c, summed in order from +0.
TEXT ·project8SIMD(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ quads+16(FP), CX
	MOVQ c+24(FP), BX
	TESTQ CX, CX
	JZ    pdone
	MOVQ $64, DX // consecutive rows of 8

ploop:
	LEAQ 128(SI), R8 // rows 2 and 3
	VXORPD Y12, Y12, Y12
	DOT4X8_HALF(0, 0, 8, 16, 24)
	DOT4X8_HALF(32, 32, 40, 48, 56)
	VMOVUPD Y12, (DI)
	ADDQ $256, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  ploop

pdone:
	VZEROUPPER
	RET

// func addOuterBias4x8SIMD(mat *float64, u *[4]float64, v *[8]float64, b *[4]float64)
//
// AddOuter8 on 4 rows, unrolled, then b[a] = b[a] + u[a] for every a whose
// u[a] is not zero (a NaN is not zero): the lanes where u is ±0 keep b.
TEXT ·addOuterBias4x8SIMD(SB), NOSPLIT, $0-32
	MOVQ mat+0(FP), DI
	MOVQ u+8(FP), SI
	MOVQ v+16(FP), BX
	MOVQ b+24(FP), DX
	VMOVUPD (BX), Y0   // v[0:4]
	VMOVUPD 32(BX), Y1 // v[4:8]
	VXORPD X2, X2, X2

	VMOVSD 0(SI), X3
	VUCOMISD X2, X3
	JNE   row0
	JPS   row0
	JMP   skip0

row0:
	VBROADCASTSD 0(SI), Y3
	VMULPD Y0, Y3, Y4
	VMOVUPD 0(DI), Y5
	VADDPD Y4, Y5, Y5
	VMOVUPD Y5, 0(DI)
	VMULPD Y1, Y3, Y4
	VMOVUPD 32(DI), Y5
	VADDPD Y4, Y5, Y5
	VMOVUPD Y5, 32(DI)

skip0:
	VMOVSD 8(SI), X3
	VUCOMISD X2, X3
	JNE   row1
	JPS   row1
	JMP   skip1

row1:
	VBROADCASTSD 8(SI), Y3
	VMULPD Y0, Y3, Y4
	VMOVUPD 64(DI), Y5
	VADDPD Y4, Y5, Y5
	VMOVUPD Y5, 64(DI)
	VMULPD Y1, Y3, Y4
	VMOVUPD 96(DI), Y5
	VADDPD Y4, Y5, Y5
	VMOVUPD Y5, 96(DI)

skip1:
	VMOVSD 16(SI), X3
	VUCOMISD X2, X3
	JNE   row2
	JPS   row2
	JMP   skip2

row2:
	VBROADCASTSD 16(SI), Y3
	VMULPD Y0, Y3, Y4
	VMOVUPD 128(DI), Y5
	VADDPD Y4, Y5, Y5
	VMOVUPD Y5, 128(DI)
	VMULPD Y1, Y3, Y4
	VMOVUPD 160(DI), Y5
	VADDPD Y4, Y5, Y5
	VMOVUPD Y5, 160(DI)

skip2:
	VMOVSD 24(SI), X3
	VUCOMISD X2, X3
	JNE   row3
	JPS   row3
	JMP   skip3

row3:
	VBROADCASTSD 24(SI), Y3
	VMULPD Y0, Y3, Y4
	VMOVUPD 192(DI), Y5
	VADDPD Y4, Y5, Y5
	VMOVUPD Y5, 192(DI)
	VMULPD Y1, Y3, Y4
	VMOVUPD 224(DI), Y5
	VADDPD Y4, Y5, Y5
	VMOVUPD Y5, 224(DI)

skip3:

	// Bias: b + u where u != 0 (NEQ_UQ: a NaN counts as not equal).
	VMOVUPD (SI), Y3
	VMOVUPD (DX), Y4
	VCMPPD $4, Y2, Y3, Y5 // Y5 = u != 0
	VADDPD Y3, Y4, Y6     // b + u
	VBLENDVPD Y5, Y6, Y4, Y4
	VMOVUPD Y4, (DX)
	VZEROUPPER
	RET
