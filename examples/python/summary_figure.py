"""Load a grindbench results folder in pandas and redraw one figure.

Usage: python3 summary_figure.py DIR [OUT.png]

Reads DIR/summary.csv (every aggregate with its confidence interval; its
kinds and columns are documented by `grind schema`) and the run records
DIR/runs/*.jsonl (one JSON object per line; `kind` says which record), then

  1. recomputes, from the per-run checkpoint records, the mean over runs of
     greedy success at the last day for every (point, agent, split), and
     asserts it equals summary.csv's `mean` on the matching `cell` rows (a
     check that the two files agree, and an example of the tidy records);
  2. redraws the split figure: the IQM of greedy success per split and
     agent with its 95% bootstrap CI as whiskers, from summary.csv alone.

Needs pandas and matplotlib (Debian: apt-get install python3-pandas
python3-matplotlib). Parquet readers (pyarrow, DuckDB) can use the files
`grind export DIR` writes instead of the JSON lines.
"""

import glob
import os
import sys

import pandas as pd


def load_checkpoints(folder):
    frames = [pd.read_json(path, lines=True) for path in sorted(glob.glob(os.path.join(folder, "runs", "*.jsonl*")))]
    recs = pd.concat(frames, ignore_index=True)
    return recs[recs["kind"] == "checkpoint"]


def main(folder, out):
    summary = pd.read_csv(os.path.join(folder, "summary.csv"))
    cps = load_checkpoints(folder)
    metric = "success_greedy"
    last = cps.groupby("point")["day"].transform("max")
    final = cps[cps["day"] == last]
    means = final.groupby(["point", "agent", "split"])[metric].mean().rename("recomputed").reset_index()
    cells = summary[(summary["kind"] == "cell") & (summary["metric"] == metric)]
    cells = cells.merge(final[["point", "day"]].drop_duplicates(), on=["point", "day"])
    joined = cells.merge(means, on=["point", "agent", "split"])
    if joined.empty:
        sys.exit("no cell of summary.csv matches the records")
    # summary.csv writes six significant digits.
    bad = joined[(joined["mean"] - joined["recomputed"]).abs() > 1e-6 * joined["recomputed"].abs().clip(lower=1)]
    if not bad.empty:
        sys.exit("summary.csv disagrees with the records:\n" + bad.to_string())
    print(f"{len(joined)} cells: summary.csv mean equals the mean of the per-run records "
          f"(e.g. {joined.iloc[0]['agent']} {joined.iloc[0]['split']}: {joined.iloc[0]['mean']:.6f})")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    point = joined["point"].iloc[0]
    fig_data = joined[joined["point"] == point].pivot(index="split", columns="agent", values=["iqm", "lo", "hi"])
    splits = list(dict.fromkeys(s for s in cells[cells["point"] == point]["split"]))
    agents = list(dict.fromkeys(cells[cells["point"] == point]["agent"]))
    width = 0.8 / len(agents)
    fig, ax = plt.subplots(figsize=(max(6, len(splits) * 0.9), 4))
    for i, agent in enumerate(agents):
        iqm = fig_data["iqm"][agent].reindex(splits)
        err = [iqm - fig_data["lo"][agent].reindex(splits), fig_data["hi"][agent].reindex(splits) - iqm]
        xs = [j + (i - (len(agents) - 1) / 2) * width for j in range(len(splits))]
        ax.bar(xs, iqm, width, yerr=err, capsize=2, label=agent)
    ax.set_xticks(range(len(splits)), splits, rotation=45, ha="right")
    ax.set_ylabel(f"{metric} (IQM over runs, 95% CI)")
    ax.set_title(f"{metric} at the last day, point {point}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print("wrote", out)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "splits_success_greedy.png")
