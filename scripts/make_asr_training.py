"""Speak the labelled topic phrases at telephone quality, transcribe them with Whisper, and write the transcripts.

Usage: python scripts/make_asr_training.py [--out transcribe/drafting/data/asr_phrases.jsonl] [--limit N]
       python scripts/make_asr_training.py --reports ../shared/eval/routing_dev.jsonl [--whole] [--shard 0/2]

Each line of the output is {"topic", "text", "transcript", "words": [[word, conf], ...], "alternatives"}: what
the real recognizer writes for our own phrases (topic_phrases.txt), used by the router as extra training
rows, and its other readings of the same speech (the beam's hypotheses, which routing averages over).
With --reports, the texts spoken are those of the reports: speech_dev.jsonl's text or the first sentence,
or with --whole the whole report up to 60 words, as the drafting bench speaks them. They are said as a
person reads them aloud (`speakable`: "sdh" as "sudah"). Lines also carry the report "id" and what was
"said", and the default output is .cache/asr_reports.jsonl (asr_reports_whole.jsonl with --whole):
outside the repository, because the reports name real citizens. Training (scripts/train_router.py, and
the cross-validation of scripts/bench_drafting.py) adds each training report's transcripts; a held-out
report's transcripts are never trained on.
Resumable: texts already said in the output (with the recognizer's other readings) are skipped; for a
report the last line of its id counts.
Needs espeak-ng, mbrola-id1 and sox.
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
from transcribe.drafting.training import read_phrases, read_reports, speakable, spoken_texts  # noqa: E402


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
    parser.add_argument("--reports", default=None, help="speak these reports instead of our phrases")
    parser.add_argument("--speech-dev", default=str(ROOT.parent / "shared" / "eval" / "speech_dev.jsonl"))
    parser.add_argument("--whole", action="store_true",
                        help="with --reports: speak each whole report, up to 60 words (default: its first sentence)")
    parser.add_argument("--shard", default="0/1", help="K/N: only every N-th text from the K-th (parallel runs)")
    args = parser.parse_args(argv)
    if args.reports and args.out == parser.get_default("out"):
        args.out = str(ROOT / ".cache" / ("asr_reports_whole.jsonl" if args.whole else "asr_reports.jsonl"))

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
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
        # by id too (two reports may share a text), and by what was said: a report whose spoken form has
        # changed (speakable) is made again, and its newer line supersedes the older one; so is a line
        # of a report from before the recognizer kept its other readings (the bench routes over them)
        done = {(row.get("id"), row.get("said", row["text"])) for row in rows if "alternatives" in row or "id" not in row}
    if args.reports:
        spoken = spoken_texts(read_reports(Path(args.reports)), Path(args.speech_dev), whole=args.whole)
        items = [(accept[0], text, id_) for id_, (text, accept) in spoken.items()]
    else:
        items = [(topic, text, None) for topic, text in interleaved(read_phrases())]
    k, n = (int(v) for v in args.shard.split("/"))
    items = [it for it in items[k::n] if (it[2], speakable(it[1]) if it[2] is not None else it[1]) not in done]
    if args.limit:
        items = items[: args.limit]
    settings = Settings.from_env(env={}, data_dir=Path("/tmp/sw-data"),
                                 whisper_model=ensure_bundled_whisper(Path(args.models_dir)))
    engine = load_engine(settings, "whisper")
    cache = Path(args.audio_cache)
    with out.open("a", encoding="utf-8") as fh:
        for i, (topic, text, report_id) in enumerate(items):
            # a report is said as a person reads it aloud: "sdh" as "sudah", not as three letters
            said = speakable(text) if report_id is not None else text
            name = hashlib.sha1(said.encode()).hexdigest()[:16]
            wav = synth_phone8k(said, cache / f"{name}_phone8k.wav")
            transcript = engine.transcribe(decode_file(wav))
            row = {"topic": topic, "text": text, "transcript": transcript.text,
                   "words": [[w.word, round(w.conf, 3)] for w in transcript.words],
                   "alternatives": transcript.alternatives}
            if report_id is not None:
                row = {"id": report_id, **row, "said": said}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            print(f"{i + 1}/{len(items)} {topic}: {transcript.text[:70]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
