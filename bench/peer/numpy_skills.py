#!/usr/bin/python3
"""The NumPy peer: the skills family's RLVR phase as a careful researcher
writes it in NumPy, batched over seeds and group members.

It does the work grindbench's BenchmarkPeerWork (bench/peer_test.go) does,
with the same shapes and algorithm, so that the two can be compared in
step-updates per CPU-second:

  - per seed, a skills world with the default knobs (K = d = 8, A = 4,
    L = 4, dim P = dim T = 4 sharing 2, conflict 0.5, 32 pretraining and 8
    job skills, 32 job sequences x 8 start states = 256 pool tasks, 128
    skill identities) and a bilinear policy (shared W: A x d x K, identity
    U: 128 x A x d, bias b: A) pretrained by supervised learning on 4000
    pretraining tasks (not timed, as on the Go side);
  - the timed RLVR phase: for each of TASKS slots, every seed draws a pool
    task and runs GROUP members for its L steps with sampled actions
    (softmax at temperature 1), the environment's transitions (chain, action
    embedding, the task's noise, norm sqrt(d)) and all-or-nothing verdicts
    from a perfect verifier; then one update per group: lr times the mean
    over members of (reward - group mean) times the mean over steps of
    grad log pi, summed per step's skill (one outer product per skill, as
    grindbench does) and skipped when every group of the slot has advantage
    0.

One step-update is one (seed, slot, member, step): a policy evaluation, a
sample, an environment step and the step's share of the update (zero when
its group's advantage is 0; both sides skip or multiply such shares). The
script prints one line of key=value pairs, CPU seconds from
time.process_time() around the RLVR phase alone.

Debian's python3-numpy; BLAS is held to one thread (set below, before
NumPy loads), so the peer uses one core like the Go benchmark.

    /usr/bin/python3 bench/peer/numpy_skills.py --seeds 20 --tasks 2000
"""

import os

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

K, D, A, L = 8, 8, 4, 4
DIM_P, DIM_T, SHARED, CONFLICT = 4, 4, 2, 0.5
PRETRAIN_SKILLS, TRAIN_SKILLS, IDS = 32, 8, 128
SEQUENCES, STARTS = 32, 8
CHAIN, EMBED, NOISE = 0.5, 0.5, 1.0


def unit_in(rng, n, lo, hi):
    """n unit vectors of length K supported on coordinates [lo, hi)."""
    v = np.zeros((n, K))
    v[:, lo:hi] = rng.standard_normal((n, hi - lo))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def world(seed):
    """One seed's skills world: descriptions, hidden matrices, embedding,
    the job's pool (sequences, start states, transition noise)."""
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((K, A, D))
    delta = rng.standard_normal((K, A, D))
    embed = rng.standard_normal((A, D))
    embed *= np.sqrt(D) / np.linalg.norm(embed, axis=1, keepdims=True)
    t_lo = DIM_P - SHARED
    pre = unit_in(rng, PRETRAIN_SKILLS, 0, DIM_P)
    job = unit_in(rng, TRAIN_SKILLS, t_lo, t_lo + DIM_T)
    perturbed = basis.copy()
    perturbed[t_lo:DIM_P] += CONFLICT * delta[t_lo:DIM_P]
    desc = np.zeros((IDS, K))
    theta = np.zeros((IDS, A, D))
    desc[:PRETRAIN_SKILLS] = pre
    desc[PRETRAIN_SKILLS:PRETRAIN_SKILLS + TRAIN_SKILLS] = job
    theta[:PRETRAIN_SKILLS] = np.einsum("sk,kad->sad", pre, basis)
    theta[PRETRAIN_SKILLS:PRETRAIN_SKILLS + TRAIN_SKILLS] = np.einsum("sk,kad->sad", job, perturbed)
    seqs = PRETRAIN_SKILLS + rng.integers(TRAIN_SKILLS, size=(SEQUENCES, L))
    pool = np.repeat(seqs, STARTS, axis=0)  # 256 tasks
    x0 = rng.standard_normal((len(pool), D))
    x0 *= np.sqrt(D) / np.linalg.norm(x0, axis=1, keepdims=True)
    eps = rng.standard_normal((len(pool), L - 1, D))
    return dict(rng=rng, desc=desc, theta=theta, embed=embed, pool=pool, x0=x0, eps=eps)


def stack(worlds, key):
    return np.stack([w[key] for w in worlds])


def pretrain(worlds, tasks, lr):
    """Supervised pretraining on the pretraining skills, batched over seeds
    (identities read as none): the base every seed's agent starts from."""
    S = len(worlds)
    rng = np.random.default_rng(12345)
    desc, theta, embed = stack(worlds, "desc"), stack(worlds, "theta"), stack(worlds, "embed")
    W = np.zeros((S, A, D, K))
    b = np.zeros((S, A))
    si = np.arange(S)
    for _ in range(tasks):
        seq = rng.integers(PRETRAIN_SKILLS, size=(S, L))
        x = rng.standard_normal((S, D))
        x *= np.sqrt(D) / np.linalg.norm(x, axis=1, keepdims=True)
        for step in range(L):
            c = desc[si, seq[:, step]]
            want = np.einsum("sad,sd->sa", theta[si, seq[:, step]], x).argmax(1)
            z = np.einsum("sadk,sd,sk->sa", W, x, c) + b
            p = np.exp(z - z.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            g = -p
            g[si, want] += 1
            g *= lr
            W += np.einsum("sa,sd,sk->sadk", g, x, c)
            b += g
            x = CHAIN * x + EMBED * embed[si, want] + NOISE * rng.standard_normal((S, D))
            x *= np.sqrt(D) / np.linalg.norm(x, axis=1, keepdims=True)
    return W, b


def rlvr(worlds, W, b, tasks, group, lr):
    """The timed RLVR phase; returns (step-updates, steps with a non-zero
    advantage, successes)."""
    S = len(worlds)
    rng = np.random.default_rng(54321)
    desc, theta, embed = stack(worlds, "desc"), stack(worlds, "theta"), stack(worlds, "embed")
    pool, x0, eps = stack(worlds, "pool"), stack(worlds, "x0"), stack(worlds, "eps")
    U = np.zeros((S, IDS, A, D))
    si = np.arange(S)
    sg = si[:, None]
    X = np.empty((S, group, L, D))
    P = np.empty((S, group, L, A))
    act = np.empty((S, group, L), dtype=np.int64)
    nonzero = successes = 0
    for _ in range(tasks):
        ti = rng.integers(pool.shape[1], size=S)
        seq = pool[si, ti]  # (S, L)
        x = np.repeat(x0[si, ti][:, None, :], group, axis=1)  # (S, G, d)
        correct = np.ones((S, group), dtype=bool)
        for step in range(L):
            ids = seq[:, step]
            proj = np.einsum("sadk,sk->sad", W, desc[si, ids])  # once per seed: members share the skill
            z = np.einsum("sad,sgd->sga", proj + U[si, ids], x) + b[:, None, :]
            p = np.exp(z - z.max(2, keepdims=True))
            p /= p.sum(2, keepdims=True)
            a = (p.cumsum(2) < rng.random((S, group, 1))).sum(2).clip(max=A - 1)
            X[:, :, step], P[:, :, step], act[:, :, step] = x, p, a
            want = np.einsum("sad,sgd->sga", theta[si, ids], x).argmax(2)
            correct &= a == want
            if step < L - 1:
                x = CHAIN * x + EMBED * embed[sg, a] + NOISE * eps[si, ti, step][:, None, :]
                x *= np.sqrt(D) / np.linalg.norm(x, axis=2, keepdims=True)
        r = correct.astype(float)
        successes += int(correct.sum())
        adv = r - r.mean(1, keepdims=True)  # (S, G)
        if not adv.any():
            continue
        nonzero += int((adv != 0).sum()) * L
        coef = -P
        np.put_along_axis(coef, act[..., None], np.take_along_axis(coef, act[..., None], 3) + 1, 3)
        coef *= (lr / L / group) * adv[:, :, None, None]  # (S, G, L, A)
        H = np.einsum("sgla,sgld->slad", coef, X)  # summed over members, per step's skill
        W += np.einsum("slad,slk->sadk", H, desc[sg, seq])
        np.add.at(U, (sg, seq), H)
        b += coef.sum((1, 2))
    return S * tasks * group * L, nonzero, successes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--tasks", type=int, default=2000, help="task slots per seed")
    ap.add_argument("--group", type=int, default=8, help="members per group")
    ap.add_argument("--lr", type=float, default=2.0)
    ap.add_argument("--pretrain", type=int, default=4000, help="pretraining tasks (not timed)")
    args = ap.parse_args()
    worlds = [world(s) for s in range(args.seeds)]
    W, b = pretrain(worlds, args.pretrain, 0.1)
    t0 = time.process_time()
    steps, nonzero, successes = rlvr(worlds, W, b, args.tasks, args.group, args.lr)
    cpu = time.process_time() - t0
    print(f"peer=numpy numpy={np.__version__} seeds={args.seeds} tasks={args.tasks} group={args.group} "
          f"steps={L} step_updates={steps} nonzero_adv_steps={nonzero} "
          f"success_rate={successes / (steps / L):.4f} cpu_s={cpu:.3f} "
          f"step_updates_per_cpu_s={steps / cpu:.0f}")


if __name__ == "__main__":
    main()
