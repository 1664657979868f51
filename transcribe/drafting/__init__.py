"""Drafting: turn an Indonesian transcript into a complaint draft (fields, place, topic → agency, urgency)."""

from transcribe.drafting.draft import Draft, Drafter, TypedReporter
from transcribe.drafting.duplicates import DuplicateCandidate, duplicate_score, find_duplicates
from transcribe.drafting.normalize import Normalized, normalize

__all__ = ["Draft", "Drafter", "TypedReporter", "DuplicateCandidate", "Normalized", "duplicate_score", "find_duplicates", "normalize"]
