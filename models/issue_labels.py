"""Readable issue labels: the problem in a short Indonesian phrase, then the place ("Jalan rusak dan berlubang ·
Kec. Kedungadem").

A label names the canonical problem most of the issue's complaints raise (`canonical_problem`: a curated table of
problems and the words that signal them, `models/problem_vocabulary.py`), so that "PKH ... belum cair" and "dana
PKH belum turun" both read "Bantuan PKH belum cair". Only when no problem of the table matches, the label is
built from the cluster's most characteristic phrases: word 1-3-grams over normalised text (short
forms written out, stop words dropped but negations kept, so "air tidak mengalir" stays what it says), scored by
how many of the cluster's complaints use them, weighted against the other clusters (class-based TF-IDF), longer
phrases preferred. A second phrase joins the first when it describes the same thing ("jalan rusak" + "jalan
berlubang" -> "jalan rusak dan berlubang") or names a facility ("... di puskesmas").

Privacy: texts must be anonymised first (`issues.issue_text`), and every word must pass `issues.label_word` or be
in one of the curated lists below (public-service words such as "pju", never a name). Street and place names are
dropped before phrases are formed (`tokens`): the place a label shows is the complaints' kecamatan. In a
cluster of two or more complaints a phrase must also be used by at least two of them, so a word only one reporter
said (a nickname, a house number, a neighbour's name) never labels an issue.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from models import problem_vocabulary
from models.words import word_zipf

SHORT_FORMS = {
    "jln": "jalan", "jl": "jalan", "tdk": "tidak", "gak": "tidak", "nggak": "tidak", "ga": "tidak", "blm": "belum",
    "sdh": "sudah", "slalu": "selalu", "udah": "sudah", "yg": "yang", "dg": "dengan", "dgn": "dengan", "utk": "untuk", "krn": "karena",
    "sy": "saya", "bgt": "banget", "lg": "lagi", "pju": "pju", "pdam": "pdam", "ktp": "ktp", "ektp": "e-ktp",
    "dlm": "dalam", "bs": "bisa", "msh": "masih", "sgt": "sangat", "rmh": "rumah", "sklh": "sekolah",
    "amblas": "ambles", "antri": "antre", "antrian": "antrean", "lobang": "lubang", "bolong": "berlubang",
    "padam": "mati", "byarpet": "mati", "mampet": "tersumbat", "buntu": "tersumbat", "longsoran": "longsor",
    "gk": "tidak", "ngga": "tidak", "enggak": "tidak", "org": "orang", "msk": "masuk", "dpt": "dapat", "tp": "tapi",
    "jd": "jadi", "dr": "dari", "kalo": "kalau", "krg": "kurang", "bnyk": "banyak", "skrg": "sekarang",
    "ndak": "tidak", "nda": "tidak", "mboten": "tidak", "ora": "tidak", "nyampe": "sampai", "nyampai": "sampai",
    # chat
    "udh": "sudah", "dah": "sudah", "blum": "belum", "bln": "bulan", "thn": "tahun", "dtg": "datang", "trs": "terus",
    "sm": "sama", "cm": "cuma", "jg": "juga", "gmn": "bagaimana", "knp": "kenapa", "tlg": "tolong", "pdhl": "padahal",
    "hrs": "harus", "kmrn": "kemarin", "kpd": "kepada", "ttg": "tentang", "brp": "berapa",
    "pake": "pakai", "nunggu": "menunggu", "dapet": "dapat", "aja": "saja", "dpn": "depan", "bbrp": "beberapa",
    "ngantri": "antre", "ngantre": "antre", "gx": "tidak",
    # Javanese, as callers mix it in
    "dereng": "belum", "durung": "belum", "urung": "belum", "sampun": "sudah", "mpun": "sudah", "wis": "sudah",
    "uwis": "sudah", "wonten": "ada", "onten": "ada", "enten": "ada", "ono": "ada", "onok": "ada", "ra": "tidak",
    "griyo": "rumah", "griya": "rumah", "omah": "rumah", "dalan": "jalan", "banyu": "air", "sabin": "sawah",
    "sabine": "sawahnya", "tekan": "sampai",
    "kirang": "kurang", "sanget": "sangat", "tebih": "jauh", "adoh": "jauh", "angel": "sulit", "ilang": "hilang",
    "suwe": "lama", "dangu": "lama", "duit": "uang", "arto": "uang", "bocah": "anak",
    "lare": "anak", "wong": "orang", "tiyang": "orang", "kebakar": "terbakar", "kobong": "terbakar",
    "peteng": "gelap", "mambu": "bau", "ambune": "baunya", "bosok": "busuk", "lara": "sakit", "gerah": "sakit",
    "mlebet": "masuk", "mlebu": "masuk", "dibagi": "dibagikan", "nopo": "apa", "pripun": "bagaimana",
    "kpn": "kapan", "ambu": "bau", "dibenerin": "diperbaiki", "dibenerke": "diperbaiki", "dibetulin": "diperbaiki",
    "nunggak": "menunggak", "angsal": "dapat", "nate": "pernah", "griyane": "rumahnya", "gedhe": "besar",
    "montore": "motornya", "tonggo": "tetangga", "randha": "janda", "sepuh": "tua", "ktp-el": "e-ktp",
    "ktpel": "e-ktp", "diwenehke": "diberikan", "diwenehi": "diberi", "dicekel": "dipegang", "dijupuk": "diambil",
    "kartune": "kartunya", "bayarane": "bayarannya",
}  # fmt: skip
"""Written short forms and common variants, written one way (for labels and for clustering): chat short forms, and
the Javanese words callers mix into Indonesian ("dereng cair" is "belum cair")."""

STOPWORDS = frozenset(
    """yang di ke dari dan atau ini itu ada sudah akan juga dengan untuk pada dalam karena jadi oleh bagi
    saya kami kita kamu anda bapak ibu pak bu mas mbak tolong mohon minta segera sekali banget sangat parah
    terima kasih halo assalamualaikum selamat pagi siang sore malam nggih njih mau bisa tapi kalau kok sih ya lah
    pun nya lagi masih sampai sejak warga desa dusun rt rw kecamatan kec kabupaten kab kota bojonegoro pengaduan
    laporan melaporkan lapor keluhan mengeluhkan informasi info tanya bertanya menanyakan permintaan permohonan
    nama nomor hp telp telepon wa email nik kata apa apakah bagaimana kenapa mengapa kapan berapa dimana sini situ
    sana tersebut hal terhadap secara agar supaya sehingga namun padahal hingga selama setelah sebelum saat ketika
    sering selalu pernah harus perlu ingin bahwa seperti lebih hanya cuma para semua setiap banyak beberapa
    tahun bulan minggu hari tanggal jam lama kemarin tadi sekarang dulu baru mulai tetap tinggal
    ditindaklanjuti diperbaiki ditangani diperhatikan dibantu perhatian penanganan perbaikan tindak lanjut bantuannya
    mohonkan kepada yth hormat dear regards tks trims terimakasih thanks sebagai atas tentang mengenai soal
    pemprov pemkot pemkab pemerintah provinsi kementerian dinas wali walikota bupati camat lurah kades kepala
    secepatnya mohonnya infonya informasinya penjelasannya solusinya mas mbak admin saja maaf melakukan meminta
    adanya lain sms radio assalamualaikum assallamualaikum wr wb salam januari februari maret april mei juni juli
    agustus september oktober november nopember desember depan dekat samping belakang sekitar wilayah daerah area
    kawasan tepatnya kang cak dibuat perhatiannya koq kok dong deh nih tuh loh lho yah tgl mengakibatkan
    menyebabkan mengganggu akibat akibatnya selain boleh sepanjang didepan ditengah disamping dibelakang utara
    selatan timur barat lor kidul wetan kulon seminggu sebulan setahun berbulan min mimin gan kak lur bro sis
    niki niku nika kulo kula sampeyan panjenengan mawon menika punika saking teng ten kalih sing iki iku kuwi opo
    ngoten ngeten nopo pripun""".split()
)
"""Words that never carry the problem (greetings, pronouns, requests for action, time words, admin words)."""
GLUE = frozenset(
    """yang sangat sangatlah sekali banget parah sudah telah masih sering selalu makin semakin sekarang lagi umum
    malah tambah bertambah mengalami terjadi terlalu""".split()
)
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
    klaim sesak gatal demam diare langka error eror calo ugal-ugalan bermasalah mengecewakan meresahkan
    membahayakan berbahaya tersumbat meluap""".split()
)
"""Words that say what is wrong: a phrase with one of them names the problem, not only the thing."""
NAMED_PROBLEMS = frozenset(
    "banjir longsor macet kemacetan genangan sampah limbah asap pungli calo kebakaran kecelakaan".split()
)
"""What is wrong said in one word that names the problem alone ("Longsor"); other words need a subject."""
PROBLEM_BONUS = 2.0
SUBJECTS = frozenset(
    """jalan jembatan trotoar gang lampu pju listrik tiang kabel air pipa saluran drainase selokan got gorong-gorong
    sungai tanggul irigasi embung banjir genangan sampah limbah asap polusi pohon parkir bus brt angkot angkutan
    truk kendaraan terminal halte shelter rambu lalu lintas kemacetan macet sekolah guru siswa murid kelas ijazah
    beasiswa kip bidikmisi bantuan bansos raskin beras pkh kks bpnt blt kartu data akta ktp e-ktp kk surat dokumen
    gaji tunjangan honor tpp pensiun pensiunan kepesertaan iuran tagihan klaim denda pajak retribusi biaya tarif
    pungutan izin sertifikat tanah rumah pelayanan layanan antrean obat dokter perawat bidan pasien rujukan faskes
    rumah-sakit vaksin imunisasi pedagang pkl pengamen pengemis tambang penambangan preman miras judi kebisingan
    suara sinyal internet pupuk benih harga elpiji lpg bbm upah pesangon lowongan pelatihan seleksi cpns honorer
    nip sk kenaikan jadwal rekaman pendaftaran pencairan pembayaran penggantian pembuatan bangunan dana kantor
    kebakaran kelahiran kematian lansia pegawai perangkat sambungan sanitasi pencemaran pembakaran gabah hama pangan
    imb pbg ppdb pppk dtks phk rtlh bumdes kis bpjs asn pln pdam puskesmas rsud disabilitas tenaga status ujian
    program rute kereta bis rawat inap karyawan berkas saldo kode pilkades pilkada pemilu""".split()
)
"""Things a public service is asked about (the heads of problem phrases: "jalan rusak", "antrean panjang"): a
phrase with one of them says what the complaint is about. Curated from the topics' descriptions in the taxonomy
(models/data/taxonomy.json) and the shared evaluation set's tune half."""
SUBJECT_BONUS = 1.5
NO_SUBJECT_PENALTY = 0.5
"""A phrase with a negation but no subject before it ("tidak sesuai", "akibat tidak kerja") is a fragment."""
VERB_PENALTY = 0.5
"""A phrase opening on a verb ("menimbulkan kemacetan", "dikerjakan tidak waktu") is a clause, not a name."""
RARE_WORD_ZIPF = 3.0
RARE_PENALTY = 0.4
"""A rare word that is no known subject (a street, a housing estate, a typo: "jimbaran", "gajahmada") weakens a
phrase: it names where, not what."""
PLAIN_WORD_ZIPF = 3.5
REQUESTS = frozenset(
    "perbaikan penanganan pembangunan penertiban informasi pengecekan penambahan pendaftaran pembersihan".split()
)
"""What a title asks for, kept before a bare subject ("Perbaikan tiang listrik"); stop words everywhere else."""
_VERB = re.compile(r"^(?:me[mngy]?|di|ber|ter)[a-z]{3,}$")
_GREETING = re.compile(r"^(?:w?as+a?l+a?m\w*|wa?alaikum\w*|salam\w*|wr|wb)$")
_TOKEN = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)?|[.,;:!?()\n]")
_BRACKETED = re.compile(r"\[[^\]\n]{1,40}\]")
"""Placeholders ([nama]) and region tags ("[Musi Banyuasin] Raskin ...")."""
PHRASE_BONUS = {1: 1.0, 2: 1.5, 3: 1.7}
"""Longer phrases read better: a bigram must be two thirds as characteristic as a unigram to win."""
EMPTY_LABEL = "(tanpa kata kunci)"


PHRASE_FORMS = (
    (re.compile(r"(?i)\b(?:lampu\s+)?penerangan\s+jalan(?:\s+umum)?\b|\blampu\s+jalan\b|\blampu\s+pju\b"), "pju"),
    (re.compile(r"(?i)\be[\s-]?ktp\b|\bktp\s+elektronik\b"), "e-ktp"),
    (re.compile(r"(?i)\bsalah\s+satu(nya)?\b"), "."),
    (re.compile(r"(?i)\b(?:belum|blm|belom)\s+jadi\b"
                r"|\b(?:sudah|udah|sdh)\s+jadi(?:\s*(?:apa|atau)?\s*(?:belum|blm|belom)\b|\s*\.*\?)"),
     "belum selesai ."),
)
"""Several words for one thing, written one way: "lampu penerangan jalan umum" and "lampu jalan" are "pju" (in any
case: capitals are read before the words are lowered, to find names). Asking whether a document is done ("e-ktp sudah
jadi belum?") says it is not done yet: "belum selesai"."""


_KNOWN_OR_STOP = SUBJECTS | ACRONYMS | PROBLEM_WORDS | FACILITIES | NEGATIONS | STOPWORDS | GLUE
_PLAIN = STOPWORDS | NEGATIONS | GLUE | PROBLEM_WORDS
"""Words that never end a name: stop words, negations and what is wrong ("Jl. Pemuda rusak")."""
ADDRESS_MARKERS = frozenset(
    """jl jln gg perum perumahan kompleks komplek griya desa dusun kel kelurahan kec kecamatan kab kabupaten kota
    provinsi""".split()
)
"""Written before a street's, an estate's or a village's name: the words after it name where, not what."""
ROAD_WORDS = frozenset(
    """utama raya desa kampung lingkungan poros penghubung provinsi kabupaten nasional umum tol protokol setapak
    menuju masuk keluar licin becek sempit bergelombang ke di yang""".split()
)
"""Words after "jalan" that describe a road ("jalan poros", "jalan licin"); any other word starts its name."""
NAME_WORDS = 3
"""A street or place name is taken to run at most this many words ("Jalan Bukit Sungai Ruyung")."""
REQUEST_VERBS = {
    "perbaiki": "perbaikan", "tertibkan": "penertiban", "bersihkan": "pembersihan", "tambahkan": "penambahan",
    "buatkan": "pembuatan", "cek": "pengecekan", "tangani": "penanganan", "dpt": "dapat", "belom": "belum",
}  # fmt: skip
"""A request said as a verb ("Tertibkan PKL") is named by its noun ("penertiban PKL"); a few more short forms (for
labels only: clustering keeps SHORT_FORMS)."""
_LABEL_FORMS = {**SHORT_FORMS, **REQUEST_VERBS}


def tokens(text: str, keep_names: bool = False) -> list[str]:
    """Lower-case words with short forms spelled out, and punctuation; placeholders ([nama]), region tags, digits
    and (unless `keep_names`) the names of streets and places dropped."""
    clean = _BRACKETED.sub(" . ", text)
    for pattern, replacement in PHRASE_FORMS:
        clean = pattern.sub(replacement, clean)
    raw = _TOKEN.findall(clean)
    found = [_LABEL_FORMS.get(w) or _javanese_possessive(w) for w in map(str.lower, raw)]
    return found if keep_names else _without_names(raw, found)


def _javanese_possessive(word: str) -> str:
    """A Javanese word with its possessive ending, as Indonesian: "banyune" -> "airnya", "omahe" -> "rumahnya"."""
    for ending in ("ne", "e"):
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) > 2 and stem in SHORT_FORMS and SHORT_FORMS[stem].isalpha():
            return SHORT_FORMS[stem] + "nya"
    return word


def _without_names(raw: list[str], lower: list[str]) -> list[str]:
    """Drop the words that name a place: after an address marker ("Jl. Gajahmada", "Kecamatan Sungai Keruh") or
    after "jalan" when no road word follows ("jalan Semarang"), up to NAME_WORDS capitalised or unknown words (no
    stop word or word for what is wrong); and, in a sentence written in sentence case, a capitalised word inside it
    that no list knows ("didepan stasiun Poncol")."""
    kept: list[str] = []
    naming = 0
    sentence_case = _sentence_cases(raw)
    for i, (word, low) in enumerate(zip(raw, lower)):
        if not word[0].isalpha():
            if not (word == "." and i > 0 and raw[i - 1].lower() in ADDRESS_MARKERS):  # "Jl. Gajahmada"
                naming = 0
                kept.append(low)
            continue
        known = low in _KNOWN_OR_STOP
        capital = word[0].isupper()
        if naming and ((sentence_case[i] and capital) or (low not in _PLAIN and (capital or not known))):
            naming -= 1
            continue
        naming = 0
        inside = i > 0 and raw[i - 1] not in ".!?\n"
        if sentence_case[i] and inside and capital and not known and not word.isupper():
            continue
        following = lower[i + 1] if i + 1 < len(lower) else "."
        if word.lower() in ADDRESS_MARKERS or (low == "jalan" and following.isalpha()
                                                and following not in ROAD_WORDS and following not in _KNOWN_OR_STOP):
            naming = NAME_WORDS
            if low != "jalan" or not kept or kept[-1] not in REQUESTS:
                continue  # "di jalan Sumbing" says where: neither word names the problem ("perbaikan jalan" does)
        kept.append(low)
    return kept


def _sentence_cases(raw: list[str]) -> list[bool]:
    """Per token: whether its sentence is written in sentence case (few capitals), so that capitals mark names."""
    flags: list[bool] = []
    start = 0
    for end in range(len(raw) + 1):
        if end < len(raw) and raw[end] not in ".!?\n":
            continue
        words = [w for w in raw[start:end] if w[0].isalpha()]
        flags += [len(words) >= 6 and sum(w[0].isupper() for w in words[1:]) * 3 < len(words)] * (end - start + 1)
        start = end + 1
    return flags


def runs(text: str) -> list[list[str]]:
    """Runs of words that may form a phrase: split at punctuation and stop words (negations kept, glue skipped)."""
    found: list[list[str]] = [[]]
    for t in tokens(text):
        if t in GLUE:
            continue
        if t in NEGATIONS or (t not in STOPWORDS and len(t) > 1 and t.isascii() and t[0].isalpha() and not _GREETING.match(t)):
            found[-1].append(t)
        elif found[-1]:
            found.append([])
    return [r for r in found if r]


def phrases(text: str, longest: int = 3) -> set[str]:
    """Every 1..`longest`-gram inside a run that neither ends with a negation nor drops one said just before it (a
    lone negation neither)."""
    found = set()
    for words in runs(text):
        for n in range(1, min(longest, len(words)) + 1):
            for i in range(len(words) - n + 1):
                gram = words[i : i + n]
                if gram[-1] in NEGATIONS or len(set(gram)) < n or _cuts_compound(words, i, i + n):
                    continue
                if i > 0 and words[i - 1] in NEGATIONS:  # "tepat sasaran" of "tidak tepat sasaran" says the opposite
                    continue
                found.add(" ".join(gram))
    return found


COMPOUNDS = frozenset(
    {("lalu", "lintas"), ("rumah", "sakit"), ("rumah", "makan"), ("rawat", "inap"), ("rawat", "jalan"),
     ("kereta", "api"), ("lampu", "merah"), ("kaki", "lima"), ("air", "bersih"), ("kartu", "keluarga"),
     ("tepat", "sasaran"),
     ("golongan", "darah"), ("badan", "jalan"), ("tempat", "sampah"), ("orang", "gila"), ("anak", "sekolah"),
     ("dana", "desa")}
)
"""Two words that name one thing: a phrase never keeps one and cuts off the other ("arus lalu" of "lalu lintas")."""


_COMPOUND_HEADS = frozenset(first for first, _ in COMPOUNDS)


def _cuts_compound(words: list[str], start: int, end: int) -> bool:
    """Whether words[start:end] cuts a compound at either end."""
    return (start > 0 and words[start - 1] in _COMPOUND_HEADS and (words[start - 1], words[start]) in COMPOUNDS) or (
        end < len(words) and words[end - 1] in _COMPOUND_HEADS and (words[end - 1], words[end]) in COMPOUNDS)


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


def _known(word: str) -> bool:
    return word in SUBJECTS or word in ACRONYMS or word in PROBLEM_WORDS or word in FACILITIES


def reads_as_name(phrase: str) -> float:
    """How much the phrase reads as the name of a problem (1.0 neutral): a subject and what is wrong weigh it up;
    a negation without a subject, an opening verb and rare unknown words weigh it down."""
    words = phrase.split()
    weight = PROBLEM_BONUS if any(w in PROBLEM_WORDS for w in words) else 1.0
    subject = next((i for i, w in enumerate(words) if w in SUBJECTS or w in ACRONYMS), None)
    if subject is not None:
        weight *= SUBJECT_BONUS
    if subject is None and any(w in NEGATIONS for w in words):
        weight *= NO_SUBJECT_PENALTY
    if _VERB.match(words[0]) and not _known(words[0]):
        weight *= VERB_PENALTY
    for w in words:
        if not _known(w) and w not in NEGATIONS and word_zipf(w) < RARE_WORD_ZIPF:
            weight *= RARE_PENALTY
    return weight


def _score(phrase: str, in_cluster: int, size: int, stats: PhraseStats | None) -> float:
    idf = math.log((1 + stats.n_clusters) / (1 + stats.clusters_using.get(phrase, 0))) + 1 if stats else 1.0
    return in_cluster / size * idf * PHRASE_BONUS[len(phrase.split())] * reads_as_name(phrase)


@dataclass(frozen=True)
class LabelRules:
    """What a label may contain: `allowed(word, complaints using it)` (the privacy rule), words never used (place
    names: the place is added separately)."""

    allowed: Callable[[str, int], bool]
    excluded: frozenset[str] = frozenset()


TITLE_WEIGHT = 3.0
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
        if any(w in rules.excluded or not (_known(w) or rules.allowed(w, used(w))) for w in words):  # curated: no name
            continue
        title_share = min(in_titles.get(phrase, 0) / size, 1.0) if titles else 0.0
        scored.append((_score(phrase, n, size, stats) * (1 + TITLE_WEIGHT * title_share), phrase))
    scored.sort(key=lambda item: (-item[0], -item[1].count(" "), item[1]))
    return scored


OPENING_WORDS = 40
"""A problem said within this many words of a text's start (its title and first sentence) is the report's point; one
said later ("banjir" deep in a permit complaint) is a detail."""


SAID_FIRST_SLACK = 4
"""In one report, problems said within this many words of the first one said are one point (the more specific, listed
first in the table, names it: "proyek rabat beton dana desa asal-asalan"); one said later is an aside ("lampu jalan
mati ..., jalannya juga rusak")."""


SMALL_ISSUE = 3
"""In an issue of this many complaints or fewer, one complaint may name the issue's problem when none names another."""


def problems_said(text: str) -> list[problem_vocabulary.Match]:
    """The canonical problems one text says (what `canonical_problem` reads of each text)."""
    vocabulary = problem_vocabulary.vocabulary()
    return vocabulary.match(vocabulary.words(tokens(text, keep_names=True)))


def canonical_problem(
    texts: Sequence[str], titles: Sequence[str] = (), said: Sequence[list[problem_vocabulary.Match]] | None = None
) -> str:
    """The name of the canonical problem the issue's complaints raise ("Antrean lama di RSUD"), or "" when none
    does. One complaint: the problem it says (the one its title says, when several, then the one said in its
    opening, the first said: people open on their point; said at one word, the more specific). Several: the problem
    most of them say, said by at least two and by a third of them at least (ties: the one more titles say, then more
    openings, then the more specific); with the thing most of those name and the facility half of them name; in a
    small issue, the only problem any of them makes its point, else one its titles say. Entries of one name, and
    problems of one family ("Air PDAM keruh" of "Air PDAM tidak mengalir"), count as one problem; the family is
    named by the member most of them make their point (ties: the one more say, the family's head). `said`: `problems_said` of each text, when the
    caller has it already."""
    chosen = _chosen(texts, titles, said)
    return chosen[0] if chosen else ""


@lru_cache(maxsize=65536)
def said_in_title(title: str) -> frozenset[int]:
    """The problems a title says (titles repeat: "Keluhan warga", "Jalan rusak"; and an issue is named several times
    while issues merge)."""
    vocabulary = problem_vocabulary.vocabulary()
    return frozenset(m.problem for m in vocabulary.match(vocabulary.words(tokens(title, keep_names=True))))


def _chosen(
    texts: Sequence[str], titles: Sequence[str], said: Sequence[list[problem_vocabulary.Match]] | None
) -> tuple[str, str] | None:
    """(name, family) of the issue's problem (`canonical_problem`); family is "" for a problem of no family (its head
    and its members give the same family)."""
    vocabulary = problem_vocabulary.vocabulary()
    problems = vocabulary.problems
    said = [problems_said(text) for text in texts] if said is None else said
    title_matches = [said_in_title(title) for title in titles]
    titled = set().union(*title_matches)
    in_titles = Counter(key for found in title_matches for key in {problems[k].key for k in found})
    counts = Counter(key for matches in said for key in {problems[m.problem].key for m in matches})
    opening = Counter(key for matches in said for key in {problems[m.problem].key for m in matches if m.start < OPENING_WORDS})
    order: dict[str, int] = {}
    for matches in said:
        for m in matches:
            order[problems[m.problem].key] = min(order.get(problems[m.problem].key, m.problem), m.problem)
    first: dict[str, int] = {}
    if len(texts) == 1:
        for m in said[0]:
            first[problems[m.problem].key] = min(first.get(problems[m.problem].key, m.start), m.start)
    enough = 1 if len(texts) == 1 else max(2, math.ceil(len(texts) / 3))
    candidates = [key for key, n in counts.items() if n >= enough]
    if not candidates and len(texts) <= SMALL_ISSUE:
        # A small issue: the only problem any complaint makes its point ("jalan ... kapan diaspal" and a question
        # about the road; an aside on the musrenbang said after it is no second point), else the ones its titles say.
        points = {problems[_point(matches)].key for matches in said if matches}
        candidates = list(points) if len(points) == 1 else [key for key in counts if in_titles[key]]
    if not candidates:
        return None
    # ties: not a catch-all, then the one more titles say, then the one more of them make their point (said first:
    # "tambang pasir ... tebing longsor" is about the mining), then the one more say in their opening
    pointed = Counter(problems[_point(matches)].key for matches in said if matches)
    # a catch-all here: said only through catch-all entries ("Insentif guru ... belum dibayar" is no catch-all, though
    # "{thing} belum dibayar" of its family is); one report: what it says first
    narrow = {problems[m.problem].key for matches in said for m in matches if not problems[m.problem].broad}
    broad = vocabulary.broad - narrow if len(texts) > 1 else frozenset()
    rank = {key: (counts[key], key not in broad, in_titles[key], pointed[key], opening[key]) for key in candidates}
    candidates = [key for key in candidates if rank[key] == max(rank.values())]
    if first:  # one report: its point is what it says first; what it says a few words later is the same point
        earliest = min(first[key] for key in candidates)
        candidates = [key for key in candidates if first[key] <= earliest + SAID_FIRST_SLACK]
    key = min(candidates, key=lambda key: order[key])
    # the member of the problem (or family) one report makes its point, or most of them make their point (ties: the
    # one more say, the family's head, then the more specific)
    members = Counter(k for matches in said for k in {m.problem for m in matches if problems[m.problem].key == key})
    asked = [k for k in members if problems[k].grievance and members[k] * 2 >= len(texts)
             and (len(texts) > 1 or k in titled or not titled & members.keys())]  # one report: its title first
    if asked:  # what half of them ask of the event, though they open on the event
        best = min(asked, key=lambda k: (-members[k], k))
    elif len(texts) == 1:  # what its title says, else its point
        own = [m for m in said[0] if problems[m.problem].key == key]
        best = _point([m for m in own if m.problem in titled] or own)
    else:  # the member most of them make their point, then the one most say
        points = Counter(_point(own) for matches in said if (own := [m for m in matches if problems[m.problem].key == key]))
        best = min(members, key=lambda k: (-points[k], -members[k], problems[k].name != key, k))
    matches = [next(m for m in found if m.problem == best) for found in said if any(m.problem == best for m in found)]
    thing, named = Counter(m.thing for m in matches if m.thing).most_common(1)[0] if any(m.thing for m in matches) else ("", 0)
    place, at = Counter(m.place for m in matches if m.place).most_common(1)[0] if any(m.place for m in matches) else ("", 0)
    family = key if key in vocabulary.families else ""
    generic = problems[best].generic
    if generic and named * 3 < len(matches) * 2:
        # "Gaji" and "Tunjangan" belum dibayar: "Gaji atau tunjangan belum dibayar"
        return (f"{generic} di {place}" if place and at * 2 >= len(matches) else generic), family
    return vocabulary.name(problem_vocabulary.Match(best, thing, place if at * 2 >= len(matches) else "")), family


def _point(matches: Sequence[problem_vocabulary.Match]) -> int:
    """The problem one report makes its point: the first said in its opening (within SAID_FIRST_SLACK words, the
    more specific)."""
    opening = [m for m in matches if m.start < OPENING_WORDS] or list(matches)
    earliest = min(m.start for m in opening)
    return min(m.problem for m in opening if m.start <= earliest + SAID_FIRST_SLACK)


def sameness(
    texts: Sequence[str], stats: PhraseStats | None, rules: LabelRules, titles: Sequence[str] = (),
    said: Sequence[list[problem_vocabulary.Match]] | None = None,
) -> str:
    """What makes two issues of one group one issue: the problem from the table they name ("Banjir" said in four
    people's own words), else the same phrase of two or more words found in their texts; "" when neither (the topic
    fallback "masalah <topic>" and a bare word say nothing about sameness)."""
    found = table_key(texts, titles, said)
    if found:
        return found
    phrase = problem_phrase(texts, stats, rules, titles)
    return phrase if " " in phrase else ""


def table_key(
    texts: Sequence[str], titles: Sequence[str] = (), said: Sequence[list[problem_vocabulary.Match]] | None = None
) -> str:
    """The problem of the table the issue's complaints raise as it makes issues one: its family when it has one ("Air
    PDAM keruh" and "Air PDAM tidak mengalir" are one issue), else its name; "" when none."""
    chosen = _chosen(texts, titles, said)
    return (chosen[1] or chosen[0]) if chosen else ""


def issue_name(
    texts: Sequence[str], stats: PhraseStats | None, rules: LabelRules, titles: Sequence[str] = (), topic: str = "",
    said: Sequence[list[problem_vocabulary.Match]] | None = None,
) -> str:
    """The problem half of an issue's label: the canonical problem its complaints raise, else its most
    characteristic phrase (`problem_phrase`)."""
    found = canonical_problem(texts, titles, said)
    if found:
        return found
    phrase = problem_phrase(texts, stats, rules, titles, topic)
    reads_badly = is_fragment(phrase) or (" " not in phrase and phrase not in NAMED_PROBLEMS)
    if reads_badly and (asked := asked_about(texts, titles)):
        return asked  # "Pertanyaan tentang KIP" says what is asked; "KIP" or "Dana KIP selesai hadiri" does not
    if not reads_badly and not _parts(phrase)[1] and asked_about(texts, titles):
        return f"pertanyaan tentang {_topic_of(phrase)}"  # "Jaminan pelayanan" asked about, not complained of
    if not topic or not is_fragment(phrase):
        return phrase
    ranked = ranked_phrases(texts, stats, rules, titles)
    return next((p for score, p in ranked[1:12] if score >= ranked[0][0] * 0.3 and not is_fragment(p)),
                f"masalah {topic[:1].lower()}{topic[1:]}")


QUESTION_WORDS = frozenset(
    """tanya bertanya menanyakan pertanyaan informasi info informasinya apakah apa bagaimana bagaimanakah gimana
    kapan berapa bolehkah bisakah dapatkah dimana kemana mengapa kenapa syarat persyaratan prosedur cara mekanisme
    ?""".split()
)
"""Words that make a report a question or a request for information ("Bolehkah saldo KKS dihabiskan?")."""
ASKING_FOR = frozenset("informasi info informasinya".split())
"""Weaker: "informasi" with what is wrong ("Akses informasi sangat sulit") is a complaint."""
REQUIREMENT_WORDS = frozenset("syarat persyaratan prosedur mekanisme kriteria".split())
OPENING_TOKENS = 25
"""A report asks when its title or first words do (the text after them may ask anything in passing)."""


def asked_about(texts: Sequence[str], titles: Sequence[str] = ()) -> str:
    """For an issue whose reports mostly ask rather than complain, the thing asked about as a label ("pertanyaan
    tentang kip", "permintaan informasi syarat kks"); "" when they complain or name no curated thing."""
    asked, requirements, things = 0, 0, Counter()
    for n, text in enumerate(texts):
        title = tokens(titles[n]) if n < len(titles) else []
        opening = tokens(text)[:OPENING_TOKENS]
        said = set(title) | set(opening)
        if not said & (QUESTION_WORDS - ASKING_FOR) and not (said & ASKING_FOR and not said & PROBLEM_WORDS):
            continue
        asked += 1
        requirements += bool(said & REQUIREMENT_WORDS)
        thing = _thing_asked(title) or _thing_asked(opening)
        if thing:
            things[thing] += 1
    if not things or asked * 2 <= len(texts):
        return ""
    thing, count = things.most_common(1)[0]
    if len(texts) > 1 and count < 2:
        return ""
    return f"permintaan informasi syarat {thing}" if requirements * 2 > asked else f"pertanyaan tentang {thing}"


def _topic_of(phrase: str) -> str:
    """The phrase as what a question is about: no leading "informasi", no trailing verb ("pilkades dilaksanakan")."""
    words = phrase.split()
    if len(words) > 1 and words[0] in ASKING_FOR:
        words = words[1:]
    while len(words) > 1 and _VERB.match(words[-1]) and not _known(words[-1]):
        words = words[:-1]
    return " ".join(words)


def _thing_asked(words: Sequence[str]) -> str:
    """The first curated thing of these words: an acronym (with the subject said just before it: "saldo kks"), else
    a subject ("beasiswa"); "" when there is none."""
    for i, word in enumerate(words):
        if word in ACRONYMS:
            before = words[i - 1] if i else ""
            return f"{before} {word}" if before in SUBJECTS and before not in ACRONYMS and before not in REQUESTS else word
    return next((w for w in words if w in SUBJECTS and w not in REQUESTS and w not in PROBLEM_WORDS), "")


NUMBER_WORDS = frozenset(
    "satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas belas puluh ratus ribu juta seribu".split()
)
CLAUSE_OPENERS = frozenset(
    """benar guna untuk agar apa bila jika kalau karena bahwa besok yaitu ialah adalah bolehkah bisakah dapatkah
    bagaimanakah gimana kemana""".split()
)
CLAUSE_ENDS = frozenset("memiliki mempunyai memberi memberikan punya ada bisa dapat mau jadi".split())
"""Words a name never opens or ends with: "Benar besok bus", "Mobil tidak memiliki" are pieces of a clause."""


def is_fragment(phrase: str) -> bool:
    """Whether a phrase is a piece of a clause rather than a name: it names neither a thing nor what is wrong
    ("bayarnya ribu"), opens on a number, a negation, a verb or a clause word, or ends on a clause word."""
    words = phrase.split()
    if not words:
        return True
    subject, problem = _parts(phrase)
    opens_on_verb = _VERB.match(words[0]) is not None and not _known(words[0]) and words[0] not in REQUESTS
    return (not (subject or problem or phrase in NAMED_PROBLEMS) or words[0] in NUMBER_WORDS | CLAUSE_OPENERS | NEGATIONS
            or opens_on_verb or words[-1] in CLAUSE_ENDS | NUMBER_WORDS)


def problem_phrase(
    texts: Sequence[str], stats: PhraseStats | None, rules: LabelRules, titles: Sequence[str] = (), topic: str = ""
) -> str:
    """The problem as a short phrase ("jalan rusak dan berlubang"); when no phrase names a subject or what is wrong,
    "masalah <topic>" (or "" without a topic)."""
    fallback = f"masalah {topic[:1].lower()}{topic[1:]}" if topic else ""
    ranked = ranked_phrases(texts, stats, rules, titles)
    if not ranked:
        return fallback
    best_score, best = ranked[0]
    if " " not in best:  # a word says little alone: a longer phrase around it, when nearly as strong
        best = next((p for sc, p in ranked[1:20] if sc >= best_score * 0.4 and best in p.split()), best)
    subject, problem = _parts(best)
    if problem and not subject:  # "mati" -> "lampu mati", "tidak sesuai" -> "data tidak sesuai"
        found = next((p for sc, p in ranked[1:20] if sc >= best_score * 0.25 and _parts(p) == (True, False)
                      and not FACILITIES & set(p.split()) and _follows(texts, p, best)), None)  # fmt: skip
        best = f"{found} {best}" if found else best
    elif subject and not problem and len(best.split()) < 3:  # "air" -> "air tidak mengalir"
        found = next((p for sc, p in ranked[1:20] if sc >= best_score * 0.25 and _parts(p) == (False, True)
                      and len(p.split()) <= 2 and all(_plain(w) for w in p.split())
                      and not set(p.split()) & set(best.split()) and _follows(texts, best, p)), None)  # fmt: skip
        best = f"{best} {found}" if found else _requested(best, titles)
    subject, problem = _parts(best)
    if not subject and best not in NAMED_PROBLEMS and (" " not in best or (not problem and reads_as_name(best) < 1.0)):
        return fallback or best  # "kurang", "masyarakat", "ogah meresahkan": say the topic rather
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


SAID_TOGETHER = 7
"""A subject and what is wrong join only when a text says them within this many words, in that order."""


def _follows(texts: Sequence[str], subject: str, predicate: str) -> bool:
    """Whether some text says `predicate` shortly after `subject` ("air sudah 3 bulan tidak mengalir")."""
    last, first = subject.split()[-1], predicate.split()[0]
    for text in texts:
        words = tokens(text)
        if any(w == last and first in words[i + 1 : i + 1 + SAID_TOGETHER] for i, w in enumerate(words)):
            return True
    return False


def _plain(word: str) -> bool:
    """A word anyone reads: what is wrong, a negation, or a common word (not a name, a typo or slang)."""
    return word in PROBLEM_WORDS or word in NEGATIONS or word_zipf(word) >= PLAIN_WORD_ZIPF


def _requested(phrase: str, titles: Sequence[str]) -> str:
    """"drainase" + titles "Perbaikan drainase ..." -> "perbaikan drainase": what most titles ask for."""
    first, asked = phrase.split()[0], Counter()
    for title in titles:
        words = tokens(title)
        asked.update({words[i] for i in range(len(words) - 1) if words[i] in REQUESTS and first in words[i + 1 : i + 5]})
    common = [(n, w) for w, n in asked.items() if n * 2 >= len(titles)]
    return f"{max(common)[1]} {phrase}" if common else phrase


def _parts(phrase: str) -> tuple[bool, bool]:
    """Whether the phrase names a subject ("lampu", "PDAM"), and whether it says what is wrong ("mati", "tidak
    mengalir")."""
    words = phrase.split()
    return (any(w in SUBJECTS or w in ACRONYMS for w in words),
            words[0] in NEGATIONS or any(w in PROBLEM_WORDS for w in words))  # fmt: skip


def _at_facility(phrase: str, texts: Sequence[str], rules: LabelRules) -> str:
    """"antrean panjang" + "puskesmas" said near it in most texts -> "antrean panjang di puskesmas"."""
    words = phrase.split()
    if any(w in FACILITIES for w in words):
        return phrase
    counts: Counter[str] = Counter()
    for text in texts:
        found = tokens(text)
        near = {j for i, t in enumerate(found) if t in words for j in range(i - SAID_TOGETHER, i + SAID_TOGETHER + 1)}
        counts.update({t for j, t in enumerate(found) if t in FACILITIES and t not in rules.excluded and j in near})
    common = [(n, w) for w, n in counts.items() if n * 2 >= len(texts) and (len(texts) == 1 or n >= 2)]
    return f"{phrase} di {max(common)[1]}" if common else phrase


def display(phrase: str) -> str:
    """Capitalised, acronyms in capitals: "air pdam keruh" -> "Air PDAM keruh", "e-KTP belum jadi" -> "E-KTP belum
    jadi"."""
    words = [w.upper() if w in ACRONYMS else w for w in phrase.split()]
    if words:
        words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words)


def make_label(phrase: str, place: str | None, spot: str = "") -> str:
    """The label people read: the problem, then the place ("Kec. Kedungadem") when there is one, after the spot its
    complaints name when they name one ("Jalan rusak · jalan Kedungadem–Megale, Kec. Kedungadem")."""
    problem = display(phrase) if phrase else EMPTY_LABEL
    where = ", ".join(part for part in (spot, place) if part)
    return f"{problem} · {where}" if where else problem


def problem_half(label: str) -> str:
    """The problem a label names, without its place ("Jalan rusak" of "Jalan rusak · Desa Belun, Kec. Temayang")."""
    return label.split(" · ")[0]
