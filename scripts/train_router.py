"""Rebuild transcribe/drafting/data/router.joblib from routing_dev.jsonl and the labelled phrases.

Usage: python scripts/train_router.py [PATH_TO_routing_dev.jsonl] [--cv]
The Whisper transcripts of the phrases (data/asr_phrases.jsonl, from scripts/make_asr_training.py) are
used when present: as training rows, and as the source of recognizer-like copies of the reports; so are
the Whisper transcripts of the reports themselves (--heard-reports, default .cache/asr_reports.jsonl and
.cache/asr_reports_whole.jsonl, made by `scripts/make_asr_training.py --reports [--whole]`), which stay
outside the repository.
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
    parser.add_argument("--heard-reports", nargs="*", default=[str(ROOT / ".cache" / "asr_reports.jsonl"),
                                                               str(ROOT / ".cache" / "asr_reports_whole.jsonl")])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    reports = training.read_reports(Path(args.reports))
    heard = training.read_heard_reports(*(Path(p) for p in args.heard_reports))
    print(f"{len(heard)} reports have Whisper transcripts ({', '.join(args.heard_reports)})")
    if args.cv:
        result = training.cross_validate(reports, heard_reports=heard)
        print(f"5-fold CV on {result.n} reports: top-1 {result.top1:.1%}, top-3 {result.top3:.1%}")
    router = training.train(reports, heard_reports=heard)
    router.save(Path(args.out))
    size = Path(args.out).stat().st_size
    print(f"wrote {args.out} ({size / 1e6:.1f} MB, {len(router.topics)} topics)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
