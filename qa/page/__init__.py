"""The chat page's helpers, free of Streamlit: Markdown for answers and sources, the password check."""
