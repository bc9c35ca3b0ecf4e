"""HTML pages of the vehicles domain (see vehicles/urls.py)."""
