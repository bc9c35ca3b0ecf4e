"""Photo verification and thumbnails (Pillow), and the gradient pictures used by demo data and tests."""

import io
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from core.errors import DomainError

ALLOWED_IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
DISPLAY_MAX_SIDE = 2048
THUMBNAIL_SIZE = (480, 360)


class UploadRejected(DomainError):
    """The uploaded file is not acceptable (type, size, content); the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="upload_rejected", details={"file": [message]})


@dataclass
class ProcessedPhoto:
    image: bytes  # re-encoded JPEG, EXIF (and so GPS) stripped, at most DISPLAY_MAX_SIDE
    thumbnail: bytes  # 4:3 JPEG for cards
    width: int
    height: int


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def process_photo(data: bytes) -> ProcessedPhoto:
    """Accept only a real JPEG/PNG/WebP of sensible size; return the display copy and the thumbnail."""
    if not data:
        raise UploadRejected("The file is empty.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format or ""
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UploadRejected("This file is not a photo we can read. Please upload a JPEG, PNG or WebP image.") from None
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise UploadRejected(f"{image_format or 'This'} images are not accepted; please upload JPEG, PNG or WebP.")
    min_width, min_height = settings.VEHICLE_PHOTO_MIN_SIZE
    if min(width, height) < min(min_width, min_height) or max(width, height) < max(min_width, min_height):
        raise UploadRejected(f"The photo is {width}×{height} pixels; it must be at least {min_width}×{min_height}.")
    if width * height > settings.VEHICLE_PHOTO_MAX_PIXELS:
        raise UploadRejected("The photo has too many pixels; please upload a smaller image.")
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        raise UploadRejected("This photo is damaged and cannot be read.") from None
    display = image.copy()
    display.thumbnail((DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE), Image.Resampling.LANCZOS)
    thumb = ImageOps.fit(image, THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    return ProcessedPhoto(
        image=_encode_jpeg(display, 85),
        thumbnail=_encode_jpeg(thumb, 80),
        width=display.width,
        height=display.height,
    )


def gradient_photo(
    text: str,
    *,
    size: tuple[int, int] = (800, 600),
    top: tuple[int, int, int] = (30, 60, 110),
    bottom: tuple[int, int, int] = (200, 120, 40),
    image_format: str = "JPEG",
) -> bytes:
    """A vertical gradient with a line of text: a stand-in car photo for demo data, tests and benchmarks."""
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        mix = y / max(height - 1, 1)
        colour = tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    font = ImageFont.load_default(size=max(18, width // 18))
    box = draw.textbbox((0, 0), text, font=font)
    position = ((width - (box[2] - box[0])) // 2, (height - (box[3] - box[1])) // 2)
    draw.text((position[0] + 2, position[1] + 2), text, font=font, fill=(0, 0, 0))
    draw.text(position, text, font=font, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, image_format, quality=82)
    return buffer.getvalue()
