"""A real Celery worker on the Redis broker: a burst of notifications becomes one email after the window."""

import subprocess
import sys
import time

import pytest

from notifications.models import EmailDelivery
from notifications.services import notify
from tests.fakes.sendgrid import API_KEY
from tests.fixtures.live_server import ROOT, server_env

WINDOW_SECONDS = 2


@pytest.fixture
def celery_worker(transactional_db, fake_sendgrid, tmp_path, settings):
    """One worker process consuming this test run's queue, emailing through the SendGrid fake."""
    from config.celery import app

    was_eager = app.conf.task_always_eager
    # publish to the broker, like production; celery 5.6 reads the setting under its Django name first
    app.conf.task_always_eager = app.conf.CELERY_TASK_ALWAYS_EAGER = False
    settings.NOTIFY_EMAIL_WINDOW_SECONDS = WINDOW_SECONDS
    env = server_env(
        DJANGO_SETTINGS_MODULE="notifications.tests.worker_settings",
        CELERY_TASK_ALWAYS_EAGER="false",
        WORKER_EMAIL_BACKEND="anymail.backends.sendgrid.EmailBackend",
        SENDGRID_API_URL=fake_sendgrid.api_url,
        SENDGRID_API_KEY=API_KEY,
        NOTIFY_EMAIL_WINDOW_SECONDS=str(WINDOW_SECONDS),
    )
    log = (tmp_path / "worker.log").open("wb")
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "WARNING", "--without-heartbeat", "--without-mingle", "--without-gossip"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    yield fake_sendgrid
    app.conf.task_always_eager = app.conf.CELERY_TASK_ALWAYS_EAGER = was_eager
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_ten_outbids_in_the_window_send_one_email_with_the_latest_price(celery_worker, user_factory):
    bidder = user_factory()
    for price in range(10000, 11000, 100):
        notify(
            user=bidder,
            kind="outbid",
            context={"vehicle": "2018 Honda Accord", "current_price": str(price)},
            object_key="auction:77",
        )

    assert wait_for(lambda: celery_worker.state.accepted, timeout=40), "the worker sent no email"
    time.sleep(WINDOW_SECONDS + 1)  # nothing else arrives after the window

    [email] = celery_worker.state.accepted
    text = next(part["value"] for part in email["content"] if part["type"] == "text/plain")
    assert "$10,900.00" in text
    delivery = EmailDelivery.objects.get()
    assert (delivery.status, delivery.merged_count) == (EmailDelivery.Status.SENT, 10)
