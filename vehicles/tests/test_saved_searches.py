"""Saved searches: the API and pages, instant alerts when a matching vehicle is published or auctioned (once per
search and vehicle, even when two matchers race), daily digests, pause, and the unsubscribe link in emails."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connections
from django.utils import timezone

from notifications.models import Notification
from vehicles import services
from vehicles.models import SavedSearch, SavedSearchMatch, Vehicle
from vehicles.services.saved_searches import (
    candidates_for,
    criteria_from_params,
    matching_searches,
    saved_search_match_vehicle,
    saved_search_send_due_digests,
)

S = Vehicle.Status


@pytest.fixture
def buyer(user_factory):
    return user_factory(email="finder@example.test")


def save(user, query, *, name="Civics", frequency="instant"):
    return services.saved_search_create(
        user=user, name=name, criteria=criteria_from_params(query, user=user), frequency=frequency
    )


def alerts(user, kind="saved_search_match"):
    return list(Notification.objects.filter(user=user, kind=kind).order_by("pk"))


# --- API -----------------------------------------------------------------------------------------------------


def test_api_saves_lists_renames_pauses_and_deletes_a_search(api_client, buyer, db):
    api_client.force_authenticate(buyer)
    created = api_client.post(
        "/api/saved-searches",
        {
            "name": "Cheap Civics",
            "frequency": "daily",
            "filters": {
                "make": "Honda",
                "model": "Civic",
                "price_max": "9000",
                "body_type": ["sedan"],
                "runs_drives": True,
            },
        },  # fmt: skip
        format="json",
    )
    assert created.status_code == 201, created.content
    data = created.json()["data"]
    assert data["filters"] == {
        "make": "Honda", "model": "Civic", "price_max": "9000.00", "body_type": ["sedan"], "runs_drives": True,
    }  # fmt: skip
    assert data["frequency"] == "daily"
    assert data["paused"] is False
    assert data["inventory_url"].startswith("/vehicles/?")
    assert "Honda Civic" in data["summary"]

    listed = api_client.get("/api/saved-searches").json()
    assert listed["count"] == 1
    assert listed["results"][0]["id"] == data["id"]

    changed = api_client.put(
        f"/api/saved-searches/{data['id']}", {"name": "Civics", "paused": True, "frequency": "instant"}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["data"] | {} == changed.json()["data"]
    assert (changed.json()["data"]["name"], changed.json()["data"]["paused"]) == ("Civics", True)

    by_query = api_client.put(f"/api/saved-searches/{data['id']}", {"query": "make=Ford&sort=newest"}, format="json")
    assert by_query.json()["data"]["filters"] == {"make": "Ford", "sort": "newest"}

    assert api_client.delete(f"/api/saved-searches/{data['id']}").status_code == 204
    assert api_client.get(f"/api/saved-searches/{data['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "x", "filters": {"colour": "red"}}, 400, "colour"),
        ({"name": "x", "filters": {"year_min": "soon"}}, 400, "year_min"),
        ({"name": "x", "frequency": "hourly"}, 400, "frequency"),
        ({"name": "  ", "filters": {}}, 400, "name"),
        ({"name": "x", "filters": {"make": "Kia"}, "query": "make=Kia"}, 400, "query"),
    ],
)
def test_api_refuses_bad_input_with_field_details(api_client, buyer, body, status, field, db):
    api_client.force_authenticate(buyer)
    response = api_client.post("/api/saved-searches", body, format="json")
    assert response.status_code == status
    assert field in response.json()["details"]
    assert SavedSearch.objects.count() == 0


def test_api_needs_login_and_hides_other_users_searches(api_client, buyer, user_factory, db):
    assert api_client.get("/api/saved-searches").status_code == 401
    theirs = save(user_factory(), "make=Honda")
    api_client.force_authenticate(buyer)
    assert api_client.get(f"/api/saved-searches/{theirs.pk}").status_code == 404
    assert api_client.delete(f"/api/saved-searches/{theirs.pk}").status_code == 404
    assert SavedSearch.objects.filter(pk=theirs.pk).exists()


def test_a_name_is_used_once_per_user(api_client, buyer, db):
    api_client.force_authenticate(buyer)
    assert api_client.post("/api/saved-searches", {"name": "Trucks"}, format="json").status_code == 201
    again = api_client.post("/api/saved-searches", {"name": "Trucks"}, format="json")
    assert again.status_code == 409
    assert again.json()["details"] == {"name": ["already used"]}


# --- pages ---------------------------------------------------------------------------------------------------


def test_inventory_page_saves_the_search_in_one_click(client, buyer, db):
    client.force_login(buyer)
    page = client.get("/vehicles/", {"make": "Honda", "runs_drives": "true"}).content.decode()
    assert "Save this search" in page
    response = client.post("/saved-searches/save/", {"query": "make=Honda&runs_drives=true", "frequency": "instant"})
    assert response.status_code == 302
    saved = SavedSearch.objects.get(user=buyer)
    assert saved.criteria == {"make": "Honda", "runs_drives": True}
    assert saved.name == "Honda · runs and drives"
    listing = client.get("/saved-searches/").content.decode()
    assert "Honda · runs and drives" in listing
    client.post(f"/saved-searches/{saved.pk}/", {"action": "pause"})
    saved.refresh_from_db()
    assert saved.is_paused


# --- matching and alerts -----------------------------------------------------------------------------------


def test_an_approved_matching_vehicle_alerts_instantly_once(
    buyer, vehicle_factory, staff_user, django_capture_on_commit_callbacks
):
    saved = save(buyer, "make=Honda&model=Civic&price_max=20000")
    other = save(buyer, "make=Ford", name="Fords")
    vehicle = vehicle_factory(make="Honda", model="Civic", status=S.PENDING_REVIEW, starting_price=Decimal("9000"))
    with django_capture_on_commit_callbacks(execute=True):
        services.vehicle_approve(vehicle_id=vehicle.pk, actor=staff_user)
    [alert] = alerts(buyer)
    assert alert.url == f"/vehicles/{vehicle.pk}/"
    assert "Civics" in alert.title
    assert "2018 Honda Civic" in alert.title
    assert SavedSearchMatch.objects.get(search=saved).notified_at is not None
    assert not SavedSearchMatch.objects.filter(search=other).exists()
    vehicle.refresh_from_db()
    assert vehicle.alert_match_pending is False
    # Scheduling its auction (listed) and matching again never alerts the same search twice.
    with django_capture_on_commit_callbacks(execute=True):
        services.vehicle_mark_listed(vehicle_id=vehicle.pk)
    assert saved_search_match_vehicle(vehicle_id=vehicle.pk) == 0
    assert len(alerts(buyer)) == 1


def test_paused_searches_own_vehicles_and_non_matches_are_not_alerted(buyer, vehicle_factory, db):
    paused = save(buyer, "make=Honda", name="paused")
    services.saved_search_update(user=buyer, search_id=paused.pk, paused=True)
    save(buyer, "make=Honda&runs_drives=true", name="runners")
    own = vehicle_factory(make="Honda", seller=buyer)
    assert saved_search_match_vehicle(vehicle_id=own.pk) == 0
    broken = vehicle_factory(make="Honda", starts="no")
    assert saved_search_match_vehicle(vehicle_id=broken.pk) == 0
    assert alerts(buyer) == []


def test_candidates_come_from_the_index_not_from_every_search(buyer, user_factory, vehicle_factory, db):
    mine = save(buyer, "make=Honda&model=Civic")
    save(buyer, "make=Toyota", name="toyotas")
    save(buyer, "state=TX", name="texas")
    anywhere = save(buyer, "price_max=10000", name="cheap")
    vehicle = vehicle_factory(make="Honda", model="Civic", state="MN")
    assert set(candidates_for(vehicle)) == {mine.pk, anywhere.pk}


def test_the_index_follows_edits_pauses_resumes_and_deletes(buyer, vehicle_factory, db):
    honda, toyota = vehicle_factory(make="Honda", model="Civic"), vehicle_factory(make="Toyota", model="Camry")
    saved = save(buyer, "make=Honda")
    assert [s.pk for s in matching_searches(honda)] == [saved.pk]
    services.saved_search_update(user=buyer, search_id=saved.pk, criteria=criteria_from_params("make=Toyota"))
    assert matching_searches(honda) == []
    assert [s.pk for s in matching_searches(toyota)] == [saved.pk]
    services.saved_search_update(user=buyer, search_id=saved.pk, paused=True)
    assert saved.pk not in candidates_for(toyota)
    assert matching_searches(toyota) == []
    services.saved_search_update(user=buyer, search_id=saved.pk, paused=False, name="Toyotas")
    [hit] = matching_searches(toyota)
    assert (hit.pk, hit.name) == (saved.pk, "Toyotas")
    services.saved_search_delete(user=buyer, search_id=saved.pk)
    assert matching_searches(toyota) == []
    assert saved.pk not in candidates_for(toyota), "a search found deleted leaves the index"


def test_matching_runs_two_queries_however_many_searches(
    buyer, user_factory, vehicle_factory, django_assert_max_num_queries, db
):
    vehicle = vehicle_factory(make="Honda", model="Civic", state="MN")
    for n in range(40):
        user = user_factory()
        save(user, ["make=Honda", "make=Honda&model=Civic", "state=MN", "runs_drives=true"][n % 4], name=f"s{n}")
    matching_searches(vehicle)  # the index is current
    with django_assert_max_num_queries(2):  # the changes since the last refresh, and the confirmation
        found = matching_searches(vehicle)
    assert len(found) == 40


def test_a_refresh_prepares_again_only_the_searches_that_changed(buyer, user_factory, vehicle_factory, monkeypatch, db):
    from vehicles import saved_search_index

    vehicle = vehicle_factory(make="Honda", model="Civic", state="MN")
    searches = [save(user_factory(), "make=Honda", name=f"s{n}") for n in range(30)]
    matching_searches(vehicle)  # the index is built; all 30 were stamped within REFRESH_LAG
    prepared: list[dict] = []
    real = saved_search_index.search.matcher
    monkeypatch.setattr(saved_search_index.search, "matcher", lambda c: prepared.append(c) or real(c))
    assert len(matching_searches(vehicle)) == 30
    assert prepared == [], "searches edited in the last minutes but unchanged since the last refresh"
    services.saved_search_update(
        user=searches[0].user, search_id=searches[0].pk, criteria=criteria_from_params("make=Kia")
    )
    assert len(matching_searches(vehicle)) == 29
    assert len(prepared) == 1


def test_searches_with_the_same_criteria_share_one_predicate_decided_once(
    user_factory, vehicle_factory, monkeypatch, db
):
    from vehicles import saved_search_index

    calls: list[int] = []
    real = saved_search_index.search.matcher

    def counting(criteria):
        test = real(criteria)
        return lambda vehicle, ctx: calls.append(1) or test(vehicle, ctx)

    monkeypatch.setattr(saved_search_index.search, "matcher", counting)
    same = [save(user_factory(), "make=Honda&model=Civic", name=f"civic {n}") for n in range(3)]
    other = save(user_factory(), "make=Honda&year_min=2030", name="future")
    hits = matching_searches(vehicle_factory(make="Honda", model="Civic", year=2019))
    assert {h.pk for h in hits} == {s.pk for s in same}
    assert other.pk not in {h.pk for h in hits}
    assert len(calls) == 2, "one decision per distinct criteria"


def test_the_alert_email_carries_one_click_unsubscribe(
    buyer, vehicle_factory, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_EMAIL_WINDOW_SECONDS = 0
    save(buyer, "make=Honda")
    vehicle = vehicle_factory(make="Honda")
    with django_capture_on_commit_callbacks(execute=True):
        saved_search_match_vehicle(vehicle_id=vehicle.pk)
    [message] = [m for m in mail.outbox if "Honda" in m.subject]
    assert "/notifications/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_daily_digest_groups_everything_since_the_last_one(buyer, vehicle_factory, django_capture_on_commit_callbacks):
    saved = save(buyer, "make=Honda", frequency="daily")
    first, second = vehicle_factory(make="Honda", model="Civic"), vehicle_factory(make="Honda", model="Accord")
    for vehicle in (first, second):
        saved_search_match_vehicle(vehicle_id=vehicle.pk)
    assert alerts(buyer) == []  # daily: nothing instant
    now = timezone.now()
    assert saved_search_send_due_digests(now=now) == 0  # not due yet (a day after saving)
    later = now + timedelta(hours=25)
    with django_capture_on_commit_callbacks(execute=True):
        assert saved_search_send_due_digests(now=later) == 1
    [digest] = alerts(buyer, "saved_search_digest")
    assert digest.title == "2 new matches for “Civics”"
    assert "Civic" in digest.body
    assert "Accord" in digest.body
    assert saved_search_send_due_digests(now=later + timedelta(hours=1)) == 0  # nothing new, not due
    third = vehicle_factory(make="Honda", model="Pilot")
    saved_search_match_vehicle(vehicle_id=third.pk)
    assert saved_search_send_due_digests(now=later + timedelta(hours=2)) == 0  # next digest a day later
    with django_capture_on_commit_callbacks(execute=True):
        assert saved_search_send_due_digests(now=later + timedelta(hours=25)) == 1
    assert "1 new match for" in alerts(buyer, "saved_search_digest")[-1].title
    saved.refresh_from_db()
    assert saved.last_alert_at is not None


def test_two_matchers_racing_on_the_same_vehicles_never_alert_twice(user_factory, vehicle_factory, transactional_db):
    """Two publishers (threads with their own MariaDB connections) match the same new vehicles at the same
    moment: the unique (search, vehicle) row decides, and each alert is sent exactly once."""
    buyers = [user_factory() for _ in range(6)]
    for n, buyer in enumerate(buyers):
        save(buyer, "make=Honda" if n % 2 else "body_type=sedan", name=f"s{n}")
    vehicles = [vehicle_factory(make="Honda", body_type="sedan") for _ in range(5)]
    errors: list[BaseException] = []
    for vehicle in vehicles:
        barrier = threading.Barrier(2)

        def publish(vehicle_id: int = vehicle.pk, barrier: threading.Barrier = barrier) -> None:
            try:
                barrier.wait(timeout=30)
                saved_search_match_vehicle(vehicle_id=vehicle_id)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=publish) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    for buyer in buyers:
        sent = [n.url for n in alerts(buyer)]
        assert sorted(sent) == sorted(f"/vehicles/{v.pk}/" for v in vehicles)
    assert SavedSearchMatch.objects.count() == len(buyers) * len(vehicles)


MATCHER = """
import pathlib, sys, time
import django
django.setup()
from django.db import connection
from vehicles.services.saved_searches import saved_search_match_vehicle
ready, go = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
connection.ensure_connection()
ready.touch()
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.005)
for vehicle_id in sys.argv[3:]:
    saved_search_match_vehicle(vehicle_id=int(vehicle_id))
"""


def test_two_processes_publishing_at_once_never_alert_twice(user_factory, vehicle_factory, transactional_db, tmp_path):
    """The same, with two OS processes (as two Celery workers would be), released together by a file barrier."""
    import subprocess
    import sys
    import time

    from tests.fixtures.live_server import ROOT, server_env

    buyers = [user_factory() for _ in range(4)]
    for n, buyer in enumerate(buyers):
        save(buyer, "make=Honda" if n % 2 else "runs_drives=true", name=f"p{n}")
    vehicles = [vehicle_factory(make="Honda") for _ in range(6)]
    ids = [str(v.pk) for v in vehicles]
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in range(2)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", MATCHER, str(ready[n]), str(go), *(ids if n == 0 else reversed(ids))],
            cwd=ROOT,
            env=server_env(CELERY_TASK_ALWAYS_EAGER="true"),
        )
        for n in range(2)
    ]
    deadline = time.monotonic() + 90  # generous: two Django processes start on a loaded machine
    while not all(path.exists() for path in ready):
        assert time.monotonic() < deadline, "the matcher processes did not start"
        assert all(p.poll() is None for p in processes), "a matcher process died while starting"
        time.sleep(0.01)
    go.touch()
    assert [p.wait(timeout=120) for p in processes] == [0, 0]
    for buyer in buyers:
        assert sorted(n.url for n in alerts(buyer)) == sorted(f"/vehicles/{pk}/" for pk in ids)
    assert SavedSearchMatch.objects.count() == len(buyers) * len(vehicles)
