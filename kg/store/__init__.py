"""Stores: the Store protocol, embedded Oxigraph (bulk load, dumps, generations), a remote SPARQL store."""
