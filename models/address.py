"""How a place within a desa is said: dusun, RT/RW, street, house number and landmark ("depan masjid Al Ikhlas").

One grammar serves the drafter, which takes the place of a problem from a text (`transcribe.drafting.gazetteer`),
and the identity filter, which masks a reporter's home (`models.identity`). Parts are *fine* (a dusun, RT, RW,
street, house number or landmark: together they narrow a home down to a few houses) or *coarse* (desa, kecamatan:
where the complaint is, shared by thousands).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from models.words import verb_form

_NUMBER_WORDS = "nol|kosong|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas"
_NUMBER = rf"(?:\d{{1,3}}\b|(?:{_NUMBER_WORDS})(?:\s+belas)?\b)"
_RT = r"(?:RT|erte|er\s?te)"
_RW = r"(?:RW|erwe|er\s?we)"
_NAME_STOP = (
    r"(?!(?:RT|RW|erte|erwe|no|nomor|nomer|di|ke|dan|yang|itu|ini|desa|dusun|dukuh|kelurahan|kecamatan|rumah|saya"
    r"|kami|kita|dari|untuk|dengan|pada|sini|situ|sana|sebelah|tersebut|setempat|minta|meminta"
    r"|sudah|belum|tidak|rusak|mati|banjir|ada|juga|sejak|mohon)\b)"
)
PLACE_WORD = rf"{_NAME_STOP}[A-Za-z][\w'-]*"
"""The first word of a dusun's or street's name: not a word that says something else ("kepala dusun di desa …",
"dusun sebelah")."""
_PLACE_WORD_RE = re.compile(PLACE_WORD, re.IGNORECASE)
_PLACE_NAME = (
    rf"{PLACE_WORD}"
    rf"(?:\s+{_NAME_STOP}(?:kulon|wetan|lor|kidul|tengah|baru|utara|selatan|timur|barat|\d{{1,3}}\b|(?-i:[A-Z])[\w'-]*))?"
)
"""A dusun's or street's name: a word, and a second one when it is capitalised, a direction or a number."""
FINE_PART_RE = re.compile(
    rf"{_RT}\.?\s*{_NUMBER}(?:\s*/\s*(?:{_RW}\.?\s*)?{_NUMBER})?"
    rf"|{_RW}\.?\s*{_NUMBER}"
    rf"|(?:dusun|dukuh|dsn\.?|kampung|kp\.|perumahan|perum\.?|gang|gg\.|jalan|jl\.?|jln\.?|lingkungan|blok)\s+{_PLACE_NAME}"
    r"|(?:no|nomor|nomer)\.?\s*\d{1,4}[a-z]?\b",
    re.IGNORECASE,
)
COARSE_PART_RE = re.compile(rf"(?:desa|kelurahan|kel\.|ds\.|kecamatan|kec\.|kabupaten|kab\.)\s+{_PLACE_NAME}", re.IGNORECASE)
LANDMARK_HEAD_RE = re.compile(
    r"\b(?:depan|dekat|samping|sebelah|belakang|seberang|utara|selatan|timur|barat|sekitar|pinggir)\s+"
    r"(?:masjid|musala|musholla|mushola|langgar|pasar|sekolah|sd|sdn|smp|smpn|sma|sman|smk|mi|mts|puskesmas|"
    r"polindes|balai\s+desa|kantor|jembatan|makam|lapangan|terminal|stasiun|spbu|pom|rumah|toko|gereja|"
    r"pabrik|gudang|kali|sungai|bendungan|waduk|rsud|alun-alun|perempatan|pertigaan|tugu)\b",
    re.IGNORECASE,
)
COMMON_WORD_NAMES = frozenset(
    "sudah jari temu bulu kunci gajah geger petak bobol pacul kapas pojok wedi turi deru bareng kepoh babad "
    "duwel talun bendo pelem soko mojo beji sale malo padang tanggungan kauman leran besah belun ngelo trate "
    "jetak talok donan tebon pesen betet prigi jono woro mori jelu tejo bogo sudu gayam balen sekar dander "
    "gondang ngasem kanor sumberarum sambong".split()
)
"""Desa and kecamatan names that are also ordinary words (or common elsewhere): they count only after a cue
(`LOCAL_CUES`, "desa", "kecamatan") or capitalised; "kulo soko Belun" is "I from Belun", not Desa Soko."""
LOCAL_CUES = frozenset("desa kelurahan ds deso dari saking tiyang warga teng ing di".split())
"""Words a desa's name is said after ("warga Talun", "saking Belun")."""
_LANDMARK_WORD_RE = re.compile(r"\s+([A-Za-z][\w'-]*|\d{1,3}\b)")
LANDMARK_NAME_WORDS = 3
"""At most this many words name the landmark ("depan masjid Al Ikhlas", "depan SDN 1 Sumengko")."""
_LANDMARK_STOP = frozenset(
    """dan yang itu ini sudah belum tidak mohon sejak rusak mati banjir ada di ke dari sering selalu jadi juga kok lagi
    masih sampai pak bu mas mbak tolong rt rw erte erwe desa dusun dukuh kelurahan kecamatan no nomor nomer""".split()
)
"""Words after a landmark that say something else: what is wrong there, or the next part of an address."""
_SEPARATOR_RE = re.compile(r"[\s,]*")
_WORD_START_RE = re.compile(r"\b\w")


def place_name_word(word: str) -> bool:
    """Whether `word`, said after "dusun", "jalan" and the like, may be the first word of the place's name."""
    return _PLACE_WORD_RE.fullmatch(word) is not None


def landmark_end(text: str, start: int) -> int | None:
    """The end of the landmark said at `start` ("dekat jembatan kali Gandong"), or None when none starts there."""
    head = LANDMARK_HEAD_RE.match(text, start)
    if head is None:
        return None
    end = head.end()
    for _ in range(LANDMARK_NAME_WORDS):
        word = _LANDMARK_WORD_RE.match(text, end)
        if word is None or word.group(1).lower() in _LANDMARK_STOP or verb_form(word.group(1)):
            break
        end = word.end()
    return end


def find_landmark(text: str) -> str | None:
    """The first landmark said in `text`."""
    head = LANDMARK_HEAD_RE.search(text)
    return text[head.start():landmark_end(text, head.start())].strip(" ,.") if head else None


def address_run(text: str, start: int) -> tuple[int, bool]:
    """The end of the run of address parts said from `start` on (separated by spaces or commas), and whether a
    fine part is among them; (start, False) when no part starts there."""
    end, fine = start, False
    while True:
        at = _SEPARATOR_RE.match(text, end).end() if end > start else start
        part = FINE_PART_RE.match(text, at)
        if part is not None:
            end, fine = part.end(), True
            continue
        landmark = landmark_end(text, at)
        if landmark is not None:
            end, fine = landmark, True
            continue
        part = COARSE_PART_RE.match(text, at)
        if part is None:
            return end, fine
        end = part.end()


def fine_parts(text: str) -> Iterator[str]:
    """The fine parts said anywhere in `text` (each RT, RW, dusun, street, house number, landmark), in order."""
    at = 0
    while (word := _WORD_START_RE.search(text, at)) is not None:
        start = word.start()
        part = FINE_PART_RE.match(text, start)
        end = part.end() if part is not None else landmark_end(text, start)
        if end is None:
            at = start + 1
            continue
        yield text[start:end]
        at = end
