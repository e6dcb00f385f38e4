"""Support chatbot evaluation: labelled questions and the knowledge-base retrieval scorer."""
