"""Which radio sources the web form may start: http(s) streams, sound cards, and files from one folder.

The form is a web page, so what it accepts must not let a logged-in operator make the server fetch
its own internal addresses or read its own files. Accepted:
- an http:// or https:// URL whose host resolves only to public addresses; hosts an admin lists in
  SUARA_RADIO_ALLOWED_HOSTS (e.g. the station's Icecast on the LAN) may resolve to anything;
- a sound-card device, by PortAudio index or name;
- a recording inside SUARA_RADIO_FILES_DIR (and nowhere else; a path outside answers the same
  whether it exists or not).
`suara radio --source` on the server's own command line stays unrestricted.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from models.config import Settings
from models.errors import SuaraError

AUDIO_SUFFIXES = (".mp3", ".wav", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac", ".webm", ".amr")


class SourceRefused(SuaraError):
    code = "radio_source_refused"
    message_id = "Sumber siaran tidak diizinkan."


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _check_url(spec: str, settings: Settings) -> str:
    parts = urlsplit(spec)
    if parts.scheme.lower() not in ("http", "https"):
        raise SourceRefused(f"scheme {parts.scheme}", "Hanya URL siaran http:// atau https:// yang diizinkan.")
    try:
        host, port = (parts.hostname or "").lower(), parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise SourceRefused("bad port", "Alamat siaran tidak valid.") from None
    if not host:
        raise SourceRefused("no host", "Alamat siaran tidak valid.")
    if host in settings.radio_allowed_hosts or f"{host}:{port}" in settings.radio_allowed_hosts:
        return spec
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError):
        raise SourceRefused(f"cannot resolve {host}", f"Nama server siaran '{host}' tidak dikenal.") from None
    if not addresses or not all(_public(a) for a in addresses):
        raise SourceRefused(
            f"{host} resolves to a private address",
            f"Server siaran '{host}' berada di alamat lokal/privat. Admin dapat mengizinkannya lewat SUARA_RADIO_ALLOWED_HOSTS.",
        )
    return spec


def _check_file(spec: str, settings: Settings) -> str:
    refused = SourceRefused("file outside the recordings folder",
                            "Berkas lokal hanya boleh dari folder rekaman yang diatur admin (SUARA_RADIO_FILES_DIR).")  # fmt: skip
    folder = settings.radio_files_dir
    if folder is None:
        raise refused
    path = spec.removeprefix("file://").removeprefix("file:")
    root = folder.resolve()
    resolved = (root / path).resolve()  # an absolute `path` replaces root; symlinks and .. are followed
    if not resolved.is_relative_to(root):
        raise refused
    if not resolved.is_file():
        raise SourceRefused(f"no such recording {resolved.name}", "Berkas tidak ditemukan di folder rekaman.")
    return str(resolved)


def check_form_source(spec: str, settings: Settings) -> str:
    """The source spec the radio form may open (files as absolute paths), else SourceRefused with the reason."""
    spec = spec.strip()
    if not spec or len(spec) > 500:
        raise SourceRefused("empty or too long", "Isi sumber siaran: kartu suara, URL http(s), atau berkas di folder rekaman.")
    lowered = spec.lower()
    if lowered.startswith("file:"):
        return _check_file(spec, settings)
    if "://" in spec:
        return _check_url(spec, settings)
    if "/" in spec or "\\" in spec or spec.startswith((".", "~")) or lowered.endswith(AUDIO_SUFFIXES):
        return _check_file(spec, settings)
    if not spec.isprintable():
        raise SourceRefused("unprintable device name", "Nama kartu suara tidak valid.")
    return spec  # a sound-card index or name
