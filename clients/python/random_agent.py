"""A uniformly random agent: each action is drawn from the act message's
keyed seed, so its runs are deterministic. Greedy acts draw the same way (a
uniform policy's argmax is a uniform tie-break)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from grindbench_agent import Agent, serve, uniform  # noqa: E402


class RandomAgent(Agent):
    def act(self, msg):
        return int(uniform(msg["seed"]) * self.actions)


if __name__ == "__main__":
    sys.exit(serve(RandomAgent()))
