"""relsynth: synthetic, referentially intact clones of relational databases."""
