"""Closing the loop on a pull request: register the challenger, compare it with the champion, one comment."""
