"""Routing accuracy stays above a bound on a fixed held-out split of routing_dev.jsonl (skipped without it)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from transcribe.drafting import training
from transcribe.drafting.router import load_router

REPORTS = Path(os.environ.get("SUARA_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared")) / "eval" / "routing_dev.jsonl"


def test_shipped_router_knows_every_topic() -> None:
    assert sorted(load_router().topics) == sorted(training.topic_keys())


def test_artefact_holds_no_rare_words() -> None:
    router = load_router()
    assert router.word_vec.stop_words_ is None and router.char_vec.stop_words_ is None
    assert router.word_vec.min_df >= 3


@pytest.mark.skipif(not REPORTS.exists(), reason="routing_dev.jsonl not available")
def test_held_out_accuracy() -> None:
    reports = training.read_reports(REPORTS)
    order = np.random.default_rng(0).permutation(len(reports))
    held = set(order[::5].tolist())
    router = training.train([r for i, r in enumerate(reports) if i not in held])
    test = [reports[i] for i in sorted(held)]
    d = router.decision([training.report_text(r) for r in test])
    ranked = [[router.topics[j] for j in np.argsort(-row)[:3]] for row in d]
    top1 = np.mean([p[0] in r["accept"] for p, r in zip(ranked, test)])
    top3 = np.mean([any(t in r["accept"] for t in p) for p, r in zip(ranked, test)])
    assert top1 >= 0.80
    assert top3 >= 0.92
