"""powertools.router — routing LLM tasks between local and cloud models."""

from powertools.router._local import LocalModelManager, ServerState
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
from powertools.router._secrets import Secret
from powertools.router.errors import (
    ConfigurationError,
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

__version__ = "0.1.0"

__all__ = [
    "Capabilities",
    "Chunk",
    "ConfigurationError",
    "FinishReason",
    "Health",
    "HealthStatus",
    "ImagePart",
    "LocalModelManager",
    "Message",
    "ModelInfo",
    "Provider",
    "ProviderError",
    "Request",
    "Response",
    "ResponseFormat",
    "RouterError",
    "Secret",
    "ServerState",
    "StreamInterruptedError",
    "TextPart",
    "Timings",
    "Tool",
    "ToolCall",
    "ToolResultPart",
    "UnknownProviderError",
    "__version__",
    "available_providers",
    "load_provider",
]
