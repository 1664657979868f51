"""Learning from confirmed complaints: a regency layer on the shipped router, versioned, switched only when not worse.

Each confirmed complaint is a labelled example of how the regency's citizens speak and how the recognizer
mishears them: its heard transcript and other readings, the operator's corrected transcript, and the confirmed
topic. `learn` fits a linear layer on these in the shipped router's own feature space and adds its scores to
the shipped router's, with a weight chosen on the newest of the training complaints themselves (0 leaves the
shipped router as it is). The candidate is measured on the newest `EVAL_SHARE` of confirmed complaints, which
it was not trained on, and on the shipped held-out speech set (`heldout.heldout_speech`); it becomes the active
router only when it is not worse than the active one on either. Every candidate is kept as a version with its
figures, and an admin can switch back to any version, or to the shipped router.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
from rapidfuzz import fuzz
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from transcribe.drafting.normalize import normalize
from transcribe.drafting.router import Router, load_router, router_text

log = logging.getLogger(__name__)

EVAL_SHARE = 0.2
"""Share of confirmed complaints, the newest, that a candidate is measured on and not trained on."""
MIN_EVAL = 5
"""Fewer confirmed complaints than this in the newest share: nothing to measure there (held-out set only)."""
LAYER_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)
"""Weights of the regency layer against the shipped router tried; chosen on the newest training complaints."""
LAYER_C = 0.5
MAX_ALTERNATIVES = 2
"""Other readings of a complaint used as training rows (its heard and corrected transcripts always are)."""
MANY_COMPLAINTS = 3000
"""From this many complaints on, other readings are left out of training (the heard and corrected ones suffice,
and a nightly retrain stays within minutes)."""
SHIPPED = "bawaan"
"""The version name of the router shipped with the software."""
KEEP_VERSIONS = 14
"""Versions kept after a retrain (besides the active one): two weeks of nightly ones to switch back to. Each
is about 4 MB (the base router is kept with its layer); a year of them would fill the data disk."""


@dataclass(frozen=True)
class Example:
    """One confirmed complaint as a training or evaluation example."""

    key: str
    """Stable id (the complaint's id)."""
    confirmed_at: datetime
    heard: str
    """What the recognizer wrote ("" for a typed complaint)."""
    alternatives: tuple[str, ...]
    corrected: str
    """The operator's corrected transcript (the heard one when not corrected; the text of a typed complaint)."""
    topic: str
    agency: str | None = None


@dataclass
class Layer:
    """A linear model over the regency's own word and character n-grams (its place names, its words, the
    recognizer's ways of mishearing them), which the shipped router's vocabulary does not have."""

    word_vec: TfidfVectorizer
    char_vec: TfidfVectorizer
    model: LinearSVC

    def features(self, texts: list[str]) -> sparse.csr_matrix:
        rt = [router_text(t) for t in texts]
        return sparse.hstack([self.word_vec.transform(rt), self.char_vec.transform(rt)]).tocsr()

    def scores(self, texts: list[str], topics: list[str]) -> np.ndarray:
        """Decision values on the router's topic columns; topics it never saw get -1 (a clear no)."""
        return _on_topics(self.model, self.model.decision_function(self.features(texts)), topics)


def _on_topics(model: LinearSVC, d: np.ndarray, topics: list[str]) -> np.ndarray:
    if d.ndim == 1:
        d = np.column_stack([-d, d])
    out = np.full((d.shape[0], len(topics)), -1.0)
    index = {t: i for i, t in enumerate(topics)}
    for j, c in enumerate(model.classes_):
        if str(c) in index:
            out[:, index[str(c)]] = d[:, j]
    return out


@dataclass
class LearnedRouter(Router):
    """The shipped router plus a regency layer: scores = router's + `weight` × layer's."""

    layer: Layer | None = None
    weight: float = 0.0
    version: str = SHIPPED

    @classmethod
    def on(cls, base: Router, layer: Layer | None = None, weight: float = 0.0, version: str = SHIPPED) -> LearnedRouter:
        """`base` (a plain Router, or the base of a LearnedRouter) with this layer."""
        parts = {f.name: getattr(base, f.name) for f in fields(Router)}
        return cls(**parts, layer=layer, weight=weight, version=version)

    def decision(self, texts: list[str], unsure: list[frozenset[str]] | None = None) -> np.ndarray:
        d = self.model.decision_function(self.features(texts, unsure))
        if self.layer is not None and self.weight:
            d = d + self.weight * self.layer.scores(texts, self.topics)
        return d


def training_rows(examples: Sequence[Example]) -> tuple[list[str], list[str], list[float]]:
    """Texts, topics and weights: each complaint's heard and corrected transcripts, and a few of its other readings."""
    texts: list[str] = []
    labels: list[str] = []
    weights: list[float] = []
    alternatives = MAX_ALTERNATIVES if len(examples) < MANY_COMPLAINTS else 0
    for ex in examples:
        rows = [(ex.heard, 1.0)] if ex.heard.strip() else []
        if ex.corrected.strip() and ex.corrected != ex.heard:
            rows.append((ex.corrected, 1.0))
        rows += [(a, 0.5) for a in ex.alternatives[:alternatives] if a.strip()]
        for text, weight in rows:
            texts.append(normalize(text).text)
            labels.append(ex.topic)
            weights.append(weight)
    return texts, labels, weights


def _fit_layer(texts: list[str], labels: list[str], weights: list[float]) -> Layer | None:
    """A layer on these rows; None when they name fewer than two topics."""
    if len(set(labels)) < 2:
        return None
    rt = [router_text(t) for t in texts]
    # n-grams of at least two complaints: a caller's name, said once, is not learned
    min_df = 2 if len(set(rt)) >= 20 else 1
    word_vec = TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True, max_features=50000)
    char_vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=min_df, sublinear_tf=True,
                               max_features=100000)
    distinct = sorted(set(rt))
    word_vec.fit(distinct)
    char_vec.fit(distinct)
    word_vec.stop_words_ = None
    char_vec.stop_words_ = None
    X = sparse.hstack([word_vec.transform(rt), char_vec.transform(rt)]).tocsr()
    counts = {t: labels.count(t) for t in set(labels)}
    mean = len(labels) / len(counts)
    model = LinearSVC(C=LAYER_C, class_weight={t: mean / n for t, n in counts.items()}, max_iter=2000, random_state=0)
    model.fit(X, labels, sample_weight=np.asarray(weights))
    return Layer(word_vec, char_vec, model)


def fit(base: Router, examples: Sequence[Example], version: str = "") -> LearnedRouter:
    """A candidate: `base` plus a layer fitted on `examples`, with the weight that routes held-back ones best."""
    base = LearnedRouter.on(base)
    examples = sorted(examples, key=lambda e: (e.confirmed_at, e.key))
    texts, labels, weights = training_rows(examples)
    if len(set(labels)) < 2:
        return LearnedRouter.on(base, version=version)
    weight = _choose_weight(base, examples)
    layer = _fit_layer(texts, labels, weights) if weight else None
    return LearnedRouter.on(base, layer, weight if layer is not None else 0.0, version)


WEIGHT_FOLDS = 5


def _choose_weight(base: LearnedRouter, examples: list[Example]) -> float:
    """The layer weight that routes held-back complaints best (ties: the smaller). Below `MANY_COMPLAINTS` every
    complaint is held back once (`WEIGHT_FOLDS`-fold, so a few dozen complaints do not decide on a handful);
    above, the newest fifth is held back from a layer fitted on the older ones."""
    n = len(examples)
    if n < MANY_COMPLAINTS:
        folds = [[i for i in range(n) if i % WEIGHT_FOLDS == k] for k in range(WEIGHT_FOLDS)]
    else:
        folds = [list(range(int(n * (1 - EVAL_SHARE)), n))]
    base_d, scores, truth = [], [], []
    for held in folds:
        held_set = set(held)
        inner = _fit_layer(*training_rows([e for i, e in enumerate(examples) if i not in held_set]))
        if inner is None or not held:
            continue
        val = [normalize(examples[i].heard or examples[i].corrected).text for i in held]
        base_d.append(base.decision(val))
        scores.append(inner.scores(val, base.topics))
        truth += [examples[i].topic for i in held]
    if not truth:
        return 1.0
    d, s, t = np.vstack(base_d), np.vstack(scores), np.asarray(truth)
    topics = np.asarray(base.topics)
    return max(LAYER_WEIGHTS, key=lambda w: (float(np.mean(topics[np.argmax(d + w * s, axis=1)] == t)), -w))


@dataclass(frozen=True)
class Figures:
    """Routing top-1/top-3 of a router on a set: heard (over all readings, as the drafting job routes) and typed."""

    n: int
    heard_top1: float
    heard_top3: float
    typed_top1: float
    typed_top3: float

    @property
    def score(self) -> float:
        """What a switch is judged on: the mean of heard and typed top-1 (calls, and corrected or typed text)."""
        return (self.heard_top1 + self.typed_top1) / 2

    def not_worse_than(self, other: Figures) -> bool:
        return self.score >= other.score - 1e-9


def figures(router: Router, items: Sequence[tuple[str, Sequence[str], str, Sequence[str]]]) -> Figures | None:
    """Figures over (heard, other readings, typed, accepted topics) items; None for no items."""
    if not items:
        return None
    h1 = h3 = t1 = t3 = 0
    for heard, alternatives, typed, accept in items:
        if heard.strip():
            got = [t for t, _ in router.predict(normalize(heard).text, alternatives=[normalize(a).text for a in alternatives])]
        else:
            got = [t for t, _ in router.predict(normalize(typed).text)]
        h1 += got[0] in accept
        h3 += any(t in accept for t in got)
        got = [t for t, _ in router.predict(normalize(typed).text)]
        t1 += got[0] in accept
        t3 += any(t in accept for t in got)
    n = len(items)
    return Figures(n, h1 / n, h3 / n, t1 / n, t3 / n)


def complaint_items(examples: Sequence[Example]) -> list[tuple[str, Sequence[str], str, Sequence[str]]]:
    return [(e.heard, e.alternatives, e.corrected or e.heard, (e.topic,)) for e in examples]


def heldout_items() -> list[tuple[str, Sequence[str], str, Sequence[str]]]:
    from transcribe.drafting.heldout import heldout_speech

    return [(r.heard, r.alternatives, r.typed, r.accept) for r in heldout_speech()]


class ModelStore:
    """Router versions in the data directory: models/router-versions/vNNNN/{router.joblib,figures.json} and
    models/router-active.json naming the active one (none: the shipped router)."""

    def __init__(self, data_dir: Path):
        self.root = Path(data_dir) / "models"
        self.versions_dir = self.root / "router-versions"
        self.active_file = self.root / "router-active.json"

    def versions(self) -> list[dict]:
        """Figures of every version, newest first."""
        out = []
        if self.versions_dir.exists():
            for d in sorted(self.versions_dir.iterdir(), reverse=True):
                f = d / "figures.json"
                if f.exists():
                    out.append(json.loads(f.read_text(encoding="utf-8")))
        return out

    def shipped_figures(self) -> dict | None:
        f = self.root / "router-shipped.json"
        return json.loads(f.read_text(encoding="utf-8")) if f.exists() else None

    def save_shipped_figures(self, data: dict) -> None:
        _write_json(self.root / "router-shipped.json", data)

    def active(self) -> str:
        """The active version's name, or `SHIPPED`."""
        if not self.active_file.exists():
            return SHIPPED
        name = json.loads(self.active_file.read_text(encoding="utf-8")).get("version", SHIPPED)
        return name if name == SHIPPED or (self.versions_dir / name / "router.joblib").exists() else SHIPPED

    def stamp(self) -> float:
        """Changes whenever another version becomes active (a drafter reloads its router then)."""
        try:
            return self.active_file.stat().st_mtime_ns
        except FileNotFoundError:
            return 0.0

    def load(self, version: str | None = None) -> Router:
        """A version's router (the active one by default); the shipped router for `SHIPPED`."""
        version = version or self.active()
        if version == SHIPPED:
            return load_router()
        return joblib.load(self.versions_dir / version / "router.joblib")

    def new_name(self) -> str:
        existing = [d.name for d in self.versions_dir.iterdir()] if self.versions_dir.exists() else []
        numbers = [int(n[1:]) for n in existing if re.fullmatch(r"v\d+", n)]
        return f"v{max(numbers, default=0) + 1:04d}"

    def save(self, router: LearnedRouter, info: dict) -> None:
        d = self.versions_dir / router.version
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / "router.joblib.tmp"
        joblib.dump(router, tmp, compress=3)
        os.replace(tmp, d / "router.joblib")
        _write_json(d / "figures.json", info)

    def prune(self, keep: int) -> list[str]:
        """Remove all versions but the newest `keep` and the active one; returns the names removed."""
        if not self.versions_dir.exists():
            return []
        names = sorted((d.name for d in self.versions_dir.iterdir() if re.fullmatch(r"v\d+", d.name)), reverse=True)
        active = self.active()
        removed = [name for name in names[keep:] if name != active]
        for name in removed:
            shutil.rmtree(self.versions_dir / name)
        return removed

    def activate(self, version: str, by: str | None = None) -> None:
        """Make `version` (or `SHIPPED`) the active router."""
        if version != SHIPPED and not (self.versions_dir / version / "router.joblib").exists():
            raise KeyError(version)
        _write_json(self.active_file, {"version": version, "at": _now().isoformat(timespec="seconds"), "by": by})


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Outcome:
    version: str
    switched: bool
    reason: str
    info: dict = field(default_factory=dict)


def learn(store: ModelStore, examples: Sequence[Example], *, base: Router | None = None,
          heldout: Sequence[tuple[str, Sequence[str], str, Sequence[str]]] | None = None) -> Outcome:
    """Fit a candidate on all confirmed complaints but the newest `EVAL_SHARE`, measure it and the active router
    there and on the held-out set, keep it as a version, and make it active only when not worse on both."""
    started = time.perf_counter()
    base = base or load_router()
    heldout = heldout_items() if heldout is None else heldout
    examples = sorted(examples, key=lambda e: (e.confirmed_at, e.key))
    n_eval = math.ceil(len(examples) * EVAL_SHARE) if len(examples) * EVAL_SHARE >= MIN_EVAL else 0
    train, recent = examples[: len(examples) - n_eval], examples[len(examples) - n_eval:]
    name = store.new_name()
    candidate = fit(base, train, version=name)
    active_name = store.active()
    active = base if active_name == SHIPPED else store.load(active_name)
    fig = {k: {"candidate": figures(candidate, items), "active": figures(active, items)}
           for k, items in (("recent", complaint_items(recent)), ("heldout", list(heldout)))}
    if store.shipped_figures() is None and heldout:
        store.save_shipped_figures({"version": SHIPPED, "heldout": asdict(figures(base, heldout))})  # type: ignore[arg-type]
    worse = [k for k, pair in fig.items() if pair["candidate"] is not None and pair["active"] is not None
             and not pair["candidate"].not_worse_than(pair["active"])]
    switched = not worse
    reason = (f"lebih buruk dari {active_name} pada " + " dan ".join({"recent": "aduan terbaru", "heldout": "set uji"}[k] for k in worse)
              if worse else f"tidak lebih buruk dari {active_name}")
    info = {
        "version": name, "created_at": _now().isoformat(timespec="seconds"), "trained_on": len(train),
        "evaluated_on": len(recent), "layer_weight": candidate.weight, "compared_with": active_name,
        "switched": switched, "reason": reason, "seconds": round(time.perf_counter() - started, 1),
        **{f"{k}_{who}": (asdict(f) if f else None) for k, pair in fig.items() for who, f in pair.items()},
    }
    store.save(candidate, info)
    if switched:
        store.activate(name, by="suara learn")
    store.prune(KEEP_VERSIONS)
    log.info("router %s: %s (%s)", name, "switched to" if switched else "kept " + active_name, reason)
    return Outcome(name, switched, reason, info)


# -- the gazetteer learns misheard place names from operators' place corrections ---------------------------

ALIASES_FILE = "gazetteer-aliases.json"
ALIAS_MIN_SIMILARITY = 60.0
"""How alike (rapidfuzz ratio of letters) a heard form must be to the confirmed name to be taken as its misheard form."""


def misheard_form(text: str, name: str) -> str | None:
    """The 1-3 words of a transcript most like the place `name` ("kedung adam" for Kedungadem), or None."""
    from transcribe.drafting.gazetteer import _key

    words = normalize(text).text.lower().split()
    target = _key(name)
    best: tuple[float, str] | None = None
    for i in range(len(words)):
        for j in range(i + 1, min(i + 3, len(words)) + 1):
            form = " ".join(words[i:j])
            key = _key(form)
            if len(key) < 4 or key == target:
                continue
            score = fuzz.ratio(key, target)
            if score >= ALIAS_MIN_SIMILARITY and (best is None or score > best[0]):
                best = (score, form)
    return best[1] if best else None


def load_aliases(data_dir: Path) -> dict[str, str]:
    """Misheard key → gazetteer key, learned in this regency's data directory."""
    path = Path(data_dir) / "models" / ALIASES_FILE
    if not path.exists():
        return {}
    return {k: v["key"] for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def aliases_stamp(data_dir: Path) -> float:
    """Changes whenever misheard place names are learned."""
    try:
        return (Path(data_dir) / "models" / ALIASES_FILE).stat().st_mtime_ns
    except FileNotFoundError:
        return 0.0


def learn_aliases(data_dir: Path, corrections: Sequence[tuple[str, str, str]]) -> dict[str, str]:
    """Record misheard forms from (transcript, confirmed place name, place code) where the drafter missed the place.

    Returns the new aliases (misheard key → place key)."""
    from transcribe.drafting.gazetteer import Gazetteer, _key

    path = Path(data_dir) / "models" / ALIASES_FILE
    stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    gazetteer = Gazetteer.load()
    new: dict[str, str] = {}
    for text, name, code in corrections:
        form = misheard_form(text, name)
        if form is None:
            continue
        key = _key(form)
        if key in gazetteer.kecamatan or key in gazetteer.desa_by_key:
            continue  # a real name of its own: never re-point it
        entry = stored.setdefault(key, {"key": _key(name), "code": code, "heard": form, "count": 0})
        if entry["key"] != _key(name):
            continue  # the same form corrected to two places: the first one stands
        entry["count"] += 1
        new[key] = entry["key"]
    if new:
        _write_json(path, stored)
    return new


# -- the active router of a process, reloaded when an admin or `suara learn` switches --------------------------

_active_lock = threading.Lock()
_active: dict[str, tuple[float, Router]] = {}


def active_router(data_dir: Path) -> Router:
    """The data directory's active router, loaded once and again whenever another version becomes active."""
    store = ModelStore(data_dir)
    stamp = store.stamp()
    with _active_lock:
        cached = _active.get(str(data_dir))
        if cached is None or cached[0] != stamp:
            cached = (stamp, store.load())
            _active[str(data_dir)] = cached
        return cached[1]
