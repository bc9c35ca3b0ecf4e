"""S3 for tests: moto's server (ThreadedMotoServer) on 127.0.0.1, and a fixture that points Django's
default storage at it (django-storages S3Storage, path addressing, dummy keys)."""

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

BUCKET = "northstar-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


REGION = "us-east-1"


@dataclass
class MotoS3:
    endpoint: str
    bucket: str

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_s3(moto_server: str) -> Iterator[MotoS3]:
    s3 = MotoS3(endpoint=moto_server, bucket=BUCKET)
    client = s3.client()
    client.create_bucket(Bucket=BUCKET)
    yield s3
    objects = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in objects:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def s3_storage(settings: Any, moto_s3: MotoS3) -> MotoS3:
    """Default storage = S3Storage on moto, as production with a bucket configured."""
    settings.AWS_STORAGE_BUCKET_NAME = moto_s3.bucket
    settings.AWS_S3_ENDPOINT_URL = moto_s3.endpoint
    settings.AWS_S3_REGION_NAME = REGION
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    settings.AWS_ACCESS_KEY_ID = "testing"
    settings.AWS_SECRET_ACCESS_KEY = "testing"
    settings.AWS_QUERYSTRING_AUTH = True
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }
    return moto_s3
