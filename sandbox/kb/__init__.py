"""The sandbox institution's help pages: a Markdown corpus the knowledge base ingests."""
