"""WhatsApp webhooks (Twilio and Meta's Cloud API) and the attachments operators open.

The webhooks only check the signature, store the messages and enqueue their jobs (voice/whatsapp.py does the
rest without Flask): the provider gets its answer at once, and a message delivered twice is stored once.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request

from models.entities import Complaint
from models.attachments import attachments_of
from models.whatsapp import conversation_messages, replies_of
from models.base import utcnow
from voice import whatsapp
from voice.whatsapp_jobs import whatsapp_jobs
from voice.whatsapp_providers import (
    DeliveryReport,
    IncomingMessage,
    meta_signature_valid,
    parse_meta,
    parse_meta_statuses,
    parse_twilio,
    parse_twilio_status,
)
from web.state import db, state
from web.twilio import twilio_signed

log = logging.getLogger(__name__)

bp = Blueprint("whatsapp", __name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_WEBHOOK_BYTES = 256 * 1024
"""Meta batches at most a few messages per delivery; anything larger is not from Meta."""


@bp.record_once
def _on_register(setup) -> None:  # noqa: ANN001 - flask.blueprints.BlueprintSetupState
    csrf = setup.app.extensions.get("csrf")
    if csrf is not None:  # providers cannot send a CSRF token; the signature authenticates instead
        csrf.exempt(bp)


def _accept(incoming: list[IncomingMessage]) -> None:
    """Store first, then enqueue: the message jobs, and the replies (receipt, answers) at once."""
    settings = state().settings
    with state().sessions() as session:  # its own session: a retried webhook starts on a clean one
        received = whatsapp.receive(session, settings, incoming)
        session.commit()
    jobs = whatsapp_jobs(state().jobs)
    for message_id in received.messages:
        jobs.message(message_id)
    for reply_id in received.replies:
        jobs.reply(reply_id)


def _reported(reports: list[DeliveryReport]) -> None:
    """Apply delivery reports; a reply refused for WhatsApp's closed window is enqueued again as its template."""
    if not reports:
        return
    settings = state().settings
    with state().sessions() as session:
        again = [reply_id for report in reports
                 if (reply_id := whatsapp.delivery_report(session, settings, report, utcnow())) is not None]
        session.commit()
    jobs = whatsapp_jobs(state().jobs)
    for reply_id in again:
        jobs.reply(reply_id)


# -- Twilio --------------------------------------------------------------------------------------

@bp.post("/twilio/whatsapp")
@twilio_signed
def twilio_incoming() -> Response:
    """Twilio's incoming-message webhook for the WhatsApp sender; idempotent on MessageSid (so the signed-webhook
    wrapper may run it again through a database restart)."""
    _accept(parse_twilio(request.form.to_dict()))
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.post("/twilio/whatsapp/status")
@twilio_signed
def twilio_status() -> Response:
    """Twilio's status callback for the replies it took (the StatusCallback each send names): WhatsApp may refuse
    a message after Twilio accepted it, e.g. free text outside the 24-hour window (63016)."""
    report = parse_twilio_status(request.form.to_dict())
    _reported([report] if report is not None else [])
    return Response(status=204)


# -- Meta (WhatsApp Cloud API) -------------------------------------------------------------------

@bp.get("/whatsapp/meta")
def meta_verify() -> Response:
    """Meta's subscription check: echo hub.challenge when hub.verify_token is ours."""
    expected = state().settings.meta_verify_token
    if (request.args.get("hub.mode") == "subscribe" and expected
            and request.args.get("hub.verify_token") == expected and request.args.get("hub.challenge")):
        return Response(request.args["hub.challenge"][:200], mimetype="text/plain")
    abort(403)


@bp.post("/whatsapp/meta")
def meta_incoming() -> Response:
    """Meta's webhook: checked by X-Hub-Signature-256 over the raw body; idempotent on the message id."""
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        abort(413)
    body = request.get_data(cache=True)
    if not meta_signature_valid(state().settings.meta_app_secret, body, request.headers.get("X-Hub-Signature-256")):
        log.warning("forged or unsigned Meta webhook from %s", request.remote_addr)
        abort(403)
    payload = request.get_json(silent=True)
    if payload is None:
        abort(400)
    _accept(parse_meta(payload))
    _reported(parse_meta_statuses(payload))  # delivery reports of our replies come in the same webhook
    return Response("", status=200)


# -- the review page's panel ---------------------------------------------------------------------

REPLY_LABELS = {"receipt": "Tanda terima", "reference": "Nomor pengaduan", "rating": "Pertanyaan kepuasan",
                "answer": "Jawaban", "error": "Pemberitahuan berkas ditolak"}


bp.add_app_template_global(REPLY_LABELS, "WHATSAPP_REPLY_LABELS")  # type: ignore[arg-type]


@bp.app_template_global()
def whatsapp_panel(complaint: Complaint) -> dict:
    """The conversation behind a WhatsApp draft (console/_whatsapp.html; the review page is for operators)."""
    call = complaint.call
    return dict(messages=conversation_messages(db(), call) if call is not None else [],
                attachments=attachments_of(db(), complaint), replies=whatsapp_replies(complaint))


@bp.app_template_global()
def whatsapp_replies(complaint: Complaint) -> list:
    """Every reply about a WhatsApp complaint and its conversation (console/_whatsapp_replies.html)."""
    return replies_of(db(), complaint.call_id, complaint.id)


