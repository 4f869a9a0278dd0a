"""What the pages show: the theme and every plotly figure and table, drawn from `core.model` (pure functions, no
TensorFlow, no Streamlit)."""
