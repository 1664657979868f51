"""Routing bench on the held-out speech set: heard vs typed top-1/top-3, beside the tuning set and a bare baseline.

Usage: python scripts/bench_routing.py [--reports routing_dev.jsonl] [--recipes baseline,today,new] [--by-form]

Every router here is trained on the training split only (training.read_reports: the held-out ids of
transcribe/drafting/data/heldout_ids.txt are never returned). Two trainings per recipe:
  - without the tuning fifth of the training split (a fixed seeded draw) -> figures on the tuning set: typed
    reports, and "heard" as the Whisper transcripts of those reports where data/train_speech.jsonl.gz has them,
    else recognizer-like copies made with the confusions learned from our own phrases (asr_phrases.jsonl);
  - on the whole training split -> figures on the held-out set: every held-out report typed (title and text),
    and each spoken held-out report (data/heldout_speech.jsonl.gz) heard over all of Whisper's readings (as the
    drafting job routes), heard from its best reading alone, and the same sentences typed.
Recipes: baseline = bare TF-IDF word 1-2-grams + linear SVM on the typed reports; today = the router's recipe
before issue 22 (reports, phrases, simulated and learned recognizer noise, phrase transcripts); new = the
shipped recipe (training.SHIPPED_RECIPE). Routers are cached under .cache/bench_routing by recipe and split.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import joblib  # noqa: E402

from transcribe.drafting import heldout, training  # noqa: E402
from transcribe.drafting.learning import Figures, figures  # noqa: E402
from transcribe.drafting.router import Router  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
CACHE = ROOT / ".cache" / "bench_routing"
TUNE_SEED = 23


class Baseline:
    """Bare TF-IDF (word 1-2-grams) + linear SVM on typed reports: what the router must beat."""

    def __init__(self, reports: list[dict]):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        self.vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        X = self.vec.fit_transform([training.report_text(r).lower() for r in reports])
        self.model = LinearSVC(C=1.0).fit(X, [r["accept"][0] for r in reports])
        self.topics = [str(c) for c in self.model.classes_]

    def predict(self, text: str, unsure: frozenset[str] = frozenset(), k: int = 3,
                alternatives: tuple[str, ...] | list[str] = ()) -> list[tuple[str, float]]:
        import numpy as np

        d = self.model.decision_function(self.vec.transform([text.lower(), *alternatives])).mean(axis=0)
        return [(self.topics[i], float(d[i])) for i in np.argsort(-d)[:k]]


def recipe_kwargs(name: str) -> dict:
    return {"today": training.TODAY_RECIPE, "new": training.SHIPPED_RECIPE}[name]


def router_for(name: str, reports: list[dict], split: str) -> Router | Baseline:
    if name == "baseline":
        return Baseline(reports)
    kwargs = recipe_kwargs(name)
    speech = heldout.data_path(heldout.TRAIN_SPEECH_FILE)
    stamp = speech.stat().st_size if kwargs.get("train_speech") and speech.exists() else 0
    key = hashlib.sha1(json.dumps([name, sorted(str(r["id"]) for r in reports), repr(sorted(kwargs.items())), stamp]).encode()).hexdigest()[:12]
    path = CACHE / f"{name}-{split}-{key}.joblib"
    if path.exists():
        return joblib.load(path)
    t = time.time()
    router = training.train(reports, **training.recipe_args(kwargs, reports))
    print(f"  trained {name} on {split} ({len(reports)} reports) in {time.time() - t:.0f} s", file=sys.stderr)
    CACHE.mkdir(parents=True, exist_ok=True)
    joblib.dump(router, path, compress=3)
    return router


def line(label: str, f: Figures | None) -> str:
    if f is None:
        return f"{label:<58} {'-':>6}"
    return f"{label:<58} {f.n:>5}  top-1 {f.heard_top1:6.1%}  top-3 {f.heard_top3:6.1%}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", default=str(SHARED / "routing_dev.jsonl"))
    parser.add_argument("--recipes", default="baseline,today,new")
    parser.add_argument("--by-form", action="store_true", help="also break the held-out figures down by spoken form")
    args = parser.parse_args(argv)
    everything = training.read_all_reports(Path(args.reports))
    train = training.read_reports(Path(args.reports))
    held_ids = heldout.heldout_ids()
    held_reports = [r for r in everything if str(r["id"]) in held_ids]
    tune_ids = set(heldout.split((str(r["id"]) for r in train), seed=TUNE_SEED, size=len(train) // 5))
    fit_rows = [r for r in train if str(r["id"]) not in tune_ids]
    tune_reports = [r for r in train if str(r["id"]) in tune_ids]
    spoken = heldout.heldout_speech()
    train_spoken = {r.id: r for r in heldout.train_speech() if r.id in tune_ids}
    noise = training.learn_asr_noise()
    rng = random.Random(TUNE_SEED)
    tune_heard = [(train_spoken[str(r["id"])].heard, train_spoken[str(r["id"])].alternatives, train_spoken[str(r["id"])].typed,
                   r["accept"]) if str(r["id"]) in train_spoken else
                  (noise.apply(training.whole_report(r["text"]), rng) if noise else training.corrupt(r["text"], rng, 0.25),
                   (), training.whole_report(r["text"]), r["accept"]) for r in tune_reports]
    source = f"{len(train_spoken)} Whisper transcripts, {len(tune_reports) - len(train_spoken)} simulated"
    print(f"training split {len(train)} reports (tuning fifth {len(tune_reports)}), held-out {len(held_reports)} reports,"
          f" {len(spoken)} of them spoken ({len({r.form for r in spoken})} forms)\n")
    summary = []
    for name in args.recipes.split(","):
        tuned = router_for(name, fit_rows, "tune")
        full = router_for(name, train, "train")
        typed_tune = figures(tuned, [("", (), training.report_text(r), r["accept"]) for r in tune_reports])
        heard_tune = figures(tuned, tune_heard)
        typed_all = figures(full, [("", (), training.report_text(r), r["accept"]) for r in held_reports])
        heard = figures(full, [(r.heard, r.alternatives, r.typed, r.accept) for r in spoken])
        best = figures(full, [(r.heard, (), r.typed, r.accept) for r in spoken])
        print(f"== {name}")
        print(line("tuning set: typed report", typed_tune))
        print(line(f"tuning set: heard ({source})", heard_tune))
        print(line("held-out: typed report (title and text)", typed_all))
        if heard:
            print(line("held-out spoken: the same sentences typed", Figures(heard.n, heard.typed_top1, heard.typed_top3, 0, 0)))
            print(line("held-out spoken: heard, over all readings", heard))
            print(line("held-out spoken: heard, best reading only", best))
            print(f"{'  gap typed - heard (top-1)':<58} {(heard.typed_top1 - heard.heard_top1) * 100:11.1f} pts")
            groups: dict[str, list] = defaultdict(list)
            for r in spoken:
                voice, speed, channel, length = r.form.split("/")
                for g in (f"length {length}", f"channel {channel.split('-')[0]}", f"voice {voice}", f"noisy {'-' in channel or channel == 'phone8k'}"):
                    groups[g].append(r)
            if args.by_form:
                for g, rows in sorted(groups.items()):
                    f = figures(full, [(r.heard, r.alternatives, r.typed, r.accept) for r in rows])
                    print(f"{'  ' + g:<40} n={f.n:<4} heard {f.heard_top1:6.1%}  typed {f.typed_top1:6.1%}")
            summary.append((name, typed_all, heard))
        print()
    if summary:
        print(f"{'recipe':<10} {'typed (all held-out)':>21} {'typed (spoken)':>15} {'heard':>8} {'gap':>7}")
        for name, typed_all, heard in summary:
            print(f"{name:<10} {typed_all.heard_top1:21.1%} {heard.typed_top1:15.1%} {heard.heard_top1:8.1%}"
                  f" {(heard.typed_top1 - heard.heard_top1) * 100:6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
