"""Local HTTP fakes of the external APIs, spoken to by the real client libraries."""
