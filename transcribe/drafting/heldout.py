"""The held-out speech set: reports of the shared evaluation set that no training or tuning ever sees.

The split is fixed once (seed `SPLIT_SEED`, `HELDOUT_SIZE` reports) and kept in data/heldout_ids.txt;
`training.read_reports` leaves these ids out, and tests/test_heldout.py fails when any training code reads
one. data/heldout_speech.jsonl.gz holds each held-out report as it was said (one spoken form each, the forms
rotating over voice, speed, channel and length) with the real Whisper pipeline's transcript and other
readings: what `suara learn` and scripts/bench_routing.py measure on.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from transcribe.drafting.router import data_path

SPLIT_SEED = 22
HELDOUT_SIZE = 120
IDS_FILE = "heldout_ids.txt"
SPEECH_FILE = "heldout_speech.jsonl.gz"
TRAIN_SPEECH_FILE = "train_speech.jsonl.gz"


def split(ids: Iterable[str], seed: int = SPLIT_SEED, size: int = HELDOUT_SIZE) -> list[str]:
    """The held-out ids of a fixed seeded draw (sorted ids first, so file order does not matter)."""
    ordered = sorted({str(i) for i in ids})
    order = np.random.default_rng(seed).permutation(len(ordered))
    return sorted(ordered[i] for i in order[:size])


@cache
def heldout_ids(path: Path | None = None) -> frozenset[str]:
    """The ids never trained or tuned on (empty when the file is missing)."""
    path = path or data_path(IDS_FILE)
    if not path.exists():
        return frozenset()
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class SpokenReport:
    """One report as said and as Whisper heard it."""

    id: str
    form: str
    """voice/speed/channel/length, e.g. "mb-id1/140/phone8k/whole"."""
    typed: str
    """The text that was said, as typed."""
    heard: str
    alternatives: tuple[str, ...]
    accept: tuple[str, ...]


def read_spoken(path: Path) -> list[SpokenReport]:
    """Rows of a spoken-reports file (.jsonl or .jsonl.gz); the last row of an id and form counts."""
    if not path.exists():
        return []
    opener = gzip.open if path.suffix == ".gz" else open
    rows: dict[tuple[str, str], SpokenReport] = {}
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                rows[(str(r["id"]), r["form"])] = SpokenReport(str(r["id"]), r["form"], r["typed"], r["heard"],
                                                               tuple(r.get("alternatives", ())), tuple(r["accept"]))
    return list(rows.values())


def heldout_speech(path: Path | None = None) -> list[SpokenReport]:
    """The shipped held-out speech set."""
    return read_spoken(path or data_path(SPEECH_FILE))


def train_speech(path: Path | None = None) -> list[SpokenReport]:
    """Whisper's transcripts of training reports (never a held-out one: those are dropped here too)."""
    held = heldout_ids()
    return [r for r in read_spoken(path or data_path(TRAIN_SPEECH_FILE)) if r.id not in held]
