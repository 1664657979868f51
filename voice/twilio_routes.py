"""Blueprint placeholder: Twilio voice webhooks (issue 5)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
