from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person on the marketplace. Everyone can buy; `role` becomes SELLER once staff approve."""

    class Role(models.TextChoices):
        BUYER = "buyer", "Buyer"
        SELLER = "seller", "Seller"

    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    address_line1 = models.CharField("street address", max_length=200, blank=True)
    address_line2 = models.CharField("apartment, suite", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True, help_text="Two-letter US state code")
    postal_code = models.CharField("ZIP code", max_length=10, blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.BUYER)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.TextField(blank=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["-date_joined"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email.split("@")[0]

    @property
    def display_name(self) -> str:
        """Public name: first name and last initial, never the email."""
        if self.first_name:
            return f"{self.first_name} {self.last_name[:1]}.".strip(" .") + ("." if self.last_name else "")
        return f"Member {self.pk}"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_seller(self) -> bool:
        return self.role == self.Role.SELLER


class AccountEvent(models.Model):
    """Append-only history of every status change in the accounts domain: who, what, when, from → to."""

    class Kind(models.TextChoices):
        SUSPENDED = "suspended", "Account suspended"
        REINSTATED = "reinstated", "Account reinstated"
        SELLER_APPLIED = "seller_applied", "Seller application submitted"
        SELLER_APPROVED = "seller_approved", "Seller application approved"
        SELLER_REJECTED = "seller_rejected", "Seller application rejected"
        IDENTITY_STARTED = "identity_started", "ID check started"
        IDENTITY_CHANGED = "identity_changed", "ID check status changed"
        IDENTITY_OVERRIDDEN = "identity_overridden", "ID check overridden by staff"
        CARD_ADDED = "card_added", "Card added"
        CARD_REPLACED = "card_replaced", "Card replaced"
        CARD_REMOVED = "card_removed", "Card removed"
        STRIKE_ADDED = "strike_added", "Non-payment strike"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_events")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["user", "created_at"], name="account_event_user_created")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.from_status} → {self.to_status}"


class SellerProfileQuerySet(models.QuerySet["SellerProfile"]):
    def pending(self) -> "SellerProfileQuerySet":
        return self.filter(status=SellerProfile.Status.PENDING)

    def approved(self) -> "SellerProfileQuerySet":
        return self.filter(status=SellerProfile.Status.APPROVED)


class SellerProfile(models.Model):
    """A user's application to sell (one per user; a rejected applicant may apply again)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="seller_profile")
    business_name = models.CharField(max_length=200)
    dealer_license_number = models.CharField("dealer license number", max_length=60)
    tax_id = models.CharField("tax id (EIN)", max_length=20)
    address_line1 = models.CharField("street address", max_length=200)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2, help_text="Two-letter US state code")
    postal_code = models.CharField("ZIP code", max_length=10)
    license_document = models.FileField("dealer license document", upload_to="seller-licences/%Y/%m/", blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    rejection_reason = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[SellerProfileQuerySet] = SellerProfileQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="seller_profile_status")]

    def __str__(self) -> str:
        return f"{self.business_name} ({self.get_status_display()})"

    def awaits_decision(self) -> bool:
        return self.status == self.Status.PENDING

    def accepts_resubmission(self) -> bool:
        return self.status == self.Status.REJECTED


class IdentityVerificationQuerySet(models.QuerySet["IdentityVerification"]):
    def pending_since(self, moment: Any) -> "IdentityVerificationQuerySet":
        """Inquiries still waiting for the vendor's decision that were started before `moment`."""
        return self.filter(
            status__in=[IdentityVerification.Status.PENDING, IdentityVerification.Status.NEEDS_REVIEW],
            started_at__lt=moment,
        ).exclude(inquiry_id=None)


class IdentityVerification(models.Model):
    """The user's ID check with Persona: one row per user, pointing at the current inquiry."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        PENDING = "pending", "In progress"
        NEEDS_REVIEW = "needs_review", "Under review"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="identity_verification")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    inquiry_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    vendor_status = models.CharField(max_length=30, blank=True, help_text="The inquiry status Persona last reported")
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    overridden_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    override_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[IdentityVerificationQuerySet] = IdentityVerificationQuerySet.as_manager()  # type: ignore[assignment]

    def __str__(self) -> str:
        return f"ID check of {self.user_id}: {self.status}"

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    def can_start_new_inquiry(self) -> bool:
        """A new inquiry only when none is running: never started, declined by the vendor, or expired."""
        if self.status == self.Status.DECLINED:
            return self.overridden_by_id is None  # a decline staff confirmed is final
        return self.status in (self.Status.NOT_STARTED, self.Status.EXPIRED)


class CardOnFile(models.Model):
    """The user's card, stored at Authorize.Net; we keep only profile ids, brand, last four and expiry."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="card_on_file")
    customer_profile_id = models.CharField(max_length=32)
    payment_profile_id = models.CharField(max_length=32)
    brand = models.CharField(max_length=30)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    validated_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "card on file"
        verbose_name_plural = "cards on file"

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.brand or 'Card'} ending {self.last4}"

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year}"

    def is_expired(self, today: Any = None) -> bool:
        today = today or timezone.localdate()
        return (self.exp_year, self.exp_month) < (today.year, today.month)


class Strike(models.Model):
    """A non-payment strike: an order cancelled because the buyer did not pay. `STRIKES_TO_SUSPEND` strikes
    suspend the account (bidding and offers) until staff reinstate it. One strike per source (an order)."""

    STRIKES_TO_SUSPEND = 2

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="strikes")
    source = models.CharField(max_length=60, help_text="What caused it, e.g. order:42")
    reason = models.TextField()
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "source"], name="strike_once_per_source")]

    def __str__(self) -> str:
        return f"Strike on {self.user_id} ({self.source})"
