"""Rebuild transcribe/drafting/data/router.joblib from routing_dev.jsonl and the repository's training data.

Usage: python scripts/train_router.py [PATH_TO_routing_dev.jsonl] [--cv]   (or `make router`)
Trains on the training split only (the held-out ids of data/heldout_ids.txt are never read) with
training.SHIPPED_RECIPE: the reports, the labelled phrases, Whisper's transcripts of the phrases
(data/asr_phrases.jsonl) and of training reports (data/train_speech.jsonl.gz, made by
`scripts/make_heldout_speech.py --set train`), and recognizer-like copies of the reports as callers say them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from transcribe.drafting import training  # noqa: E402
from transcribe.drafting.router import ARTEFACT, data_path  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="?", default=str(ROOT.parent / "shared" / "eval" / "routing_dev.jsonl"))
    parser.add_argument("--cv", action="store_true", help="also print 5-fold cross-validation accuracy")
    parser.add_argument("--out", default=str(data_path(ARTEFACT)))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    reports = training.read_reports(Path(args.reports))
    kwargs = training.recipe_args(training.SHIPPED_RECIPE, reports)
    print(f"{len(reports)} training reports, {len(kwargs.get('heard_reports', {}))} with Whisper transcripts")
    if args.cv:
        result = training.cross_validate(reports, **{k: v for k, v in kwargs.items() if k != "heard_reports"})
        print(f"5-fold CV on {result.n} reports (without report transcripts): top-1 {result.top1:.1%}, top-3 {result.top3:.1%}")
    router = training.train(reports, **kwargs)
    router.save(Path(args.out))
    size = Path(args.out).stat().st_size
    print(f"wrote {args.out} ({size / 1e6:.1f} MB, {len(router.topics)} topics)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
