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


def source_label(channel: str | None, detail: str | None, *, free_text: bool = True) -> str:
    """The channel with its sub-source, e.g. "Media sosial (Facebook)" or "Lainnya (kotak saran)".

    A social-media platform is a fixed word; "lainnya"'s detail is what an operator typed and may name the sender
    ("WA pribadi Pak Slamet"), so it is left out with `free_text=False` (for whoever may not know the reporter)."""
    name = label(channel)
    if detail in SOCIAL_PLATFORMS:
        return f"{name} ({SOCIAL_PLATFORMS[detail]})"
    return f"{name} ({detail})" if detail and free_text else name
