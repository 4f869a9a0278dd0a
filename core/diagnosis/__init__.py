"""Diagnosing a learner's Keras error: reading their error and their model, ranking causes, offering sound fixes."""
