"""Import every module that defines tables, so Base.metadata is complete (migrations, tests)."""

from models import audit, calendar, entities, lifecycle, radio  # noqa: F401
