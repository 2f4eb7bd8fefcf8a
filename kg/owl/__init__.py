"""OWL reasoning: the reasoner run on the ontology and terms, and the inferred graph it yields."""
