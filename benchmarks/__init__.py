"""Runnable reproductions and speed comparisons (not part of the installed packages)."""
