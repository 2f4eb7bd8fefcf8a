"""The benchmark harness behind `evkg bench`: synthetic corpora, peers, timings and the report."""
