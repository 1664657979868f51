"""Asterisk AudioSocket server: one thread and one `CallSession` per connection, many calls at once.

Protocol (Asterisk `res_audiosocket`): frames of a type byte, a 2-byte big-endian payload length and
the payload. 0x01 the call's UUID (16 bytes), 0x10 audio (signed 16-bit little-endian, 8 kHz mono),
0x03 a DTMF digit, 0x00 hang-up, 0xff an error code. Whatever way a connection ends (hang-up,
error frame, malformed frame, a dropped socket, silence past the idle timeout), the audio received
so far is stored as a call and the pipeline is enqueued.
"""

from __future__ import annotations

import logging
import re
import socket
import socketserver
import struct
import threading
import uuid
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from models.phone import mask
from models.config import Settings
from transcribe.types import Engine
from voice.live import LiveRegistry
from voice.session import CallSession, store_call

log = logging.getLogger(__name__)

KIND_HANGUP = 0x00
KIND_UUID = 0x01
KIND_DTMF = 0x03
KIND_AUDIO = 0x10
KIND_ERROR = 0xFF

AUDIO_RATE_HZ = 8_000
MAX_AUDIO_PAYLOAD = 16_000
"""Bytes in one audio frame we accept (1 s of slin); Asterisk sends 320 (20 ms)."""
IDLE_TIMEOUT_S = 30.0
"""A connection silent this long is treated as dropped."""


class ProtocolError(Exception):
    """The peer sent something that is not AudioSocket; the session ends, its audio is kept."""


@dataclass(frozen=True)
class Frame:
    kind: int
    payload: bytes


def encode_frame(kind: int, payload: bytes = b"") -> bytes:
    """One AudioSocket frame (for clients, tests and the benchmark)."""
    return struct.pack(">BH", kind, len(payload)) + payload


def read_frame(rfile) -> Frame | None:  # noqa: ANN001 - a binary file object
    """The next frame; None at a clean end of stream; ProtocolError for a truncated or oversized frame."""
    header = rfile.read(3)
    if not header:
        return None
    if len(header) < 3:
        raise ProtocolError(f"truncated header ({len(header)} bytes)")
    kind, length = struct.unpack(">BH", header)
    if kind == KIND_AUDIO and length > MAX_AUDIO_PAYLOAD:
        raise ProtocolError(f"audio frame of {length} bytes exceeds {MAX_AUDIO_PAYLOAD}")
    if kind == KIND_UUID and length != 16:
        raise ProtocolError(f"UUID frame of {length} bytes")
    if kind not in (KIND_HANGUP, KIND_UUID, KIND_DTMF, KIND_AUDIO, KIND_ERROR):
        raise ProtocolError(f"unknown frame type 0x{kind:02x}")
    payload = rfile.read(length) if length else b""
    if len(payload) < length:
        raise ProtocolError(f"truncated payload ({len(payload)} of {length} bytes)")
    return Frame(kind, payload)


_CALLER_IN_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-(\d{4})-(\d{12})$")


def caller_from_uuid(call_uuid: str) -> str | None:
    """The caller's number when the dialplan put it in the UUID's last 16 digits (see README), else None."""
    match = _CALLER_IN_UUID.match(call_uuid.lower())
    if not match:
        return None
    digits = (match.group(1) + match.group(2)).lstrip("0")
    return digits if len(digits) >= 5 else None


@dataclass
class AudioSocketConfig:
    """What every connection of one server shares."""

    settings: Settings
    sessions: sessionmaker[Session]
    engine: Engine | None
    enqueue: Callable[[int], None] | None
    live: LiveRegistry | None = None
    caller_lookup: Callable[[str], str | None] = caller_from_uuid
    idle_timeout_s: float = IDLE_TIMEOUT_S
    stored: list[int] = field(default_factory=list)
    """Ids of the calls stored by this server, newest last (tests, benchmark)."""
    results: dict[str, object] = field(default_factory=dict)
    """The SessionResult of every finished connection, by UUID (benchmark)."""


class AudioSocketHandler(socketserver.StreamRequestHandler):
    """One Asterisk channel: read frames, feed the session, store the call however the connection ends."""

    server: "AudioSocketServer"

    def setup(self) -> None:
        super().setup()
        self.request.settimeout(self.server.config.idle_timeout_s)
        self.server.track(self.request, True)

    def finish(self) -> None:
        self.server.track(self.request, False)
        super().finish()

    def handle(self) -> None:
        config = self.server.config
        session: CallSession | None = None
        call_uuid: str | None = None
        dtmf: list[str] = []
        reason = "dropped"
        try:
            while True:
                frame = read_frame(self.rfile)
                if frame is None:
                    reason = "server stopped" if self.server.stopping else reason
                    break
                if frame.kind == KIND_UUID:
                    if session is not None:
                        raise ProtocolError("second UUID frame")
                    call_uuid = str(uuid.UUID(bytes=frame.payload))
                    caller = config.caller_lookup(call_uuid)
                    session = CallSession(
                        call_uuid, AUDIO_RATE_HZ, "int16", config.engine, config.live,
                        source="audiosocket", caller_number=caller, max_s=config.settings.max_audio_s,
                    )
                    log.info("audiosocket call %s from %s", call_uuid, mask(caller) if caller else "unknown number")
                elif session is None:
                    raise ProtocolError(f"frame 0x{frame.kind:02x} before the UUID")
                elif frame.kind == KIND_AUDIO:
                    session.push(frame.payload)
                elif frame.kind == KIND_DTMF:
                    dtmf.append(frame.payload[:1].decode("ascii", "replace"))
                elif frame.kind == KIND_HANGUP:
                    reason = "hangup"
                    break
                else:  # KIND_ERROR
                    reason = f"asterisk error 0x{frame.payload.hex() or '??'}"
                    break
        except ProtocolError as exc:
            reason = f"protocol error: {exc}"
            log.warning("audiosocket %s: %s", call_uuid or self.client_address, exc)
        except (TimeoutError, socket.timeout):
            reason = "idle timeout"
        except OSError as exc:
            reason = f"connection lost: {exc}"
        if session is not None and call_uuid is not None:
            self._finish(session, call_uuid, reason, dtmf)

    def _finish(self, session: CallSession, call_uuid: str, reason: str, dtmf: list[str]) -> None:
        config = self.server.config
        result = session.close()
        config.results[call_uuid] = result
        meta = {"source": "audiosocket", "end": reason}
        if dtmf:
            meta["dtmf"] = "".join(dtmf)
        call_id = store_call(
            config.sessions, config.settings, result, call_uuid, session.caller_number, session.started_at,
            meta=meta, enqueue=config.enqueue,
        )
        if call_id is not None:
            config.stored.append(call_id)
            if config.live is not None:
                config.live.stored(call_uuid, call_id)
        log.info("audiosocket call %s ended (%s): %.1f s, call %s", call_uuid, reason, result.duration_s, call_id)


class AudioSocketServer(socketserver.ThreadingTCPServer):
    """A threaded TCP server; `port` 0 picks a free port (see `server_address`)."""

    daemon_threads = False
    """Handler threads are joined by `server_close()`, so every call is stored before the process ends."""
    allow_reuse_address = True

    def __init__(self, host: str, port: int, config: AudioSocketConfig) -> None:
        self.config = config
        self.stopping = False
        self._active: set[socket.socket] = set()
        self._active_lock = threading.Lock()
        super().__init__((host, port), AudioSocketHandler)

    def start_background(self) -> threading.Thread:
        """Serve in a daemon thread (tests, or inside another process)."""
        thread = threading.Thread(target=self.serve_forever, name="audiosocket", daemon=True)
        thread.start()
        return thread

    def stop(self, graceful: bool = True) -> None:
        """Stop taking calls and end those in progress, whose audio so far is stored; `graceful` waits for that.

        Same signature as huey's consumer, so `suara serve` stops it with its job threads."""
        self.shutdown()
        with self._active_lock:
            self.stopping = True
            for sock in self._active:
                _end_reading(sock)
        if graceful:
            self.server_close()  # joins the handler threads
        else:
            self.socket.close()

    def track(self, sock: socket.socket, active: bool) -> None:
        """Register (or forget) a connection in progress, so `stop()` can end it."""
        with self._active_lock:
            if not active:
                self._active.discard(sock)
                return
            self._active.add(sock)
            if self.stopping:  # accepted while stopping
                _end_reading(sock)


def _end_reading(sock: socket.socket) -> None:
    """Make the handler's next read see end-of-stream, so it stores the call and returns."""
    try:
        sock.shutdown(socket.SHUT_RD)
    except OSError as exc:  # the peer went away at the same moment
        log.debug("audiosocket: ending a connection: %s", exc)


def parse_listen(listen: str) -> tuple[str, int]:
    """'HOST:PORT' (or '[v6]:PORT') to a (host, port) pair."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, not {listen!r}")
    return host.strip("[]") or "0.0.0.0", int(port)
