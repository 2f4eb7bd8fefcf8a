"""SPARQL text: its lexer, named queries, results, and the planner hint for the embedded engine."""
