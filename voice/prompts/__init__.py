"""The phone prompts: Indonesian text of every recorded prompt, and where their WAV files live.

The WAVs (8 kHz mono, made by `scripts/make_prompts.sh` with espeak-ng) are committed beside this
file and served to Twilio; a missing file falls back to `<Say language="id-ID">` with the same text.
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


def prompt_path(name: str) -> Path | None:
    """The WAV of a prompt, or None when it was not generated (the caller then uses text-to-speech)."""
    if name not in PROMPTS:
        return None
    path = PROMPT_DIR / f"{name}.wav"
    return path if path.is_file() else None

