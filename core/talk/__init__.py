"""Talks: the guided stories a presenter steps through, one page, one model, one sentence at a time."""
