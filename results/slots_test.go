package results

import (
	"math"
	"strings"
	"testing"
)

// slotAttempts makes attempts of two agents over 3 days of one session of
// 8 slots: "context" climbs from 0 to 0.875 within every session;
// "consolidate" climbs the same way on day 1 and starts later days at
// 0.5.
func slotAttempts(seeds int) []Attempt {
	var atts []Attempt
	for seed := range seeds {
		for day := 1; day <= 3; day++ {
			for slot := range 8 {
				for _, agent := range []string{"context", "consolidate"} {
					v := float64(slot) / 8
					if agent == "consolidate" && day > 1 {
						v = math.Max(v, 0.5)
					}
					atts = append(atts, Attempt{Header: Header{Kind: KindAttempt, Point: "default", Agent: agent, Seed: seed, Day: day},
						Slot: slot, Success: v})
				}
			}
		}
	}
	return atts
}

// Slot curves pool sessions by day group: the context agent's later-day
// curve repeats day 1's (same first bin, same gain), the consolidating
// agent's starts higher and gains less.
func TestSlotCurves(t *testing.T) {
	ss := summarizeSlots(slotAttempts(5), summaryOptions{Resamples: 200, Seed: 3}, 1, nil)
	if ss == nil || ss.Bin["default"] != 1 {
		t.Fatalf("summary %+v", ss)
	}
	for _, c := range []struct {
		agent, days       string
		first, last, gain float64
	}{
		{"context", slotFirstDay, 0, 0.875, 0.875},
		{"context", slotLaterDays, 0, 0.875, 0.875},
		{"consolidate", slotFirstDay, 0, 0.875, 0.875},
		{"consolidate", slotLaterDays, 0.5, 0.875, 0.375},
	} {
		pts := ss.curve("default", c.agent, c.days)
		if len(pts) != 8 {
			t.Fatalf("%s %s: %d bins, want 8", c.agent, c.days, len(pts))
		}
		if pts[0].IQM != c.first || pts[7].IQM != c.last || pts[0].N != 5 {
			t.Errorf("%s %s: first %v last %v over %d runs, want %v %v over 5", c.agent, c.days, pts[0].IQM, pts[7].IQM, pts[0].N, c.first, c.last)
		}
	}
	tab, err := slotTable(ss, &Summary{Level: 0.95}, "default")
	if err != nil {
		t.Fatal(err)
	}
	if got := tab.Rows[1][6]; !strings.HasPrefix(got, "+0.38") {
		t.Errorf("consolidate later-day gain %q, want +0.38 (0.375)", got)
	}
	if got := tab.Rows[0][6]; !strings.HasPrefix(got, "+0.88") {
		t.Errorf("context later-day gain %q, want +0.88", got)
	}
	if summarizeSlots(nil, summaryOptions{}, 0, nil) != nil {
		t.Error("a summary without attempts")
	}
}

// In a drifting job the first day of each later phase, read from the
// checkpoints' phase, is a group of its own.
func TestSlotCurvesNewPhaseDays(t *testing.T) {
	var cps []Checkpoint
	for day, ph := range []int{0, 1, 1, 2} {
		cps = append(cps, Checkpoint{Header: Header{Point: "default", Day: day}, Phase: ph})
	}
	starts := phaseStarts(cps)
	if len(starts["default"]) != 1 || !starts["default"][3] {
		t.Fatalf("phase starts %v, want day 3", starts)
	}
	ss := summarizeSlots(slotAttempts(3), summaryOptions{Resamples: 100}, 4, starts)
	for _, c := range []struct {
		days string
		n    int
	}{{slotFirstDay, 2}, {slotPhaseDays, 2}, {slotLaterDays, 2}} {
		if got := len(ss.curve("default", "context", c.days)); got != c.n {
			t.Errorf("%s: %d bins, want %d", c.days, got, c.n)
		}
	}
	tab, err := slotTable(ss, &Summary{Level: 0.95}, "default")
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Header) != 1+3*3 {
		t.Errorf("header %v: want three day groups", tab.Header)
	}
}
