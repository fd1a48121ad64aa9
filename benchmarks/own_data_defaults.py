"""The own-data defaults against the practitioner's baseline, on development sets, over seeds.

Trains ``seqclf train text|audio|series`` with its defaults (plus any ``--flag``s given
after ``--``) on each development set, once per seed, and reads back the test figures
of the model and of the baseline the run fitted on the same split (seqclf/evaluation/baselines.py).
Prints, per set, the baseline's figure, the model's mean over the seeds with its
spread (min-max), the difference, and the times; and the mean difference per kind.

    python benchmarks/own_data_defaults.py --root /work/devdata --seeds 0 1 2 --jobs 2 \\
        --results runs/defaults.jsonl [--sets sms_spam Trace] [-- --epochs 50]

``--root`` holds the development sets as docs/own-data.md ("Development sets") lists
them, converted to seqclf's formats. Each run is a ``python -m seqclf train`` process
with one torch thread; ``--jobs`` of them run at once. Finished runs are appended to
``--results`` (JSON lines) and not run again, so an interrupted sweep continues; the
table is made from every line whose flags match this invocation's.

The figure compared is accuracy, or macro-F1 where the largest class of the training
file is at least three times the smallest (docs/own-data.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from machine import describe, table


@dataclass(frozen=True)
class DevSet:
    name: str
    kind: str  # text, audio or series
    data: str  # relative to --root
    test: str | None = None  # relative to --root; None: seqclf holds out its own 20%
    metric: str = "accuracy"  # or macro_f1 for imbalanced sets


#: chosen before any run (docs/own-data.md, "Development sets"); none is a held-back set
SETS = [
    DevSet("sms_spam", "text", "text_sms_spam/data.csv", metric="macro_f1"),
    DevSet("spamassassin_subjects", "text", "text_spamassassin_subjects/data.csv"),
    DevSet("vader_tweets", "text", "text_vader_tweets/data.csv", metric="macro_f1"),
    DevSet("vader_nyt", "text", "text_vader_nyt/data.csv"),
    DevSet("fortunes_topics", "text", "text_fortunes_topics/data.csv", metric="macro_f1"),
    DevSet("chatterbot_topics", "text", "text_chatterbot_topics/data.csv", metric="macro_f1"),
    DevSet("first_names_sex", "text", "text_first_names_sex/data.csv", metric="macro_f1"),
    DevSet("Trace", "series", "series_Trace/Trace_TRAIN.ts", "series_Trace/Trace_TEST.ts"),
    DevSet("Coffee", "series", "series_Coffee/Coffee_TRAIN.ts", "series_Coffee/Coffee_TEST.ts"),
    DevSet(
        "Covid3Month_disc",
        "series",
        "series_Covid3Month_disc/Covid3Month_disc_TRAIN.ts",
        "series_Covid3Month_disc/Covid3Month_disc_TEST.ts",
    ),
    DevSet("PigCVP", "series", "series_PigCVP/PigCVP_TRAIN.ts", "series_PigCVP/PigCVP_TEST.ts"),
    DevSet(
        "FingerMovements",
        "series",
        "series_FingerMovements/FingerMovements_TRAIN.ts",
        "series_FingerMovements/FingerMovements_TEST.ts",
    ),
    DevSet(
        "SelfRegulationSCP1",
        "series",
        "series_SelfRegulationSCP1/SelfRegulationSCP1_TRAIN.ts",
        "series_SelfRegulationSCP1/SelfRegulationSCP1_TEST.ts",
    ),
    DevSet("Blink", "series", "series_Blink/Blink_TRAIN.ts", "series_Blink/Blink_TEST.ts"),
    DevSet("Watch", "series", "series_Watch/Watch_TRAIN.ts", "series_Watch/Watch_TEST.ts"),
    DevSet("drum_hits", "audio", "audio_drum_hits/train", "audio_drum_hits/test", metric="macro_f1"),
    DevSet("tts_commands", "audio", "audio_tts_commands/train", "audio_tts_commands/test"),
    DevSet("gm_instruments", "audio", "audio_gm_instruments/train", "audio_gm_instruments/test"),
]


def run_one(root: Path, dev: DevSet, seed: int, flags: list[str]) -> dict[str, Any]:
    """One ``seqclf train`` process; its model's and its baseline's test figures and times."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "model"
        command = [sys.executable, "-m", "seqclf", "train", dev.kind, "--data", str(root / dev.data)]
        command += ["--out", str(out), "--seed", str(seed), *flags]
        if dev.test:
            command += ["--test", str(root / dev.test)]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "SEQCLF_TORCH_THREADS": "1", "TQDM_DISABLE": "1"}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            return {"set": dev.name, "seed": seed, "flags": flags, "error": done.stderr.strip()[-500:]}
        training = json.loads((out / "config.json").read_text(encoding="utf-8"))["training"]
    test, baseline = training["metrics"]["test"], training.get("baseline", {})
    return {
        "set": dev.name,
        "seed": seed,
        "flags": flags,
        "accuracy": test["accuracy"],
        "macro_f1": test["macro_f1"],
        "train_seconds": training["train_seconds"],
        "baseline_method": baseline.get("method"),
        "baseline_accuracy": baseline.get("accuracy"),
        "baseline_macro_f1": baseline.get("macro_f1"),
        "baseline_seconds": baseline.get("seconds"),
    }


def summary(sets: list[DevSet], runs: list[dict[str, Any]]) -> tuple[list[list[Any]], dict[str, list[float]]]:
    rows, gaps = [], {}
    for dev in sets:
        mine = [r for r in runs if r["set"] == dev.name and "error" not in r]
        if not mine:
            continue
        scores = [r[dev.metric] for r in mine]
        base = mine[0][f"baseline_{dev.metric}"]
        mean = statistics.mean(scores)
        gap = None if base is None else mean - base
        if gap is not None:
            gaps.setdefault(dev.kind, []).append(gap)
        rows.append(
            [
                dev.name,
                dev.kind,
                dev.metric,
                len(mine),
                f"{mean:.3f} ({min(scores):.3f}-{max(scores):.3f})",
                "-" if base is None else f"{base:.3f}",
                "-" if gap is None else f"{gap:+.3f}",
                f"{statistics.mean(r['train_seconds'] for r in mine):.0f}",
                "-" if base is None else f"{mine[0]['baseline_seconds']:.1f}",
            ]
        )
    return rows, gaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="Folder holding the development sets.")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--sets", nargs="+", help="Only these sets (default: all).")
    parser.add_argument("--kinds", nargs="+", choices=["text", "audio", "series"], help="Only these kinds.")
    parser.add_argument("--jobs", type=int, default=1, help="Training processes at once.")
    parser.add_argument("--results", type=Path, required=True, help="JSON lines of finished runs.")
    parser.add_argument("flags", nargs="*", help="Extra `seqclf train` flags, after --.")
    args = parser.parse_args()
    sets = [
        s for s in SETS if (not args.sets or s.name in args.sets) and (not args.kinds or s.kind in args.kinds)
    ]
    done = []
    if args.results.is_file():
        done = [json.loads(line) for line in args.results.read_text(encoding="utf-8").splitlines() if line]
    done = [r for r in done if r["flags"] == args.flags]
    finished = {(r["set"], r["seed"]) for r in done if "error" not in r}
    todo = [(s, seed) for s in sets for seed in args.seeds if (s.name, seed) not in finished]
    args.results.parent.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(args.jobs) as pool, args.results.open("a", encoding="utf-8") as handle:
        for result in pool.map(lambda job: run_one(args.root, job[0], job[1], args.flags), todo):
            handle.write(json.dumps(result) + "\n")
            handle.flush()
            done.append(result)
            if "error" in result:
                print(f"{result['set']} seed {result['seed']}: {result['error']}", file=sys.stderr)
    rows, gaps = summary(sets, done)
    print(describe())
    print("flags:", " ".join(args.flags) or "(the defaults)")
    headers = ["set", "kind", "figure", "seeds", "seqclf mean (min-max)", "baseline", "difference"]
    print(table([*headers, "train s", "baseline s"], rows))
    for kind, values in gaps.items():
        print(f"{kind}: mean difference {statistics.mean(values):+.3f} over {len(values)} sets")


if __name__ == "__main__":
    main()
