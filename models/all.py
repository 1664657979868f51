"""Import every module that defines tables, so Base.metadata is complete (migrations, tests)."""

from models import entities  # noqa: F401
