"""Speak reports of the shared evaluation set in varied ways and transcribe them with the real Whisper pipeline.

Usage: python scripts/make_heldout_speech.py [--set heldout|train] [--reports routing_dev.jsonl] [--limit N]

--set heldout (default): fixes the held-out split once (transcribe/drafting/data/heldout_ids.txt, seed 22,
120 reports; an existing file is never redrawn) and writes data/heldout_speech.jsonl.gz: each held-out
report said in one form, the forms rotating over both voices (MBROLA mb-id1, espeak-ng id), two speeds, four
channels (telephone at 25 and 15 dB SNR, clean radio, noisy broadcast radio) and two lengths (first sentence,
whole report up to 60 words). --set train does the same for the other reports into data/train_speech.jsonl.gz
(training rows for the router). Resumable: rows go to .cache/<set>_speech.jsonl as they are made, and the
committed .gz is rewritten from it at the end. About 10-30 s a report on this machine (run it with nice).
Needs espeak-ng, mbrola-id1 and sox.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from transcribe.drafting import heldout  # noqa: E402
from transcribe.drafting.router import data_path  # noqa: E402
from transcribe.drafting.training import read_all_reports, speakable, spoken_texts  # noqa: E402


def forms() -> list[tuple[str, int, str, str]]:
    """Every (voice, speed, channel, length) combination, in a fixed order."""
    from speech import CHANNELS, VOICE_SPEEDS  # type: ignore[import-not-found]

    return [(v, s, c, n) for (v, speeds), c, n in itertools.product(VOICE_SPEEDS.items(), CHANNELS, ("whole", "first"))
            for s in speeds]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("heldout", "train"), default="heldout")
    parser.add_argument("--reports", default=str(ROOT.parent / "shared" / "eval" / "routing_dev.jsonl"))
    parser.add_argument("--speech-dev", default=str(ROOT.parent / "shared" / "eval" / "speech_dev.jsonl"))
    parser.add_argument("--models-dir", default=str(Path(os.environ.get("SUARA_TEST_CACHE", ROOT / ".cache")) / "models"))
    parser.add_argument("--audio-cache", default="/tmp/suara_heldout_audio")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--drawn-readings", type=int, default=0,
                        help="Whisper's drawn readings (the product's default is 5; 0 keeps the beam's 5 readings only,"
                             " a third less CPU on this shared machine)")
    parser.add_argument("--pack-only", action="store_true", help="only rewrite the .gz from the rows made so far")
    parser.add_argument("--shard", default="0/1", help="K/N: only every N-th report from the K-th (parallel runs)")
    args = parser.parse_args(argv)

    from speech import synth_form, synth_tools_missing  # type: ignore[import-not-found]

    reports = read_all_reports(Path(args.reports))
    ids_path = data_path(heldout.IDS_FILE)
    if not ids_path.exists():
        ids_path.write_text("# held-out reports of routing_dev.jsonl (seed 22): never train or tune on these\n"
                            + "\n".join(heldout.split(r["id"] for r in reports)) + "\n", encoding="utf-8")
        heldout.heldout_ids.cache_clear()
    held = heldout.heldout_ids()
    chosen = sorted((str(r["id"]) for r in reports if (str(r["id"]) in held) == (args.set == "heldout")),
                    key=lambda i: hashlib.sha1(f"{args.set}:{i}".encode()).hexdigest())
    texts = {whole: spoken_texts(reports, Path(args.speech_dev), whole=whole) for whole in (True, False)}
    all_forms = forms()
    items = []
    for n, id_ in enumerate(chosen):
        voice, speed, channel, length = all_forms[n % len(all_forms)]
        text, accept = texts[length == "whole"][id_]
        items.append((id_, f"{voice}/{speed}/{channel}/{length}", speakable(text), accept, voice, speed, channel))

    cache = ROOT / ".cache" / f"{args.set}_speech.jsonl"
    cache.parent.mkdir(parents=True, exist_ok=True)
    done = {(r.id, r.form) for r in heldout.read_spoken(cache)}
    k, n = (int(v) for v in args.shard.split("/"))
    todo = [it for it in items[k::n] if (it[0], it[1]) not in done]
    if args.limit or args.pack_only:
        todo = todo[: 0 if args.pack_only else args.limit]
    if todo:
        missing = synth_tools_missing()
        if missing:
            raise SystemExit(f"cannot synthesize speech, missing: {', '.join(missing)}")
        from models.config import Settings
        from transcribe.audio import decode_file
        from transcribe.engines import load_engine
        from transcribe.whisper_model import ensure_bundled_whisper

        settings = Settings.from_env(env={}, data_dir=Path("/tmp/sw-data"), whisper_drawn_readings=args.drawn_readings,
                                     whisper_model=ensure_bundled_whisper(Path(args.models_dir)))
        engine = load_engine(settings, "whisper")
        with cache.open("a", encoding="utf-8") as fh:
            for i, (id_, form, said, accept, voice, speed, channel) in enumerate(todo):
                name = hashlib.sha1(f"{form}:{said}".encode()).hexdigest()[:16]
                wav = synth_form(said, Path(args.audio_cache) / f"{name}.wav", voice, speed, channel)
                t = engine.transcribe(decode_file(wav))
                fh.write(json.dumps({"id": id_, "form": form, "typed": said, "heard": t.text,
                                     "alternatives": t.alternatives, "accept": list(accept)}, ensure_ascii=False) + "\n")
                fh.flush()
                print(f"{i + 1}/{len(todo)} {form}: {t.text[:70]}", file=sys.stderr)
    rows = heldout.read_spoken(cache)
    wanted = {(it[0], it[1]) for it in items}
    out = data_path(heldout.SPEECH_FILE if args.set == "heldout" else heldout.TRAIN_SPEECH_FILE)
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as gz:
        for r in sorted(rows, key=lambda r: (r.id, r.form)):
            if (r.id, r.form) in wanted:
                gz.write(json.dumps({"id": r.id, "form": r.form, "typed": r.typed, "heard": r.heard,
                                     "alternatives": list(r.alternatives), "accept": list(r.accept)},
                                    ensure_ascii=False) + "\n")
    print(f"{len(wanted & {(r.id, r.form) for r in rows})}/{len(items)} reports spoken -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
