"""Phone-channel benchmark (`make bench`): AudioSocket calls vs bare Vosk threads, partial latency,
Whisper final delay, and hang-up-to-draft time. Prints one table; every figure is measured in this run.

    .venv/bin/python scripts/bench_phone.py --calls 4 --vosk-model PATH [--whisper]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.all import *  # noqa: E402,F401,F403
from models.base import Base  # noqa: E402
from models.config import Settings  # noqa: E402
from models.db import make_engine, session_factory  # noqa: E402
from models.entities import Call  # noqa: E402
from tests.speech import speech_dev_rows, synth_phone8k  # noqa: E402
from transcribe.audio import resample  # noqa: E402
from transcribe.engines import load_engine  # noqa: E402
from transcribe.jobs import JobQueue  # noqa: E402
from transcribe.types import AudioChunk  # noqa: E402
from voice.audiosocket import KIND_AUDIO, KIND_HANGUP, KIND_UUID, AudioSocketConfig, AudioSocketServer, encode_frame  # noqa: E402

FRAME = 320


def call_audio(seconds: float, cache: Path) -> np.ndarray:
    """Synthesized phone sentences (8 kHz int16) with 0.6 s pauses, cut to `seconds`."""
    parts, total = [], 0
    for row in speech_dev_rows():
        with wave.open(str(synth_phone8k(row.text, cache / f"{row.id}.wav"))) as w:
            x = np.frombuffer(w.readframes(w.getnframes()), np.int16)
        parts += [x, np.zeros(4800, np.int16)]
        total += len(x) + 4800
        if total >= seconds * 8000:
            break
    return np.concatenate(parts)[: int(seconds * 8000)]


def run_calls(server: AudioSocketServer, audio: np.ndarray, n: int, realtime: bool) -> float:
    """n simultaneous calls; returns wall seconds until every call was stored."""
    data = audio.astype("<i2").tobytes()
    frames = [encode_frame(KIND_AUDIO, data[i : i + FRAME]) for i in range(0, len(data), FRAME)]
    before = len(server.config.stored)

    def one() -> None:
        with socket.create_connection(server.server_address[:2]) as s:
            s.sendall(encode_frame(KIND_UUID, uuid.uuid4().bytes))
            t0 = time.perf_counter()
            for k, frame in enumerate(frames):
                if realtime:
                    time.sleep(max(0.0, t0 + k * 0.02 - time.perf_counter()))
                s.sendall(frame)
            s.sendall(encode_frame(KIND_HANGUP))

    started = time.perf_counter()
    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    while len(server.config.stored) < before + n:
        time.sleep(0.01)
    return time.perf_counter() - started


def bare_vosk(settings: Settings, audio: np.ndarray, n: int) -> float:
    engine = load_engine(settings, "vosk")
    x16 = resample(audio, 8000)

    def one() -> None:
        stream = engine.stream()
        for i in range(0, len(x16), 320):
            stream.feed(AudioChunk(x16[i : i + 320], start_s=i / 16000))
        stream.finish()

    started = time.perf_counter()
    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--vosk-model", type=Path, required=True)
    parser.add_argument("--whisper", action="store_true", help="also the Whisper figures (slow)")
    parser.add_argument("--draft-runs", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-phone-"))
    base = Settings.from_env(env={}, data_dir=tmp / "data", database_url=f"sqlite:///{tmp}/b.sqlite3", secret_key="b")
    db = make_engine(base.database_url)
    Base.metadata.create_all(db)
    audio = call_audio(args.seconds, tmp / "speech")
    rows = []

    def serve(settings: Settings, jobs: JobQueue | None) -> AudioSocketServer:
        engine = load_engine(settings)
        engine.load()
        config = AudioSocketConfig(settings, session_factory(db), engine, jobs.enqueue_call if jobs else None)
        server = AudioSocketServer("127.0.0.1", 0, config)
        server.start_background()
        return server

    vosk = base.with_(vosk_model=args.vosk_model.resolve(), engine="vosk")
    server = serve(vosk, None)
    bare_s = bare_vosk(vosk, audio, args.calls)
    sock_s = run_calls(server, audio, args.calls, realtime=False)
    rows.append((f"{args.calls} AudioSocket calls vs bare Vosk threads (throughput)", f"{100 * bare_s / sock_s:.0f} %", ">= 90 %"))
    rows.append(("  audio seconds per wall second, bare / AudioSocket", f"{args.calls * args.seconds / bare_s:.1f} / {args.calls * args.seconds / sock_s:.1f}", ">= calls (real time)"))
    server.config.results.clear()
    run_calls(server, audio, args.calls, realtime=True)
    latencies = [v for r in server.config.results.values() for v in r.partial_latencies_s]
    rows.append((f"Vosk partial latency p95, {args.calls} real-time calls", f"{1000 * p95(latencies):.0f} ms", "< 500 ms"))
    server.shutdown()
    server.server_close()

    if args.whisper:
        whisper = base.with_(engine="whisper")
        server = serve(whisper, None)
        run_calls(server, audio, 2, realtime=True)
        delays = [v for r in server.config.results.values() for v in r.final_delays_s]
        rows.append(("Whisper final after segment end p95, 2 real-time calls", f"{p95(delays):.2f} s", "< 2 s"))
        server.shutdown()
        server.server_close()
        long_audio = call_audio(60, tmp / "speech")
        jobs = JobQueue(whisper, engine=db, immediate=True)
        server = serve(whisper, jobs)
        waits = []
        for _ in range(args.draft_runs):
            # Real-time call; the clock starts at hang-up: the draft job runs inside store_call's enqueue.
            server.config.results.clear()
            stored_before = len(server.config.stored)
            t = threading.Thread(target=run_calls, args=(server, long_audio, 1, True))
            t.start()
            time.sleep(60.0)
            hangup = time.perf_counter()
            t.join()
            while len(server.config.stored) == stored_before:
                time.sleep(0.01)
            with session_factory(db)() as s:
                assert s.get(Call, server.config.stored[-1]).draft is not None
            waits.append(time.perf_counter() - hangup)
        rows.append(("Hang-up to draft, 60-s call, Whisper (median)", f"{statistics.median(waits):.1f} s", "< 15 s"))
        server.shutdown()
        server.server_close()

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>10}  {target}")


if __name__ == "__main__":
    main()
