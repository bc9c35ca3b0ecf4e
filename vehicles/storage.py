"""Where vehicle files live and how browsers upload them straight to storage.

With S3 (`storages.backends.s3.S3Storage`), the browser gets a presigned POST (`content-length-range`
and `Content-Type` conditions) and sends the file to the bucket. With local files (`make run`, tests
that do not start moto), `local_upload` in views plays the bucket: it accepts the same form fields and
checks a signed policy, so the same JavaScript works in both places. Either way the server then
verifies the stored object before attaching it (services.media).

Photos live in the default storage; documents in `document_storage()`: the same bucket under
`private/` with S3 (objects are private and reached through short signed URLs), or a folder outside
MEDIA_ROOT locally, so that they are never served as public media.
"""

import time
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.urls import reverse

PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
DOCUMENT_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
UPLOAD_SALT = "vehicles.upload"
POLICY_SALT = "vehicles.local-upload-policy"


def is_s3(storage: Storage) -> bool:
    return type(storage).__module__.startswith("storages.backends.s3")


def photo_storage() -> Storage:
    """The configured default storage itself (not the lazy proxy), so its type can be told."""
    return storages["default"]


def document_storage() -> Storage:
    default = storages["default"]
    if is_s3(default):
        return default
    return FileSystemStorage(location=str(settings.VEHICLE_PRIVATE_MEDIA_ROOT), base_url=None)


def storage_named(store: str) -> Storage:
    return document_storage() if store == "private" else photo_storage()


@dataclass
class UploadTicket:
    """What the browser needs to upload one file, and the token it hands back to attach it."""

    url: str
    fields: dict[str, str]
    key: str
    max_bytes: int
    token: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "fields": self.fields,
            "key": self.key,
            "max_bytes": self.max_bytes,
            "token": self.token,
        }


def new_key(*, vehicle_id: int, kind: str, content_type: str) -> str:
    extension = (PHOTO_TYPES if kind == "photo" else DOCUMENT_TYPES)[content_type]
    if kind == "photo":
        return f"uploads/vehicles/{vehicle_id}/{uuid.uuid4().hex}{extension}"
    prefix = "private/" if is_s3(photo_storage()) else ""
    return f"{prefix}vehicles/{vehicle_id}/documents/{uuid.uuid4().hex}{extension}"


def make_ticket(
    *, user_id: int, vehicle_id: int, kind: str, content_type: str, filename: str, max_bytes: int
) -> UploadTicket:
    """A presigned POST (S3) or a signed local policy for one upload of `kind`: "photo" (public storage) or a
    private document ("document", or another app's document kind such as fulfillment's "title_document")."""
    key = new_key(vehicle_id=vehicle_id, kind=kind, content_type=content_type)
    store = "public" if kind == "photo" else "private"
    ttl = settings.VEHICLE_UPLOAD_TTL_SECONDS
    storage: Any = storage_named(store)
    if is_s3(storage):
        client = storage.connection.meta.client
        full_key = storage._normalize_name(key)
        post = client.generate_presigned_post(
            Bucket=storage.bucket_name,
            Key=full_key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=ttl,
        )
        url, fields = post["url"], {name: str(value) for name, value in post["fields"].items()}
    else:
        policy = signing.dumps(
            {"key": key, "ct": content_type, "max": max_bytes, "store": store, "exp": int(time.time()) + ttl},
            salt=POLICY_SALT,
        )
        url = reverse("vehicles:local-upload")
        fields = {"key": key, "Content-Type": content_type, "policy": policy}
    token = signing.dumps(
        {"u": user_id, "v": vehicle_id, "k": key, "kind": kind, "ct": content_type, "name": filename[:200]},
        salt=UPLOAD_SALT,
    )
    return UploadTicket(url=url, fields=fields, key=key, max_bytes=max_bytes, token=token)


def read_ticket(token: str) -> dict[str, Any]:
    """The upload a token stands for; raises signing.BadSignature (or SignatureExpired)."""
    data: dict[str, Any] = signing.loads(token, salt=UPLOAD_SALT, max_age=settings.VEHICLE_UPLOAD_TTL_SECONDS * 2)
    return data


def read_local_policy(policy: str) -> dict[str, Any]:
    data: dict[str, Any] = signing.loads(policy, salt=POLICY_SALT)
    if int(data.get("exp", 0)) < time.time():
        raise signing.SignatureExpired("upload policy expired")
    return data


def safe_filename(name: str) -> str:
    return PurePosixPath(str(name).replace("\\", "/")).name[:200] or "file"
