"""A NumPy REINFORCE learner: a linear softmax policy over bilinear
features (the first dense channel times every other dense channel, the dense
channels themselves, a bias), updated from verdicts alone with a running
baseline. Learning stays in its weights across sessions (no context).

Options ([agent.external] options): lr (default 0.5), baseline (the running
baseline's rate, default 0.05), temperature (default 1).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from grindbench_agent import Agent, serve, uniform  # noqa: E402


class Reinforce(Agent):
    def hello(self, msg):
        super().hello(msg)
        self.dense = [c["name"] for c in self.spec["channels"] if c["kind"] == "dense"]
        sizes = {c["name"]: c["size"] for c in self.spec["channels"]}
        first = sizes[self.dense[0]]
        n = 1 + sum(sizes[d] for d in self.dense) + sum(first * sizes[d] for d in self.dense[1:])
        self.w = np.zeros((self.actions, n))
        self.lr = float(self.config.get("lr", "0.5"))
        self.rate = float(self.config.get("baseline", "0.05"))
        self.temp = float(self.config.get("temperature", "1"))
        self.baseline = 0.0
        self.trace = {}  # attempt -> summed grad log pi, steps

    def features(self, ch):
        parts = [np.ones(1)] + [np.asarray(ch[d], dtype=float) for d in self.dense]
        x = parts[1]
        parts += [np.outer(x, np.asarray(ch[d], dtype=float)).ravel() for d in self.dense[1:]]
        return np.concatenate(parts)

    def act(self, msg):
        f = self.features(msg["observation"]["channels"])
        z = self.w @ f / self.temp
        p = np.exp(z - z.max())
        p /= p.sum()
        if msg["greedy"]:
            best = np.flatnonzero(p == p.max())
            a = int(best[int(uniform(msg["seed"]) * len(best))])
        else:
            a = min(int(np.searchsorted(np.cumsum(p), uniform(msg["seed"]), side="right")), self.actions - 1)
        if not msg["eval"]:
            g = -np.outer(p, f)
            g[a] += f
            t = self.trace.get(msg["attempt"])
            if t is None:
                self.trace[msg["attempt"]] = [g, 1]
            else:
                t[0] += g
                t[1] += 1
        return a, p

    def verdict(self, msg):
        t = self.trace.pop(msg["attempt"], None)
        if t is None or msg["verdict"] == "none":
            return
        r = 1.0 if msg["verdict"] == "pass" else 0.0
        self.w += self.lr * (r - self.baseline) * t[0] / t[1]
        self.baseline += self.rate * (r - self.baseline)

    def session_end(self, msg):
        self.trace.clear()


if __name__ == "__main__":
    sys.exit(serve(Reinforce()))
