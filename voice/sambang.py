"""The recording of a Sambang Desa session: archived like a radio show and cut into speakers by the radio's
voice-activity segmentation, so each speaker becomes a call (channel sambang_desa) and a draft."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from models.base import utcnow
from models.config import Settings
from models.desk import SambangSession, heard_at
from models.entities import Call, Channel
from models.radio import RadioShow, ShowStatus
from transcribe.audio import decode_bytes, duration_s, write_wav
from voice.radio.show import Resegmentation, ResegmentError, resegment_show

log = logging.getLogger(__name__)


def segment_recording(session: Session, settings: Settings, sambang: SambangSession, data: bytes, filename: str) -> Resegmentation:
    """Archive the recording as a finished show of the session and cut it into speakers; the caller commits and then
    enqueues the created calls. Raises AudioError for a file that is not audio, ResegmentError when nobody speaks."""
    samples = decode_bytes(data, max_s=settings.max_audio_s)
    show = RadioShow(name=sambang.title, source=f"unggahan: {filename}"[:500], engine="-", auto_segment=True,
                     channel=Channel.SAMBANG_DESA.value, status=ShowStatus.FINISHED.value, gaps=[], started_at=heard_at(sambang))
    session.add(show)
    session.flush()
    show.archive_path = f"radio/show-{show.id}.wav"
    write_wav(settings.data_dir / show.archive_path, samples)
    show.duration_s = duration_s(samples)
    show.ended_at = show.heartbeat_at = utcnow()
    sambang.show = show
    session.flush()
    try:
        done = resegment_show(session, settings, show)
    except ResegmentError as exc:
        if exc.detail == "no spans":
            raise ResegmentError("no speech in the recording", "Tidak ada ucapan yang ditemukan dalam rekaman ini.") from None
        raise
    for segment in done.created:  # heard at the session, not when the file was uploaded: the time limit runs from then
        call = session.get(Call, segment.call_id)
        call.received_at = call.started_at
    log.info("sambang session %s: recording of %.0f s cut into %d speakers", sambang.id, show.duration_s, len(done.created))
    return done
