"""The channels complaints arrive by, named in Indonesian once for every page, chart and export."""

from __future__ import annotations

from models.entities import Channel

LABELS: dict[str, str] = {
    Channel.PHONE.value: "Telepon",
    Channel.RADIO.value: "Radio",
    Channel.UPLOAD.value: "Unggahan",
    Channel.WALK_IN.value: "Datang langsung",
    Channel.LETTER.value: "Surat",
    Channel.SMS.value: "SMS",
    Channel.SOCIAL_MEDIA.value: "Media sosial",
    Channel.EMAIL.value: "E-mail",
    Channel.SAMBANG_DESA.value: "Sambang Desa",
    Channel.OTHER.value: "Lainnya",
    Channel.WHATSAPP.value: "WhatsApp",
}
"""Every Channel value has a label (tests/test_desk_intake.py checks it)."""

DESK_CHANNELS: tuple[Channel, ...] = (
    Channel.WALK_IN, Channel.LETTER, Channel.SMS, Channel.SOCIAL_MEDIA, Channel.EMAIL, Channel.SAMBANG_DESA, Channel.OTHER,
)
"""The channels an operator types a complaint for at the desk (the others bring audio)."""

SOCIAL_PLATFORMS: dict[str, str] = {"youtube": "YouTube", "facebook": "Facebook", "x": "X (Twitter)", "instagram": "Instagram",
                                    "tiktok": "TikTok"}
"""Platforms of the social-media channel: a sub-source, so the channel figures stay comparable as platforms come and go."""


def label(channel: str | None) -> str:
    """The Indonesian name of a channel value (an unknown value is shown as stored)."""
    return LABELS.get(channel or "", channel or "–")


def source_label(channel: str | None, detail: str | None) -> str:
    """The channel with its sub-source, e.g. "Media sosial (Facebook)" or "Surat (No. 005/12/2026)"."""
    name = label(channel)
    if not detail:
        return name
    return f"{name} ({SOCIAL_PLATFORMS.get(detail, detail)})"
