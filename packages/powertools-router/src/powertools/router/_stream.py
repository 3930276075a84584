"""``LLMRouter.route_stream()``: a routed answer, streamed, failing over only while invisible.

Until the first piece of text reached the caller, a failed stream fails over to the next
candidate exactly as ``route()`` does. After it, failing over would repeat or contradict text
the caller already has, so the stream raises ``StreamInterruptedError`` carrying the
``partial_text`` delivered. The attempt's timeout covers the whole stream.

>>> import asyncio
>>> from powertools.router import LLMRouter
>>> from powertools.router.providers.simulated import SimulatedProvider
>>> router = LLMRouter(providers=[SimulatedProvider(latency_scale=0)], explore=0)
>>> async def main():
...     stream = router.route_stream(task="Say hi", complexity=0.2)
...     text = "".join([piece async for piece in stream])
...     return text.strip() == stream.result.text
>>> asyncio.run(main())
True
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from powertools.router._attempt import Skipped, admitted, attempt_record
from powertools.router._engine import Scored
from powertools.router._request import Response
from powertools.router._result import Attempt, RouteResult
from powertools.router._shape import RouteArgs, build_request
from powertools.router.errors import ProviderError, StreamInterruptedError

if TYPE_CHECKING:
    from powertools.router._router import LLMRouter, Run

__all__ = ["RouteStream"]


def _args(task: str | None, options: dict[str, Any]) -> RouteArgs:
    options = dict(options)
    if "complexity_score" in options:
        options["complexity"] = options.pop("complexity_score")
    options["tags"] = tuple(options.get("tags", ()))
    return RouteArgs(task, **options)


class RouteStream:
    """An async iterator of text pieces; ``result`` is set once the stream finished."""

    def __init__(self, router: LLMRouter, task: str | None, options: dict[str, Any]) -> None:
        self._router = router
        self._args = _args(task, options)
        self.result: RouteResult | None = None
        self.attempts: list[Attempt] = []

    def __aiter__(self) -> AsyncIterator[str]:
        return self._run()

    async def _run(self) -> AsyncIterator[str]:
        router = self._router
        await router._ready()
        request, complexity = build_request(self._args)
        run = await router.start(request, self._args, complexity, router._layers.clock())
        self.attempts = run.attempts
        index = 0
        while run.decision.has(index):  # the rest is ranked only if the choice fails
            scored = run.decision.at(index)
            index += 1
            reason = router._blocked_reason(scored.candidate.provider)
            if reason is not None:
                run.attempts.append(attempt_record(scored, outcome="skipped", reason=reason))
                continue
            delivered: list[str] = []
            try:
                async for piece in self._one(run, scored, delivered):
                    yield piece
            except Skipped as skip:
                run.skipped(scored, skip)
                continue
            except ProviderError as error:
                run.attempts.append(attempt_record(scored, outcome="failed", error=error))
                router._after_failure(scored, error, complexity)
                if delivered:
                    raise _interrupted(error, delivered) from error
                continue
            return
        raise router._all_failed(run)

    async def _one(self, run: Run, scored: Scored, delivered: list[str]) -> AsyncIterator[str]:
        router = self._router
        layers = router._layers
        provider = layers.providers[scored.candidate.provider]
        final: Response | None = None
        async with admitted(layers, scored, run.request, run.ctx) as ticket:
            async for chunk in provider.stream(ticket.request):
                if chunk.response is not None:
                    final = chunk.response
                    break
                if chunk.text:
                    delivered.append(chunk.text)
                    yield chunk.text
            if final is None:
                raise ProviderError(
                    "the stream ended without its final response",
                    provider=scored.candidate.provider,
                    model=scored.candidate.model,
                    delivered_chars=sum(map(len, delivered)),
                )
            await ticket.succeed(final)
        run.attempts.append(attempt_record(scored, outcome="ok", cost_fd=ticket.cost_fd))
        self.result = router.result_of(run, final, [ticket])
        router.learn_from(self.result, self._args)


def _interrupted(error: ProviderError, delivered: list[str]) -> StreamInterruptedError:
    text = "".join(delivered)
    interrupted = StreamInterruptedError(
        f"the stream failed after {len(text)} characters reached you: {error.message}",
        provider=error.provider,
        model=error.model,
        status_code=error.status_code,
        category=error.category,
        retry_after=error.retry_after,
        request_id=error.request_id,
        delivered_chars=len(text),
    )
    interrupted.partial_text = text
    return interrupted
