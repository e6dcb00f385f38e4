"""The student support chatbot: answers from policy and the student's own records, or a person."""
