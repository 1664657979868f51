"""Named errors of the transcription side; `message_id` is the Indonesian text shown to people."""

from __future__ import annotations

from models.errors import SuaraError


class AudioError(SuaraError):
    http_status = 422
    code = "audio_invalid"
    message_id = "Berkas bukan audio yang dapat dibaca."


class EmptyAudioError(AudioError):
    code = "audio_empty"
    message_id = "Berkas audio kosong atau tanpa suara yang dapat diproses."


class AudioTooLongError(AudioError):
    code = "audio_too_long"
    message_id = "Audio terlalu panjang."


class ModelError(SuaraError):
    http_status = 503
    code = "model_unavailable"
    message_id = "Model pengenal suara tidak tersedia."
