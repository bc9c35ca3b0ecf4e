"""Comments and questions on an auction (Bring a Trailer's strongest feature), live over the room."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from auctions.models import Auction, AuctionComment
from auctions.services import after_commit
from auctions.services.lifecycle import is_staff
from core.errors import DomainError, NotAllowed, NotFound

MAX_LENGTH = 2000


def comment_payload(comment: AuctionComment) -> dict[str, Any]:
    """A comment as everyone sees it; hidden comments keep their place but lose their text and author."""
    hidden = comment.hidden_at is not None
    author = comment.author
    return {
        "id": comment.pk,
        "auction_id": comment.auction_id,
        "parent_id": comment.parent_id,
        "author": "" if hidden else "Seller" if comment.is_seller else author.display_name,
        "is_seller": comment.is_seller,
        "body": "" if hidden else comment.body,
        "hidden": hidden,
        "created_at": comment.created_at.isoformat(),
    }


def comment_message(kind: str, comment: AuctionComment, *, seq: int) -> dict[str, Any]:
    """The room message about a comment; `seq` is the auction's bid sequence as the service read it (it never
    advances a client's, and one above the client's tells it that it missed a bid)."""
    return {"type": kind, "auction_id": comment.auction_id, "seq": seq, "comment": comment_payload(comment)}


def comment_post(*, auction_id: int, author: Any, body: str, parent_id: int | None = None) -> AuctionComment:
    """Post a comment or question (any logged-in, unsuspended user); the seller's are marked as such."""
    if author is None or not getattr(author, "is_authenticated", False):
        raise NotAllowed("Log in to comment.", code="login")
    if getattr(author, "suspended_at", None) is not None:
        raise NotAllowed("Your account is suspended; contact support.", code="suspended")
    text = (body or "").strip()
    if not text:
        raise DomainError("Write something first.", code="empty_comment", details={"body": ["This field is required."]})
    if len(text) > MAX_LENGTH:
        raise DomainError(
            f"Comments are limited to {MAX_LENGTH} characters.",
            code="comment_too_long",
            details={"body": ["Too long."]},
        )
    auction = Auction.objects.filter(pk=auction_id).only("pk", "seller_id", "status", "last_seq").first()
    if auction is None:
        raise NotFound("Auction not found.", code="auction_not_found")
    if parent_id is not None:
        parent = AuctionComment.objects.filter(pk=parent_id, auction_id=auction_id).values_list("pk", "parent_id")
        found = parent.first()
        if found is None:
            raise DomainError("You can only reply to a comment on this auction.", code="bad_parent")
        parent_id = found[1] or found[0]  # a reply to a reply joins its question's thread (one level)
    with transaction.atomic(durable=True):
        comment = AuctionComment.objects.create(
            auction_id=auction_id,
            author=author,
            body=text,
            parent_id=parent_id,
            is_seller=author.pk == auction.seller_id,
        )
        payload = comment_message("comment_posted", comment, seq=auction.last_seq)
        notify_seller = not comment.is_seller
        transaction.on_commit(lambda: after_commit.comment_posted(auction_id, payload, notify_seller=notify_seller))
    return comment


def comment_hide(*, comment_id: int, actor: Any, reason: str = "") -> AuctionComment:
    """Staff hide a comment; it disappears from every open page at once."""
    if not is_staff(actor):
        raise NotAllowed("Only staff can hide comments.", code="staff_only")
    with transaction.atomic(durable=True):
        comment = AuctionComment.objects.select_for_update().filter(pk=comment_id).first()
        if comment is None:
            raise NotFound("Comment not found.", code="comment_not_found")
        if comment.hidden_at is None:
            comment.hidden_at = timezone.now()
            comment.hidden_by = actor
            comment.hidden_reason = reason[:200]
            comment.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        seq = Auction.objects.filter(pk=comment.auction_id).values_list("last_seq", flat=True).first() or 0
        payload = comment_message("comment_hidden", comment, seq=seq)
        transaction.on_commit(lambda: after_commit.comment_event(comment.auction_id, payload))
    return comment
