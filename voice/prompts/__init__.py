"""The phone prompts: Indonesian text of every recorded prompt, and where their WAV files live.

The WAVs (8 kHz mono, made by `scripts/make_prompts.sh` with espeak-ng and MBROLA id1) are committed
beside this file and served to Twilio; a missing file falls back to `<Say language="id-ID">` with the
same text. An admin may upload the regency's own recording of any prompt: it is converted to the same
format, kept in `$SUARA_DATA_DIR/prompts/` and played instead of the bundled one.
"""

from __future__ import annotations

from pathlib import Path

PROMPT_DIR = Path(__file__).resolve().parent

PROMPTS: dict[str, str] = {
    "salam": "Selamat datang di layanan pengaduan Suara Warga, Pemerintah Kabupaten Bojonegoro.",
    "persetujuan": "Panggilan ini direkam dan ditranskripsi untuk menindaklanjuti laporan Anda.",
    "menu_1": "Untuk menyampaikan pengaduan baru, tekan 1.",
    "menu_2": "Untuk menanyakan status pengaduan, tekan 2.",
    "menu_3": "Untuk memberi penilaian atas pengaduan yang sudah dijawab, tekan 3.",
    "rekam": "Setelah nada, sebutkan nama, desa, dan pengaduan Anda.",
    "rekam_selesai": "Tekan pagar jika sudah selesai.",
    "terima_kasih": "Terima kasih. Pengaduan Anda sudah kami terima.",
    "nomor_anda": "Nomor panggilan Anda adalah",
    "ulangi_nomor": "Sekali lagi, nomor panggilan Anda",
    "masukkan_nomor": "Masukkan nomor panggilan atau nomor pengaduan Anda, lalu tekan pagar.",
    "tidak_ditemukan": "Maaf, nomor tersebut tidak ditemukan.",
    "belum_selesai": "Pengaduan ini belum dijawab oleh dinas terkait, sehingga belum dapat dinilai.",
    "nilai_terkunci": "Maaf, penilaian pengaduan ini sudah tidak dapat diubah.",
    "bukan_pelapor": "Maaf, penilaian hanya dapat diberikan dari nomor telepon pelapor.",
    "nilai_1": "Tekan 1 untuk sangat puas.",
    "nilai_2": "Tekan 2 untuk puas.",
    "nilai_3": "Tekan 3 untuk cukup puas.",
    "nilai_4": "Tekan 4 untuk tidak puas.",
    "nilai_diterima": "Terima kasih atas penilaian Anda.",
    "pilihan_salah": "Maaf, pilihan tidak dikenal.",
    "tidak_ada_rekaman": "Maaf, kami tidak menerima suara Anda. Silakan hubungi kami kembali.",
    "tidak_ada_pilihan": "Maaf, kami belum menerima pilihan Anda.",
    "rekaman_kosong": "Maaf, suara Anda tidak terekam.",
    "rekam_ulang": "Untuk merekam kembali, tekan 1.",
    "sampai_jumpa": "Terima kasih telah menghubungi Suara Warga. Sampai jumpa.",
    "status_draft": "Status pengaduan: sedang kami periksa.",
    "status_belum_diverifikasi": "Status pengaduan: menunggu verifikasi.",
    "status_terverifikasi": "Status pengaduan: sudah diverifikasi.",
    "status_terdisposisi": "Status pengaduan: sudah diteruskan ke perangkat daerah yang berwenang.",
    "status_ditindaklanjuti": "Status pengaduan: sudah ditindaklanjuti oleh perangkat daerah.",
    "status_selesai": "Status pengaduan: selesai.",
    "status_tunda": "Status pengaduan: ditunda.",
    "status_bukan_wewenang": "Status pengaduan: bukan wewenang kabupaten, telah diteruskan.",
    "status_arsip": "Status pengaduan: diarsipkan.",
    "status_ditolak": "Status: laporan ini tidak dapat kami proses sebagai pengaduan.",
    "status_digabung": "Status: laporan ini sudah digabungkan dengan pengaduan yang sama.",
    "status_diproses": "Status: rekaman Anda sudah kami terima dan sedang kami proses.",
    "status_tanpa_rekaman": "Status: rekaman panggilan ini tidak kami terima. Silakan sampaikan pengaduan Anda kembali.",
    "status_gagal": "Status: rekaman panggilan ini gagal kami proses. Silakan sampaikan pengaduan Anda kembali.",
    "status_tanpa_suara": "Status: rekaman panggilan ini tidak berisi suara. Silakan sampaikan pengaduan Anda kembali.",
}
DIGITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]
PROMPTS.update({f"angka_{d}": word for d, word in enumerate(DIGITS)})


PHONE_RATE_HZ = 8000
MAX_PROMPT_S = 60.0
MIN_PROMPT_S = 0.3


def custom_prompt_dir(data_dir: Path) -> Path:
    return data_dir / "prompts"


def prompt_path(name: str, custom_dir: Path | None = None) -> Path | None:
    """The WAV of a prompt (the uploaded one first), or None when there is none (text-to-speech then)."""
    if name not in PROMPTS:
        return None
    for folder in (custom_dir, PROMPT_DIR):
        path = folder / f"{name}.wav" if folder is not None else None
        if path is not None and path.is_file():
            return path
    return None


def is_custom(name: str, custom_dir: Path) -> bool:
    return name in PROMPTS and (custom_dir / f"{name}.wav").is_file()


def store_custom_prompt(custom_dir: Path, name: str, data: bytes) -> float:
    """Convert an uploaded recording of a prompt to 8 kHz mono 16-bit WAV and keep it; returns its length
    in seconds. Raises AudioError (Indonesian message) for unknown prompts, unreadable, silent or overlong audio."""
    import os
    import tempfile

    import numpy as np

    from transcribe.audio import decode_bytes, resample, write_wav
    from transcribe.errors import AudioError

    if name not in PROMPTS:
        raise AudioError(f"unknown prompt {name!r}", "Pesan suara ini tidak dikenal.")
    samples = decode_bytes(data, max_s=MAX_PROMPT_S)  # 16 kHz mono int16
    if len(samples) < MIN_PROMPT_S * 16000:
        raise AudioError("prompt too short", "Rekaman terlalu pendek.")
    if float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) < 50:
        raise AudioError("prompt is silent", "Rekaman tidak berisi suara.")
    custom_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=custom_dir, suffix=".part")
    os.close(fd)
    write_wav(tmp, resample(samples, 16000, PHONE_RATE_HZ), PHONE_RATE_HZ)
    os.replace(tmp, custom_dir / f"{name}.wav")
    return len(samples) / 16000


def remove_custom_prompt(custom_dir: Path, name: str) -> bool:
    """Go back to the bundled prompt; True if there was an uploaded one."""
    path = custom_dir / f"{name}.wav"
    if name in PROMPTS and path.is_file():
        path.unlink()
        return True
    return False


