"""Training data for the router: the labelled phrases expanded into caller-style sentences, and ASR-like noise."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import numpy as np

from transcribe.drafting.normalize import WRITTEN_SHORT_FORMS
from transcribe.drafting.router import Router, data_path, fit_router, load_keywords, router_text

ASR_PHRASES = "asr_phrases.jsonl"

OPENERS = [
    "", "", "", "assalamualaikum pak, saya mau lapor", "halo, selamat pagi pak, nggih", "eee nggih, niku pak",
    "mohon maaf mengganggu, saya mau menyampaikan keluhan", "lapor pak bupati", "selamat siang, saya warga",
    "saya mau tanya pak", "mas, anu", "kepada yth bapak kepala dinas,", "saya ingin melaporkan bahwa",
    "mohon perhatiannya pak", "permisi bu, saya mau ngadu", "sugeng enjang pak, kulo badhe matur",
    "pak, warga sini mengeluh", "bapak yang terhormat,",
]
CLOSERS = [
    "", "", "mohon segera ditindaklanjuti", "terima kasih", "matur nuwun pak", "mohon dibantu nggih",
    "mohon informasinya, terima kasih", "sudah lama tidak ada tindakan", "mohon perhatiannya", "tolong segera diperbaiki",
    "sampai sekarang belum ada kabar", "warga sangat resah", "mohon solusinya pak",
]
PLACES = [
    "di desa {desa} kecamatan {kec}", "di {desa}", "di dusun {desa} rt 02 rw 03", "wilayah kecamatan {kec}",
    "dekat balai desa {desa}", "", "", "", "di daerah saya", "di kampung kami",
]


@dataclass(frozen=True)
class Example:
    text: str
    label: str


def read_phrases(path: Path | None = None) -> dict[str, list[str]]:
    """The handwritten phrases per topic key."""
    phrases: dict[str, list[str]] = {}
    topic = None
    for line in (path or data_path("topic_phrases.txt")).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("# "):
            continue
        if line.startswith("## "):
            topic = line[3:].strip()
            phrases[topic] = []
        elif topic:
            phrases[topic].append(line)
    return phrases


def labelled_examples(per_topic: int = 150, seed: int = 7) -> list[Example]:
    """Caller-style sentences built from the phrases with openers, places and closers (deterministic)."""
    from transcribe.drafting.gazetteer import Gazetteer

    rng = random.Random(seed)
    desas = Gazetteer.load().desas
    out: list[Example] = []
    for topic, phrases in read_phrases().items():
        for phrase in phrases:
            out.append(Example(phrase, topic))
        for _ in range(max(0, per_topic - len(phrases))):
            d = rng.choice(desas)
            body = rng.choice(phrases)
            if rng.random() < 0.35:
                body += rng.choice([" dan ", ", ", ". juga ", " terus "]) + rng.choice(phrases)
            place = rng.choice(PLACES).format(desa=d.name, kec=d.kecamatan)
            parts = [rng.choice(OPENERS), body, place, rng.choice(CLOSERS)]
            if rng.random() < 0.5:
                parts[1], parts[2] = parts[2], parts[1]
            out.append(Example(" ".join(p for p in parts if p), topic))
    return out


_CONFUSIONS = [("ng", "n"), ("ny", "n"), ("e", "a"), ("a", "e"), ("i", "e"), ("u", "o"), ("o", "u"), ("k", "g"),
               ("p", "b"), ("t", "d"), ("s", "c"), ("h", ""), ("r", "l"), ("j", "y"), ("f", "p"), ("v", "f")]


def corrupt(text: str, rng: random.Random, rate: float = 0.12) -> str:
    """ASR-like noise: lowercase, no punctuation, letter confusions, split and merged words, dropped words."""
    words = [w.strip(".,!?;:()\"'") for w in text.lower().split()]
    out: list[str] = []
    for w in words:
        if not w:
            continue
        r = rng.random()
        if r < rate * 0.25:
            continue  # dropped
        if r < rate * 0.5 and len(w) >= 6:
            cut = rng.randint(2, len(w) - 2)
            out.extend([w[:cut], w[cut:]])
            continue
        if r < rate * 0.65 and out:
            out[-1] = out[-1] + w
            continue
        if r < rate * 1.6 and len(w) >= 3:
            a, b = rng.choice(_CONFUSIONS)
            if a in w:
                i = w.index(a)
                w = w[:i] + b + w[i + len(a):]
        out.append(w)
    return " ".join(out)


def asr_examples(path: Path | None = None) -> list[Example]:
    """Whisper transcripts of our own phrases spoken at telephone quality (scripts/make_asr_training.py), labelled."""
    path = path or data_path(ASR_PHRASES)
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Example(r["transcript"], r["topic"]) for r in rows if r["transcript"].strip()]


@dataclass(frozen=True)
class AsrNoise:
    """Word and letter confusions learned by aligning our phrases with Whisper's transcripts of them."""

    words: dict[str, list[str]]
    """Said word → what was heard instead ("" when dropped, two words when split)."""
    letters: list[tuple[str, str]]
    """(said letters, heard letters) inside misheard words, one entry per occurrence."""
    word_error: float
    """Share of said words not heard verbatim."""

    def apply(self, text: str, rng: random.Random) -> str:
        """The text as the recognizer might write it."""
        out: list[str] = []
        for w in router_text(text).split():
            if rng.random() >= self.word_error:
                out.append(w)
            elif w in self.words and rng.random() < 0.5:
                out.append(rng.choice(self.words[w]))
            elif rng.random() < 0.15 and out:
                out[-1] += w  # merged with the previous word
            else:
                for _ in range(rng.choice((1, 1, 2))):
                    w = self._confuse(w, rng)
                out.append(w)
        return " ".join(t for t in out if t)

    def _confuse(self, word: str, rng: random.Random) -> str:
        for _ in range(12):
            said, heard = rng.choice(self.letters)
            if said and said in word:
                starts = [i for i in range(len(word)) if word.startswith(said, i)]
                i = rng.choice(starts)
                return word[:i] + heard + word[i + len(said):]
            if not said and word:
                i = rng.randrange(len(word) + 1)
                return word[:i] + heard + word[i:]
        return word


def learn_asr_noise(path: Path | None = None) -> AsrNoise | None:
    """Confusions of the recognizer from asr_phrases.jsonl (our phrases only); None without that file."""
    path = path or data_path(ASR_PHRASES)
    if not path.exists():
        return None
    words: dict[str, list[str]] = {}
    letters: list[tuple[str, str]] = []
    said_total = errors = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        a, b = router_text(row["text"]).split(), router_text(row["transcript"]).split()
        said_total += len(a)
        for op, i1, i2, j1, j2 in SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if op == "equal":
                continue
            errors += i2 - i1
            if op == "delete":
                for w in a[i1:i2]:
                    words.setdefault(w, []).append("")
            elif op == "replace":
                said, heard = " ".join(a[i1:i2]), " ".join(b[j1:j2])
                if i2 - i1 == 1 and j2 - j1 <= 2:
                    words.setdefault(said, []).append(heard)
                for cop, x1, x2, y1, y2 in SequenceMatcher(a=said, b=heard, autojunk=False).get_opcodes():
                    if cop != "equal" and x2 - x1 <= 3 and y2 - y1 <= 3:
                        letters.append((said[x1:x2], heard[y1:y2]))
    if not said_total or not letters:
        return None
    return AsrNoise(words, letters, min(0.6, errors / said_total))


def read_reports(path: Path) -> list[dict]:
    """Rows of routing_dev.jsonl (id, title, text, accept) that training and tuning may see: every one but
    the held-out reports (`heldout.heldout_ids`)."""
    from transcribe.drafting.heldout import heldout_ids

    held = heldout_ids()
    return [r for r in read_all_reports(path) if str(r["id"]) not in held]


def read_all_reports(path: Path) -> list[dict]:
    """Every row of routing_dev.jsonl, the held-out reports too: for making and measuring the held-out set only."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def report_text(row: dict) -> str:
    """What a router sees of a written report: its title and text."""
    return f"{row.get('title', '')}. {row['text']}".strip(". ")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def first_sentence(text: str) -> str:
    """The first sentence of a report longer than 25 characters (what a caller might say of it)."""
    parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n", text) if len(p.strip()) > 25]
    return parts[0] if parts else text.strip()


_SHORT_FORM_RE = re.compile(r"(?<![\w/])(" + "|".join(re.escape(k) for k in sorted(WRITTEN_SHORT_FORMS, key=len, reverse=True))
                            + r")(?:\.(?=\s|$))?(?![\w/])", re.IGNORECASE)


def speakable(text: str) -> str:
    """A typed report as a person would say it: written short forms ("sdh", "Jl.", "yth") said in full."""
    return _SHORT_FORM_RE.sub(lambda m: WRITTEN_SHORT_FORMS[m.group(1).lower()], text)


SPOKEN_WORDS = 60
"""A caller telling a whole report says about this many words (some 25 s at the synthetic voice's pace)."""


def whole_report(text: str, max_words: int = SPOKEN_WORDS) -> str:
    """The report's sentences, in order, while they fit in `max_words` (the first one cut there if longer)."""
    sentences = [p.split() for p in re.split(r"(?<=[.!?])\s+|\n", text) if p.strip()]
    words: list[str] = []
    for sentence in sentences:
        if words and len(words) + len(sentence) > max_words:
            break
        words += sentence
    return " ".join(words[:max_words])


def spoken_texts(reports: list[dict], speech_dev: Path | None, whole: bool = False) -> dict[str, tuple[str, list[str]]]:
    """id → (text to speak, accepted topics).

    whole=False: speech_dev.jsonl's text, else the report's first sentence. whole=True: `whole_report`."""
    out = {}
    if speech_dev is not None and speech_dev.exists() and not whole:
        for line in speech_dev.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out[str(row["id"])] = (row["text"], row["accept"])
    for r in reports:
        out.setdefault(str(r["id"]), (whole_report(r["text"]) if whole else first_sentence(r["text"]), r["accept"]))
    # Control characters (a NUL was seen in one report) cannot be spoken, nor passed to espeak-ng.
    return {k: (" ".join(_CONTROL.sub(" ", text).split()), accept) for k, (text, accept) in out.items()}


def read_heard_reports(*paths: Path | None) -> dict[str, list[str]]:
    """Report id → Whisper transcripts of its spoken forms (scripts/make_asr_training.py --reports [--whole]),
    one from each of these files that exists (its last line for the id); {} if none does.

    Kept outside the repository: the reports name real citizens, and so do their transcripts."""
    out: dict[str, list[str]] = {}
    for path in paths:
        for id_, row in last_rows(path).items():
            if row["transcript"].strip():
                out.setdefault(id_, []).append(row["transcript"])
    return out


def last_rows(path: Path | None) -> dict[str, dict]:
    """Report id → the last line for it in a transcripts file (a remade report supersedes its older line)."""
    if path is None or not path.exists():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {str(row["id"]): row for row in rows}


def training_set(reports: list[dict], *, synthetic_weight: float = 0.5, noise_copies: int = 1,
                 asr_weight: float = 0.5, noise_rate: float = 0.12, heard_copies: int = 2,
                 heard_weight: float = 0.5, heard_reports: Mapping[str, list[str]] | None = None,
                 heard_report_weight: float = 1.0, spoken_copies: int = 0, spoken_weight: float = 0.5,
                 seed: int = 3) -> tuple[list[str], list[str], list[float]]:
    """Texts, labels, weights: reports (first accepted key), labelled examples, noisy copies of both, the
    recognizer's transcripts of the labelled phrases, and of these reports where `heard_reports` has them.

    `spoken_copies`: copies of each report as a caller would say it (its first sentence, or the whole report up
    to 60 words, in turn, short forms said in full) passed through the recognizer confusions learned from our
    own phrases: what the router hears on a call, made without any transcript of the reports."""
    from transcribe.drafting.heldout import heldout_ids

    leaked = sorted(({str(r["id"]) for r in reports} | set(heard_reports or {})) & heldout_ids())
    if leaked:
        raise ValueError(f"held-out reports must never be trained on: {', '.join(leaked[:5])}")
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    weights: list[float] = []
    heard = learn_asr_noise() if heard_copies else None
    for row in reports:
        for _ in range(heard_copies if heard else 0):
            texts.append(heard.apply(report_text(row), rng))  # type: ignore[union-attr]
            labels.append(row["accept"][0])
            weights.append(heard_weight)
        texts.append(report_text(row))
        labels.append(row["accept"][0])
        weights.append(1.0)
        for transcript in (heard_reports or {}).get(str(row["id"]), []):
            texts.append(transcript)
            labels.append(row["accept"][0])
            weights.append(heard_report_weight)
        for k in range(spoken_copies if heard else 0):
            said = speakable(whole_report(row["text"]) if k % 2 == 0 else first_sentence(row["text"]))
            texts.append(heard.apply(said, rng))  # type: ignore[union-attr]
            labels.append(row["accept"][0])
            weights.append(spoken_weight)
        for _ in range(noise_copies):
            texts.append(corrupt(report_text(row), rng, noise_rate))
            labels.append(row["accept"][0])
            weights.append(0.5)
    for ex in labelled_examples():
        texts.append(ex.text)
        labels.append(ex.label)
        weights.append(synthetic_weight)
        if noise_copies and rng.random() < 0.5:
            texts.append(corrupt(ex.text, rng, noise_rate))
            labels.append(ex.label)
            weights.append(synthetic_weight * 0.5)
    if asr_weight > 0:
        for ex in asr_examples():
            texts.append(ex.text)
            labels.append(ex.label)
            weights.append(asr_weight)
    return texts, labels, weights


TODAY_RECIPE: dict[str, Any] = {}
"""The router's training before issue 22 (without the reports' own transcripts, which it also used)."""
SHIPPED_RECIPE: dict[str, Any] = {"spoken_copies": 2, "spoken_weight": 0.7, "train_speech": True}
"""What scripts/train_router.py ships: the reports also as said and misheard (`spoken_copies`), and Whisper's
transcripts of the training reports (data/train_speech.jsonl.gz, none of them held out)."""


def recipe_args(recipe: Mapping[str, Any], reports: list[dict]) -> dict[str, Any]:
    """`train` keywords of a recipe for these reports (`train_speech`: their transcripts, with two other readings)."""
    args = {k: v for k, v in recipe.items() if k != "train_speech"}
    if recipe.get("train_speech"):
        from transcribe.drafting.heldout import train_speech

        ids = {str(r["id"]) for r in reports}
        heard: dict[str, list[str]] = {}
        for r in train_speech():
            if r.id in ids:
                heard.setdefault(r.id, []).extend([r.heard, *r.alternatives[:2]])
        args["heard_reports"] = heard
    return args


def topic_keys() -> list[str]:
    from transcribe.drafting.taxonomy import load_taxonomy

    return [c.key for c in load_taxonomy().categories]


def train(reports: list[dict], **kwargs: Any) -> Router:
    """A router trained on these reports and the labelled examples."""
    c = float(kwargs.pop("c", 1.0))
    balanced = float(kwargs.pop("balanced", 1.0))
    sound = bool(kwargs.pop("sound", True))
    texts, labels, weights = training_set(reports, **kwargs)  # type: ignore[arg-type]
    originals = [report_text(r) for r in reports] + [ex.text for ex in labelled_examples()]
    if kwargs.get("asr_weight", 0.5) > 0:
        originals += [ex.text for ex in asr_examples()]
    heard = kwargs.get("heard_reports") or {}
    originals += [t for r in reports for t in heard.get(str(r["id"]), [])]
    return fit_router(texts, labels, weights, load_keywords()["topics"], topic_keys(), c=c, balanced=balanced,
                      vocabulary_texts=originals, sound=sound)


@dataclass(frozen=True)
class CvResult:
    top1: float
    top3: float
    n: int
    predictions: dict[str, list[str]]
    """Report id → top-3 topics predicted when that report was held out."""


def cross_validate(reports: list[dict], folds: int = 5, seed: int = 0, noisy_eval: bool = False,
                   on_fold: Callable[[Router, set[str]], None] | None = None, **kwargs: Any) -> CvResult:
    """k-fold CV: each report is scored by a router that never saw it.

    `on_fold(router, held_out_ids)` is called with each fold's router, e.g. to route other texts of the
    held-out reports (their spoken versions) with a router that did not see them.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(reports))
    preds: dict[str, list[str]] = {}
    top1 = top3 = 0
    noise = random.Random(seed)
    for f in range(folds):
        test_idx = set(order[f::folds].tolist())
        train_rows = [r for i, r in enumerate(reports) if i not in test_idx]
        router = train(train_rows, **dict(kwargs))
        test_rows = [reports[i] for i in sorted(test_idx)]
        texts = [report_text(r) for r in test_rows]
        if noisy_eval:
            texts = [corrupt(t, noise) for t in texts]
        if on_fold is not None:
            on_fold(router, {str(r["id"]) for r in test_rows})
        d = router.decision(texts)
        for row, scores in zip(test_rows, d):
            ranked = [router.topics[i] for i in np.argsort(-scores)[:3]]
            preds[str(row["id"])] = ranked
            top1 += ranked[0] in row["accept"]
            top3 += any(t in row["accept"] for t in ranked)
    return CvResult(top1 / len(reports), top3 / len(reports), len(reports), preds)
