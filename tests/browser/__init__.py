"""Support for tests/test_browser.py: a JupyterLab server, Chromium, and the notebooks students see."""
