"""Synthetic complaint texts with known problem groups (seeded), for the clustering test and the dashboard bench."""

from __future__ import annotations

import random

PROBLEMS: dict[str, list[list[str]]] = {
    "jalan": [
        ["jalan berlubang besar di depan balai desa", "lubang jalan depan balai desa makin dalam", "jalan depan balai desa banyak lubang"],
        ["jembatan kayu penghubung dusun ambrol", "jembatan dusun ambrol tidak bisa dilewati", "jembatan penghubung antar dusun rusak ambrol"],
        ["lampu penerangan jalan umum mati sudah sebulan", "lampu jalan umum padam gelap gulita", "penerangan jalan umum mati semua"],
        ["jalan cor retak dan ambles dekat sekolah", "cor jalan dekat sekolah ambles retak", "jalan dekat sekolah amblas corannya retak"],
    ],
    "lingkungan": [
        ["sampah menumpuk di pasar bau menyengat", "tumpukan sampah pasar tidak diangkut bau", "sampah pasar menggunung belum diangkut"],
        ["limbah pabrik tahu dibuang ke sungai", "sungai tercemar limbah tahu berbau", "pembuangan limbah tahu mencemari sungai"],
        ["asap pembakaran sekam mengganggu pernapasan", "pembakaran sekam padi asapnya sesak", "asap bakar sekam bikin sesak napas"],
    ],
    "kesehatan": [
        ["puskesmas pembantu sering tutup tidak ada bidan", "pustu tutup bidan tidak datang", "bidan di pustu jarang ada pustu tutup"],
        ["antrean bpjs di puskesmas sangat lama", "pelayanan bpjs puskesmas antre berjam jam", "antre lama layanan bpjs di puskesmas"],
        ["banyak warga terkena demam berdarah minta fogging", "kasus demam berdarah mohon pengasapan fogging", "fogging demam berdarah belum dilakukan"],
    ],
    "air_minum": [
        ["air pdam mati tiga hari", "aliran air pdam tidak mengalir berhari hari", "pdam tidak keluar airnya sudah tiga hari"],
        ["air pdam keruh dan berbau", "air dari pdam kotor keruh bau", "kualitas air pdam keruh berwarna coklat"],
    ],
}
FILLERS = [
    "halo pak", "assalamualaikum", "mohon segera ditangani", "terima kasih", "tolong dibantu", "saya warga sini",
    "sudah lama dibiarkan", "kasihan anak anak", "mohon perhatiannya", "nggih pak", "sudah lapor ke kades",
]
DESA = ["sukorejo", "kalitidu", "mojosari", "ngumpakdalem", "temayang", "balen", "sumberrejo", "kedungadem"]


def complaint_text(rng: random.Random, topic: str, problem: int) -> tuple[str, str]:
    """(title, description) of one made-up complaint about `problem` of `topic`, in varied wording."""
    phrase = rng.choice(PROBLEMS[topic][problem])
    words = phrase.split()
    if len(words) > 4 and rng.random() < 0.3:  # a word lost in transcription
        del words[rng.randrange(len(words))]
    title = " ".join(words[:6]).capitalize()
    parts = [rng.choice(FILLERS), " ".join(words), f"di desa {rng.choice(DESA)}", rng.choice(FILLERS)]
    if rng.random() < 0.5:
        parts.insert(2, rng.choice(FILLERS))
    return title, " ".join(parts)


def labelled_set(rng: random.Random, topic: str, per_problem: int) -> tuple[list[str], list[int]]:
    """Texts of one topic and their true problem numbers, shuffled."""
    items = [
        (complaint_text(rng, topic, p), p) for p in range(len(PROBLEMS[topic])) for _ in range(per_problem)
    ]
    rng.shuffle(items)
    return [f"{t}. {d}" for (t, d), _ in items], [p for _, p in items]
