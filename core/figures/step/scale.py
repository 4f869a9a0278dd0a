"""The step panel's one colour scale and its size limits, shared by its figures."""

SCALE = "RdBu"  # diverging around 0: gates (0..1), tanh states (-1..1) and weights read on one scale
MAX_TEXT_COLUMNS = {False: 20, True: 16}  # beyond this many columns, cells are too narrow for a number (normal, talk)
MAX_MATRIX = 64  # rows or columns per gate drawn of a weight matrix (a 512-unit kernel stays a light figure)
