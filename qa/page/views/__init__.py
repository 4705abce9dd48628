"""The page's sections drawn with Streamlit, which app.py composes.

The one part of `qa` that imports Streamlit (the architecture test allows this folder alone);
never `ingest`: the page hands these sections its ingest jobs and what starts one.
"""
