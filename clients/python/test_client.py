"""Tests of the reference client (python3 -m unittest discover clients/python)."""

import io
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from grindbench_agent import Agent, serve, uniform  # noqa: E402
from random_agent import RandomAgent  # noqa: E402

HELLO = {"type": "hello", "version": 1, "run": "r", "agent": "a", "seed": 0, "family": "skills",
         "spec": {"actions": 4, "max_len": 2, "channels": [
             {"name": "x", "kind": "dense", "size": 2, "doc": ""},
             {"name": "desc", "kind": "dense", "size": 2, "doc": ""},
             {"name": "id", "kind": "index", "size": 3, "doc": ""}]},
         "config": {"lr": "0.5"}, "text": False}


def act(seed, eval_=False, attempt=0, step=0):
    m = {"type": "act", "eval": eval_, "greedy": False, "seed": seed, "step": step,
         "observation": {"channels": {"x": [1.0, -0.5], "desc": [0.6, 0.8], "id": 2}}}
    if not eval_:
        m["attempt"] = attempt
    return m


def exchange(agent, msgs):
    out = io.StringIO()
    status = serve(agent, io.StringIO("".join(json.dumps(m) + "\n" for m in msgs)), out)
    return status, [json.loads(l) for l in out.getvalue().splitlines()]


class ClientTest(unittest.TestCase):
    def test_uniform_matches_go(self):
        # envs.Uniform(0) and envs.Uniform(12345) in Go.
        for seed, want in [(0, 0.8833108082136426), (12345, 0.13307966866142729)]:
            self.assertAlmostEqual(uniform(seed), want, places=15)

    def test_every_message_is_answered(self):
        msgs = [HELLO, act(1), {"type": "verdict", "attempt": 0, "task": 3, "verdict": "pass", "sent": 0, "arrived": 1},
                {"type": "session_end"}, {"type": "overnight"}, {"type": "day_end"}, {"type": "bye"}]
        status, replies = exchange(RandomAgent(), msgs)
        self.assertEqual(status, 0)
        self.assertEqual([r["type"] for r in replies], ["ready", "action", "ok", "ok", "ok", "ok", "ok"])
        self.assertIn(replies[1]["action"], range(4))

    def test_random_is_keyed(self):
        _, a = exchange(RandomAgent(), [HELLO] + [act(s) for s in range(200)])
        _, b = exchange(RandomAgent(), [HELLO] + [act(s) for s in range(200)])
        acts = [r["action"] for r in a[1:]]
        self.assertEqual(acts, [r["action"] for r in b[1:]])
        self.assertEqual(set(acts), {0, 1, 2, 3})

    def test_agent_errors_are_reported(self):
        class Broken(Agent):
            def act(self, msg):
                raise RuntimeError("no idea")
        status, replies = exchange(Broken(), [HELLO, act(1)])
        self.assertEqual(status, 1)
        self.assertEqual(replies[-1]["type"], "error")
        self.assertIn("no idea", replies[-1]["message"])

    def test_wrong_version_is_refused(self):
        status, replies = exchange(RandomAgent(), [dict(HELLO, version=99)])
        self.assertEqual((status, replies[0]["type"]), (1, "error"))


try:
    import numpy  # noqa: F401
    from reinforce_agent import Reinforce
except ImportError:  # CI installs python3-numpy; elsewhere the NumPy tests skip
    Reinforce = None


@unittest.skipIf(Reinforce is None and os.environ.get("CI") != "true", "no NumPy")
class ReinforceTest(unittest.TestCase):
    def test_probs_and_learning(self):
        ag = Reinforce()
        _, r = exchange(ag, [HELLO, act(7, attempt=0)])
        probs = r[1]["probs"]
        self.assertAlmostEqual(sum(probs), 1.0)
        a = r[1]["action"]
        before = probs[a]
        exchange(ag, [act(7, attempt=0), {"type": "verdict", "attempt": 0, "task": 0, "verdict": "pass", "sent": 0, "arrived": 1}])
        _, r = exchange(ag, [act(7, eval_=True)])
        self.assertGreater(r[0]["probs"][a], before, "a passed attempt's action became more likely")

    def test_none_verdict_teaches_nothing(self):
        ag = Reinforce()
        exchange(ag, [HELLO, act(7, attempt=0), {"type": "verdict", "attempt": 0, "task": 0, "verdict": "none", "sent": 0, "arrived": 1}])
        self.assertFalse(ag.w.any())


class ScriptTest(unittest.TestCase):
    def test_random_agent_runs_as_a_program(self):
        here = os.path.dirname(os.path.abspath(__file__))
        msgs = "".join(json.dumps(m) + "\n" for m in [HELLO, act(3), {"type": "bye"}])
        p = subprocess.run([sys.executable, os.path.join(here, "random_agent.py")], input=msgs,
                           capture_output=True, text=True, timeout=30, env={})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([json.loads(l)["type"] for l in p.stdout.splitlines()], ["ready", "action", "ok"])


if __name__ == "__main__":
    unittest.main()
