from celery import shared_task

from backoffice.fraud import fraud_scan

BATCH = 500


@shared_task(name="backoffice.tasks.scan_new_bids", ignore_result=True)
def scan_new_bids() -> int:
    """Fraud flags for bids accepted since the last run (beat, every 5 s; overlapping runs are safe: the
    cursor row is locked). Returns how many flags were raised."""
    raised = 0
    while True:
        result = fraud_scan(limit=BATCH)
        raised += len(result.flags)
        if result.bids < BATCH:
            return raised
