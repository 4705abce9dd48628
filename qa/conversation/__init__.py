"""Chats: follow-up questions made standalone, and saved conversations."""
