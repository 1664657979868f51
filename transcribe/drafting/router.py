"""Topic routing: a linear model over word and character n-grams plus fuzzy keyword features."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import joblib
import numpy as np
from rapidfuzz import fuzz, process
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from transcribe.drafting.normalize import SPOKEN_FORMS

ARTEFACT = "router.joblib"
FUZZY_KEYWORD_CUTOFF = 86.0
KEYWORD_SCALE = 0.6
"""Weight of the keyword block against the unit-length n-gram blocks."""
SOFTMAX_SHARPNESS = 4.0
SOUND_SCALE = 1.0
"""Weight of the phonetic n-gram block."""
SOUND_NGRAMS = (3, 5)
LOW_CONFIDENCE_WORD = 0.35
"""Recognizer words below this confidence do not count as keyword evidence."""
REPETITIVE_RATIO = 2.4
"""A reading whose text compresses more than this (zlib) loops ("PJS kesehatan. PJS kesehatan. ..."):
Whisper's own test for a failed decode, which its drawn readings do not get."""
_MASK_RE = re.compile(r"\[\*+\]|\d+")
_WORD_RE = re.compile(r"[a-z][a-z-]*")


def data_path(name: str) -> Path:
    """A file of transcribe/drafting/data."""
    return Path(str(resources.files("transcribe.drafting") / "data" / name))


def load_keywords() -> dict:
    """Topic keywords, titles and title phrases."""
    return json.loads(data_path("keywords.json").read_text(encoding="utf-8"))


_SOUND_RULES = [("kh", "k"), ("sy", "s"), ("ny", "n"), ("ng", "n"), ("dj", "j"), ("tj", "c"), ("oe", "u"),
                ("q", "k"), ("x", "ks"), ("z", "s"), ("v", "p"), ("f", "p"), ("b", "p"), ("d", "t"), ("g", "k"),
                ("j", "c"), ("r", "l"), ("y", "i"), ("w", "u"), ("o", "u"), ("e", "a"), ("h", "")]
_SOUND_TABLE = str.maketrans({a: b for a, b in _SOUND_RULES if len(a) == 1})
_REPEAT_RE = re.compile(r"(.)\1+")


def sound_key(text: str) -> str:
    """A coarse phonetic spelling of a router_text with the spaces removed, so that recognizer confusions
    (voicing, r/l, e/a, o/u, dropped h) and split or merged words ("pus kesmas", "rawatinap") map alike."""
    for a, b in _SOUND_RULES:
        if len(a) > 1:
            text = text.replace(a, b)
    return _REPEAT_RE.sub(r"\1", text.translate(_SOUND_TABLE).replace(" ", ""))


def repetitive(text: str) -> bool:
    """True for a reading that loops, by Whisper's measure (`REPETITIVE_RATIO`)."""
    data = text.encode("utf-8")
    return bool(data) and len(data) / len(zlib.compress(data)) > REPETITIVE_RATIO


def router_text(text: str) -> str:
    """Lowercase words only, spoken forms standardised; digits and masks dropped."""
    text = _MASK_RE.sub(" ", text.lower())
    words = _WORD_RE.findall(text)
    out = []
    for w in words:
        mapped = SPOKEN_FORMS.get(w, w).lower()
        out.append(mapped)
    return " ".join(out)


class KeywordFeatures:
    """Counts of topic keywords in a text; single words of 5+ letters also match fuzzily (recognizer errors)."""

    def __init__(self, topics: list[str], keywords: dict[str, list[str]]):
        self.topics = topics
        self.phrases: list[tuple[int, str]] = []
        self.words: list[str] = []
        self.word_topics: list[list[int]] = []
        self.exact: dict[str, list[int]] = {}
        index: dict[str, int] = {}
        for t, topic in enumerate(topics):
            for kw in keywords.get(topic, []):
                kw = kw.lower()
                if " " in kw:
                    self.phrases.append((t, kw))
                else:
                    self.exact.setdefault(kw, []).append(t)
                    if len(kw) >= 5:
                        if kw not in index:
                            index[kw] = len(self.words)
                            self.words.append(kw)
                            self.word_topics.append([])
                        self.word_topics[index[kw]].append(t)

    def transform_one(self, text: str, unsure: frozenset[str] = frozenset()) -> np.ndarray:
        """Keyword counts per topic for a router_text; words in `unsure` (low recognizer confidence) are ignored."""
        counts = np.zeros(len(self.topics))
        tokens = [w for w in text.split() if w not in unsure]
        padded = " " + " ".join(tokens) + " "
        for t, phrase in self.phrases:
            if f" {phrase} " in padded:
                counts[t] += 1.0
        hit: set[str] = set()
        for w in tokens:
            if w in self.exact and w not in hit:
                hit.add(w)
                for t in self.exact[w]:
                    counts[t] += 1.0
        # fuzzy: single tokens and pairs of tokens a recognizer may have split ("pus kesmas")
        queries = [w for w in set(tokens) if len(w) >= 5 and w not in self.exact]
        queries += [a + b for a, b in zip(tokens, tokens[1:]) if len(a + b) >= 6 and (a + b) not in hit]
        if queries and self.words:
            scores = process.cdist(queries, self.words, scorer=fuzz.ratio, score_cutoff=FUZZY_KEYWORD_CUTOFF, workers=1)
            best = scores.max(axis=0)
            for k in np.nonzero(best)[0]:
                if self.words[k] in hit:
                    continue
                hit.add(self.words[k])
                for t in self.word_topics[k]:
                    counts[t] += 0.8
        return np.log1p(counts)

    def transform(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self.transform_one(t) for t in texts]) if texts else np.zeros((0, len(self.topics)))


@dataclass
class Router:
    """Trained router: vectorizers, keyword features and a linear SVM; `predict` returns scored topics."""

    word_vec: TfidfVectorizer
    char_vec: TfidfVectorizer
    keywords: KeywordFeatures
    model: LinearSVC
    sound_vec: TfidfVectorizer | None = None
    """Character n-grams of `sound_key` (None: not used)."""

    @property
    def topics(self) -> list[str]:
        return [str(c) for c in self.model.classes_]

    def features(self, texts: list[str], unsure: list[frozenset[str]] | None = None) -> sparse.csr_matrix:
        rt = [router_text(t) for t in texts]
        unsure = unsure or [frozenset()] * len(rt)
        kw = np.vstack([self.keywords.transform_one(t, u) for t, u in zip(rt, unsure)])
        blocks = [self.word_vec.transform(rt), self.char_vec.transform(rt), sparse.csr_matrix(kw * KEYWORD_SCALE)]
        if self.sound_vec is not None:
            blocks.append(self.sound_vec.transform([sound_key(t) for t in rt]) * SOUND_SCALE)
        return sparse.hstack(blocks).tocsr()

    def decision(self, texts: list[str], unsure: list[frozenset[str]] | None = None) -> np.ndarray:
        return self.model.decision_function(self.features(texts, unsure))

    def keyword_evidence(self, text: str, topic: str, unsure: frozenset[str] = frozenset()) -> bool:
        """True when a keyword of `topic` (exact or fuzzy) occurs among the sure words of the text."""
        if topic not in self.topics:
            return False
        counts = self.keywords.transform_one(router_text(text), unsure)
        return bool(counts[self.keywords.topics.index(topic)] > 0)

    def predict(self, text: str, unsure: frozenset[str] = frozenset(), k: int = 3,
                alternatives: Sequence[str] = ()) -> list[tuple[str, float]]:
        """Top-k (topic, score) with scores summing to at most 1. With `alternatives` (other readings of the
        same speech) the scores are the mean of each reading's: the topic expected over what the recognizer
        may have heard; readings that loop are left out. `unsure` words are the text's own."""
        texts = [text, *(a for a in alternatives if a != text and not repetitive(a))]
        d = self.decision(texts, [unsure] + [frozenset()] * (len(texts) - 1))
        p = np.exp((d - d.max(axis=1, keepdims=True)) * SOFTMAX_SHARPNESS)
        p = (p / p.sum(axis=1, keepdims=True)).mean(axis=0)
        order = np.argsort(-p)[:k]
        return [(self.topics[i], round(float(p[i]), 3)) for i in order]

    def save(self, path: Path) -> None:
        joblib.dump(self, path, compress=3)


def fit_router(texts: list[str], labels: list[str], weights: list[float], keywords: dict[str, list[str]],
               topics: list[str], c: float = 0.5, balanced: float = 1.0,
               vocabulary_texts: list[str] | None = None, sound: bool = True) -> Router:
    """Fit vectorizers and the SVM; vocabularies keep only n-grams seen in four distinct texts (no names).

    `vocabulary_texts` are the distinct originals (no noisy copies), so a name cannot reach min_df by repetition.
    """
    rt = [router_text(t) for t in texts]
    vocab_rt = sorted({router_text(t) for t in (vocabulary_texts if vocabulary_texts is not None else texts)})
    word_vec = TfidfVectorizer(ngram_range=(1, 2), min_df=4, sublinear_tf=True, max_features=60000)
    char_vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=4, sublinear_tf=True, max_features=150000)
    kwf = KeywordFeatures(topics, keywords)
    word_vec.fit(vocab_rt)
    char_vec.fit(vocab_rt)
    blocks = [word_vec.transform(rt), char_vec.transform(rt), sparse.csr_matrix(kwf.transform(rt) * KEYWORD_SCALE)]
    sound_vec = None
    if sound:
        sound_vec = TfidfVectorizer(analyzer="char", ngram_range=(SOUND_NGRAMS), min_df=4, sublinear_tf=True,
                                    max_features=150000)
        sound_vec.fit(sorted({sound_key(t) for t in vocab_rt}))
        blocks.append(sound_vec.transform([sound_key(t) for t in rt]) * SOUND_SCALE)
        sound_vec.stop_words_ = None
    X = sparse.hstack(blocks).tocsr()
    # the pruned terms would otherwise be pickled too, and they include rare words such as names
    word_vec.stop_words_ = None
    char_vec.stop_words_ = None
    counts = {t: labels.count(t) for t in set(labels)}
    mean = len(labels) / len(counts)
    # balanced=1 is sklearn's "balanced"; 0 keeps the natural class frequencies
    class_weight = {t: (mean / n) ** balanced for t, n in counts.items()}
    model = LinearSVC(C=c, class_weight=class_weight, max_iter=5000)
    model.fit(X, labels, sample_weight=np.asarray(weights))
    return Router(word_vec, char_vec, kwf, model, sound_vec)


def load_router(path: Path | None = None) -> Router:
    """The shipped router artefact."""
    return joblib.load(path or data_path(ARTEFACT))
