from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Case, ExpressionWrapper, F, Q, Value, When
from django.db.models.functions import Coalesce

from vehicles import condition

#: Auction states (written by the auctions app into `Vehicle.auction_status`) in which a vehicle is
#: still open for bidding; "ending soonest" ranks these first.
OPEN_AUCTION_STATUSES = ("scheduled", "live")
#: Statuses a visitor finds in the inventory (sold vehicles keep their page but leave the search).
INVENTORY_STATUSES = ("approved", "listed")


def buy_now_open_on_snapshot(vehicle: Any) -> bool:
    """auctions.engine.buy_now_available on the listing snapshot: offered until the first bid, or with a reserve
    until the price reaches it (the price jumps to the reserve when a max meets it). The generated column
    `Vehicle.buy_now_open` is this condition in SQL; the inventory's "buy now" filter and the cards use this one."""
    return (
        vehicle.buy_now_price is not None
        and vehicle.auction_status in ("", *OPEN_AUCTION_STATUSES)
        and (
            not vehicle.bid_count
            or (
                vehicle.reserve_price is not None
                and vehicle.current_price is not None
                and vehicle.current_price < vehicle.reserve_price
            )
        )
    )


class VehicleQuerySet(models.QuerySet["Vehicle"]):
    def published(self) -> "VehicleQuerySet":
        """Visible to the public: approved by staff (and listed or sold)."""
        return self.filter(status__in=[Vehicle.Status.APPROVED, Vehicle.Status.LISTED, Vehicle.Status.SOLD])

    def owned_by(self, user: models.Model) -> "VehicleQuerySet":
        return self.filter(seller=user)

    def in_auction(self) -> "VehicleQuerySet":
        return self.filter(auction_status__in=["scheduled", "live"])

    def in_inventory(self) -> "VehicleQuerySet":
        """What the public inventory searches: approved or listed (uses the indexed generated column)."""
        return self.filter(in_inventory=True)

    def editable(self) -> "VehicleQuerySet":
        return self.filter(status__in=[Vehicle.Status.DRAFT, Vehicle.Status.REJECTED])

    def update(self, **kwargs: Any) -> int:
        """As QuerySet.update, stamping `updated_at` too: the inventory index reads changes by it."""
        from django.utils import timezone

        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)


class Vehicle(models.Model):
    """A vehicle a seller lists. The `current_price`/`auction_*` fields are a snapshot the auctions
    app keeps up to date (through `vehicles.services.vehicle_listing_snapshot_update`) so that the
    inventory can filter and sort on them without this app knowing about auctions."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING_REVIEW = "pending_review", "Pending review"
        APPROVED = "approved", "Approved"
        LISTED = "listed", "Listed"
        SOLD = "sold", "Sold"
        ARCHIVED = "archived", "Archived"
        REJECTED = "rejected", "Rejected"

    class BodyType(models.TextChoices):
        SEDAN = "sedan", "Sedan"
        COUPE = "coupe", "Coupe"
        HATCHBACK = "hatchback", "Hatchback"
        WAGON = "wagon", "Wagon"
        CONVERTIBLE = "convertible", "Convertible"
        SUV = "suv", "SUV"
        CROSSOVER = "crossover", "Crossover"
        PICKUP = "pickup", "Pickup truck"
        VAN = "van", "Van / minivan"
        OTHER = "other", "Other"

    class Transmission(models.TextChoices):
        AUTOMATIC = "automatic", "Automatic"
        MANUAL = "manual", "Manual"
        CVT = "cvt", "CVT"
        OTHER = "other", "Other"

    class Drivetrain(models.TextChoices):
        FWD = "fwd", "Front-wheel drive"
        RWD = "rwd", "Rear-wheel drive"
        AWD = "awd", "All-wheel drive"
        FOUR_WD = "4wd", "Four-wheel drive"

    class FuelType(models.TextChoices):
        GASOLINE = "gasoline", "Gasoline"
        DIESEL = "diesel", "Diesel"
        HYBRID = "hybrid", "Hybrid"
        PLUG_IN_HYBRID = "plug_in_hybrid", "Plug-in hybrid"
        ELECTRIC = "electric", "Electric"
        FLEX = "flex", "Flex fuel"
        OTHER = "other", "Other"

    class TitleType(models.TextChoices):
        CLEAN = "clean", "Clean"
        SALVAGE = "salvage", "Salvage"
        REBUILT = "rebuilt", "Rebuilt / reconstructed"
        FLOOD = "flood", "Flood damage"
        LEMON = "lemon", "Lemon buyback"
        HAIL = "hail", "Hail damage"
        FIRE = "fire", "Fire damage"
        JUNK = "junk", "Junk / certificate of destruction"
        PARTS_ONLY = "parts_only", "Parts only"

    class ConditionGrade(models.TextChoices):
        EXCELLENT = "excellent", "Excellent"
        GOOD = "good", "Good"
        FAIR = "fair", "Fair"
        POOR = "poor", "Poor"
        PARTS = "parts", "For parts / not running"

    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vehicles")
    vin = models.CharField("VIN", max_length=17, unique=True)
    year = models.PositiveSmallIntegerField()
    make = models.CharField(max_length=60)
    model = models.CharField(max_length=80)
    trim = models.CharField(max_length=80, blank=True)
    body_type = models.CharField(max_length=20, choices=BodyType.choices, blank=True)
    engine = models.CharField(max_length=120, blank=True)
    transmission = models.CharField(max_length=20, choices=Transmission.choices, blank=True)
    drivetrain = models.CharField(max_length=10, choices=Drivetrain.choices, blank=True)
    fuel_type = models.CharField(max_length=20, choices=FuelType.choices, blank=True)
    mileage = models.PositiveIntegerField(help_text="Odometer reading in miles")
    exterior_color = models.CharField(max_length=40, blank=True)
    interior_color = models.CharField(max_length=40, blank=True)
    condition_grade = models.CharField(max_length=20, choices=ConditionGrade.choices, blank=True)
    condition_notes = models.TextField(blank=True)
    title_type = models.CharField(max_length=20, choices=TitleType.choices, default=TitleType.CLEAN)
    title_state = models.CharField(max_length=2, blank=True)
    features = models.JSONField(default=list, blank=True)
    # Structured condition report (vehicles/condition.py holds the vocabulary and the rules).
    starts = models.CharField(max_length=20, choices=condition.Starts.choices, blank=True)
    drives = models.CharField(max_length=3, choices=condition.YesNo.choices, blank=True)
    keys_count = models.PositiveSmallIntegerField("keys", null=True, blank=True)
    odometer_brand = models.CharField(
        max_length=30, choices=condition.OdometerBrand.choices, default=condition.OdometerBrand.ACTUAL
    )
    airbags_deployed = models.CharField(max_length=3, choices=condition.YesNo.choices, blank=True)
    damage = models.JSONField(default=list, blank=True, help_text="[{panel, type, severity, photo_id}]")
    damage_mask = models.PositiveSmallIntegerField(default=0, help_text="One bit per damage type present")
    announcements = models.TextField(blank=True, help_text="Announcements buyers must know (seller or staff)")
    description = models.TextField(blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField("ZIP code", max_length=10, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    starting_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    reserve_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    buy_now_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    accepts_offers = models.BooleanField(default=False)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    rejection_reason = models.TextField(blank=True)
    decoded_specs = models.JSONField(default=dict, blank=True, help_text="Raw decoder output, kept for reference")

    # Listing snapshot, written by the auctions app (see class docstring).
    current_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    auction_status = models.CharField(max_length=20, blank=True)
    auction_ends_at = models.DateTimeField(null=True, blank=True)
    bid_count = models.PositiveIntegerField(default=0)
    snapshot_seq = models.PositiveBigIntegerField(default=0)
    # The last sale's result, written by the auctions app (`vehicle_sale_result_record`) for the Results page
    # and "similar vehicles sold": outcome sold / reserve_not_met, the price (final price, or the high bid
    # when the reserve was not met — never the reserve), when it ended, and its bid count.
    sale_outcome = models.CharField(max_length=20, blank=True)
    sale_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    sale_ended_at = models.DateTimeField(null=True, blank=True)
    sale_bid_count = models.PositiveIntegerField(default=0)
    sale_seq = models.PositiveBigIntegerField(default=0)
    # Saved-search alerts still to be matched for this vehicle (set with the status change that published
    # or listed it; cleared by the matcher). A beat sweep picks up any whose task was lost.
    alert_match_pending = models.BooleanField(default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    # Storage name of the primary photo's thumbnail; photo services keep it equal to photos[0].
    cover_thumbnail = models.CharField(max_length=300, blank=True)
    # Generated (stored) columns so the inventory's filters and sorts walk an index, not a filesort.
    listing_price = models.GeneratedField(
        expression=Coalesce("current_price", "starting_price"),
        output_field=models.DecimalField(max_digits=12, decimal_places=2, null=True),
        db_persist=True,
    )
    in_inventory = models.GeneratedField(
        expression=ExpressionWrapper(Q(status__in=INVENTORY_STATUSES), output_field=models.BooleanField()),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    runs_drives = models.GeneratedField(
        expression=ExpressionWrapper(Q(starts="yes", drives="yes"), output_field=models.BooleanField()),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    # search.py's "buy now" filter (auctions.engine.buy_now_available on the snapshot) as one indexed column: its
    # condition reads bid_count and current_price, which no covering index holds, so every candidate row was read.
    buy_now_open = models.GeneratedField(
        expression=ExpressionWrapper(
            Q(buy_now_price__isnull=False, auction_status__in=["", *OPEN_AUCTION_STATUSES])
            & (Q(bid_count=0) | Q(reserve_price__isnull=False, current_price__lt=F("reserve_price"))),
            output_field=models.BooleanField(),
        ),
        output_field=models.BooleanField(),
        db_persist=False,
    )
    ending_rank = models.GeneratedField(
        expression=Case(
            When(auction_status__in=OPEN_AUCTION_STATUSES, then=Value(0)),
            default=Value(1),
            output_field=models.PositiveSmallIntegerField(),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )

    objects: ClassVar[VehicleQuerySet] = VehicleQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "auction_ends_at"], name="vehicle_status_ends"),
            models.Index(fields=["status", "current_price"], name="vehicle_status_price"),
            models.Index(fields=["status", "created_at"], name="vehicle_status_created"),
            models.Index(fields=["make", "model"], name="vehicle_make_model"),
            models.Index(fields=["year"], name="vehicle_year"),
            models.Index(fields=["updated_at"], name="vehicle_changed"),  # the inventory index's refresh
            models.Index(fields=["mileage"], name="vehicle_mileage"),
            models.Index(fields=["in_inventory", "ending_rank", "auction_ends_at"], name="vehicle_inv_ending"),
            models.Index(fields=["in_inventory", "listing_price"], name="vehicle_inv_price"),
            models.Index(fields=["in_inventory", "approved_at"], name="vehicle_inv_listed"),
            models.Index(fields=["in_inventory", "mileage"], name="vehicle_inv_mileage"),
            models.Index(fields=["in_inventory", "year"], name="vehicle_inv_year"),
            # Led by latitude, for "within N miles": the bounding box is a range on it, the rest read in the index.
            models.Index(
                fields=[
                    "in_inventory",
                    "latitude",
                    "longitude",
                    "make",
                    "model",
                    "body_type",
                    "fuel_type",
                    "transmission",
                    "drivetrain",
                    "title_type",
                    "state",
                    "year",
                    "mileage",
                    "listing_price",
                    "reserve_price",
                    "buy_now_price",
                    "ending_rank",
                    "auction_status",
                    "auction_ends_at",
                    "runs_drives",
                    "keys_count",
                    "damage_mask",
                    "approved_at",
                ],
                name="vehicle_inv_geo_v2",
            ),  # fmt: skip
            # Led by the "buy now" flag, with the other filters and sorts: a buy-now search is counted in this index.
            models.Index(
                fields=[
                    "in_inventory",
                    "buy_now_open",
                    "make",
                    "model",
                    "body_type",
                    "fuel_type",
                    "transmission",
                    "drivetrain",
                    "title_type",
                    "state",
                    "year",
                    "mileage",
                    "listing_price",
                    "reserve_price",
                    "ending_rank",
                    "auction_ends_at",
                    "runs_drives",
                    "keys_count",
                    "damage_mask",
                    "latitude",
                    "longitude",
                    "approved_at",
                ],
                name="vehicle_inv_buy_now",
            ),  # fmt: skip
            models.Index(fields=["sale_outcome", "sale_ended_at"], name="vehicle_sale_results"),
            models.Index(fields=["make", "model", "sale_outcome", "year"], name="vehicle_sale_similar"),
            models.Index(fields=["alert_match_pending"], name="vehicle_alert_pending"),
            # Covers the inventory's filters and sort columns, so a filtered COUNT(*), and the ids of a page of a
            # narrow search (vehicles/paging.py), are read from this index alone.
            models.Index(
                fields=[
                    "in_inventory",
                    "body_type",
                    "fuel_type",
                    "transmission",
                    "drivetrain",
                    "title_type",
                    "state",
                    "year",
                    "mileage",
                    "listing_price",
                    "reserve_price",
                    "buy_now_price",
                    "ending_rank",
                    "auction_status",
                    "auction_ends_at",
                    "runs_drives",
                    "keys_count",
                    "damage_mask",
                    "latitude",
                    "longitude",
                    "approved_at",
                ],
                name="vehicle_inv_filters_v2",
            ),  # fmt: skip
            # The same, led by make and model: a search by make (the most common) is counted from this index alone.
            models.Index(
                fields=[
                    "in_inventory",
                    "make",
                    "model",
                    "body_type",
                    "fuel_type",
                    "transmission",
                    "drivetrain",
                    "title_type",
                    "state",
                    "year",
                    "mileage",
                    "listing_price",
                    "reserve_price",
                    "buy_now_price",
                    "ending_rank",
                    "auction_status",
                    "auction_ends_at",
                    "runs_drives",
                    "keys_count",
                    "damage_mask",
                    "latitude",
                    "longitude",
                    "approved_at",
                ],
                name="vehicle_inv_make_model_v2",
            ),  # fmt: skip
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reserve_price__isnull=True)
                | Q(starting_price__isnull=True)
                | Q(reserve_price__gte=models.F("starting_price")),
                name="vehicle_reserve_not_below_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        from vehicles.inventory_index import inventory_index

        pk = self.pk
        deleted = super().delete(*args, **kwargs)
        inventory_index().drop([pk])  # a refresh finds changed rows, not deleted ones
        return deleted

    @property
    def title(self) -> str:
        return " ".join(str(part) for part in (self.year, self.make, self.model, self.trim) if part)

    @property
    def is_editable_by_seller(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.REJECTED)

    @property
    def is_public(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.LISTED, self.Status.SOLD)

    @property
    def price(self) -> "Decimal | None":
        """The price a visitor sees: the auction's current price, else the starting price."""
        return self.current_price if self.current_price is not None else self.starting_price

    @property
    def auction_is_open(self) -> bool:
        return self.auction_status in OPEN_AUCTION_STATUSES

    @property
    def buy_now_available(self) -> bool:
        """Buy now is still offered: not sold, and `buy_now_open_on_snapshot` (the inventory filter's rule)."""
        return self.status != self.Status.SOLD and buy_now_open_on_snapshot(self)

    @property
    def title_warning(self) -> str:
        """The branded-title warning a buyer reads before committing ('' for a clean title)."""
        return condition.title_warning_text(
            title_type=self.title_type, title_label=self.get_title_type_display(), title_state=self.title_state
        )

    @property
    def condition_badges(self) -> list[condition.Badge]:
        return condition.badges(self)

    @property
    def condition_summary(self) -> str:
        return condition.condition_summary(self)

    @property
    def location(self) -> str:
        place = ", ".join(part for part in (self.city, self.state) if part)
        return f"{place} {self.postal_code}".strip() if place else self.postal_code


class VehicleEvent(models.Model):
    """Append-only history of a vehicle's status changes."""

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.vehicle_id}: {self.from_status} → {self.to_status}"


def _photo_path(instance: "VehiclePhoto", filename: str) -> str:  # pragma: no cover - names are set by services
    return f"vehicles/{instance.vehicle_id}/photos/{filename}"


class VehiclePhoto(models.Model):
    """A verified photo: `image` is our re-encoded copy (EXIF stripped), `thumbnail` a 4:3 card image.

    The first by `position` is the primary photo; services keep `Vehicle.cover_thumbnail` in step.
    """

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(max_length=300, upload_to=_photo_path)
    thumbnail = models.FileField(max_length=300, upload_to=_photo_path)
    position = models.PositiveSmallIntegerField(default=0)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["vehicle", "position"], name="vehicle_photo_order")]

    def __str__(self) -> str:
        return f"Photo {self.position + 1} of vehicle {self.vehicle_id}"


class VehicleDocument(models.Model):
    """A private file (title scan, inspection report). `storage_name` lives in the private document
    storage (`vehicles.storage.document_storage()`); it is served only through an access check."""

    class Kind(models.TextChoices):
        TITLE = "title", "Title scan"
        INSPECTION = "inspection", "Inspection report"
        SERVICE = "service_records", "Service records"
        OTHER = "other", "Other document"

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    storage_name = models.CharField(max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveIntegerField()
    is_public = models.BooleanField(
        default=False, help_text="Shown to every visitor on the vehicle page (e.g. an inspection report)"
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class VinDecode(models.Model):
    """Cache of decoded VINs, one row per VIN (upserted on the unique constraint)."""

    class Source(models.TextChoices):
        CLEARVIN = "clearvin", "ClearVIN"
        VPIC = "vpic", "NHTSA vPIC"
        OFFLINE = "offline", "Offline (WMI and model year)"

    vin = models.CharField("VIN", max_length=17, unique=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    specs = models.JSONField(default=dict, help_text="Normalised fields: year, make, model, trim, body_type, ...")
    raw = models.JSONField(default=dict, blank=True)
    decoded_at = models.DateTimeField()

    class Meta:
        verbose_name = "VIN decode"

    def __str__(self) -> str:
        return f"{self.vin} ({self.source})"


class Favorite(models.Model):
    """A vehicle on a user's watchlist."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vehicle_favorites")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="favorites")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "vehicle"], name="favorite_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.vehicle_id}"


from vehicles.models_saved_searches import SavedSearch, SavedSearchMatch  # noqa: E402

__all__ = [
    "Favorite",
    "SavedSearch",
    "SavedSearchMatch",
    "Vehicle",
    "VehicleDocument",
    "VehicleEvent",
    "VehiclePhoto",
    "VinDecode",
]
