"""Recognise every phone prompt back with the bundled Whisper model and print its word error rate.

usage: .venv/bin/python scripts/bench_prompts.py [NAME ...]
A prompt the recognizer gets wrong is one a caller on a bad line may get wrong too (issue 14: the plain
espeak voice at 160 words a minute came back as "Untuk benar-akan satu benar-duren, pekan dua").
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.config import Settings  # noqa: E402
from transcribe.audio import decode_file  # noqa: E402
from transcribe.engines import load_engine  # noqa: E402
from voice.prompts import DIGITS, PROMPT_DIR, PROMPTS  # noqa: E402


def prompt_wer(text: str, heard: str) -> float:
    """Word error rate of what the recognizer heard against a prompt's text (digits read as words)."""
    import re

    import jiwer

    def words(t: str) -> str:
        t = re.sub(r"\d", lambda m: f" {DIGITS[int(m.group())]} ", t.lower())
        return " ".join(re.sub(r"[^\w\s]", " ", t).split()) or "-"

    return float(jiwer.wer(words(text), words(heard)))


def main(names: list[str]) -> None:
    settings = Settings.from_env(whisper_drawn_readings=0)
    engine = load_engine(settings, "whisper")
    started, rates = time.monotonic(), []
    for name, text in PROMPTS.items():
        if names and name not in names:
            continue
        heard = engine.transcribe(decode_file(PROMPT_DIR / f"{name}.wav")).text
        rate = prompt_wer(text, heard)
        rates.append(rate)
        print(f"{rate:5.2f}  {name:28} {heard!r}", flush=True)
    print(f"mean WER {sum(rates) / len(rates):.3f} over {len(rates)} prompts; "
          f"{sum(r <= 0.1 for r in rates)} at or under 0.1; {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
