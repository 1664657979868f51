"""Access to the app's state and the request's database session from views."""

from __future__ import annotations

from typing import TypeVar

from flask import abort, current_app, g
from sqlalchemy.orm import Session

from models.base import Base
from web import AppState

T = TypeVar("T", bound=Base)


def state() -> AppState:
    return current_app.extensions["suara"]


def db() -> Session:
    """The request's session, closed when the request ends."""
    if "db" not in g:
        g.db = state().sessions()
    return g.db


def get_or_404(model: type[T], ident: int) -> T:
    """The record, or a 404 page."""
    obj = db().get(model, ident)
    if obj is None:
        abort(404)
    return obj
