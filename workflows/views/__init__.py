"""Views of the top app, one module each: the home page (home), the one 待办 (inbox) and the
deadline engine's status page (status)."""
