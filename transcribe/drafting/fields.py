"""Field extraction from normalised text: reporter, phones, classification, urgency, sensitive data, title."""

from __future__ import annotations

import re
from dataclasses import dataclass

from models import issue_labels, phone
from models.identity import is_name_word
from transcribe.drafting.normalize import TITLE_WORDS

PHONE_RE = re.compile(r"(?<![\d+])(\+?62\s?8\d{7,11}|08\d{7,11}|0[2-9]\d{1,3}[\s-]?\d{5,8})(?!\d)")
DIGIT_RUN_RE = re.compile(r"(?<!\d)\d{8,20}(?!\d)")
BANK_CUE_RE = re.compile(
    r"\b(rekening|rek|norek|no\.?\s?rek|nomor rekening|bank|bri|bni|bca|bsi|btn|mandiri|jatim|atm|transfer)\b", re.I)
NIK_CUE_RE = re.compile(r"\b(nik|ktp|nomor induk|kependudukan|kk|kartu keluarga)\b", re.I)
HONORIFIC = r"(?:pak|bu|mas|mbak|bapak|ibu|mbah|kang|cak|dik|saudara|sdr)"
"""Forms of address said before a name ("saya pak slamet", "dengan bu sri")."""
_NAME = r"([^\W\d_][\w'.]*(?:\s+[^\W\d_][\w'.]*){0,4})"
HOME_PART = (r"(?:(?:desa|kelurahan|kecamatan|dusun|dukuh)\s+[\w-]+(?:\s+(?:kulon|wetan|lor|kidul|tengah))?"
             r"|RT\s\d{2}(?:/RW\s\d{2})?|RW\s\d{2})")
"""One part of where callers say they live when they introduce themselves ("desa Pejok", "RT 02/RW 01")."""
NAME_PATTERNS = [
    re.compile(rf"\bnama\s+(?:saya|pelapor|lengkap\s+saya)\s*(?:adalah|ialah|:)?\s+(?:{HONORIFIC}\s+)?{_NAME}", re.I),
    re.compile(rf"\bnama(?:\s+lengkap)?\s*:\s*(?:{HONORIFIC}\s+)?{_NAME}", re.I),
    re.compile(rf"\batas\s+nama\s+(?:{HONORIFIC}\s+)?{_NAME}", re.I),
    re.compile(rf"\bsaya\s+bernama\s+(?:{HONORIFIC}\s+)?{_NAME}", re.I),
    re.compile(rf"\bsaya\s+(?:warga|dari|asal|tinggal\s+di)(?:\s*,?\s*{HOME_PART})+\s*,?\s*(?:yang\s+)?bernama\s+"
               rf"(?:{HONORIFIC}\s+)?{_NAME}", re.I),
    re.compile(rf"\byang\s+melapor(?:kan)?(?:\s+(?:adalah|ialah))?\s*:?\s+{HONORIFIC}\s+{_NAME}", re.I),
    re.compile(rf"\bperkenalkan\s*,?\s+(?:saya\s+)?(?:{HONORIFIC}\s+)?{_NAME}", re.I),
    re.compile(rf"\b(?:saya|dengan)\s+{HONORIFIC}\s+{_NAME}", re.I),
    re.compile(r"\bsaya\s+([^\W\d_][\w']*(?:\s+[^\W\d_][\w']*)?)\s*,?\s+(?:dari|warga|asal|tinggal)\b", re.I),
    re.compile(r"\bdengan\s+([^\W\d_][\w']*(?:\s+[^\W\d_][\w']*)?)\s*,?\s+(?:dari|warga)\b", re.I),
]
"""Self-introductions, most explicit first; the name is cut at the first word that cannot be part of one."""
NAME_STOP = frozenset(
    "dari di ke warga asal mau ingin hendak akan tinggal alamat dan yang rt rw desa dusun kecamatan kelurahan kec kel "
    "kabupaten nomor no nomer mohon pak bu mas mbak bapak ibu mbah kang cak dik saudara sdr ini itu lapor melapor "
    "melaporkan menyampaikan mengadu mengadukan mengeluhkan bertanya tanya menanyakan mengusulkan usul minta tolong "
    "sudah belum tidak bukan ya iya nggih ngih sebagai selaku adalah ada kami kita saya anak istri suami rumah jalan "
    "selamat pagi siang sore malam terima kasih mohon maaf umur usia hp telepon wa juga lagi sekarang tadi kemarin "
    "mengenai tentang soal masalah punya perlu numpang izin ijin dengan atas nama perkenalkan baru sedang sangat "
    "saking teng ing niki niku nika".split()
) | TITLE_WORDS
"""Words that end a name; offices ("pak kades", "bu bidan") are no names, nor what is said about a name
("nama saya dicoret": `models.identity.is_name_word`)."""
_ASK = r"(?:tolong|mohon|minta|harap|agar|supaya)"
_NOT_NEEDED = r"(?:jangan|tidak\s+usah|tak\s+usah|ndak\s+usah|nggak\s+usah|gak\s+usah|ga\s+usah|tidak\s+perlu|mboten\s+usah)"
_SAY = r"(?:di)?(?:sebut|tulis|cantum|tampil|umum|publikasi|buka|kasih\s+tahu|beri\s*tahu)(?:kan)?"
PRIVACY_RE = re.compile(
    rf"\b(?:{_ASK}\s+)?(?:nama|identitas|data\s+diri)(?:\s+(?:saya|kami|kulo|aku|pelapor))?\s+(?:{_ASK}\s+)?(?:di)?rahasiakan\b"
    rf"|\b(?:di)?rahasiakan\s+(?:nama|identitas|data\s+diri)\b"
    rf"|\b{_NOT_NEEDED}\s+{_SAY}\s+(?:nama|identitas)\b"
    rf"|\b(?:nama|identitas)(?:\s+(?:saya|kami|kulo|aku))?\s+{_NOT_NEEDED}\s+{_SAY}\b"
    rf"|\b(?:ingin|mau|minta|mohon)\s+(?:lapor\s+)?(?:secara\s+)?(?:anonim|tanpa\s+nama)\b",
    re.I,
)
"""A reporter asking not to be named: "tolong nama saya dirahasiakan", "jangan sebut nama saya", "tanpa nama"."""
INFO_RE = re.compile(
    r"\b(bagaimana cara|gimana cara|caranya|apa saja syarat|syaratnya apa|syarat(?:nya)?|mau tanya|ingin tanya|ingin menanyakan|"
    r"mau menanyakan|menanyakan|bertanya|mohon informasi|mohon info|minta informasi|kapan|apakah|berapa|prosedur)\b", re.I)
ASPIRASI_RE = re.compile(
    r"\b(usul|usulan|mengusulkan|saran|menyarankan|sebaiknya|alangkah baiknya|harapan|berharap|semoga|mohon dibangun|"
    r"mohon dibuatkan|agar dibangun|agar dibuat|tolong dibangun|aspirasi|mohon diadakan|mohon ditambah)\b", re.I)
COMPLAINT_RE = re.compile(
    r"\b(rusak|mati|tidak|belum|hilang|keluh|mengeluh|lapor|melaporkan|kecewa|parah|macet|pungli|dipersulit|"
    r"ditolak|mampet|bocor|langka|menumpuk|banjir|roboh|jebol|salah|ditahan|curang|meresahkan)\b", re.I)
URGENT_PATTERNS = [
    (re.compile(r"\bbanjir\b", re.I), "banjir"),
    (re.compile(r"\blongsor\b", re.I), "tanah longsor"),
    (re.compile(r"\b(kebakaran|terbakar|dilalap api)\b", re.I), "kebakaran"),
    (re.compile(r"\bpohon\s+(?:\w+\s+){0,2}(tumbang|roboh|ambruk)\b(?:.{0,40}\b(menimpa|nimpa|kena)\b)?", re.I), "pohon tumbang"),
    (re.compile(r"\bkabel\s+(?:listrik\s+)?(?:\w+\s+){0,2}(putus|menjuntai|terjuntai|jatuh|nyetrum|konslet)", re.I), "kabel listrik putus"),
    (re.compile(r"\b(tersengat|kesetrum|kesetrom) listrik\b|\bkesetrum\b", re.I), "tersengat listrik"),
    (re.compile(r"\bkeracunan\b", re.I), "keracunan"),
    (re.compile(r"\b(puting beliung|angin kencang|angin ribut|lesus)\b", re.I), "angin kencang"),
    (re.compile(r"\btanggul\s+(?:\w+\s+){0,2}(jebol|bocor|retak)", re.I), "tanggul jebol"),
    (re.compile(r"\b(tenggelam|hanyut|terseret arus)\b", re.I), "orang tenggelam/hanyut"),
    (re.compile(r"\bgempa\b", re.I), "gempa"),
    (re.compile(r"\b(sesak napas|sesak nafas|pingsan|kritis|kejang|pendarahan|sekarat|tidak sadarkan diri)\b", re.I), "darurat kesehatan"),
    (re.compile(r"\b(wabah|kejadian luar biasa|klb|muntaber|diare massal)\b", re.I), "wabah penyakit"),
    (re.compile(r"\b(rumah|atap|dinding|jembatan|sekolah)\s+(?:\w+\s+){0,2}(roboh|ambruk|ambrol|runtuh|putus)\b", re.I), "bangunan roboh"),
    (re.compile(r"\b(korban jiwa|meninggal dunia|tewas)\b", re.I), "korban jiwa"),
    (re.compile(r"\b(bocor gas|gas bocor|ledakan|meledak)\b", re.I), "ledakan/kebocoran gas"),
]
NEGATED_RE = re.compile(r"\b(tidak|bukan|belum)\s+(ada\s+)?$", re.I)


def find_phones(text: str, caller_number: str | None = None) -> list[str]:
    """Phone numbers said in the text, after the caller id, without repeats."""
    phones: list[str] = []
    if caller_number:
        n = phone.to_national(caller_number)
        if n:
            phones.append(n)
    for m in PHONE_RE.finditer(text):
        n = phone.to_national(m.group(1))
        if n and n not in phones:
            phones.append(n)
    return phones


def find_reporter_name(text: str) -> str | None:
    """The caller's name from a self-introduction: "nama saya …", "saya pak …", "dengan bu …", "atas nama …",
    "saya … dari …"; recognizers write names in lower case, so case does not matter."""
    for pattern in NAME_PATTERNS:
        for m in pattern.finditer(text):
            words = []
            for w in m.group(1).split():
                core = w.strip(".,!?;:'")
                if (not core or core.lower() in NAME_STOP or not core.replace("'", "").isalpha()
                        or not is_name_word(core)):
                    break
                words.append(core)
                if w != core and not w.endswith("'"):  # punctuation ends the name
                    break
            if words and len(words) <= 4:
                return " ".join(w[:1].upper() + w[1:] for w in words)
    return None


def find_privacy_request(text: str) -> str | None:
    """The words with which the reporter asks not to be named, if they do."""
    match = PRIVACY_RE.search(text)
    return match.group(0) if match else None


def classify(text: str) -> tuple[str, float]:
    """pengaduan / aspirasi / permintaan_informasi with a confidence."""
    info = len(INFO_RE.findall(text)) + text.count("?") * 0.5
    aspirasi = len(ASPIRASI_RE.findall(text))
    complaint = len(COMPLAINT_RE.findall(text))
    if aspirasi and aspirasi >= complaint * 0.5 and aspirasi >= info:
        return "aspirasi", min(0.9, 0.5 + 0.15 * aspirasi)
    if info and info > complaint * 0.5:
        return "permintaan_informasi", min(0.9, 0.5 + 0.15 * info)
    return "pengaduan", min(0.95, 0.6 + 0.1 * complaint)


def find_urgency(text: str) -> tuple[bool, str | None]:
    """Whether the text reports danger to life, a disaster or a health emergency, and why."""
    for pattern, reason in URGENT_PATTERNS:
        for m in pattern.finditer(text):
            if NEGATED_RE.search(text[max(0, m.start() - 16):m.start()]):
                continue
            if reason == "banjir" and re.search(r"\b(kalau|jika|bila|setiap|tiap|sering|rawan|supaya tidak|agar tidak)\b[^.]{0,30}$",
                                                text[max(0, m.start() - 40):m.start()], re.I):
                # a warning about future floods is not an emergency now
                continue
            return True, reason
    return False, None


def find_sensitive(text: str) -> list[dict]:
    """Spans of NIK (16 digits) and bank account numbers in the text, to be masked."""
    found: list[dict] = []
    for m in DIGIT_RUN_RE.finditer(text):
        digits = m.group(0)
        before = text[max(0, m.start() - 40):m.start()]
        if digits.startswith("08") and len(digits) <= 13 and not BANK_CUE_RE.search(before):
            continue  # a phone number
        if BANK_CUE_RE.search(before) and not NIK_CUE_RE.search(before[-15:]):
            found.append({"kind": "bank_account", "span": [m.start(), m.end()]})
        elif len(digits) == 16:
            found.append({"kind": "nik", "span": [m.start(), m.end()]})
    return found


def mask(text: str, sensitive: list[dict]) -> str:
    """Text with the sensitive spans replaced by asterisks except their last 4 digits."""
    for item in sorted(sensitive, key=lambda s: -s["span"][0]):
        a, b = item["span"]
        text = text[:a] + "*" * (b - a - 4) + text[b - 4:b] + text[b:]
    return text


@dataclass(frozen=True)
class Title:
    text: str
    confidence: float


def make_title(text: str, topic: str, keywords: dict, desa: str | None, kecamatan: str | None,
               kind: str | None = None) -> Title:
    """A short title: the problem ("Jalan rusak") and the place ("di Desa X, Kec. Y"). The problem is named as issue
    labels name it (the canonical problems of models/data/problems.json), else by the first title phrase said."""
    problem = issue_labels.display(issue_labels.canonical_problem([text])) or None
    lower = f" {text.lower()} "
    for phrase, title in keywords["title_phrases"] if problem is None else ():
        if re.search(rf"\b{re.escape(phrase)}\b", lower):
            problem = title
            break
    confidence = 0.8 if problem else 0.5
    if problem is None:
        problem = keywords["titles"].get(topic, "Aduan warga")
    where = ""
    if desa:
        where = f" di {'Kel.' if kind == 'kelurahan' else 'Desa'} {desa}" + (f", Kec. {kecamatan}" if kecamatan else "")
    elif kecamatan:
        where = f" di Kec. {kecamatan}"
    return Title(problem + where, confidence)
