"""Speak the labelled topic phrases at telephone quality, transcribe them with Whisper, and write the transcripts.

Usage: python scripts/make_asr_training.py [--out transcribe/drafting/data/asr_phrases.jsonl] [--limit N]

Each line of the output is {"topic", "text", "transcript", "words": [[word, conf], ...]}: what the real
recognizer writes for our own phrases (topic_phrases.txt), used by the router as extra training rows.
Resumable: phrases already in the output are skipped. Needs espeak-ng, mbrola-id1 and sox.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from transcribe.drafting.router import data_path  # noqa: E402
from transcribe.drafting.training import read_phrases  # noqa: E402


def interleaved(phrases: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(topic, phrase) round-robin over topics, so a partial run still covers every topic."""
    out = []
    longest = max(len(p) for p in phrases.values())
    for i in range(longest):
        for topic, items in phrases.items():
            if i < len(items):
                out.append((topic, items[i]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(data_path("asr_phrases.jsonl")))
    parser.add_argument("--audio-cache", default="/tmp/suara_asr_phrases")
    parser.add_argument("--models-dir", default=str(ROOT / ".cache" / "models"))
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args(argv)

    from speech import synth_phone8k, synth_tools_missing  # type: ignore[import-not-found]

    from models.config import Settings
    from transcribe.audio import decode_file
    from transcribe.engines import load_engine
    from transcribe.whisper_model import ensure_bundled_whisper

    missing = synth_tools_missing()
    if missing:
        raise SystemExit(f"cannot synthesize speech, missing: {', '.join(missing)}")
    out = Path(args.out)
    done = set()
    if out.exists():
        done = {json.loads(line)["text"] for line in out.read_text(encoding="utf-8").splitlines() if line.strip()}
    items = [it for it in interleaved(read_phrases()) if it[1] not in done]
    if args.limit:
        items = items[: args.limit]
    settings = Settings.from_env(env={}, data_dir=Path("/tmp/sw-data"),
                                 whisper_model=ensure_bundled_whisper(Path(args.models_dir)))
    engine = load_engine(settings, "whisper")
    cache = Path(args.audio_cache)
    with out.open("a", encoding="utf-8") as fh:
        for n, (topic, text) in enumerate(items):
            name = hashlib.sha1(text.encode()).hexdigest()[:16]
            wav = synth_phone8k(text, cache / f"{name}_phone8k.wav")
            transcript = engine.transcribe(decode_file(wav))
            row = {"topic": topic, "text": text, "transcript": transcript.text,
                   "words": [[w.word, round(w.conf, 3)] for w in transcript.words]}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            print(f"{n + 1}/{len(items)} {topic}: {transcript.text[:70]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
