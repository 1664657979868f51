"""WhatsApp voice note to visible draft: a 20-second OGG Opus voice note of synthesized Indonesian speech is posted
to the signed Twilio webhook; the clock stops when its draft (with transcript and topic) is in the database, which
is what the inbox shows. The media is served by the loopback fake of Twilio's API (tests/whatsapp_fakes.py); the
in-process job consumer runs the download, Whisper and drafting as under `suara serve`. One warm-up note first
(the model and drafter loaded), then N timed notes one after the other; the median is printed.

    SUARA_TEST_CACHE=/work/main/.cache .venv/bin/python scripts/bench_whatsapp.py [--runs 5] [--quality 8]

`--quality N` also recognizes the first N sentences of the shared speech set twice, as the 16 kHz WAV an upload
would bring and as the OGG Opus voice note WhatsApp makes of it, and prints both word error rates.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# About 20 s at espeak-ng's 150 words per minute.
SPOKEN = ("Selamat pagi, saya mau melaporkan jalan di desa Sumberrejo kecamatan Trucuk rusak parah dan berlubang. "
          "Setiap hujan jalannya tergenang air dan banyak pengendara motor yang jatuh. Sudah hampir satu tahun tidak ada perbaikan. Mohon segera diperbaiki oleh dinas pekerjaan umum.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quality", type=int, default=0, help="sentences to compare WAV and voice note on")
    args = parser.parse_args()
    if args.quality:
        quality(args.quality)
    if args.runs < 1:
        return

    from sqlalchemy import select

    from models.config import Settings
    from models.db import make_engine, session_factory
    from models.entities import Complaint
    from models.migrate import upgrade
    from models.seed import seed_reference_data
    from tests.whatsapp_fakes import post_twilio, running_fake, twilio_form, voice_note, whatsapp_settings
    from transcribe.audio import decode_bytes
    from transcribe.whisper_model import ensure_bundled_whisper
    from web import create_app

    cache = Path(os.environ.get("SUARA_TEST_CACHE", REPO / ".cache"))
    note = voice_note(SPOKEN, cache / "speech")
    seconds = len(decode_bytes(note)) / 16000
    with tempfile.TemporaryDirectory() as tmp, running_fake() as fake:
        base = Settings.from_env(env={}, data_dir=Path(tmp) / "data", database_url=f"sqlite:///{tmp}/suara.sqlite3",
                                 secret_key="bench", whisper_model=ensure_bundled_whisper(cache / "models"))
        settings = whatsapp_settings(base, fake)
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        with session_factory(engine)() as session:
            seed_reference_data(session)
            session.commit()
        app = create_app({"SETTINGS": settings, "TESTING": True})
        consumer = app.extensions["suara"].jobs.start_inprocess(workers=2)
        client = app.test_client()
        sessions = session_factory(engine)
        times, cpus, whisper_s = [], [], []
        try:
            for run in range(args.runs + 1):
                message_sid = f"MM{run + 1:032x}"
                sender = f"+62812000000{run:02d}"
                url = fake.twilio_media(message_sid, 0, note, "audio/ogg")
                started, cpu_started = time.monotonic(), _cpu_s()
                assert post_twilio(client, twilio_form(message_sid, media=[(url, "audio/ogg")], sender=sender)).status_code == 200
                while True:
                    with sessions() as session:
                        draft = session.scalars(select(Complaint).where(Complaint.reporter_phone.is_not(None))
                                                .order_by(Complaint.id.desc())).first()
                        if draft is not None and draft.call.caller_number == sender and draft.call.transcript is not None:
                            topic = draft.topic.key if draft.topic else None
                            text = draft.call.transcript.text
                            processing_s = draft.call.transcript.processing_s or 0.0
                            break
                    if time.monotonic() - started > 120:
                        raise SystemExit("no draft within 120 s")
                    time.sleep(0.05)
                elapsed, cpu = time.monotonic() - started, _cpu_s() - cpu_started
                if run:
                    times.append(elapsed)
                    cpus.append(cpu)
                    whisper_s.append(processing_s)
                print(f"{'warm-up' if not run else f'run {run}'}: {elapsed:.2f} s (CPU {cpu:.2f} s, Whisper {processing_s:.2f} s), "
                      f"topic {topic}: {text[:70]}…", flush=True)
        finally:
            consumer.stop(graceful=True)
            engine.dispose()
    print(f"voice note {seconds:.1f} s -> visible draft: median {statistics.median(times):.2f} s over {len(times)} runs "
          f"(min {min(times):.2f}, max {max(times):.2f}); CPU per note: median {statistics.median(cpus):.2f} s, of which "
          f"Whisper's wall time {statistics.median(whisper_s):.2f} s; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


def quality(sentences: int) -> None:
    """Word error rate of the same sentences as a WAV upload and as an OGG Opus voice note."""
    import jiwer

    from models.config import Settings
    from tests.speech import speech_dev_rows, synth
    from tests.whatsapp_fakes import voice_note
    from transcribe.audio import decode_bytes, decode_file
    from transcribe.engines import load_engine
    from transcribe.whisper_model import ensure_bundled_whisper

    cache = Path(os.environ.get("SUARA_TEST_CACHE", REPO / ".cache"))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(env={}, data_dir=Path(tmp), secret_key="bench",
                                     whisper_model=ensure_bundled_whisper(cache / "models"))
        engine = load_engine(settings)
        clean = lambda text: " ".join(text.lower().replace(".", " ").replace(",", " ").replace("?", " ").split())  # noqa: E731
        refs, wav_texts, ogg_texts = [], [], []
        for row in speech_dev_rows(sentences):
            wav = synth(row, "radio16k", cache / "speech")
            refs.append(clean(row.text))
            wav_texts.append(clean(engine.transcribe(decode_file(wav)).text))
            ogg_texts.append(clean(engine.transcribe(decode_bytes(voice_note(row.text, cache / "speech"))).text))
        print(f"{sentences} sentences: WER as WAV upload {jiwer.wer(refs, wav_texts):.3f}, "
              f"as OGG Opus voice note (24 kbit/s) {jiwer.wer(refs, ogg_texts):.3f}", flush=True)


def _cpu_s() -> float:
    """CPU seconds used by this process so far (all threads): what the note costs whatever else the machine runs."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
