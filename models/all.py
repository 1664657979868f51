"""Import every module that defines tables, so Base.metadata is complete (migrations, tests)."""

from models import analytics, attachments, audit, calendar, desk, entities, issues, lifecycle, radio, satisfaction, search, whatsapp  # noqa: F401
