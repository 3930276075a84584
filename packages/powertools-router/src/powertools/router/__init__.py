"""powertools.router — routing LLM tasks between local and cloud models.

``LocalModelManager``, ``ServerState``, ``RouteStream``, ``Secret`` and the simulated
provider's classes load on first use (the router itself does not need them to start).
"""

from typing import TYPE_CHECKING, Any

from powertools.cost import BudgetExceededError
from powertools.router._catalog import QUALITY_PRIORS, Candidate, Catalog
from powertools.router._engine import Decision, Dropped, Needs, Scored, State, decide
from powertools.router._learning import Learner, LearningStore, SessionLearningStore
from powertools.router._request import (
    Chunk,
    FinishReason,
    ImagePart,
    Message,
    Request,
    Response,
    ResponseFormat,
    TextPart,
    Timings,
    Tool,
    ToolCall,
    ToolResultPart,
)
from powertools.router._result import Attempt, RouteResult
from powertools.router._router import LLMRouter
from powertools.router.errors import (
    AllProvidersFailedError,
    ConfigurationError,
    NoCandidateError,
    ProviderError,
    RouterError,
    StreamInterruptedError,
    UnknownProviderError,
)
from powertools.router.providers import (
    Capabilities,
    Health,
    HealthStatus,
    ModelInfo,
    Provider,
    available_providers,
    load_provider,
)

if TYPE_CHECKING:
    from powertools.router._local import LocalModelManager, ServerState
    from powertools.router._secrets import Secret
    from powertools.router._stream import RouteStream
    from powertools.router.providers.simulated import (
        FailureProfile,
        SimulatedModel,
        SimulatedProvider,
    )

__version__ = "0.1.0"

_LAZY = {
    "FailureProfile": "powertools.router.providers.simulated",
    "SimulatedModel": "powertools.router.providers.simulated",
    "SimulatedProvider": "powertools.router.providers.simulated",
    "LocalModelManager": "powertools.router._local",
    "ServerState": "powertools.router._local",
    "RouteStream": "powertools.router._stream",
    "Secret": "powertools.router._secrets",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'powertools.router' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "QUALITY_PRIORS",
    "AllProvidersFailedError",
    "Attempt",
    "BudgetExceededError",
    "Candidate",
    "Capabilities",
    "Catalog",
    "Chunk",
    "ConfigurationError",
    "Decision",
    "Dropped",
    "FailureProfile",
    "FinishReason",
    "Health",
    "HealthStatus",
    "ImagePart",
    "LLMRouter",
    "Learner",
    "LearningStore",
    "LocalModelManager",
    "Message",
    "ModelInfo",
    "Needs",
    "NoCandidateError",
    "Provider",
    "ProviderError",
    "Request",
    "Response",
    "ResponseFormat",
    "RouteResult",
    "RouteStream",
    "RouterError",
    "Scored",
    "Secret",
    "ServerState",
    "SessionLearningStore",
    "SimulatedModel",
    "SimulatedProvider",
    "State",
    "StreamInterruptedError",
    "TextPart",
    "Timings",
    "Tool",
    "ToolCall",
    "ToolResultPart",
    "UnknownProviderError",
    "__version__",
    "available_providers",
    "decide",
    "load_provider",
]
