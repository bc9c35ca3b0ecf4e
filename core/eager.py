"""Run a coroutine's first step in the caller; only a coroutine that has to wait needs a task to finish it.

performance: a room's broadcast is written to every socket of the room in one loop (auctions/room_fanout.py).
A socket whose buffer has room takes the frame at once (uvicorn's ASGI `send` waits only while the socket's
buffer is over its high-water mark), so a task per socket and message would be pure overhead; a socket that
has to wait must not hold up the others. This is what Python 3.12's eager tasks do for a whole task, for
one coroutine on 3.11.
"""

from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")


def start(coroutine: Coroutine[Any, Any, T]) -> Awaitable[T] | None:
    """Run `coroutine` until it finishes or first waits. None: it finished in this call (an exception it
    raised propagates from here). Otherwise an awaitable that finishes it; await it exactly once, in a task.
    """
    try:
        waiting_on = coroutine.send(None)
    except StopIteration:
        return None
    return _Rest(coroutine, waiting_on)


class _Rest:
    """The rest of a started coroutine: hands the task what the coroutine waits on and passes back what the
    task sends or throws, as if the task had run the coroutine from its start."""

    def __init__(self, coroutine: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
        self.coroutine, self.waiting_on = coroutine, waiting_on

    def __await__(self) -> Generator[Any, Any, Any]:
        coroutine, waiting_on = self.coroutine, self.waiting_on
        while True:
            try:
                sent = yield waiting_on
            except BaseException as exc:  # noqa: BLE001 - cancelled (or thrown into) while waiting: it is told
                try:
                    waiting_on = coroutine.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    waiting_on = coroutine.send(sent)
                except StopIteration as stop:
                    return stop.value
