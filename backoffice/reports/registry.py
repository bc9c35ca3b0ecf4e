"""Every report of the console: its name in the URL, its title, and the function that builds it."""

from collections.abc import Callable

from backoffice.reports.after_sale import claims_report, fulfillment_report
from backoffice.reports.periods import Range
from backoffice.reports.tables import Report, fees_report, payments_report, sales_report

REPORTS: dict[str, tuple[str, Callable[[Range, str], Report]]] = {
    "sales": ("Sales", sales_report),
    "fees": ("Fees earned", fees_report),
    "payments": ("Payments aging and late payers", payments_report),
    "fulfillment": ("Title turnaround and delivery times", fulfillment_report),
    "claims": ("Claims rate and outcomes", claims_report),
}
PENDING_REPORTS: dict[str, str] = {}
