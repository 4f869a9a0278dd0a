"""The model as data: the spec and its analytic anatomy (shapes, counts), URL state, datasets, the numpy stepper,
work budgets, target checks and the generated Keras code. Pure Python and numpy: no plotly, no TensorFlow."""
