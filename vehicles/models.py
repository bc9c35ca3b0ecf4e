from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q


class VehicleQuerySet(models.QuerySet["Vehicle"]):
    def published(self) -> "VehicleQuerySet":
        """Visible to the public: approved by staff (and listed or sold)."""
        return self.filter(status__in=[Vehicle.Status.APPROVED, Vehicle.Status.LISTED, Vehicle.Status.SOLD])

    def owned_by(self, user: models.Model) -> "VehicleQuerySet":
        return self.filter(seller=user)

    def in_auction(self) -> "VehicleQuerySet":
        return self.filter(auction_status__in=["scheduled", "live"])


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

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[VehicleQuerySet] = VehicleQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "auction_ends_at"], name="vehicle_status_ends"),
            models.Index(fields=["status", "current_price"], name="vehicle_status_price"),
            models.Index(fields=["status", "created_at"], name="vehicle_status_created"),
            models.Index(fields=["make", "model"], name="vehicle_make_model"),
            models.Index(fields=["year"], name="vehicle_year"),
            models.Index(fields=["mileage"], name="vehicle_mileage"),
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

    @property
    def title(self) -> str:
        return " ".join(str(part) for part in (self.year, self.make, self.model, self.trim) if part)

    @property
    def is_editable_by_seller(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.REJECTED)


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
