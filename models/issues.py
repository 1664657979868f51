"""Priority issues: complaints about the same problem in the same kecamatan and topic, grouped by text similarity.

Text becomes a TF-IDF vector over hashed word 1-2-grams and character 3-5-grams (hashing keeps the
vectorizer stateless, so a single new complaint can be placed without refitting anything; the IDF
weights are refitted by the scheduled `recluster` job and stored in `issue_model`). Within one
(topic, kecamatan) group, complaints are clustered by average-linkage agglomeration on cosine
distance, cut at `SIMILARITY_THRESHOLD`; issues of one group that name one problem are then merged
(`issue_labels.sameness`: people tell one flood in words too different for the similarity).

Incremental: `assign` puts a new complaint into the most similar issue of its group when the cosine
similarity to that issue's centroid reaches the threshold, else into the issue of its group that names the same
problem, else opens a new issue. `recluster` redoes
the grouping from scratch (a nightly job) and keeps issue ids stable by member overlap.

`models.analytics` calls `assign` from its flush hook, so this module works on a Connection with Core
statements (no ORM flush inside a flush).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import HashingVectorizer
from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow
from models import issue_labels as labels
from models import issue_spots, problem_vocabulary
from models.identity import anonymised
from models.words import word_zipf

SIMILARITY_THRESHOLD = 0.24
"""Average-linkage cut: clusters merge while their mean pairwise cosine similarity reaches this. Chosen on the tune
half of the hand-labelled pairs of real reports (scripts/bench_issues.py: highest recall at precision >= 0.90);
on the held-out half "same issue" precision 0.90 at recall 0.84 (0.17 before: precision 0.84)."""
ASSIGN_THRESHOLD = 0.28
"""Cosine similarity to an issue's centroid at which a new complaint joins that issue (a centroid is
closer to its members than they are to each other, so this is higher than SIMILARITY_THRESHOLD)."""
N_FEATURES = 2**18
CENTROID_TERMS = 300
"""A stored centroid keeps its strongest features only (enough for cosine, small in the database)."""
MAX_AGGLOMERATIVE = 2500
"""Larger groups are clustered by the incremental leader rule instead (a dense distance matrix would not fit)."""

STOPWORDS = frozenset(
    """yang di ke dari dan atau ini itu ada sudah belum akan juga dengan untuk pada dalam karena jadi
    saya kami kita kamu anda bapak ibu pak bu mas mbak tolong mohon minta segera sekali banget sangat
    terima kasih halo assalamualaikum selamat pagi siang sore malam nggih njih enggak nggak tidak tak
    mau bisa tapi kalau kok sih ya lah pun nya lagi masih sampai sejak warga desa dusun rt rw kecamatan
    kabupaten bojonegoro pengaduan laporan melaporkan lapor keluhan mengeluhkan
    nama nomor hp telp telepon wa email nik kata""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")


def normalise_text(text: str) -> str:
    """Lower case, letters and digits only, short forms and variants written one way, stop words dropped."""
    words = (labels.SHORT_FORMS.get(t, t) for t in _TOKEN.findall(text.lower()))
    return " ".join(t for t in words if t not in STOPWORDS and len(t) > 1)


_WORDS = HashingVectorizer(
    n_features=N_FEATURES, ngram_range=(1, 2), alternate_sign=False, norm=None, lowercase=False, token_pattern=r"\S+"
)
_CHARS = HashingVectorizer(
    n_features=N_FEATURES, analyzer="char_wb", ngram_range=(3, 5), alternate_sign=False, norm=None, lowercase=False
)


def term_frequencies(texts: Sequence[str]) -> sparse.csr_matrix:
    """Raw hashed counts: word 1-2-grams in the first N_FEATURES columns, char 3-5-grams in the next."""
    clean = [normalise_text(t) for t in texts]
    return sparse.hstack([_WORDS.transform(clean), _CHARS.transform(clean)], format="csr")


def fit_idf(tf: sparse.csr_matrix) -> np.ndarray:
    """Smoothed IDF weights (as scikit-learn's TfidfTransformer) for every hashed feature."""
    df = np.bincount(tf.indices, minlength=tf.shape[1])
    n = tf.shape[0]
    return (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)


def tfidf(tf: sparse.csr_matrix, idf: np.ndarray | None) -> sparse.csr_matrix:
    """Sublinear TF times IDF, rows scaled to unit length."""
    x = tf.astype(np.float32, copy=True)
    x.data = 1 + np.log(x.data)
    if idf is not None:
        x = x @ sparse.diags(idf)
    return tfidf_normalise(x)


def cluster_vectors(x: sparse.csr_matrix, threshold: float = SIMILARITY_THRESHOLD) -> np.ndarray:
    """Cluster labels (0..k-1) for unit-length rows: average linkage, cut where similarity drops below threshold."""
    n = x.shape[0]
    if n == 0:
        return np.zeros(0, dtype=int)
    if n == 1:
        return np.zeros(1, dtype=int)
    if n > MAX_AGGLOMERATIVE:
        return _leader_clusters(x, max(threshold, ASSIGN_THRESHOLD))
    distance = 1 - (x @ x.T).toarray()
    np.clip(distance, 0, 2, out=distance)
    np.fill_diagonal(distance, 0)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=1 - threshold
    )
    return model.fit_predict(distance)


def _leader_clusters(x: sparse.csr_matrix, threshold: float) -> np.ndarray:
    assigned = np.empty(x.shape[0], dtype=int)
    sums: list[sparse.csr_matrix] = []
    counts: list[int] = []
    for i in range(x.shape[0]):
        row = x[i]
        best, best_sim = -1, threshold
        for k, total in enumerate(sums):
            sim = (row @ total.T).toarray()[0, 0] / max(sparse.linalg.norm(total), 1e-9)
            if sim >= best_sim:
                best, best_sim = k, sim
        if best < 0:
            sums.append(row.copy())
            counts.append(1)
            best = len(sums) - 1
        else:
            sums[best] = sums[best] + row
            counts[best] += 1
        assigned[i] = best
    return assigned


def cluster_texts(texts: Sequence[str], threshold: float = SIMILARITY_THRESHOLD) -> np.ndarray:
    """Cluster labels for texts of one (topic, kecamatan) group, IDF fitted on the texts themselves."""
    tf = term_frequencies(texts)
    return cluster_vectors(tfidf(tf, fit_idf(tf)), threshold)


LABEL_WORD_ZIPF = 3.0
"""A label word is an ordinary Indonesian word (wordfreq Zipf at least this) or one used in at least two
complaints: a word only one reporter used (a name, a nickname, a house number) never labels an issue."""


def label_word(word: str, complaints_using: int) -> bool:
    """Whether `word` may appear in an issue label that people other than operators read."""
    return not word.isdigit() and (complaints_using >= 2 or word_zipf(word) >= LABEL_WORD_ZIPF)


def keywords(texts: Iterable[str], limit: int = 4, df: Counter[str] | None = None, n_docs: int = 0) -> list[str]:
    """The words that best describe a group of texts: frequent in it, rarer elsewhere (when `df` is given).

    Texts must be anonymised first (`issue_text`); only `label_word`s are taken."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(normalise_text(text).split()))
    scored = []
    for word, count in counts.items():
        if not label_word(word, max(count, df.get(word, 0) if df else 0)):
            continue
        weight = math.log((1 + n_docs) / (1 + df.get(word, 0))) + 1 if df else 1.0
        scored.append((count * weight, word))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [word for _, word in scored[:limit]]


def issue_text(title: str | None, description: str | None, reporter_name: str | None) -> str:
    """The text a complaint brings to clustering and labels: title and description with identity removed."""
    return anonymised(f"{title or ''}. {description or ''}", [reporter_name])


MERGE_SIMILARITY = 0.5
"""Two issues of one group whose centroids are at least this similar are one issue (average linkage leaves such
near-duplicates when a few in-between complaints are missing); so are two that name one problem (`group_clusters`)."""


@dataclass(frozen=True)
class Grouping:
    """Complaints grouped into issues: member indices, group key and problem phrase of each issue."""

    clusters: list[list[int]]
    groups: list[tuple[int, int]]
    phrases: list[str]
    spots: list[str]
    """Per issue, the spot of its kecamatan its complaints name ("Puskesmas Sekar"), "" when none (`issue_spots`)."""
    vectors: sparse.csr_matrix
    """Unit-length TF-IDF rows of every text (IDF fitted on all of them)."""
    idf: np.ndarray
    word_df: Counter[str]


def group_clusters(
    texts: Sequence[str], group_keys: Sequence[tuple[int, int]], threshold: float = SIMILARITY_THRESHOLD,
    titles: Sequence[str] = (), excluded: frozenset[str] = frozenset(), merge_similarity: float = MERGE_SIMILARITY,
    topic_names: Mapping[int, str] | None = None, kecamatan_names: Mapping[int, str] | None = None,
    gazetteer: issue_spots.Gazetteer | None = None, located: Sequence[str] = (),
) -> Grouping:
    """Cluster anonymised texts within their (topic, kecamatan) groups, merge near-identical issues, name each one.

    The IDF is fitted on all texts; labels are weighted against every other cluster. `titles` (anonymised, one per
    text) weigh phrases up; `excluded` words never label (place names: the place is shown beside the label);
    `topic_names` (topic id -> name) name an issue "Masalah <topic>" when no phrase says what it is about;
    `kecamatan_names` (kecamatan id -> name) and `gazetteer` find the spot each issue's complaints name, with the
    desa each complaint's record places it in (`located`, "" when none)."""
    tf = term_frequencies(texts) if texts else sparse.csr_matrix((0, 2 * N_FEATURES), dtype=np.float32)
    idf = fit_idf(tf)
    x = tfidf(tf, idf)
    word_df: Counter[str] = Counter()
    for text in texts:
        word_df.update(set(normalise_text(text).split()))
    members_of: dict[tuple[int, int], list[int]] = {}
    for i, key in enumerate(group_keys):
        members_of.setdefault(key, []).append(i)
    clusters: list[list[int]] = []
    groups: list[tuple[int, int]] = []
    for key, members in members_of.items():
        found = cluster_vectors(x[members], threshold)
        for k in np.unique(found):
            clusters.append([members[j] for j in np.flatnonzero(found == k)])
            groups.append(key)
    rules = labels.LabelRules(label_word, excluded)
    said = [labels.problems_said(text) for text in texts]

    def name_all(topics: Mapping[int, str]) -> list[str]:
        stats = labels.PhraseStats.of([[texts[i] for i in c] for c in clusters])
        return [labels.issue_name([texts[i] for i in c], stats, rules, [titles[i] for i in c] if titles else (),
                                  topics.get(key[0], ""), [said[i] for i in c])
                for c, key in zip(clusters, groups)]  # fmt: skip

    stats = labels.PhraseStats.of([[texts[i] for i in c] for c in clusters])
    named: dict[tuple[int, ...], tuple[str, str]] = {}

    def problem_and_name(cluster: list[int]) -> tuple[str, str]:
        key = tuple(cluster)
        if key not in named:
            cluster_titles, cluster_said = [titles[i] for i in cluster] if titles else (), [said[i] for i in cluster]
            problem = labels.table_key([texts[i] for i in cluster], cluster_titles, cluster_said)
            named[key] = problem, problem or labels.sameness([texts[i] for i in cluster], stats, rules, cluster_titles,
                                                             cluster_said)  # fmt: skip
        return named[key]

    vocabulary = problem_vocabulary.vocabulary()
    keys_said = [{vocabulary.table_key(m) for m in matches} for matches in said]
    for _ in range(MERGE_ROUNDS):  # a merged issue is named anew: it may now name the problem of another one
        problems, names = (list(column) for column in zip(*map(problem_and_name, clusters))) if clusters else ([], [])
        before = len(clusters)
        said_by_all = [set.intersection(*(keys_said[i] for i in c)) for c in clusters]
        clusters, groups = _merge_near_identical(clusters, groups, names, problems, x, merge_similarity, said_by_all)
        if len(clusters) == before:
            break
    phrases = name_all(topic_names or {})
    spots = [issue_spots.issue_spot([texts[i] for i in c], (kecamatan_names or {}).get(key[1], ""), gazetteer, phrase,
                                    [titles[i] for i in c] if titles else (), [located[i] for i in c] if located else ())
             for c, key, phrase in zip(clusters, groups, phrases)]  # fmt: skip
    return Grouping(clusters, groups, phrases, spots, x, idf, word_df)


MERGE_ROUNDS = 3
"""Merging is repeated on the merged issues (named anew) until nothing more merges, at most this often: three
complaints of one flood, one of which also speaks of a dike, name "Banjir" only once they are one issue."""
ABSORB_SIZE = 2
ABSORB_SIMILARITY = 0.1
"""An issue of up to ABSORB_SIZE complaints that no problem of the table names joins the issue of its topic and
kecamatan a problem names that it is most similar to, at this cosine or more: a caller's Javanese that the table
does not read yet is mostly the issue the others of its place and topic raise, not an issue of its own labelled by a
fragment. Chosen on the seen Bojonegoro sets (pair recall of heldout6 0.852 -> 0.920 and heldout7 0.778 -> 0.904, no
precision lost on any set); never in a group without a kecamatan (the whole topic), where the national pairs lost
precision."""


SPLINTER_SIMILARITY = 0.2
"""A small issue every complaint of which also says the problem of a bigger issue of its group joins it at this
cosine or more: the smaller part of a split issue is otherwise labelled from its side word (a collapsed bridge as
"Banjir", oil-well waste as "Pencemaran limbah"). Chosen on the 31 seen Bojonegoro sets: mean pair recall 0.885 ->
0.915, mean precision 0.996 either way, no issue joined to another writer's (at 0.1 a whirlwind joined a flood)."""


def _merge_near_identical(
    clusters: list[list[int]], groups: list[tuple[int, int]], names: list[str], problems: list[str],
    x: sparse.csr_matrix, merge_similarity: float, said_by_all: Sequence[set[str]],
) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Merge the issues of one group that name the same problem or phrase, or whose centroids are near-identical;
    and issues of one kecamatan routed to different topics that name the same problem of the table (one flood sent
    to "bencana" and to "sumber daya air"), under the topic of the larger."""
    parent = list(range(len(clusters)))
    size = [len(c) for c in clusters]

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(a: int, b: int) -> None:
        a, b = root(a), root(b)
        if a != b:
            keep, gone = (a, b) if (size[a], -a) >= (size[b], -b) else (b, a)
            parent[gone], size[keep] = keep, size[keep] + size[gone]

    by_group: dict[tuple[int, int], list[int]] = {}
    for k, key in enumerate(groups):
        by_group.setdefault(key, []).append(k)
    centroids = tfidf_normalise(membership_matrix(clusters, x.shape[0]) @ x)
    for ks in by_group.values():
        if len(ks) < 2:
            continue
        similar = (centroids[ks] @ centroids[ks].T).toarray()
        for a in range(len(ks)):
            for b in range(a + 1, len(ks)):
                if (names[ks[a]] and names[ks[a]] == names[ks[b]]) or similar[a, b] >= merge_similarity:
                    join(ks[a], ks[b])
    for key, ks in by_group.items():  # a small issue the table does not name joins the most similar one it names
        if not key[1]:
            continue  # without a kecamatan a group is the whole topic: too wide to say it is the same matter
        named = [k for k in ks if problems[k]]
        for k in ks:
            if problems[k] or len(clusters[k]) > ABSORB_SIZE or not named:
                continue
            similar = (centroids[[k]] @ centroids[named].T).toarray()[0]
            best = int(np.argmax(similar))
            if similar[best] >= ABSORB_SIMILARITY:
                join(named[best], k)
        # a splinter: a small issue whose every complaint also says the problem of a bigger issue of its group (a
        # bridge report that opens on the flood that broke it) joins that issue, not an issue named by its side word
        for k in ks:
            if len(clusters[k]) > ABSORB_SIZE:
                continue
            bigger = [b for b in named if len(clusters[b]) > len(clusters[k]) and problems[b] != problems[k]
                      and problems[b] in said_by_all[k]]
            if not bigger:
                continue
            similar = (centroids[[k]] @ centroids[bigger].T).toarray()[0]
            best = int(np.argmax(similar))
            if similar[best] >= SPLINTER_SIMILARITY:
                join(bigger[best], k)
    by_problem: dict[tuple[int, str], int] = {}
    for k, (key, problem) in enumerate(zip(groups, problems)):
        if problem:
            join(by_problem.setdefault((key[1], problem), k), k)
    merged: dict[int, list[int]] = {}
    for k, members in enumerate(clusters):
        merged.setdefault(root(k), []).extend(members)
    return [sorted(m) for m in merged.values()], [groups[k] for k in merged]


def membership_matrix(clusters: Sequence[Sequence[int]], n: int) -> sparse.csr_matrix:
    """A clusters × texts matrix of ones: times the text vectors, it sums each cluster's rows (and stays sparse)."""
    rows = [k for k, members in enumerate(clusters) for _ in members]
    cols = [i for members in clusters for i in members]
    return sparse.csr_matrix((np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(len(clusters), n))


def tfidf_normalise(x: sparse.csr_matrix) -> sparse.csr_matrix:
    """Rows scaled to unit length."""
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
    norms[norms == 0] = 1
    return sparse.csr_matrix(sparse.diags(1 / norms) @ x)


def _topic_names(connection: Connection) -> dict[int, str]:
    """Topic id -> name, for labels that fall back to the topic."""
    from models.entities import Topic

    return dict(connection.execute(select(Topic.id, Topic.name)).all())


def _table_key(label: str) -> str:
    """The problem of the table an issue's label names, as issues are made one: its family, else its name."""
    return problem_vocabulary.vocabulary().key_of_name(labels.problem_half(label))


PLACE_WORD_ZIPF = 4.0
"""A word of a place name that is rarer than this in Indonesian is a name ("Kedungadem", "Sumberrejo"), not a
problem word, and never labels the problem (the kecamatan is shown beside it)."""


@dataclass(frozen=True)
class PlaceNames:
    """The regency's places as issues name them."""

    kecamatan: dict[int, str]
    """Kecamatan id -> name."""
    desa: dict[int, str]
    """Desa (and kelurahan) id -> name."""
    gazetteer: issue_spots.Gazetteer
    """The names a spot may carry (`issue_spots`)."""
    words: frozenset[str]
    """Words of kecamatan and desa names that are names rather than ordinary words (`name_words`): they never label
    the problem."""

    def place(self, kecamatan_id: int | None) -> str | None:
        """The kecamatan as a label says it ("Kec. Kedungadem"), as `Place.label` does; None when unknown."""
        return f"Kec. {self.kecamatan[kecamatan_id]}" if kecamatan_id in self.kecamatan else None


_PLACE_NAMES: dict[tuple[str, int], PlaceNames] = {}
"""(database URL, number of places) -> their names: a read cache (places change only when seeded; a new complaint is
placed without reading all 430 of them again)."""


def place_names(connection: Connection) -> PlaceNames:
    """The kecamatan and desa names by id, the gazetteer of spots and the words of place names."""
    from models.entities import Place

    key = (str(connection.engine.url), connection.execute(select(func.count()).select_from(Place)).scalar_one())
    if key not in _PLACE_NAMES:
        rows = connection.execute(select(Place.id, Place.parent_id, Place.name, Place.kind)).all()
        kecamatan = {row.id: row.name for row in rows if row.parent_id is None}
        desa = {row.id: row.name for row in rows if row.parent_id in kecamatan}
        places = [(kecamatan[row.parent_id], row.name, row.kind) for row in rows if row.parent_id in kecamatan]
        _PLACE_NAMES.clear()
        _PLACE_NAMES[key] = PlaceNames(kecamatan, desa, issue_spots.Gazetteer.of(places), name_words(row.name for row in rows))
    return _PLACE_NAMES[key]


def name_words(names: Iterable[str]) -> frozenset[str]:
    """The words of these place names that are names rather than ordinary words."""
    words = {w for name in names for w in labels.tokens(name, keep_names=True) if w.isalpha()}
    return frozenset(w for w in words if word_zipf(w) < PLACE_WORD_ZIPF)


# -- priority ------------------------------------------------------------------------------------

PRIORITY_FORMULA = "Skor = N × (1 + min(G, 2)) × (1 + T) × (1 + 2·U)"
PRIORITY_TERMS = (
    ("N", "jumlah pengaduan dalam periode"),
    ("G", "pertumbuhan dibanding periode sebelumnya yang sama panjang, (N − N₀) / max(N₀, 1), paling kecil 0"),
    ("T", "pangsa pengaduan yang saat ini melewati batas waktu (0–1)"),
    ("U", "pangsa pengaduan mendesak (0–1)"),
)


def priority_score(count: int, previous: int, overdue_share: float, urgent_share: float) -> float:
    """Priority of an issue: volume, weighted up by growth (capped at 3×), lateness and urgency (see PRIORITY_FORMULA)."""
    if count <= 0:
        return 0.0
    growth = min(max((count - previous) / max(previous, 1), 0.0), 2.0)
    return round(count * (1 + growth) * (1 + overdue_share) * (1 + 2 * urgent_share), 2)


def trend(count: int, previous: int) -> float | None:
    """Relative change to the previous period (None when there was nothing before)."""
    if previous == 0:
        return None
    return (count - previous) / previous


# -- tables --------------------------------------------------------------------------------------


class Issue(Base):
    """A group of complaints about one problem in one kecamatan and topic."""

    __tablename__ = "issue"
    __table_args__ = (Index("ix_issue_group", "topic_id", "kecamatan_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(Integer)
    """0 when the complaints have no topic."""
    kecamatan_id: Mapped[int] = mapped_column(Integer)
    """0 when the complaints have no place."""
    agency_id: Mapped[int] = mapped_column(Integer, index=True)
    """The agency most of its complaints went to (0 for none yet)."""
    label: Mapped[str] = mapped_column(String(200))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(Integer, default=0)
    """Members at the last assignment or recluster (all periods)."""
    centroid_idx: Mapped[bytes] = mapped_column(LargeBinary)
    """int32 feature indices of the centroid's strongest features."""
    centroid_val: Mapped[bytes] = mapped_column(LargeBinary)
    """float32 weights matching centroid_idx, unit length."""
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class IssueModel(Base):
    """IDF weights fitted by the last recluster (one row; absent until the first recluster)."""

    __tablename__ = "issue_model"
    id: Mapped[int] = mapped_column(primary_key=True)
    fitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    n_docs: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[float] = mapped_column(Float)
    idf: Mapped[bytes] = mapped_column(LargeBinary)
    """float16 IDF of every hashed feature (2 × N_FEATURES values)."""


_IDF_CACHE: dict[tuple[str, int, datetime], np.ndarray] = {}
"""(database URL, model id, fitted_at) -> IDF: a read cache; each recluster writes a new key, so it never goes stale."""


def load_idf(connection: Connection) -> np.ndarray | None:
    """The current IDF weights, or None before the first recluster."""
    row = connection.execute(select(IssueModel.id, IssueModel.fitted_at).order_by(IssueModel.id.desc()).limit(1)).first()
    if row is None:
        return None
    key = (str(connection.engine.url), row.id, row.fitted_at)
    if key not in _IDF_CACHE:
        blob = connection.execute(select(IssueModel.idf).where(IssueModel.id == row.id)).scalar_one()
        _IDF_CACHE.clear()
        _IDF_CACHE[key] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
    return _IDF_CACHE[key]


def _pack(vector: sparse.csr_matrix | np.ndarray) -> tuple[bytes, bytes]:
    dense_like = sparse.csr_matrix(vector)
    idx, val = dense_like.indices, dense_like.data
    if len(val) > CENTROID_TERMS:
        keep = np.argpartition(val, -CENTROID_TERMS)[-CENTROID_TERMS:]
        idx, val = idx[keep], val[keep]
    norm = float(np.linalg.norm(val)) or 1.0
    return idx.astype(np.int32).tobytes(), (val / norm).astype(np.float32).tobytes()


def _unpack(idx: bytes, val: bytes) -> sparse.csr_matrix:
    indices = np.frombuffer(idx, dtype=np.int32)
    values = np.frombuffer(val, dtype=np.float32)
    order = np.argsort(indices)
    return sparse.csr_matrix((values[order], indices[order], [0, len(indices)]), shape=(1, 2 * N_FEATURES))


@dataclass(frozen=True)
class Placement:
    issue_id: int
    similarity: float
    opened: bool


def assign(
    connection: Connection,
    text: str,
    topic_id: int,
    kecamatan_id: int,
    agency_id: int,
    now: datetime | None = None,
    threshold: float = ASSIGN_THRESHOLD,
    place_id: int = 0,
) -> Placement:
    """Put one complaint into the most similar issue of its group, else into the issue of its group that names the
    same problem, else (one the table does not name) into the most similar issue of its group the table names, else
    into the issue of its kecamatan that names the same problem of the table under another topic (as a regrouping
    would merge them), or open a new issue for it."""
    now = now or utcnow()
    vector = tfidf(term_frequencies([text]), load_idf(connection))
    candidates = connection.execute(
        select(Issue.id, Issue.size, Issue.centroid_idx, Issue.centroid_val, Issue.label).where(
            Issue.topic_id == topic_id, Issue.kecamatan_id == kecamatan_id
        )
    ).all()
    similarity = {row.id: float((vector @ _unpack(row.centroid_idx, row.centroid_val).T).toarray()[0, 0]) for row in candidates}
    best = max(candidates, key=lambda row: similarity[row.id], default=None)
    joined = best if best is not None and similarity[best.id] >= threshold else None
    if joined is None:  # named only when it may open an issue or join one by name: most complaints join by similarity
        names = place_names(connection)
        rules, said = labels.LabelRules(label_word, names.words), [labels.problems_said(text)]
        name = labels.issue_name([text], None, rules, topic=_topic_names(connection).get(topic_id, ""), said=said)
        spot = issue_spots.issue_spot([text], names.kecamatan.get(kecamatan_id, ""), names.gazetteer, name,
                                      located=[names.desa.get(place_id, "")])  # fmt: skip
        label = labels.make_label(name, names.place(kecamatan_id), spot)
        problem = labels.table_key([text], said=said)  # read once: sameness would read it again
        if problem or labels.sameness([text], None, rules, said=said):  # the same problem, wherever in the kecamatan
            joined = next((row for row in candidates if labels.problem_half(row.label) == labels.problem_half(label)), None)
        if joined is None and problem:  # another member of its family ("Banjir" and its relief)
            joined = next((row for row in candidates if _table_key(row.label) == problem), None)
        if joined is None and not problem and best is not None and similarity[best.id] >= ABSORB_SIMILARITY \
                and problem_vocabulary.vocabulary().names_a_problem(labels.problem_half(best.label)):
            joined = best  # what the table does not name joins the issue of its group it names (as regroup does)
        if joined is None and problem:  # the problem (or its family) routed to another topic
            found = next((row.id for row in connection.execute(
                select(Issue.id, Issue.label)
                .where(Issue.kecamatan_id == kecamatan_id, Issue.topic_id != topic_id).order_by(Issue.size.desc())
            ) if labels.problem_half(row.label) == labels.problem_half(label) or _table_key(row.label) == problem), None)  # fmt: skip
            joined = connection.execute(
                select(Issue.id, Issue.size, Issue.centroid_idx, Issue.centroid_val, Issue.label).where(Issue.id == found)
            ).first() if found else None  # fmt: skip
            if joined is not None:
                similarity[joined.id] = float((vector @ _unpack(joined.centroid_idx, joined.centroid_val).T).toarray()[0, 0])
    if joined is not None:
        centroid = _unpack(joined.centroid_idx, joined.centroid_val) * joined.size + vector
        idx, val = _pack(centroid)
        connection.execute(
            update(Issue)
            .where(Issue.id == joined.id)
            .values(size=Issue.size + 1, centroid_idx=idx, centroid_val=val, updated_at=now)
        )
        return Placement(joined.id, similarity[joined.id], False)
    idx, val = _pack(vector)
    words = keywords([text])
    issue_id = connection.execute(
        insert(Issue).values(
            topic_id=topic_id, kecamatan_id=kecamatan_id, agency_id=agency_id, label=label,
            keywords=words, size=1, centroid_idx=idx, centroid_val=val, created_at=now, updated_at=now,
        )
    ).inserted_primary_key[0]  # fmt: skip
    return Placement(issue_id, max(similarity[best.id], 0.0) if best is not None else 0.0, True)


def release(connection: Connection, issue_id: int) -> None:
    """A member left the issue (its topic or place changed, or it was deleted): shrink it; drop it when empty."""
    connection.execute(update(Issue).where(Issue.id == issue_id).values(size=Issue.size - 1))
    connection.execute(delete(Issue).where(Issue.id == issue_id, Issue.size <= 0))


# -- the scheduled regrouping ---------------------------------------------------------------------


def regroup(session: Session, rows: Sequence[Any], threshold: float = SIMILARITY_THRESHOLD,
            now: datetime | None = None) -> tuple[dict[int, int], int, int]:
    """Regroup these complaints into issues, refit the IDF, keep ids of issues that keep most members.

    `rows` carry complaint_id, topic_id, kecamatan_id, place_id (its desa, when known), agency_id, issue_id (the
    current one), title, description and reporter_name. Returns (complaint id -> issue id, number of issues, number
    of groups). The caller stores the membership in the figures (`models.analytics.recluster` does both) and
    commits.
    """
    now = now or utcnow()
    texts = [issue_text(r.title, r.description, r.reporter_name) for r in rows]
    titles = [anonymised(r.title or "", [r.reporter_name]) for r in rows]
    names = place_names(session.connection())
    grouping = group_clusters(texts, [(r.topic_id, r.kecamatan_id) for r in rows], threshold, titles,
                              names.words, topic_names=_topic_names(session.connection()),
                              kecamatan_names=names.kecamatan, gazetteer=names.gazetteer,
                              located=[names.desa.get(r.place_id, "") for r in rows])  # fmt: skip

    old_issue_ids = set(session.scalars(select(Issue.id)))
    taken: set[int] = set()
    membership: dict[int, int] = {}
    new_issues: list[dict] = []
    sums = membership_matrix(grouping.clusters, len(rows)) @ grouping.vectors if rows else None
    for k, (cluster, (topic_id, kecamatan_id), phrase, spot) in enumerate(
            zip(grouping.clusters, grouping.groups, grouping.phrases, grouping.spots)):
        previous = Counter(rows[i].issue_id for i in cluster if rows[i].issue_id in old_issue_ids)
        keep = next((issue_id for issue_id, _ in previous.most_common() if issue_id not in taken), None)
        if keep is not None:
            taken.add(keep)
        words = keywords([texts[i] for i in cluster], df=grouping.word_df, n_docs=len(rows))
        centroid_idx, centroid_val = _pack(sums[k])
        agency = Counter(rows[i].agency_id for i in cluster if rows[i].agency_id).most_common(1)
        new_issues.append(dict(
            id=keep, topic_id=topic_id, kecamatan_id=kecamatan_id, agency_id=agency[0][0] if agency else 0,
            label=labels.make_label(phrase, names.place(kecamatan_id), spot), keywords=words, size=len(cluster),
            centroid_idx=centroid_idx, centroid_val=centroid_val, updated_at=now, _members=cluster,
        ))  # fmt: skip

    session.execute(delete(Issue).where(Issue.id.not_in(taken)) if taken else delete(Issue))
    for item in new_issues:
        members = item.pop("_members")
        if item["id"] is None:
            item.pop("id")
            item["created_at"] = now
            issue_id = session.execute(insert(Issue).values(**item)).inserted_primary_key[0]
        else:
            issue_id = item.pop("id")
            session.execute(update(Issue).where(Issue.id == issue_id).values(**item))
        for i in members:
            membership[rows[i].complaint_id] = issue_id

    session.execute(delete(IssueModel))
    session.add(IssueModel(fitted_at=now, n_docs=len(rows), threshold=threshold, idf=grouping.idf.astype(np.float16).tobytes()))
    return membership, len(new_issues), len(set(grouping.groups))
