"""JSON API endpoints of the vehicles domain (see vehicles/api_urls.py)."""
