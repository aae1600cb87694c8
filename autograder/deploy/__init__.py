"""Deployment: the course on a JupyterHub (`python -m autograder hub`)."""
