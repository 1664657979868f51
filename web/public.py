"""Blueprint placeholder: filled in by issue 7."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__)
