"""Recognise every phone prompt back with the bundled Whisper model and print its word error rate.

usage: .venv/bin/python scripts/bench_prompts.py [--dir FOLDER] [NAME ...]
A prompt the recognizer gets wrong is one a caller on a bad line may get wrong too (issue 14: the plain
espeak voice at 160 words a minute came back as "Untuk benar-akan satu benar-duren, pekan dua").

Each prompt is read from its 8 kHz file (what the caller hears) with the engine as configured, without the
prompt's text as a hint and without the voice-activity filter: a prompt is all speech, and Silero VAD at
8 kHz cut the synthetic voice's last syllables and most digits (measured on the bundled set: mean WER 0.51
with it, 0.29 without; "nomor panggilan Anda adalah 5 7 0 6 1 8" came back as "... adalah lima"). The digits are never played alone: the caller hears "Nomor panggilan Anda adalah"
and then the code's digits back to back, so they are scored that way, as three codes that use every digit
(a single word of half a second is not what anyone hears, and Whisper often returns nothing for it). The
WER compares words after lower-casing, removing punctuation and reading digits as words ("1" = "satu").
`--dir` reads the WAVs from another folder (to compare a regenerated set before replacing the bundled one).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.config import Settings  # noqa: E402
from transcribe.audio import decode_file  # noqa: E402
from transcribe.engines import load_engine  # noqa: E402
from transcribe.engines.whisper_engine import WhisperEngine  # noqa: E402
from voice.prompts import DIGITS, PROMPT_DIR, PROMPTS  # noqa: E402

CODES = ("482913", "570618", "039264")
"""Call codes as the caller hears them; together they use every digit."""


def words(text: str) -> str:
    """Lower case, digits as Indonesian words, no punctuation."""
    text = re.sub(r"\d", lambda m: f" {DIGITS[int(m.group())]} ", text.lower())
    return " ".join(re.sub(r"[^\w\s]", " ", text).split()) or "-"


def prompt_wer(text: str, heard: str) -> float:
    """Word error rate of what the recognizer heard against a prompt's text."""
    import jiwer

    return float(jiwer.wer(words(text), words(heard)))


def clips(folder: Path, names: list[str]) -> list[tuple[str, str, np.ndarray]]:
    """(label, reference text, 16 kHz audio) of every prompt to score; the digits as codes."""
    items = []
    for name, text in PROMPTS.items():
        if name.startswith("angka_") or (names and name not in names):
            continue
        items.append((name, text, decode_file(folder / f"{name}.wav")))
    if not names or any(n.startswith("angka") for n in names):
        carrier = decode_file(folder / "nomor_anda.wav")
        for code in CODES:
            audio = np.concatenate([carrier, *(decode_file(folder / f"angka_{d}.wav") for d in code)])
            items.append((f"nomor_anda+{code}", f"{PROMPTS['nomor_anda']} {' '.join(code)}", audio))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=PROMPT_DIR, help="folder of the prompt WAVs (default: bundled)")
    parser.add_argument("names", nargs="*", help="prompts to score (default: all; angka_… scores the codes)")
    args = parser.parse_args()
    settings = Settings.from_env(whisper_drawn_readings=0)
    engine = load_engine(settings, "whisper")
    assert isinstance(engine, WhisperEngine)
    started, rates = time.monotonic(), []
    for label, text, audio in clips(args.dir, args.names):
        heard, _, _ = engine.recognize(audio, vad=False)
        rate = prompt_wer(text, heard)
        rates.append(rate)
        print(f"{rate:5.2f}  {label:28} {words(text)!r}\n       {'':28} {words(heard)!r}", flush=True)
    print(f"mean WER {sum(rates) / len(rates):.3f} over {len(rates)} prompts; "
          f"{sum(r <= 0.1 for r in rates)} at or under 0.1; {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
