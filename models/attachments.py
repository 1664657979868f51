"""Files that come with a complaint (a photo of the damage, a scanned letter): checked by their content, stored
under the data directory by content hash, and served only to whoever may see the complaint's raw material."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, utcnow
from models.config import Settings
from models.datadir import store_by_content
from models.entities import Complaint, User
from models.errors import SuaraError

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
"""Per submission."""

KINDS: dict[str, tuple[str, str]] = {
    "image/jpeg": (".jpg", "Foto JPEG"),
    "image/png": (".png", "Gambar PNG"),
    "image/webp": (".webp", "Gambar WebP"),
    "application/pdf": (".pdf", "PDF"),
}
"""The content types accepted: what a phone camera, a scanner or a screenshot makes."""


class AttachmentError(SuaraError):
    code = "attachment_error"
    message_id = "Lampiran tidak dapat diterima."
    http_status = 422


def sniff(data: bytes) -> str | None:
    """The content type by the file's first bytes (never by its name or the browser's word), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:1024].lstrip(b"\r\n\t \xef\xbb\xbf").startswith(b"%PDF-"):
        return "application/pdf"
    return None


@dataclass(frozen=True)
class IncomingFile:
    """An uploaded file as received, before it is checked."""

    filename: str
    data: bytes


class Attachment(Base):
    """A file of a complaint: uploaded at the desk, or sent on WhatsApp (then it belongs to the conversation's call
    from the start and to its complaint once there is a draft)."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    complaint: Mapped[Complaint | None] = relationship()
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    """The name it was uploaded or sent with (shown escaped; never used as a path)."""
    content_type: Mapped[str] = mapped_column(String(40))
    """As sniffed from the content."""
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(400))
    """Relative to the data directory's attachments folder."""
    caption: Mapped[str | None] = mapped_column(Text)
    """What the sender wrote with it (WhatsApp)."""
    source: Mapped[str] = mapped_column(String(20), default="desk")
    """Where it came from: "desk" or a channel ("whatsapp")."""
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_by: Mapped[User | None] = relationship()
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.content_type, ("", self.content_type))[1]


def attachments_dir(settings: Settings) -> Path:
    return settings.data_dir / "attachments"


def check_files(files: list[IncomingFile]) -> list[tuple[IncomingFile, str]]:
    """Each non-empty file with its sniffed content type; raises AttachmentError naming the first file refused."""
    files = [f for f in files if f.data or f.filename]
    if len(files) > MAX_ATTACHMENTS:
        raise AttachmentError(f"{len(files)} files", f"Paling banyak {MAX_ATTACHMENTS} lampiran sekaligus.")
    checked = []
    for f in files:
        name = _display_name(f.filename)
        if not f.data:
            raise AttachmentError(f"{name}: empty", f"Lampiran {name} kosong.")
        if len(f.data) > MAX_ATTACHMENT_BYTES:
            raise AttachmentError(f"{name}: {len(f.data)} bytes",
                                  f"Lampiran {name} terlalu besar (paling besar {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB).")
        kind = sniff(f.data)
        if kind is None:
            raise AttachmentError(f"{name}: unknown content",
                                  f"Lampiran {name} bukan foto (JPEG, PNG, WebP) atau PDF.")
        checked.append((f, kind))
    return checked


def _display_name(filename: str) -> str:
    name = Path((filename or "").replace("\\", "/")).name.strip()
    return "".join(ch for ch in name if ch.isprintable())[:200] or "lampiran"


def store_attachments(session: Session, settings: Settings, complaint: Complaint, checked: list[tuple[IncomingFile, str]],
                      by: User | None) -> list[Attachment]:
    """Write each checked file durably (named by content), then record it; the caller commits."""
    rows = []
    for f, kind in checked:
        relative, digest = store_by_content(attachments_dir(settings), f.data, KINDS[kind][0], utcnow())
        row = Attachment(complaint=complaint, filename=_display_name(f.filename), content_type=kind, size_bytes=len(f.data),
                         sha256=digest, path=relative, uploaded_by=by)
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def attachments_of(session: Session, complaint: Complaint) -> list[Attachment]:
    """The complaint's attachments, and those of its conversation (which may predate the draft)."""
    clause = Attachment.complaint_id == complaint.id
    if complaint.call_id is not None:
        clause = clause | (Attachment.call_id == complaint.call_id)
    return list(session.scalars(select(Attachment).where(clause).order_by(Attachment.id)))
