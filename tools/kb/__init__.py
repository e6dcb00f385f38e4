"""The knowledge base the support chatbot retrieves from: chunks of an institution's help pages."""
