"""Pages of the staff console (mounted by backoffice.site.ConsoleSite under /admin/console/)."""
