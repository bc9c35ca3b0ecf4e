"""Transport quotes for a vehicle: from the vehicle's ZIP code to the buyer's, priced by `core.transport`.

A vehicle graded "for parts / not running" is quoted as inoperable. The ZIP a buyer is quoted to is
remembered: a signed-in buyer starts from the ZIP of their address, and the last ZIP anyone asked for on the
site is kept in their session (so the vehicle page, the bid form and the offer form agree).
"""

from typing import Any

from django.http import HttpRequest

from core.errors import DomainError
from core.geo import zip_point
from core.transport import TransportQuote, transport_quote
from vehicles.models import Vehicle

SESSION_KEY = "delivery_zip"


def vehicle_is_inoperable(vehicle: Vehicle) -> bool:
    return vehicle.condition_grade == Vehicle.ConditionGrade.PARTS


def vehicle_transport_quote(vehicle: Vehicle, *, destination_zip: str, enclosed: bool = False) -> TransportQuote:
    """Door to door from the vehicle's location; raises core.transport.ZipCodeError / NoOrigin."""
    return transport_quote(
        origin_zip=vehicle.postal_code,
        destination_zip=destination_zip,
        enclosed=enclosed,
        inoperable=vehicle_is_inoperable(vehicle),
    )


def remembered_delivery_zip(request: HttpRequest | None) -> str:
    """The ZIP this visitor was last quoted to, else the ZIP of a signed-in user's address, else ""."""
    if request is None:
        return ""
    session = getattr(request, "session", None)
    remembered = session.get(SESSION_KEY, "") if session is not None else ""
    if remembered:
        return str(remembered)
    user: Any = getattr(request, "user", None)
    if user is not None and user.is_authenticated and zip_point(getattr(user, "postal_code", "")):
        return str(user.postal_code)[:5]
    return ""


def remember_delivery_zip(request: HttpRequest, quote: TransportQuote, *, create_session: bool = False) -> None:
    """Keep the ZIP in the visitor's session. The API keeps it only in a session the caller already has (a
    browser), so that API clients do not get a session row made for each quote."""
    session = getattr(request, "session", None)
    if session is None or (session.session_key is None and not create_session):
        return
    if session.get(SESSION_KEY) != quote.destination_zip:
        session[SESSION_KEY] = quote.destination_zip


def quote_for_request(request: HttpRequest | None, vehicle: Vehicle) -> TransportQuote | None:
    """The open-trailer quote to the remembered ZIP, or None when there is no ZIP or no quote is possible."""
    destination = remembered_delivery_zip(request)
    if not destination or not vehicle.postal_code:
        return None
    try:
        return vehicle_transport_quote(vehicle, destination_zip=destination)
    except DomainError:  # a ZIP that stopped existing, a vehicle without a location: no courtesy quote
        return None


def quote_box(request: HttpRequest, vehicle: Vehicle) -> dict[str, Any] | None:
    """What the vehicle page's quote box shows: a quote for `?delivery_zip=` (the form without JavaScript) or
    the remembered ZIP, or the error for a ZIP that does not exist. None for a vehicle no one can buy now."""
    if vehicle.status not in (Vehicle.Status.APPROVED, Vehicle.Status.LISTED):
        return None
    asked = request.GET.get("delivery_zip")
    enclosed = request.GET.get("enclosed") == "true"
    box: dict[str, Any] = {"zip": "", "quote": None, "error": "", "enclosed": enclosed, "has_origin": True}
    if zip_point(vehicle.postal_code) is None:
        box["has_origin"] = False
        return box
    destination = asked if asked is not None else remembered_delivery_zip(request)
    box["zip"] = (destination or "")[:20]
    if not destination:
        return box
    try:
        box["quote"] = vehicle_transport_quote(vehicle, destination_zip=destination, enclosed=enclosed)
    except DomainError as exc:
        box["error"] = exc.message if asked is not None else ""
        return box
    if asked is not None:
        remember_delivery_zip(request, box["quote"], create_session=True)
    return box
