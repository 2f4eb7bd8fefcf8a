"""Writing RDF: N-Triples text for the bulk loader, and the graphs a source becomes."""
