"""Staff roles as Django groups, and the console's own permissions.

Each role is a group named in ROLES with the permissions listed there ("app_label.codename"). Custom
permissions (the console's actions: refund, void, suspend …) are defined in CUSTOM_PERMISSIONS, on the model
of the app whose admin checks them (`request.user.has_perm("orders.refund_order")`); they are plain
Permission rows, created here rather than in each app's Meta so that the console's roles are declared in one
place. Plumbing (axes, token blacklist, periodic tasks, sites, Celery results) is in no role: superusers only.

`ensure_roles(apps)` works with real or historical (migration) models; it creates missing content types,
permissions and groups and sets each group's permissions to exactly its list. Models that are not installed
yet (an app landing later) are skipped; run it again (`manage.py console_roles`) when they land.
"""

from typing import Any

SUPPORT, FINANCE, AUCTIONS, ADMIN = "support", "finance", "auctions", "admin"

# (app_label, model) -> [(codename, name)]
CUSTOM_PERMISSIONS: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("accounts", "user"): [("suspend_user", "Can suspend and reinstate users")],
    ("accounts", "sellerprofile"): [("review_sellerprofile", "Can approve or reject seller applications")],
    ("vehicles", "vehicle"): [("review_vehicle", "Can approve or reject listings")],
    ("auctions", "auction"): [
        ("monitor_auction", "Can watch the live auction monitor"),
        ("cancel_auction", "Can cancel auctions"),
    ],
    ("auctions", "bid"): [("void_bid", "Can void bids")],
    ("orders", "order"): [
        ("refund_order", "Can refund orders"),
        ("cancel_order", "Can cancel unpaid orders"),
    ],
    ("offers", "offerthread"): [("withdraw_offerthread", "Can withdraw offer threads")],
    ("backoffice", "fraudflag"): [("review_fraudflag", "Can mark fraud flags reviewed")],
    ("fulfillment", "claim"): [("answer_claim", "Can answer claims and deny them (no money)")],
    ("fulfillment", "titledocument"): [("review_titledocument", "Can approve or reject title documents")],
    ("backoffice", "staffnote"): [("view_reports", "Can view and export reports")],
}

_PEOPLE = [
    "accounts.view_user",
    "accounts.view_sellerprofile",
    "accounts.view_identityverification",
    "accounts.view_cardonfile",
    "accounts.view_accountevent",
    "accounts.view_strike",
    "backoffice.view_staffnote",
    "backoffice.add_staffnote",
    "backoffice.view_fraudflag",
]

# Claims: support and finance read them and answer (messages, deny); a decision that moves money also needs
# orders.refund_order, which only finance (and admin) hold.
_CLAIMS = [
    "fulfillment.view_fulfillment",
    "fulfillment.view_fulfillmentevent",
    "fulfillment.view_titledocument",
    "fulfillment.view_claim",
    "fulfillment.view_claimevent",
    "fulfillment.view_claimphoto",
    "fulfillment.answer_claim",
]

ROLES: dict[str, list[str]] = {
    SUPPORT: [
        *_PEOPLE,
        "accounts.suspend_user",
        "accounts.review_sellerprofile",
        "vehicles.view_vehicle",
        "vehicles.review_vehicle",
        "vehicles.view_favorite",
        "auctions.view_auction",
        "auctions.view_bid",
        "auctions.view_auctionevent",
        "auctions.view_auctioncomment",
        "auctions.change_auctioncomment",
        "orders.view_order",
        "orders.view_payment",
        "offers.view_offerthread",
        "offers.withdraw_offerthread",
        "offers.view_offerrules",
        "notifications.view_notification",
        "notifications.view_emaildelivery",
        "notifications.view_undeliverableemail",
        *_CLAIMS,
        "fulfillment.review_titledocument",
    ],
    FINANCE: [
        *_PEOPLE,
        "orders.view_order",
        "orders.view_payment",
        "orders.refund_order",
        "orders.cancel_order",
        "core.view_feeschedule",
        "core.change_feeschedule",
        "core.view_statefee",
        "core.change_statefee",
        "core.add_statefee",
        "core.view_transportratecard",
        "core.change_transportratecard",
        "core.add_transportratecard",
        "core.view_transportrateband",
        "core.change_transportrateband",
        "core.add_transportrateband",
        "core.delete_transportrateband",
        "core.view_webhookdelivery",
        "core.view_webhookfailure",
        "vehicles.view_vehicle",
        "backoffice.view_reports",
        "auditlog.view_logentry",
        *_CLAIMS,
        "fulfillment.view_sellerproceeds",
    ],
    AUCTIONS: [
        *_PEOPLE,
        "vehicles.view_vehicle",
        "auctions.view_auction",
        "auctions.change_auction",
        "auctions.monitor_auction",
        "auctions.cancel_auction",
        "auctions.view_bid",
        "auctions.void_bid",
        "auctions.view_auctionevent",
        "auctions.view_auctioncomment",
        "auctions.change_auctioncomment",
        "auctions.view_incrementtier",
        "auctions.change_incrementtier",
        "offers.view_offerthread",
        "offers.withdraw_offerthread",
        "backoffice.review_fraudflag",
        "backoffice.change_fraudflag",
        "backoffice.view_reports",
    ],
}

#: The admin role holds every permission of these apps (not the plumbing's).
ADMIN_APPS = (
    "auth",
    "core",
    "notifications",
    "accounts",
    "vehicles",
    "auctions",
    "offers",
    "orders",
    "fulfillment",
    "backoffice",
    "auditlog",
)

#: Third-party tables only superusers see in the console.
PLUMBING_APPS = ("axes", "token_blacklist", "django_celery_beat", "sites", "django_celery_results")

DEFAULT_ACTIONS = ("add", "change", "delete", "view")


def _content_type(apps: Any, app_label: str, model: str) -> Any:
    content_type = apps.get_model("contenttypes", "ContentType")
    return content_type.objects.get_or_create(app_label=app_label, model=model)[0]


def _installed_models(apps: Any, app_label: str) -> list[Any]:
    try:
        return list(apps.get_app_config(app_label).get_models())
    except LookupError:
        return []


def _ensure_model_permissions(apps: Any) -> None:
    """Default and custom permission rows for our apps' models (a fresh database gets them only after
    migrate's post_migrate step, which is too late for a data migration)."""
    permission = apps.get_model("auth", "Permission")
    for app_label in ADMIN_APPS:
        for model in _installed_models(apps, app_label):
            opts = model._meta
            content_type = _content_type(apps, opts.app_label, opts.model_name)
            for action in opts.default_permissions:
                permission.objects.get_or_create(
                    content_type=content_type,
                    codename=f"{action}_{opts.model_name}",
                    defaults={"name": f"Can {action} {opts.verbose_name_raw}"},
                )
    for (app_label, model_name), entries in CUSTOM_PERMISSIONS.items():
        try:
            apps.get_model(app_label, model_name)
        except LookupError:
            continue
        content_type = _content_type(apps, app_label, model_name)
        for codename, name in entries:
            permission.objects.get_or_create(content_type=content_type, codename=codename, defaults={"name": name})


def role_permissions(apps: Any, role: str) -> list[Any]:
    permission = apps.get_model("auth", "Permission")
    if role == ADMIN:
        return list(permission.objects.filter(content_type__app_label__in=ADMIN_APPS))
    found = []
    for dotted in ROLES[role]:
        app_label, codename = dotted.split(".", 1)
        row = permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if row is not None:
            found.append(row)
    return found


def ensure_roles(apps: Any = None) -> None:
    """Create the groups and set their permissions (idempotent)."""
    if apps is None:
        from django.apps import apps as installed

        apps = installed
    _ensure_model_permissions(apps)
    group = apps.get_model("auth", "Group")
    for role in (SUPPORT, FINANCE, AUCTIONS, ADMIN):
        row, _ = group.objects.get_or_create(name=role)
        row.permissions.set(role_permissions(apps, role))
