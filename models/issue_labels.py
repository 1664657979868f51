"""Readable issue labels: the problem in a short Indonesian phrase, then the place ("Jalan rusak dan berlubang ·
Kec. Kedungadem").

A label is built from the cluster's most characteristic phrases: word 1-3-grams over normalised text (short
forms written out, stop words dropped but negations kept, so "air tidak mengalir" stays what it says), scored by
how many of the cluster's complaints use them, weighted against the other clusters (class-based TF-IDF), longer
phrases preferred. A second phrase joins the first when it describes the same thing ("jalan rusak" + "jalan
berlubang" -> "jalan rusak dan berlubang") or names a facility ("... di puskesmas").

Privacy: texts must be anonymised first (`issues.issue_text`), and every word must pass `issues.label_word`. In a
cluster of two or more complaints a phrase must also be used by at least two of them, so a word only one reporter
said (a nickname, a house number, a neighbour's name) never labels an issue.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

SHORT_FORMS = {
    "jln": "jalan", "jl": "jalan", "tdk": "tidak", "gak": "tidak", "nggak": "tidak", "ga": "tidak", "blm": "belum",
    "sdh": "sudah", "udah": "sudah", "yg": "yang", "dg": "dengan", "dgn": "dengan", "utk": "untuk", "krn": "karena",
    "sy": "saya", "bgt": "banget", "lg": "lagi", "pju": "pju", "pdam": "pdam", "ktp": "ktp", "ektp": "e-ktp",
    "dlm": "dalam", "bs": "bisa", "msh": "masih", "sgt": "sangat", "rmh": "rumah", "sklh": "sekolah",
    "amblas": "ambles", "antri": "antre", "antrian": "antrean", "lobang": "lubang", "bolong": "berlubang",
    "padam": "mati", "byarpet": "mati", "mampet": "tersumbat", "buntu": "tersumbat", "longsoran": "longsor",
}  # fmt: skip
"""Written short forms and common variants, written one way (for labels and for clustering)."""

STOPWORDS = frozenset(
    """yang di ke dari dan atau ini itu ada sudah akan juga dengan untuk pada dalam karena jadi oleh bagi
    saya kami kita kamu anda bapak ibu pak bu mas mbak tolong mohon minta segera sekali banget sangat parah
    terima kasih halo assalamualaikum selamat pagi siang sore malam nggih njih mau bisa tapi kalau kok sih ya lah
    pun nya lagi masih sampai sejak warga desa dusun rt rw kecamatan kec kabupaten kab kota bojonegoro pengaduan
    laporan melaporkan lapor keluhan mengeluhkan informasi info tanya bertanya menanyakan permintaan permohonan
    nama nomor hp telp telepon wa email nik kata apa apakah bagaimana kenapa mengapa kapan berapa dimana sini situ
    sana tersebut hal terhadap secara agar supaya sehingga namun padahal hingga selama setelah sebelum saat ketika
    sering selalu pernah harus perlu ingin bahwa seperti lebih kurang hanya cuma para semua setiap banyak beberapa
    tahun bulan minggu hari tanggal jam lama kemarin tadi sekarang dulu baru mulai tetap tinggal
    ditindaklanjuti diperbaiki ditangani diperhatikan dibantu perhatian penanganan perbaikan tindak lanjut bantuannya
    mohonkan kepada yth hormat dear regards tks trims terimakasih thanks sebagai atas tentang mengenai soal
    pemprov pemkot pemkab pemerintah provinsi kementerian dinas wali walikota bupati camat lurah kades kepala
    secepatnya mohonnya infonya informasinya penjelasannya solusinya mas mbak admin saja maaf melakukan meminta
    adanya lain sms radio assalamualaikum assallamualaikum wr wb salam januari februari maret april mei juni juli
    agustus september oktober november nopember desember depan dekat samping belakang sekitar wilayah daerah area
    kawasan tepatnya kang cak dibuat perhatiannya""".split()
)
"""Words that never carry the problem (greetings, pronouns, requests for action, time words, admin words)."""
GLUE = frozenset("yang sangat sekali banget parah sudah masih sering selalu makin semakin sekarang lagi umum".split())
"""Stop words dropped without breaking a phrase: "jalan sangat rusak" reads "jalan rusak"."""
NEGATIONS = frozenset({"tidak", "belum", "tak"})
"""Kept inside a phrase ("air tidak mengalir") but never at its end."""
FACILITIES = frozenset(
    """puskesmas pustu polindes posyandu rsud sekolah sd smp sma smk madrasah pasar terminal stasiun balai
    masjid""".split()
)
"""Places a problem happens at: a label reads "antrean panjang di puskesmas"."""
ACRONYMS = frozenset(
    """pdam pju bpjs rsud pkh kks ktp e-ktp kk brt pbpu jht kis jkn sd smp sma smk bpnt blt umkm pkl opd pln
    lpg bbm sim stnk ugd igd dbd kip sk cpns imb kpm""".split()
)
PROBLEM_WORDS = frozenset(
    """rusak berlubang lubang ambles ambrol retak roboh longsor putus bocor mati padam banjir genangan tergenang
    macet kemacetan keruh bau kotor sampah menumpuk tumpukan limbah tercemar asap antre antrean lama lambat mahal
    pungli liar ilegal sembarangan hilang salah kosong terlambat telat tutup sulit susah ditolak denda tagihan
    tunggakan ugal kurang sasaran gelap rawan copet kecelakaan galak kasar tidak belum selesai cair pencairan
    klaim sesak gatal demam diare langka error eror""".split()
)
"""Words that say what is wrong: a phrase with one of them names the problem, not only the thing."""
PROBLEM_BONUS = 2.0
_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)?|[.,;:!?()\n]")
_PLACEHOLDER = re.compile(r"\[[a-zA-Z]+\]")
PHRASE_BONUS = {1: 1.0, 2: 1.5, 3: 1.7}
"""Longer phrases read better: a bigram must be two thirds as characteristic as a unigram to win."""
EMPTY_LABEL = "(tanpa kata kunci)"


PHRASE_FORMS = (
    (re.compile(r"\b(?:lampu\s+)?penerangan\s+jalan(?:\s+umum)?\b|\blampu\s+jalan\b|\blampu\s+pju\b"), "pju"),
    (re.compile(r"\be[\s-]?ktp\b|\bktp\s+elektronik\b"), "e-ktp"),
)
"""Several words for one thing, written one way: "lampu penerangan jalan umum" and "lampu jalan" are "pju"."""


def tokens(text: str) -> list[str]:
    """Lower-case words with short forms spelled out, and punctuation; placeholders ([nama]) and digits dropped."""
    clean = _PLACEHOLDER.sub(" . ", text).lower()
    for pattern, replacement in PHRASE_FORMS:
        clean = pattern.sub(replacement, clean)
    return [SHORT_FORMS.get(t, t) for t in _TOKEN.findall(clean)]


def runs(text: str) -> list[list[str]]:
    """Runs of words that may form a phrase: split at punctuation and stop words (negations kept, glue skipped)."""
    found: list[list[str]] = [[]]
    for t in tokens(text):
        if t in GLUE:
            continue
        if t in NEGATIONS or (t not in STOPWORDS and len(t) > 1 and t.isascii() and t[0].isalpha()):
            found[-1].append(t)
        elif found[-1]:
            found.append([])
    return [r for r in found if r]


def phrases(text: str, longest: int = 3) -> set[str]:
    """Every 1..`longest`-gram inside a run that neither starts nor ends with a negation (a lone one neither)."""
    found = set()
    for words in runs(text):
        for n in range(1, min(longest, len(words)) + 1):
            for i in range(len(words) - n + 1):
                gram = words[i : i + n]
                if gram[-1] in NEGATIONS or len(set(gram)) < n:
                    continue
                found.add(" ".join(gram))
    return found


@dataclass(frozen=True)
class PhraseStats:
    """How many clusters use each phrase, over all clusters being labelled (the "against the others" weight)."""

    clusters_using: Counter[str]
    complaints_using: Counter[str]
    """Per word: in how many complaints overall it occurs (for `label_word`)."""
    n_clusters: int

    @classmethod
    def of(cls, clusters: Sequence[Sequence[str]]) -> "PhraseStats":
        using: Counter[str] = Counter()
        words: Counter[str] = Counter()
        for texts in clusters:
            seen: set[str] = set()
            for text in texts:
                grams = phrases(text)
                seen |= grams
                words.update(g for g in grams if " " not in g)
            using.update(seen)
        return cls(using, words, len(clusters))


def _score(phrase: str, in_cluster: int, size: int, stats: PhraseStats | None) -> float:
    idf = math.log((1 + stats.n_clusters) / (1 + stats.clusters_using.get(phrase, 0))) + 1 if stats else 1.0
    words = phrase.split()
    bonus = PROBLEM_BONUS if any(w in PROBLEM_WORDS for w in words) else 1.0
    return in_cluster / size * idf * PHRASE_BONUS[len(words)] * bonus


@dataclass(frozen=True)
class LabelRules:
    """What a label may contain: `allowed(word, complaints using it)` (the privacy rule), words never used (place
    names: the place is added separately)."""

    allowed: Callable[[str, int], bool]
    excluded: frozenset[str] = frozenset()


TITLE_WEIGHT = 1.0
"""A phrase in every title of the cluster scores (1 + this) times as much: titles say the problem in few words."""


def ranked_phrases(
    texts: Sequence[str], stats: PhraseStats | None, rules: LabelRules, titles: Sequence[str] = ()
) -> list[tuple[float, str]]:
    """The cluster's phrases, most characteristic first; only phrases whose every word the rules allow and, in a
    cluster of two or more, that two complaints of the cluster use."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(phrases(text))
    in_titles: Counter[str] = Counter()
    for title in titles:
        in_titles.update(phrases(title))
    size = len(texts)
    scored = []
    for phrase, n in counts.items():
        if size >= 2 and n < 2:
            continue
        words = [w for w in phrase.split() if w not in NEGATIONS]
        used = lambda w: max(n, stats.complaints_using.get(w, 0) if stats else 0)  # noqa: E731
        if any(w in rules.excluded or not rules.allowed(w, used(w)) for w in words):
            continue
        title_share = min(in_titles.get(phrase, 0) / size, 1.0) if titles else 0.0
        scored.append((_score(phrase, n, size, stats) * (1 + TITLE_WEIGHT * title_share), phrase))
    scored.sort(key=lambda item: (-item[0], -item[1].count(" "), item[1]))
    return scored


def problem_phrase(
    texts: Sequence[str], stats: PhraseStats | None, rules: LabelRules, titles: Sequence[str] = ()
) -> str:
    """The problem as a short phrase ("jalan rusak dan berlubang"), or "" when no phrase may be used."""
    ranked = ranked_phrases(texts, stats, rules, titles)
    if not ranked:
        return ""
    best_score, best = ranked[0]
    only_problem = all(w in PROBLEM_WORDS or w in NEGATIONS for w in best.split())
    if " " not in best or only_problem:  # a word or "belum selesai" says little alone: say what it is about
        longer = None
        if " " not in best:  # a longer phrase around the word, when it is nearly as strong
            longer = next((p for sc, p in ranked[1:20] if sc >= best_score * 0.4 and best in p.split()), None)
        if longer is None and only_problem:  # "mati" -> "lampu mati", "belum selesai" -> "e-ktp belum selesai"
            subject = next((p for sc, p in ranked[1:20] if sc >= best_score * 0.3
                            and not (PROBLEM_WORDS | FACILITIES) & set(p.split())), None)  # fmt: skip
            longer = f"{subject} {best}" if subject else None
        best = longer or best
    words = best.split()
    for score, other in ranked[1:12]:
        if score < best_score * 0.5:
            break
        extra = other.split()
        if set(extra) & set(words[1:]) or other in best:
            continue
        if len(words) >= 2 and extra[0] == words[0] and len(extra) == 2 and extra[1] in PROBLEM_WORDS - set(words):
            return _at_facility(f"{best} dan {extra[1]}", texts, rules)
    return _at_facility(best, texts, rules)


def _at_facility(phrase: str, texts: Sequence[str], rules: LabelRules) -> str:
    """"antrean panjang" + "puskesmas" in most texts -> "antrean panjang di puskesmas"."""
    words = phrase.split()
    if any(w in FACILITIES for w in words):
        return phrase
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({t for t in tokens(text) if t in FACILITIES and t not in rules.excluded})
    common = [(n, w) for w, n in counts.items() if n * 2 >= len(texts) and (len(texts) == 1 or n >= 2)]
    return f"{phrase} di {max(common)[1]}" if common else phrase


def display(phrase: str) -> str:
    """Capitalised, acronyms in capitals: "air pdam keruh" -> "Air PDAM keruh"."""
    words = [w.upper() if w in ACRONYMS else w for w in phrase.split()]
    if words and not words[0].isupper():
        words[0] = words[0].capitalize()
    return " ".join(words)


def make_label(phrase: str, place: str | None) -> str:
    """The label people read: the problem, then the place ("Kec. Kedungadem") when there is one."""
    problem = display(phrase) if phrase else EMPTY_LABEL
    return f"{problem} · {place}" if place else problem
