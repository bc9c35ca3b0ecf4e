"""Reports of the staff console: sales, fees, payments. Each is one or two GROUP BY queries over indexed
columns, grouped by local (Central) day in SQL and rolled up to weeks or months here, or grouped by seller.
Reports whose data other apps do not record yet (title turnaround, delivery times, claims, seller fees and
storage) appear once those apps land (docs/backoffice.md)."""
