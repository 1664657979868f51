"""Whisper through faster-whisper: Indonesian, tuned for telephone and radio call-ins.

Whisper has no partial results. Streams are cut into speech segments by the Silero VAD that ships with
faster-whisper, and each segment gives one final as soon as the speaker pauses.
"""

from __future__ import annotations

import csv
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import numpy as np

from models.config import Settings
from transcribe.errors import ModelError
from transcribe.lexicon import load_lexicon
from transcribe.types import TARGET_RATE_HZ, AudioChunk, StreamResult, Transcript, Word

logger = logging.getLogger(__name__)

LANGUAGE = "id"

RANDOM_SEED = 20_240_917
"""Seed of CTranslate2's sampler (temperature fallback), so the same audio always gives the same text."""

# Generic vocabulary of citizen complaints to a regency, in the register callers use. Whisper base knows
# little of local names and agency acronyms; seeing them in the prompt makes it spell them as written.
_DOMAIN_PROMPT = (
    "Laporan warga Kabupaten Bojonegoro untuk SP4N-LAPOR. Selamat pagi Pak, saya mau melapor. "
    "Jalan rusak dan berlubang, lampu penerangan jalan mati, banjir, sampah, air PDAM, listrik PLN, "
    "puskesmas, rumah sakit, BPJS Kesehatan, bantuan sosial, KTP, kartu keluarga, sekolah, guru, "
    "pungutan liar, izin usaha, tambang ilegal, lahan pertanian, pupuk, irigasi, desa, kecamatan"
)


def domain_prompt() -> str:
    """The initial prompt: complaint vocabulary and the 28 kecamatan of Bojonegoro."""
    text = resources.files("models.data").joinpath("bojonegoro_wilayah.csv").read_text(encoding="utf-8")
    kecamatan = sorted({row["kecamatan"] for row in csv.DictReader(text.splitlines())})
    return f"{_DOMAIN_PROMPT} {', '.join(kecamatan)}."


@dataclass(frozen=True)
class WhisperOptions:
    """Decoding and conditioning choices; the defaults are what scripts/bench_engines.py measured best."""

    beam_size: int = 5
    best_of: int = 5
    condition_on_previous_text: bool = False
    """Off: on noisy telephone audio, conditioning on its own output sends Whisper into loops."""
    temperature: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    """Keep the fallback: without it degraded audio ends in repetition loops. It samples, from a generator
    seeded with `RANDOM_SEED` before every recognition, so results are reproducible."""
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float | None = None
    """Off: Silero VAD has already chosen the speech, and with the short encoder context Whisper's own
    no-speech probability runs high on real speech (measured: whole telephone utterances dropped)."""
    initial_prompt: bool = False
    """Prefix the domain prompt (`domain_prompt()`). Measured on telephone audio: no better, and slower."""
    latin_only: bool = True
    """Suppress tokens outside the Latin script: noisy audio otherwise yields stray CJK/Cyrillic words."""
    normalize: bool = False
    """Bring the speech level to `target_dbfs` first. Measured: no gain (Whisper's log-mel is level-robust)."""
    target_dbfs: float = -20.0
    preemphasis: float = 0.0
    """0: off. First-order pre-emphasis coefficient (e.g. 0.97) to lift muffled telephone speech."""
    context_margin_frames: int | None = 100
    """Encode only the audio there is, plus this many 10-ms frames, instead of a window padded to 30 s (the
    `audio_ctx` of whisper.cpp). None: always 30 s. The encoder of a padded window costs 0.9 s of one core
    whatever the segment's length; measured (scripts/bench_engines.py, telephone): CPU per audio second
    0.268 -> 0.126, WER 0.598 -> 0.588."""
    repair_spelling: bool = True
    """Repair words that are rare in Indonesian to a frequent one a letter or two away (transcribe/lexicon.py).
    Measured: see transcribe/lexicon.py (telephone WER 0.588 -> 0.539 on the 33 speech_dev sentences)."""
    vad_min_silence_ms: int = 500
    vad_speech_pad_ms: int = 300
    vad_threshold: float = 0.5
    readings: int = 5
    """Readings kept of each recording from the beam: its best hypotheses (at most `beam_size`), which cost
    no more decoding than the best one. The router averages over all readings: a word Whisper is unsure of
    is often right in another (scripts/bench_drafting.py). 1: the best reading only."""
    drawn_readings: int = 5
    """Readings drawn besides, at `draw_temperature`, from the same encoder output: more varied than the
    beam's, which differ little. Measured on whole reports at telephone quality (scripts/bench_drafting.py):
    routing top-1 63.6 % on the best reading alone, 70.2 % over all readings (in a trial, the beam's alone
    added 1.4 points and the drawn ones 3.4 more). The cost is a second decode of each window, and a model
    reload before each file (its sampler restarts from the seed): CPU per audio second 0.14 -> 0.22
    (scripts/bench_engines.py). 0: none."""
    draw_temperature: float = 0.6
    extra: dict[str, Any] = field(default_factory=dict)
    """More faster-whisper `transcribe()` keywords (experiments)."""


_LATIN_TEXT = re.compile(r"^[\x20-\x7E\u00A0-\u024F\u2018-\u201F\u2026]*$")


def non_latin_tokens(tokenizer: Any, n_text_tokens: int = 50257) -> list[int]:
    """Ids of text tokens that are not Latin script (or are stray UTF-8 byte pieces of such characters)."""
    ids = []
    for token_id in range(n_text_tokens):
        text = tokenizer.decode([token_id])
        if text and not _LATIN_TEXT.match(text):
            ids.append(token_id)
    return ids


def condition_audio(samples: np.ndarray, options: WhisperOptions) -> np.ndarray:
    """16 kHz int16 -> float32 for Whisper: optional pre-emphasis, then speech-level normalisation."""
    x = np.asarray(samples, dtype=np.int16).astype(np.float32) / 32768.0
    if options.preemphasis > 0 and len(x):
        x = np.append(x[:1], x[1:] - options.preemphasis * x[:-1])
    if options.normalize and len(x):
        x = x - float(np.mean(x))
        level, peak = _speech_rms(x), float(np.abs(x).max())
        if level > 1e-5:
            # Never clip: distorted peaks cost more than a quiet level.
            gain = min(10 ** (options.target_dbfs / 20) / level, 0.95 / peak, 30.0)
            x = x * np.float32(gain)
    return x


def _speech_rms(x: np.ndarray) -> float:
    """RMS over the loudest 20 ms frames (about where speech is), ignoring pauses."""
    frame = TARGET_RATE_HZ // 50
    n = len(x) // frame
    if n == 0:
        return float(np.sqrt(np.mean(x**2)))
    energies = np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1)
    loud = energies[energies >= np.percentile(energies, 50)]
    return float(np.sqrt(np.mean(loud)))


DRAW_LENGTH_FACTOR = 1.5
"""A live segment's drawn readings stop at this many times its best reading's tokens."""


class _SamplingWatch:
    """Stands in for the CTranslate2 Whisper model inside `WhisperModel`; notes when a decode samples.

    CTranslate2 draws samples from a generator per worker thread, seeded from `set_random_seed()` only when
    the thread first samples: seeding again later has no effect. To restart the sampler before a
    transcription the model is reloaded (a new worker thread), which is only needed after one that sampled.

    It also gathers other readings while `readings.windows` is set: beam search returns its `hypotheses`
    best (faster-whisper asks for one and keeps the first), and beside each beam search `samples` readings
    are drawn at `temperature` from the same encoder output.
    """

    def __init__(self, model: Any, readings: _Readings | None = None, hypotheses: int = 1,
                 samples: int = 0, temperature: float = 0.6) -> None:
        self.model = model
        self.readings = readings or _Readings()
        self.hypotheses = hypotheses
        self.samples = samples
        self.temperature = temperature
        self.sampled = False
        self.fell_back = False
        """The temperature fallback sampled (drawing readings samples too, but is not a fallback)."""

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("sampling_topk", 1) != 1:
            self.sampled = self.fell_back = True
            return self.model.generate(*args, **kwargs)
        kwargs.setdefault("num_hypotheses", max(1, min(self.hypotheses, kwargs.get("beam_size", 1))))
        results = self.model.generate(*args, **kwargs)
        if self.samples and self.readings.windows is not None:
            draw = {**kwargs, "beam_size": 1, "num_hypotheses": self.samples, "sampling_topk": 0,
                    "sampling_temperature": self.temperature}
            draw.pop("patience", None)
            if self.readings.defer:
                # The encoder output stays held by the closure until the stream has time to draw. A sample
                # may loop to Whisper's 448 tokens (seconds of decoding, measured: a live call's next final
                # 6 s late): a reading is not let run much longer than the beam's.
                longest = max((len(ids) for ids in results[0].sequences_ids), default=0)
                limit = len(args[1][0]) + int(DRAW_LENGTH_FACTOR * longest) + 8
                draw["max_length"] = min(draw.get("max_length", limit), limit)
                self.readings.drawn = _Later(lambda: self._draw(args, draw))
            else:
                self.readings.drawn = self._draw(args, draw)
        return results

    def _draw(self, args: tuple, draw: dict[str, Any]) -> Any:
        self.sampled = True
        return self.model.generate(*args, **draw)[0]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)


class _Readings(threading.local):
    """What Whisper heard in each 30-s window, per thread (live segments decode on several threads at
    once): the hypotheses of the decode it kept, and the readings drawn beside a beam search it kept.
    `windows` is None outside a decode."""

    windows: list[tuple[list[str], list[str]]] | None = None
    drawn: Any = None
    """The samples drawn beside the last beam search (or a `_Later` that draws them), until its window is noted."""
    defer: bool = False
    """Live segments: the draws are not made during the decode but noted in `later`, to be made once the
    final is out (`WhisperEngine.recognize_segment`)."""
    later: list[tuple[int, _Later, Any]] | None = None
    """(window index, the draw, its tokenizer) of each draw left for later."""


@dataclass
class _Later:
    """A draw of other readings left for later: it keeps the window's encoder output until then."""

    draw: Callable[[], Any]


def _keep_hypotheses(model: Any, readings: _Readings) -> None:
    """Wrap `WhisperModel.generate_with_fallback` (one call per window, returning the decode it kept) so
    that every hypothesis of that decode is noted, not only the first."""
    inner = model.generate_with_fallback

    def generate_with_fallback(encoder_output: Any, prompt: list[int], tokenizer: Any, options: Any) -> Any:
        readings.drawn = None
        decoded = inner(encoder_output, prompt, tokenizer, options)
        if readings.windows is not None:
            result, _, temperature, _ = decoded
            # samples drawn beside a beam search that the fallback then rejected are not of the kept decode
            drawn = readings.drawn if temperature == 0 else None
            if isinstance(drawn, _Later):  # drawn once the final is out (`recognize_segment`)
                readings.later.append((len(readings.windows), drawn, tokenizer))
                drawn = None
            readings.windows.append(([tokenizer.decode(ids).strip() for ids in result.sequences_ids],
                                     [tokenizer.decode(ids).strip() for ids in drawn.sequences_ids] if drawn is not None else []))
        readings.drawn = None
        return decoded

    model.generate_with_fallback = generate_with_fallback


def other_readings(windows: list[tuple[list[str], list[str]]], best: str) -> list[str]:
    """The readings of a recording other than `best`, without repeats: first the beam's (the k-th joins
    the k-th hypothesis of every window; a window with fewer repeats its last), then the drawn ones (the
    k-th joins every window's k-th sample, or its best hypothesis where it has none)."""
    windows = [(hypotheses, drawn) for hypotheses, drawn in windows if hypotheses]
    readings = [" ".join(h[min(k, len(h) - 1)] for h, _ in windows)
                for k in range(1, max((len(h) for h, _ in windows), default=0))]
    readings += [" ".join(d[k] if k < len(d) else h[0] for h, d in windows)
                 for k in range(max((len(d) for _, d in windows), default=0))]
    seen = {" ".join(best.split())}
    out: list[str] = []
    for reading in readings:
        key = " ".join(reading.split())
        if key and key not in seen:
            seen.add(key)
            out.append(reading.strip())
    return out


class _ShortContextEncoder:
    """Wraps `WhisperModel.encode`: drops the zero frames faster-whisper pads a window with (its
    `pad_or_trim`), keeping `margin` of them, so a 5-s segment is encoded as 6 s rather than 30 s.

    The encoder's cost grows with its input; the decoder attends to what is left. Windows without padding
    (long recordings) pass unchanged."""

    STEP = 100
    """Round the kept length up to whole seconds, so few distinct shapes reach CTranslate2."""

    def __init__(self, encode: Any, margin: int) -> None:
        self._encode = encode
        self._margin = margin

    def __call__(self, features: np.ndarray) -> Any:
        batch = features if features.ndim == 3 else features[None]
        frames = batch.shape[-1]
        used = np.flatnonzero(np.any(batch != 0, axis=(0, 1)))
        content = int(used[-1]) + 1 if len(used) else 0
        keep = min(frames, -(-(content + self._margin) // self.STEP) * self.STEP)
        if keep < frames:
            batch = np.ascontiguousarray(batch[:, :, :keep])
        return self._encode(batch)


PARTIAL_TOKENS_PER_S = 8
"""Most tokens a partial re-read may produce per second of audio (fast Indonesian speech needs about 6)."""


class WhisperEngine:
    """A faster-whisper model directory, loaded once per process."""

    name = "whisper"
    language: str | None = LANGUAGE

    def __init__(
        self,
        model_dir: Path | None,
        models_dir: Path | None = None,
        *,
        compute_type: str = "int8",
        cpu_threads: int = 1,
        workers: int = 1,
        options: WhisperOptions | None = None,
    ) -> None:
        if model_dir is None and models_dir is None:
            raise ValueError("give a model directory or the models directory for the bundled model")
        self._model_dir = Path(model_dir) if model_dir else None
        self._models_dir = Path(models_dir) if models_dir else None
        self.model_name = self._model_dir.name if self._model_dir else "whisper-base"
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.workers = max(workers, 1)
        self.options = options or WhisperOptions()
        self._prompt = domain_prompt() if self.options.initial_prompt else None
        self._model: Any = None
        self._live: Any = None
        self._suppress: list[int] = [-1]
        self._lock = threading.Lock()
        self._decode_lock = threading.Lock()
        """Whole recordings (which may sample) one at a time, so each starts from the seeded sampler; live
        segments decode at temperature 0 without it, up to `workers` at once."""
        self._watch: _SamplingWatch | None = None
        self._readings = _Readings()
        self.load_s: float | None = None
        self.sampler_resets = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> WhisperEngine:
        """The engine the settings describe (bundled base model unless SUARA_WHISPER_MODEL is set)."""
        return cls(
            settings.whisper_model,
            settings.models_dir,
            compute_type=settings.whisper_compute_type,
            cpu_threads=settings.cpu_threads,
            workers=settings.whisper_workers,
            options=WhisperOptions(beam_size=settings.whisper_beam, best_of=max(settings.whisper_beam, 1),
                                   drawn_readings=settings.whisper_drawn_readings),
        )

    @property
    def model_dir(self) -> Path:
        """The model directory, joining the bundled model on first call when none was configured."""
        if self._model_dir is None:
            from transcribe.whisper_model import ensure_bundled_whisper

            self._model_dir = ensure_bundled_whisper(self._models_dir)  # type: ignore[arg-type]
        return self._model_dir

    def load(self) -> Any:
        """Load the model now (otherwise the first recognition does); returns the `WhisperModel` of files."""
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                started = time.perf_counter()
                model = self._load_model(workers=1)
                if self.options.latin_only:
                    self._suppress = [-1, *non_latin_tokens(model.hf_tokenizer)]
                self._watch = model.model
                if self.options.repair_spelling:
                    load_lexicon()  # about 1 s: now, not in the first call's first sentence
                self._model = model
                self.load_s = time.perf_counter() - started
                logger.info("Whisper model %s (%s) loaded in %.1f s", self.model_dir, self.compute_type, self.load_s)
        return self._model

    def live_model(self) -> Any:
        """The `WhisperModel` of live segments: `workers` replicas sharing one copy of the weights, so two
        calls that end a sentence together are decoded side by side. Files use a one-worker model instead:
        the temperature fallback samples, and with two workers which one's generator draws (and so the text)
        would depend on timing."""
        files = self.load()
        if self.workers == 1:
            return files
        if self._live is None:
            with self._lock:
                if self._live is None:
                    self._live = self._load_model(self.workers)
        return self._live

    def _load_model(self, workers: int) -> Any:
        model_dir = self.model_dir
        if not (model_dir / "model.bin").is_file():
            raise ModelError(f"{model_dir} is not a faster-whisper model directory (no model.bin)")
        from faster_whisper import WhisperModel

        try:
            # A directory, never a size name: a name would make faster-whisper download weights.
            model = WhisperModel(
                str(model_dir), device="cpu", compute_type=self.compute_type,
                cpu_threads=self.cpu_threads, num_workers=workers, local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"faster-whisper could not load {model_dir}: {exc}") from exc
        if self.options.context_margin_frames is not None:
            model.encode = _ShortContextEncoder(model.encode, self.options.context_margin_frames)
        opts = self.options
        model.model = _SamplingWatch(model.model, self._readings, opts.readings, opts.drawn_readings, opts.draw_temperature)
        _keep_hypotheses(model, self._readings)
        return model

    @property
    def suppress_tokens(self) -> list[int]:
        """Token ids Whisper may not emit (-1: its default set of symbols), once loaded."""
        return list(self._suppress)

    def stream(self, readings: bool = True) -> WhisperStream:
        """A new stream: finals per speech segment; `readings=False`: without the drawn readings (a second
        decode of each sentence)."""
        return WhisperStream(self, readings)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        """Recognise a whole recording (16 kHz mono int16)."""
        started = time.perf_counter()
        samples = np.asarray(samples, dtype=np.int16)
        text, words, alternatives = self.recognize(samples, vad=True)
        return Transcript(
            engine=self.name,
            model=self.model_name,
            language=self.language,
            text=text,
            words=words,
            alternatives=alternatives,
            duration_s=len(samples) / TARGET_RATE_HZ,
            processing_s=time.perf_counter() - started,
        )

    def recognize(self, samples: np.ndarray, offset_s: float = 0.0, vad: bool = True) -> tuple[str, list[Word], list[str]]:
        """Text, words and other readings (`other_readings`) of 16 kHz int16 audio; word times shifted by
        `offset_s`. Live segments use `recognize_segment` instead."""
        if len(samples) == 0:
            return "", [], []
        opts = self.options
        audio = condition_audio(samples, opts)
        model = self.load()
        with self._decode_lock:
            self._reset_sampler()
            return self._decode(model, audio, offset_s, vad, opts.temperature)

    def partial(self, samples: np.ndarray) -> str:
        """A quick reading of speech still going on (live partial text; it may change): greedy, at
        temperature 0, without word times or other readings, on the live model."""
        if len(samples) == 0:
            return ""
        # Greedy decoding of a cut-off sentence loops easily ("untuk menarik. untuk menarik. …"), and a loop
        # runs to Whisper's 448 tokens: no repeated trigrams, and no more tokens than speech could hold.
        # No no-speech gate: the VAD heard speech, and the opening of a sentence cut off mid-word often
        # scores as "no speech" with a low log-probability, which dropped half of all partials.
        seconds = len(samples) / TARGET_RATE_HZ
        segments, _info = self.live_model().transcribe(
            condition_audio(samples, self.options), language=LANGUAGE, beam_size=1, best_of=1, temperature=[0.0],
            condition_on_previous_text=False, initial_prompt=self._prompt, suppress_tokens=self._suppress,
            without_timestamps=True, word_timestamps=False, vad_filter=False,
            no_repeat_ngram_size=3, max_new_tokens=int(PARTIAL_TOKENS_PER_S * seconds) + 8,
            no_speech_threshold=None,
        )
        text = " ".join(segment.text.strip() for segment in segments if segment.text.strip())
        return load_lexicon().repair(text) if self.options.repair_spelling else text

    def _reset_sampler(self) -> None:
        """Seed the sampler of the temperature fallback: the same audio gives the same text in any order."""
        import ctranslate2

        ctranslate2.set_random_seed(RANDOM_SEED)
        watch = self._watch
        if watch is not None:
            watch.fell_back = False
        if watch is not None and watch.sampled:
            # The worker thread's generator has moved on and cannot be reseeded: a fresh model (about
            # 0.3 s of CPU for base int8) gets a new one, seeded above, on its first sample. The old one
            # goes first, so that two copies of the weights are never held at once.
            watch.model = None
            watch.model = ctranslate2.models.Whisper(
                str(self.model_dir), device="cpu", compute_type=self.compute_type,
                intra_threads=self.cpu_threads, inter_threads=1,
            )
            watch.sampled = False
            self.sampler_resets += 1

    def recognize_segment(self, samples: np.ndarray, offset_s: float) -> tuple[str, list[Word], list[str], Callable[[], list[str]] | None]:
        """A live segment, on the live model at temperature 0 only (the fallback costs 4x on poor audio;
        deterministic without the lock), without waiting for the drawn readings: text, words, the beam's
        other readings, and a function that makes the draws (from the encoder output kept until then) and
        returns every other reading, None when there is nothing to draw. The final goes out a decode sooner
        (scripts/bench_phone.py measures it); the caller draws when it has time."""
        if len(samples) == 0:
            return "", [], [], None
        later: list[tuple[int, _Later, Any]] = []
        text, words, windows = self._decode_windows(self.live_model(), condition_audio(samples, self.options),
                                                    offset_s, False, self.options.temperature[:1], later)
        if not later:
            return text, words, other_readings(windows, text), None
        repair = load_lexicon().repair if self.options.repair_spelling else (lambda text: text)

        def draw() -> list[str]:
            for index, pending, tokenizer in later:
                drawn = pending.draw()
                windows[index] = (windows[index][0], [repair(tokenizer.decode(ids).strip()) for ids in drawn.sequences_ids])
            later.clear()
            return other_readings(windows, text)

        return text, words, other_readings(windows, text), draw

    def _decode(
        self, model: Any, audio: np.ndarray, offset_s: float, vad: bool, temperature: tuple[float, ...]
    ) -> tuple[str, list[Word], list[str]]:
        text, words, windows = self._decode_windows(model, audio, offset_s, vad, temperature)
        return text, words, other_readings(windows, text)

    def _decode_windows(
        self, model: Any, audio: np.ndarray, offset_s: float, vad: bool, temperature: tuple[float, ...],
        later: list[tuple[int, _Later, Any]] | None = None,
    ) -> tuple[str, list[Word], list[tuple[list[str], list[str]]]]:
        """Text, words and each window's (hypotheses, drawn readings), spelling repaired; with `later`, the
        draws are not made but noted there."""
        opts = self.options
        readings = self._readings
        readings.windows, readings.defer, readings.later = [], later is not None, later
        try:
            text, words = self._segments(model, audio, offset_s, vad, temperature)
            windows = readings.windows
        finally:
            readings.windows, readings.defer, readings.later = None, False, None
        repair = load_lexicon().repair if opts.repair_spelling else (lambda text: text)
        return text, words, [([repair(h) for h in hypotheses], [repair(d) for d in drawn]) for hypotheses, drawn in windows]

    def _segments(
        self, model: Any, audio: np.ndarray, offset_s: float, vad: bool, temperature: tuple[float, ...]
    ) -> tuple[str, list[Word]]:
        opts = self.options
        segments, _info = model.transcribe(
            audio,
            language=LANGUAGE,
            beam_size=opts.beam_size,
            best_of=opts.best_of,
            temperature=list(temperature),
            compression_ratio_threshold=opts.compression_ratio_threshold,
            log_prob_threshold=opts.log_prob_threshold,
            no_speech_threshold=opts.no_speech_threshold,
            condition_on_previous_text=opts.condition_on_previous_text,
            initial_prompt=self._prompt,
            suppress_tokens=self._suppress,
            word_timestamps=True,
            vad_filter=vad,
            vad_parameters=self.vad_parameters() if vad else None,
            **opts.extra,
        )
        repair = load_lexicon().repair if opts.repair_spelling else (lambda text: text)
        texts: list[str] = []
        words: list[Word] = []
        for segment in segments:
            if segment.text.strip():
                texts.append(repair(segment.text.strip()))
            for w in segment.words or []:
                if w.word.strip():
                    words.append(Word(repair(w.word.strip()), float(w.start) + offset_s, float(w.end) + offset_s, float(w.probability)))
        return " ".join(texts), words

    def vad_parameters(self) -> dict[str, Any]:
        """Silero VAD settings for whole files."""
        return {
            "threshold": self.options.vad_threshold,
            "min_silence_duration_ms": self.options.vad_min_silence_ms,
            "speech_pad_ms": self.options.vad_speech_pad_ms,
        }


class StreamingVad:
    """Silero VAD over consecutive blocks of one stream: the LSTM state and the 64-sample context carry over.

    faster-whisper's `SileroVADModel.__call__` starts from a zero state on every call; called per block,
    it misses most speech (measured: 3-8 % speech instead of 55 % on a phone call)."""

    CONTEXT = 64

    def __init__(self, model: Any) -> None:
        self._session = model.session
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(self.CONTEXT, dtype=np.float32)

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        """Speech probability of each 512-sample window of `windows` (float32, a multiple of 512 long)."""
        batch = windows.reshape(-1, WhisperStream.WINDOW)
        context = np.concatenate([self._context[None], batch[:-1, -self.CONTEXT :]])
        out, self._h, self._c = self._session.run(
            None, {"input": np.concatenate([context, batch], axis=1), "h": self._h, "c": self._c}
        )
        self._context = batch[-1, -self.CONTEXT :].copy()
        return out.reshape(-1)


class WhisperStream:
    """Buffers a call and recognises each speech segment when the speaker pauses.

    Speech probability comes from Silero VAD on 32 ms windows as audio arrives; a segment ends after
    `vad_min_silence_ms` of silence, or is cut at `max_segment_s`.
    """

    WINDOW = 512
    """Silero VAD window at 16 kHz."""
    max_segment_s = 25.0
    """Whisper sees 30 s at a time; cut long monologues before that."""
    partial_every_s = 0.7
    """While someone speaks, the open segment is re-read this often (of stream time) for partial text. A
    re-read takes 0.15-0.35 s at two calls, so text at this pace is never more than a second behind the
    speaker (one a second came to 0.74 partials per second of speech: the first only after a full second)."""
    partial_min_s = 0.6
    partial_max_s = 12.0
    """Longer open segments get no more partials: each re-read costs more, and the final is near."""
    partial_max_lag_s = 0.5
    """No re-read while recognition is this far behind the audio: finals first."""
    partial_share = 0.35
    """At most this share of a stream's time goes to re-reading it."""
    _partial_slot = threading.BoundedSemaphore(1)
    """One partial re-read at a time in the process, skipped when busy: partials never queue up behind
    each other or delay finals, whatever the number of calls (the budget)."""

    def __init__(self, engine: WhisperEngine, readings: bool = True) -> None:
        from faster_whisper.vad import get_vad_model

        self._engine = engine
        self._draws = readings
        """Whether finals get their drawn readings (the engine's `_readings` is what a decode collects)."""
        engine.live_model()  # loaded when the call starts, not when its first sentence ends
        self._vad = StreamingVad(get_vad_model())
        opts = engine.options
        self._threshold = opts.vad_threshold
        self._neg_threshold = max(opts.vad_threshold - 0.15, 0.01)
        self._min_silence = opts.vad_min_silence_ms * TARGET_RATE_HZ // 1000
        self._pad = opts.vad_speech_pad_ms * TARGET_RATE_HZ // 1000
        self._max_segment = int(self.max_segment_s * TARGET_RATE_HZ)
        self._buffer = np.zeros(0, dtype=np.int16)
        self._buffer_start = 0
        """Stream sample index of _buffer[0]."""
        self._analysed = 0
        """Stream samples already given to the VAD."""
        self._speech_start: int | None = None
        self._silence_start: int | None = None
        self._offset_s: float | None = None
        self._finished = False
        self._partial_at = 0
        """Stream sample position the last partial was read up to."""
        self._partial_gap = int(self.partial_every_s * TARGET_RATE_HZ)
        self.clock = time.perf_counter
        """Wall clock (seconds); partials are re-read only for audio that comes in real time."""
        self._wall_zero: float | None = None
        self._first_chunk_s = 0.0
        self._undrawn: list[tuple[StreamResult, Callable[[], list[str]]]] = []
        """Finals sent out before their drawn readings: drawn when the speaker pauses, or by `settle`."""

    def feed(self, chunk: AudioChunk) -> list[StreamResult]:
        """Accept 16 kHz mono int16 audio; a final for every segment that ended in it."""
        if self._finished:
            raise RuntimeError("stream already finished")
        if self._offset_s is None:
            self._offset_s = chunk.start_s
            self._wall_zero = self.clock()
            self._first_chunk_s = len(chunk.samples) / TARGET_RATE_HZ
        self._buffer = np.concatenate([self._buffer, np.asarray(chunk.samples, dtype=np.int16)])
        results: list[StreamResult] = []
        end = self._buffer_start + len(self._buffer)
        n_windows = (end - self._analysed) // self.WINDOW
        if n_windows == 0:
            return results
        start = self._analysed - self._buffer_start
        windows = self._buffer[start : start + n_windows * self.WINDOW].astype(np.float32) / 32768.0
        probs = self._vad(windows)
        for i, p in enumerate(probs):
            position = self._analysed + i * self.WINDOW
            self._step(float(p), position, results)
        self._analysed += n_windows * self.WINDOW
        if self._speech_start is None:
            self._drop_before(self._analysed - self._pad)
            if not results and self._behind_s() <= self.partial_max_lag_s:
                self._draw(1)  # the speaker pauses: one final's drawn readings, never before a final goes out
        elif not results:
            self._partial(results)
        return results

    def _draw(self, count: int | None = None) -> None:
        """Make the drawn readings of the oldest `count` (None: all) finals sent without them."""
        for result, draw in self._undrawn[:count]:
            result.alternatives[:] = draw()
        del self._undrawn[:count]

    def _partial(self, results: list[StreamResult]) -> None:
        """Re-read the open segment when it has grown by `partial_every_s`, if the process has a slot free."""
        if self._speech_start is None or self._silence_start is not None:
            return  # the speaker has paused: the final is near, and a re-read now would only delay it
        if not -0.3 <= self._behind_s() <= self.partial_max_lag_s:
            return  # audio faster than real time (a file: nobody watches), or recognition already lagging
        length = self._analysed - self._speech_start
        if (self._analysed - max(self._partial_at, self._speech_start) < self._partial_gap
                or not self.partial_min_s * TARGET_RATE_HZ <= length <= self.partial_max_s * TARGET_RATE_HZ):
            return
        if not self._partial_slot.acquire(blocking=False):
            return
        try:
            started = time.perf_counter()
            lo = max(self._speech_start - self._pad, self._buffer_start)
            text = self._engine.partial(self._buffer[lo - self._buffer_start : self._analysed - self._buffer_start])
            cost = time.perf_counter() - started
        finally:
            self._partial_slot.release()
        self._partial_at = self._analysed
        # a slow machine reads less often: at most `partial_share` of the stream's time goes to re-reading
        self._partial_gap = max(int(self.partial_every_s * TARGET_RATE_HZ), int(cost / self.partial_share * TARGET_RATE_HZ))
        if text:
            results.append(StreamResult(text=text, final=False))

    def _behind_s(self) -> float:
        """How far recognition is behind the audio's real time (negative: the audio comes faster than that).
        The first chunk arrived when its audio was over: the clock starts at its end."""
        if self._wall_zero is None:
            return 0.0
        return (self.clock() - self._wall_zero) - (self._analysed / TARGET_RATE_HZ - self._first_chunk_s)
    def finish(self) -> list[StreamResult]:
        """End of audio: recognise the segment still open."""
        if self._finished:
            return []
        self._finished = True
        results: list[StreamResult] = []
        if self._speech_start is not None:
            end = self._buffer_start + len(self._buffer)
            self._emit(self._speech_start, end, results)
        self._buffer = np.zeros(0, dtype=np.int16)
        return results

    def settle(self) -> None:
        """Make the drawn readings still left for later, after the last final went out."""
        self._draw()

    def _step(self, prob: float, position: int, results: list[StreamResult]) -> None:
        if self._speech_start is None:
            if prob >= self._threshold:
                self._speech_start = position
                self._silence_start = None
            return
        if prob >= self._threshold:
            self._silence_start = None
        elif prob < self._neg_threshold and self._silence_start is None:
            self._silence_start = position
        if self._silence_start is not None and position + self.WINDOW - self._silence_start >= self._min_silence:
            self._emit(self._speech_start, self._silence_start, results)
            self._speech_start = self._silence_start = None
        elif position + self.WINDOW - self._speech_start >= self._max_segment:
            self._emit(self._speech_start, position + self.WINDOW, results)
            self._speech_start, self._silence_start = position + self.WINDOW, None

    def _emit(self, speech_start: int, speech_end: int, results: list[StreamResult]) -> None:
        lo = max(speech_start - self._pad, self._buffer_start)
        hi = min(speech_end + self._pad, self._buffer_start + len(self._buffer))
        audio = self._buffer[lo - self._buffer_start : hi - self._buffer_start]
        zero = self._offset_s or 0.0
        text, words, alternatives, draw = self._engine.recognize_segment(audio, offset_s=zero + lo / TARGET_RATE_HZ)
        if text:
            # The segment's times are the speech the VAD heard, not the padding around it: a final's
            # delay counts from when the speaker stopped.
            final = StreamResult(text=text, final=True, words=words, alternatives=alternatives,
                                 start_s=zero + speech_start / TARGET_RATE_HZ, end_s=zero + speech_end / TARGET_RATE_HZ)
            results.append(final)
            if draw is not None and self._draws:
                self._undrawn.append((final, draw))
        self._drop_before(speech_end)

    def _drop_before(self, position: int) -> None:
        cut = position - self._buffer_start
        if cut > 0:
            self._buffer = self._buffer[cut:]
            self._buffer_start = position
