"""The staff student search: a trigram index of Banner students, kept in the app database."""
