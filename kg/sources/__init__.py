"""Reading sources: YAML records with their lines, the vocabulary of terms, quotes, reviews."""
