"""EvidenceKG web service: SPARQL 1.1 Protocol, linked data and conflict pages (Flask)."""

from service.app import create_app

__all__ = ["create_app"]
