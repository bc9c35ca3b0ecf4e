"""The local stand-in for an S3 presigned POST (`make run`, local file storage).

It accepts the same multipart form the browser would send to the bucket (the ticket's fields, then
`file`), checks the signed policy (key, content type, size limit, expiry) and stores the file under
exactly that key. Answers 204 like S3's default `success_action_status`.
"""

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.api import error_body
from vehicles.storage import read_local_policy, storage_named

MULTIPART_OVERHEAD = 64 * 1024


@csrf_exempt  # the signed policy is the credential, exactly as with a presigned POST
@require_POST
def local_upload(request: HttpRequest) -> HttpResponse:
    # Refuse oversize bodies before parsing them; the policy's own limit is checked below.
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > max(settings.VEHICLE_PHOTO_MAX_BYTES, settings.VEHICLE_DOCUMENT_MAX_BYTES) + MULTIPART_OVERHEAD:
        return JsonResponse(error_body("The file is too large."), status=413)
    try:
        policy = read_local_policy(request.POST.get("policy", ""))
    except signing.SignatureExpired:
        return JsonResponse(error_body("The upload link expired; please try again."), status=403)
    except signing.BadSignature:
        return JsonResponse(error_body("The upload is not signed."), status=403)
    if declared > policy["max"] + MULTIPART_OVERHEAD:
        return JsonResponse(error_body("The file is too large."), status=413)
    if request.POST.get("key") != policy["key"] or request.POST.get("Content-Type") != policy["ct"]:
        return JsonResponse(error_body("The form does not match its policy."), status=403)
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse(error_body("No file was sent.", {"file": ["is required"]}), status=400)
    size = upload.size or 0
    if not 1 <= size <= policy["max"]:
        return JsonResponse(error_body("The file is empty or too large."), status=413 if size else 400)
    storage = storage_named(policy["store"])
    if storage.exists(policy["key"]):
        return JsonResponse(error_body("This upload was already used."), status=409)
    storage.save(policy["key"], upload)
    return HttpResponse(status=204)
