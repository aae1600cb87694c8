"""Figures and widget explorers used by the notebooks, kept here so that notebooks hold teaching,
not plotting code. Each function that needs a student's function takes it as an argument and says
what to write first when it is not written yet."""
