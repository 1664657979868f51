"""A phone call from its first webhook: the ringing state, the short call code the caller hears (never a primary
key), and the layering of the Twilio webhooks (Flask in web/, the call session in voice/ without Flask)."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models.base import utcnow
from models.call_state import caller_status
from models.entities import Call, CallStatus, Channel, Complaint
from tests.conftest import login
from tests.test_twilio import (  # noqa: F401 - fixtures
    CALL, CALLER, PUBLIC_URL, RECORDING_URL, REC, _said, app, enqueued, fake_twilio, post, recording_wav, settings, sid,
    twiml,
    voice_params,
)

REPO = Path(__file__).resolve().parents[1]


def the_call(session) -> Call:  # noqa: ANN001
    session.expire_all()
    return session.scalars(select(Call).where(Call.external_id == CALL)).one()


# -- ringing ------------------------------------------------------------------------------------

def test_the_incoming_call_makes_a_ringing_call_with_a_short_code(client, session) -> None:  # noqa: ANN001
    post(client, "/twilio/voice", voice_params())
    call = the_call(session)
    assert (call.status, call.caller_number, call.channel) == (CallStatus.RINGING.value, CALLER, Channel.PHONE.value)
    assert re.fullmatch(r"[1-9]\d{5}", call.code) and call.started_at is not None
    post(client, "/twilio/voice", voice_params())  # a repeated webhook: still one call, same code
    assert session.scalars(select(Call)).all() == [call] and the_call(session).code == call.code


def test_pressing_1_moves_the_ringing_call_to_recording(client, session) -> None:  # noqa: ANN001
    post(client, "/twilio/voice", voice_params())
    code = the_call(session).code
    post(client, "/twilio/menu", voice_params(Digits="1"))
    call = the_call(session)
    assert call.status == CallStatus.RECORDING.value and call.code == code


@pytest.mark.parametrize("ending", ["completed", "canceled", "failed"])
def test_hanging_up_at_the_menu_ends_as_abandoned(client, session, ending: str) -> None:  # noqa: ANN001
    post(client, "/twilio/voice", voice_params())
    post(client, "/twilio/menu", voice_params())  # silence: asked again
    assert post(client, "/twilio/status", voice_params(CallStatus=ending, CallDuration="14")).status_code == 204
    call = the_call(session)
    assert call.status == CallStatus.ABANDONED.value and call.ended_at is not None
    assert "menu" in call.error and "rekaman" not in call.error
    assert caller_status(call, None) == "tanpa_rekaman"


def test_a_status_enquiry_call_that_ends_is_abandoned_with_what_was_asked(client, session) -> None:  # noqa: ANN001
    post(client, "/twilio/voice", voice_params())
    post(client, "/twilio/menu", voice_params(Digits="2"))
    post(client, "/twilio/status", voice_params(CallStatus="completed", CallDuration="30"))
    call = the_call(session)
    assert call.status == CallStatus.ABANDONED.value and call.meta["menu"] == "2"


def test_a_ringing_call_whose_end_is_never_reported_is_closed_by_recovery(app, client, session) -> None:  # noqa: ANN001, F811
    post(client, "/twilio/voice", voice_params())
    jobs = app.extensions["suara"].jobs
    jobs.recover(now=utcnow() + timedelta(minutes=2))
    assert the_call(session).status == CallStatus.RINGING.value  # still at the menu, perhaps
    jobs.recover(now=utcnow() + timedelta(hours=1))
    call = the_call(session)
    assert call.status == CallStatus.ABANDONED.value and "menu" in call.error


def test_the_calls_page_names_ringing_and_abandoned_calls(client, session, users) -> None:  # noqa: ANN001
    for n, status in ((1, "ringing"), (2, "abandoned")):
        session.add(Call(channel=Channel.PHONE.value, external_id=sid("CA", 900 + n), caller_number=CALLER,
                         status=status, code=f"55500{n}", error="ditutup di menu, sebelum merekam" if n == 2 else None))
    session.commit()
    login(client, "operator")
    page = client.get("/").text
    assert "Di menu" in page and "Ditutup tanpa rekaman" in page and "ditutup di menu" in page
    assert "555001" in page  # the code a caller quotes is on the page


# -- the short reference the caller hears ---------------------------------------------------------

def test_the_caller_hears_the_call_code_not_its_primary_key(client, session) -> None:  # noqa: ANN001
    post(client, "/twilio/voice", voice_params())
    post(client, "/twilio/menu", voice_params(Digits="1"))
    call = the_call(session)
    root = twiml(post(client, "/twilio/recorded", voice_params(RecordingDuration="12", RecordingUrl=RECORDING_URL,
                                                              RecordingSid=REC)))
    digits = "".join(re.search(r"angka_(\d)", p.text).group(1) for p in root.iter("Play") if "angka_" in p.text)
    assert digits == call.code * 2 and call.code != str(call.id)


def test_status_lookup_takes_the_code_and_refuses_a_call_id(client, session) -> None:  # noqa: ANN001
    call = Call(channel=Channel.PHONE.value, external_id=sid("CA", 31), caller_number=CALLER, status="failed",
                code="482913")
    session.add(call)
    session.commit()
    assert "status_gagal" in _said(twiml(post(client, "/twilio/status-lookup", voice_params(Digits="482913#"))))
    refused = _said(twiml(post(client, "/twilio/status-lookup", voice_params(Digits=f"{call.id}#"))))
    assert "tidak_ditemukan" in refused and not any(name.startswith("status_") for name in refused)


def test_a_call_code_is_only_good_from_the_number_that_called(client, session) -> None:  # noqa: ANN001
    """Six digits can be guessed, and calls from before the codes have their id as code: a code answers only the
    caller's own phone; from another number it takes the complaint's 12-digit reference."""
    call = Call(channel=Channel.PHONE.value, external_id=sid("CA", 33), caller_number=CALLER, status="failed", code="7")
    session.add(call)
    session.commit()
    stranger = _said(twiml(post(client, "/twilio/status-lookup", voice_params(Digits="7#", From="+6285799990000"))))
    assert "tidak_ditemukan" in stranger and not any(name.startswith("status_") for name in stranger)
    assert "status_gagal" in _said(twiml(post(client, "/twilio/status-lookup", voice_params(Digits="7#"))))


def test_rating_lookup_refuses_a_call_id_too(client, session) -> None:  # noqa: ANN001
    call = Call(channel=Channel.PHONE.value, external_id=sid("CA", 32), caller_number=CALLER, status="drafted",
                code="771204")
    session.add_all([call, Complaint(call=call, status="selesai", reference="BJN-2025-000777", reporter_phone=CALLER)])
    session.commit()
    assert "tidak_ditemukan" in _said(twiml(post(client, "/twilio/rate", voice_params(Digits=f"{call.id}#"))))
    assert twiml(post(client, "/twilio/rate", voice_params(Digits="771204#"))).find("Gather") is not None


# -- layering -------------------------------------------------------------------------------------

def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_voice_has_no_flask_and_the_webhooks_live_in_web() -> None:
    flask_users = [p.name for p in (REPO / "voice").rglob("*.py") if {"flask", "flask_sock"} & _imports(p)]
    assert flask_users == []
    assert not (REPO / "voice" / "twilio_routes.py").exists()
    source = (REPO / "web" / "twilio.py").read_text(encoding="utf-8")
    assert "extensions[" not in source and "extensions.get(" not in source


def test_the_call_code_migration_keeps_transcripts_and_gives_old_calls_their_id_as_code(tmp_path) -> None:  # noqa: ANN001
    """Callers of old calls were told the call's id: it stays the number that finds their call."""
    from alembic import command
    from sqlalchemy import text

    from models.db import make_engine
    from models.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'code.sqlite3'}"
    command.upgrade(alembic_config(url), "b7d41e0c2a95")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO call (id, channel, external_id, received_at, status, attempts, meta) VALUES "
                                "(41, 'phone', 'CA41', '2026-11-01 08:00:00', 'drafted', 0, '{}'), "
                                "(42, 'upload', 'f42', '2026-11-01 08:00:00', 'drafted', 0, '{}')"))
        connection.execute(text("INSERT INTO transcript (id, call_id, engine, model, text, words, alternatives, created_at) "
                                "VALUES (1, 41, 'whisper', 'whisper-base', 'jalan rusak', '[]', '[]', '2026-11-01 08:01:00')"))
    upgrade(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, code FROM call ORDER BY id")).all() == [(41, "41"), (42, None)]
        assert connection.execute(text("SELECT count(*) FROM transcript")).scalar() == 1
    command.downgrade(alembic_config(url), "b7d41e0c2a95")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM transcript")).scalar() == 1
    engine.dispose()
