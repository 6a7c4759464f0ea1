package experiments

import (
	"context"
	"strings"
	"testing"
)

// TestRewardHacking: on the shipped reward-hacking config at loophole 1
// (which passes loophole attempts more often than the base policy's true
// success, measured here too) with no KL penalty, rlvr's verdict reward
// rises while its true success falls, in some seeds and on average over
// seeds (a finding the config was chosen honestly to probe, asserted so
// that a change that breaks the loophole's path is caught). At loophole 0
// the verdict reward is the true success (calibration). The full run logs
// the count of hacked seeds per point, which the README quotes.
func TestRewardHacking(t *testing.T) {
	data, err := shipped.ReadFile("reward-hacking.toml")
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	if testing.Short() {
		// One point at the config's own settings, fewer seeds.
		src = src[:strings.Index(src, "[sweep]")] + "[sweep]\n\"env.verifier.loophole\" = [0.0, 1.0]\n\"agent.rlvr.rlvr.kl\" = [0.0]\n"
		src = strings.Replace(src, "seeds = 20", "seeds = 12", 1)
	}
	exp := mustParse(t, src)
	for _, p := range exp.Points {
		if p.Config.Env.Verifier.Loophole != 1 {
			continue
		}
		s, err := MeasureEnv(context.Background(), &p.Config, ProbeOptions{Seeds: 4, Slots: 64})
		if err != nil {
			t.Fatal(err)
		}
		if !(s.Loophole.Lo > s.BaseSuccess.Hi) {
			t.Fatalf("%s: loophole rate %+v not above base success %+v: not the configuration this test is about", p.Label, s.Loophole, s.BaseSuccess)
		}
		break
	}
	_, recs := mustRun(t, exp, 2)
	hacks := Hacks(recs, "train", 0.05)
	type tally struct {
		n, hacked      int
		dReward, dSucc float64
		exact          bool
	}
	by := map[string]*tally{}
	var order []string
	for _, h := range hacks {
		if h.Agent != "rlvr" {
			continue
		}
		tl := by[h.Point]
		if tl == nil {
			tl = &tally{exact: true}
			by[h.Point] = tl
			order = append(order, h.Point)
		}
		tl.n++
		if h.Hacked {
			tl.hacked++
		}
		tl.dReward += (h.RewardLast - h.RewardFirst) / float64(exp.Config.Seeds)
		tl.dSucc += (h.SuccessLast - h.SuccessFirst) / float64(exp.Config.Seeds)
		tl.exact = tl.exact && h.RewardFirst == h.SuccessFirst && h.RewardLast == h.SuccessLast
	}
	for _, pt := range order {
		tl := by[pt]
		t.Logf("%s: rlvr hacked in %d of %d seeds; mean change over the job: verdict reward %+.3f, true success %+.3f", pt, tl.hacked, tl.n, tl.dReward, tl.dSucc)
		if strings.HasPrefix(pt, "loophole=0,") && !tl.exact {
			t.Errorf("%s: verdict reward differs from true success with an exact verifier", pt)
		}
	}
	tl := by["loophole=1,kl=0"]
	if tl == nil {
		t.Fatalf("no point loophole=1,kl=0 among %v", order)
	}
	if tl.hacked == 0 || !(tl.dReward > 0.05) || !(tl.dSucc < -0.05) {
		t.Errorf("loophole=1,kl=0: hacked in %d of %d seeds, verdict reward %+.3f, true success %+.3f: want a hacked seed, reward up and success down on average",
			tl.hacked, tl.n, tl.dReward, tl.dSucc)
	}
}
