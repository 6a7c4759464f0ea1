"""The grindbench external agent protocol, version 1, for Python agents.

Standard library only. The harness (grind, mechanism "external") starts the
agent as a child process and drives it with JSON lines on standard input; the
agent answers each message with exactly one JSON line on standard output.
See docs/protocol.md for every message.

Write an agent by subclassing Agent and overriding what it needs, then call
serve(MyAgent()). Only act is required.
"""

import json
import sys

PROTOCOL_VERSION = 1

_MASK = (1 << 64) - 1


def uniform(seed):
    """A uniform float in [0, 1) determined by seed alone: the same draw as
    grindbench's envs.Uniform, so a sampling agent keyed by the act
    message's seed is deterministic."""
    z = (seed + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    z ^= z >> 31
    return (z >> 11) * 2.0 ** -53


def mix(seed, i):
    """A second key derived from seed (for more than one draw a step)."""
    return (seed * 0x9E3779B97F4A7C15 + i + 1) & _MASK


class Agent:
    """Base class: every hook but act does nothing."""

    def hello(self, msg):
        """msg: version, run, agent, seed, family, spec (actions, max_len,
        channels: name, kind "dense" or "index", size, doc), config (the
        [agent.external] options as strings), text, action_names."""
        self.spec = msg["spec"]
        self.actions = msg["spec"]["actions"]
        self.config = msg.get("config", {})

    def act(self, msg):
        """msg: eval, greedy, seed, attempt (job attempts only), step,
        observation {channels: {name: list or int}, text}. Return an action
        index, or (action, probs), or a dict with "action" or "text"."""
        raise NotImplementedError

    def verdict(self, msg):
        """msg: attempt (the act messages' attempt), task, verdict ("pass",
        "fail" or "none": none arrived), sent, arrived."""

    def session_end(self, msg):
        """The session ended: in-context memory should go now."""

    def overnight(self, msg):
        """Once a day after its last session."""

    def day_end(self, msg):
        """After overnight, before the day's checkpoint."""

    def bye(self, msg):
        """The run is over; the agent exits after answering."""


def _answer(result):
    if isinstance(result, dict):
        out = {"type": "action"}
        out.update(result)
        return out
    if isinstance(result, tuple):
        action, probs = result
        return {"type": "action", "action": int(action), "probs": [float(p) for p in probs]}
    return {"type": "action", "action": int(result)}


def serve(agent, stdin=None, stdout=None):
    """Answer the harness's messages until bye or the end of input. An
    exception in the agent is reported to the harness as an error message
    (which fails the run with it) and ends the agent. Returns the exit
    status."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    for line in stdin:
        msg = json.loads(line)
        kind = msg.get("type")
        try:
            if kind == "hello":
                if msg.get("version") != PROTOCOL_VERSION:
                    raise ValueError("harness speaks protocol version %r, this client %d" % (msg.get("version"), PROTOCOL_VERSION))
                agent.hello(msg)
                reply = {"type": "ready", "version": PROTOCOL_VERSION}
            elif kind == "act":
                reply = _answer(agent.act(msg))
            elif kind in ("verdict", "session_end", "overnight", "day_end", "bye"):
                getattr(agent, kind)(msg)
                reply = {"type": "ok"}
            else:
                raise ValueError("unknown message type %r" % kind)
        except Exception as e:  # report it: the harness fails the run with it
            stdout.write(json.dumps({"type": "error", "message": "%s: %s" % (type(e).__name__, e)}) + "\n")
            stdout.flush()
            return 1
        stdout.write(json.dumps(reply) + "\n")
        stdout.flush()
        if kind == "bye":
            return 0
    return 0
