package results

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// attemptLines are lines as grind writes them, with and without the
// optional fields, and awkward values.
func attemptLines(t testing.TB) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	var lines [][]byte
	for i := range 400 {
		a := Attempt{Header: Header{Schema: SchemaVersion, Kind: KindAttempt, Run: "p=1,q=0.5__rlvr-2__s0003", Experiment: "exp", Config: "0123456789abcdef",
			Point: "coverage=0.25,lr=0.1", Family: "skills", Agent: "rlvr-2", Seed: r.IntN(1000) - 3, Day: r.IntN(9)},
			Session: r.IntN(3), Slot: r.IntN(200), Member: r.IntN(8), Task: r.IntN(1 << 20),
			Success: float64(r.IntN(2)), Score: r.Float64(), Verdict: []string{"pass", "fail", "none"}[r.IntN(3)]}
		switch i % 5 {
		case 1:
			a.Phase = 1 + r.IntN(3)
		case 2:
			a.Retry, a.Time = r.IntN(3), r.Float64()*1e6
		case 3:
			a.Time, a.StepVerdicts = math.Ldexp(r.Float64(), -30), "pfnp"
		case 4:
			a.Score = []float64{0, 1, 1e-7, 0.1 + 0.2, 123456789.125, 5e-324}[r.IntN(6)]
		}
		b, err := json.Marshal(&a)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, b)
	}
	return lines
}

// checkAttemptLine: where parseAttemptLine reads a line, json.Unmarshal
// reads it too and to the same value.
func checkAttemptLine(t testing.TB, b []byte) (parsed bool) {
	var fast, slow Attempt
	if !parseAttemptLine(b, &fast) {
		return false
	}
	if err := json.Unmarshal(b, &slow); err != nil {
		t.Fatalf("parseAttemptLine read %q, json.Unmarshal refuses it: %v", b, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: parseAttemptLine %+v, json.Unmarshal %+v", b, fast, slow)
	}
	return true
}

func TestParseAttemptLineMatchesJSON(t *testing.T) {
	for _, b := range attemptLines(t) {
		if !checkAttemptLine(t, b) {
			t.Fatalf("a line as grind writes it fell back to encoding/json: %s", b)
		}
	}
	// Anything else falls back: other orders, escapes, spaces, numbers
	// outside JSON's grammar, fields it does not know, missing ones.
	for _, b := range []string{
		`{"kind":"attempt","schema":2,"run":"r","experiment":"e","config":"c","point":"p","family":"f","agent":"a","seed":0,"day":1,"session":0,"slot":0,"member":0,"task":0,"success":0,"score":0,"verdict":"pass"}`,
		`{"schema":2,"kind":"attempt","run":"r\"","experiment":"e","config":"c","point":"p","family":"f","agent":"a","seed":0,"day":1,"session":0,"slot":0,"member":0,"task":0,"success":0,"score":0,"verdict":"pass"}`,
		`{"schema":2, "kind":"attempt","run":"r","experiment":"e","config":"c","point":"p","family":"f","agent":"a","seed":0,"day":1,"session":0,"slot":0,"member":0,"task":0,"success":0,"score":0,"verdict":"pass"}`,
		`{"schema":2,"kind":"attempt","run":"r","experiment":"e","config":"c","point":"p","family":"f","agent":"a","seed":0,"day":1,"session":0,"slot":0,"member":0,"task":0,"success":1.,"score":0,"verdict":"pass"}`,
		`{"schema":2,"kind":"attempt","run":"r","experiment":"e","config":"c","point":"p","family":"f","agent":"a","seed":01,"day":1,"session":0,"slot":0,"member":0,"task":0,"success":0,"score":0,"verdict":"pass"}`,
		`{"schema":2,"kind":"attempt","run":"r","experiment":"e","config":"c","point":"p","family":"f","agent":"a","seed":0,"day":1,"session":0,"slot":0,"member":0,"task":0,"success":0,"score":-.5,"verdict":"pass"}`,
		`{"schema":2,"kind":"attempt","run":"r","experiment":"e","config":"c","point":"p","family":"f","agent":"a","seed":0,"day":1,"session":0,"slot":0,"member":0,"task":0,"success":0,"score":0,"verdict":"pass","extra":1}`,
		`{"schema":2,"kind":"attempt","run":"r","experiment":"e","config":"c","point":"p","family":"f","agent":"a","seed":0,"day":1,"session":0,"slot":0,"member":0,"task":0,"success":0,"score":0}`,
		`{"schema":2,"kind":"attempt","run":"r","experiment":"e","config":"c","point":"p","family":"f","agent":"a","seed":0,"day":1,"session":0,"slot":0,"member":0,"task":0,"success":0,"score":0,"verdict":"pass","time":1,"retry":1}`,
		`{"schema":2,"kind":"attempt","run":"r","experiment":"e","config":"c","point":"p","family":"f","agent":"a","seed":0,"day":1,"session":0,"slot":0,"member":0,"task":0,"success":0,"score":0,"verdict":"pass"}x`,
		`{"schema":2,"kind":"attempt","run":"r","experiment":"e","config":"c","point":"p","family":"f","agent":"a","seed":0,"day":1e0,"session":0,"slot":0,"member":0,"task":0,"success":0,"score":0,"verdict":"pass"}`,
		`{"schema":2,"kind":"attempt","run":"r","experiment":"e","config":"c","point":"p","family":"f","agent":"é","seed":0,"day":1,"session":0,"slot":0,"member":0,"task":0,"success":0,"score":0,"verdict":"pass"}`,
		`{"schema":2,"kind":"attempt","run":"r","experiment":"e","config":"c","point":"p","family":"f","agent":"a","seed":0,"day":1,"session":0,"slot":0,"member":0,"task":0,"success":0,"score":1e400,"verdict":"pass"}`,
	} {
		if checkAttemptLine(t, []byte(b)) {
			t.Errorf("parseAttemptLine read a line it must leave to encoding/json: %s", b)
		}
	}
}

// FuzzParseAttemptLine: whatever the bytes, the fast path reads a line
// only as json.Unmarshal does.
func FuzzParseAttemptLine(f *testing.F) {
	for _, b := range attemptLines(f)[:20] {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkAttemptLine(t, b) })
}

func BenchmarkDecodeAttemptLine(b *testing.B) {
	lines := attemptLines(b)
	b.Run("fast", func(b *testing.B) {
		var a Attempt
		for i := 0; b.Loop(); i++ {
			if !parseAttemptLine(lines[i%len(lines)], &a) {
				b.Fatal("fell back")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			var a Attempt
			if err := json.Unmarshal(lines[i%len(lines)], &a); err != nil {
				b.Fatal(err)
			}
		}
	})
}
