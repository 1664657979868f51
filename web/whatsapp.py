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
from voice import whatsapp
from voice.whatsapp_jobs import whatsapp_jobs
from voice.whatsapp_providers import IncomingMessage, meta_signature_valid, parse_meta, parse_twilio
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


# -- Twilio --------------------------------------------------------------------------------------

@bp.post("/twilio/whatsapp")
@twilio_signed
def twilio_incoming() -> Response:
    """Twilio's incoming-message webhook for the WhatsApp sender; idempotent on MessageSid (so the signed-webhook
    wrapper may run it again through a database restart)."""
    _accept(parse_twilio(request.form.to_dict()))
    return Response(EMPTY_TWIML, mimetype="text/xml")


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
    return Response("", status=200)


# -- the review page's panel ---------------------------------------------------------------------

REPLY_LABELS = {"receipt": "Tanda terima", "reference": "Nomor pengaduan", "rating": "Pertanyaan kepuasan",
                "answer": "Jawaban", "error": "Pemberitahuan berkas ditolak"}


@bp.app_template_global()
def whatsapp_panel(complaint: Complaint) -> dict:
    """The conversation behind a WhatsApp draft (console/_whatsapp.html; the review page is for operators)."""
    call = complaint.call
    return dict(messages=conversation_messages(db(), call) if call is not None else [],
                attachments=attachments_of(db(), complaint), replies=replies_of(db(), complaint.call_id, complaint.id),
                reply_labels=REPLY_LABELS)


