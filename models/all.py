"""Import every module that defines tables, so Base.metadata is complete (migrations, tests)."""

from models import analytics, audit, calendar, entities, issues, lifecycle, radio, satisfaction, search, whatsapp  # noqa: F401
