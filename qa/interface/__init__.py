"""The command line and the server's start: `python -m qa`, starting and stopping cleanly, models loaded early."""
