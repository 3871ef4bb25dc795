"""Framework-free core of cf-gateway: Cloudflare AI Gateway's REST API over httpx.

Public names are re-exported here; implementation modules are imported through these names.
Each name is imported from its module on first use (PEP 562 ``__getattr__``), so
``import cf_gateway_core`` and a chat-only program do not load the batch queue, logs,
catalogue, media or transcription modules (docs/architecture.md, "Import cost").
"""

import importlib
import typing

from cf_gateway_core._version import __version__

if typing.TYPE_CHECKING:  # what type checkers and IDEs read; at run time see _EXPORTS below
    from cf_gateway_core._batch_io import AsyncBatchAPI, BatchAPI
    from cf_gateway_core._tool_calls import parse_tool_arguments
    from cf_gateway_core.batch import (
        BatchCancelledError,
        BatchError,
        BatchExpiredError,
        BatchFailedError,
        BatchItem,
        BatchJob,
        BatchResult,
        BatchTimeoutError,
        BatchWait,
    )
    from cf_gateway_core.catalog import AsyncModelCatalog, CatalogModel, CatalogPage, ModelCatalog
    from cf_gateway_core.client import (
        AsyncEventStream,
        AsyncGatewayClient,
        EventStream,
        GatewayClient,
    )
    from cf_gateway_core.config import GatewayConfig, Secret
    from cf_gateway_core.errors import (
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ContextOverflowError,
        GatewayConfigError,
        GatewayError,
        GuardrailsBlockedError,
        InsufficientCreditsError,
        InternalServerError,
        InvalidToolCallError,
        NotFoundError,
        PermissionDeniedError,
        ProviderCredentialsError,
        RateLimitError,
        SpendLimitError,
        StreamError,
    )
    from cf_gateway_core.events import (
        ContentBlocks,
        Finish,
        ReasoningDelta,
        ResponseStart,
        StreamAccumulator,
        StreamEvent,
        TextDelta,
        ToolCallDelta,
        UsageUpdate,
    )
    from cf_gateway_core.logs import AsyncGatewayLogs, GatewayLog, GatewayLogs, LogPage
    from cf_gateway_core.media import GeneratedImage, RerankResult, RerankScore, Speech
    from cf_gateway_core.messages import (
        AudioPart,
        ChatRequest,
        ChatResponse,
        DocumentPart,
        EmbeddingRequest,
        EmbeddingResponse,
        FinishReason,
        GatewayMetadata,
        ImagePart,
        Message,
        Part,
        ProviderPart,
        ProviderTool,
        ReasoningPart,
        ResponseFormat,
        TextPart,
        ToolCallPart,
        ToolChoice,
        ToolResultPart,
        ToolSpec,
        Usage,
    )
    from cf_gateway_core.options import GatewayOptions, workers_ai_extras
    from cf_gateway_core.profiles import (
        DEFAULT_PROFILE,
        ModelProfile,
        get_profile,
        known_models,
        register_profile,
        suggest_model,
    )
    from cf_gateway_core.retry import RetryPolicy
    from cf_gateway_core.routing import (
        Endpoint,
        ModelKind,
        ModelRef,
        Route,
        embeddings_route,
        resolve_route,
    )
    from cf_gateway_core.transcription import Transcription, TranscriptSegment, TranscriptWord
    from cf_gateway_core.wire._server_tools import as_provider_tool, provider_parts, reply_citations

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncBatchAPI",
    "AsyncEventStream",
    "AsyncGatewayClient",
    "AsyncGatewayLogs",
    "AsyncModelCatalog",
    "AudioPart",
    "AuthenticationError",
    "BadRequestError",
    "BatchAPI",
    "BatchCancelledError",
    "BatchError",
    "BatchExpiredError",
    "BatchFailedError",
    "BatchItem",
    "BatchJob",
    "BatchResult",
    "BatchTimeoutError",
    "BatchWait",
    "CatalogModel",
    "CatalogPage",
    "ChatRequest",
    "ChatResponse",
    "ContentBlocks",
    "ContextOverflowError",
    "DEFAULT_PROFILE",
    "DocumentPart",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "Endpoint",
    "EventStream",
    "Finish",
    "FinishReason",
    "GatewayClient",
    "GatewayConfig",
    "GatewayConfigError",
    "GatewayError",
    "GatewayLog",
    "GatewayLogs",
    "GatewayMetadata",
    "GatewayOptions",
    "GeneratedImage",
    "GuardrailsBlockedError",
    "ImagePart",
    "InsufficientCreditsError",
    "InternalServerError",
    "InvalidToolCallError",
    "LogPage",
    "Message",
    "ModelCatalog",
    "ModelKind",
    "ModelProfile",
    "ModelRef",
    "NotFoundError",
    "Part",
    "PermissionDeniedError",
    "ProviderCredentialsError",
    "ProviderPart",
    "ProviderTool",
    "RateLimitError",
    "ReasoningDelta",
    "ReasoningPart",
    "RerankResult",
    "RerankScore",
    "ResponseFormat",
    "ResponseStart",
    "RetryPolicy",
    "Route",
    "Secret",
    "Speech",
    "SpendLimitError",
    "StreamAccumulator",
    "StreamError",
    "StreamEvent",
    "TextDelta",
    "TextPart",
    "ToolCallDelta",
    "ToolCallPart",
    "ToolChoice",
    "ToolResultPart",
    "ToolSpec",
    "TranscriptSegment",
    "TranscriptWord",
    "Transcription",
    "Usage",
    "UsageUpdate",
    "__version__",
    "as_provider_tool",
    "embeddings_route",
    "get_profile",
    "known_models",
    "parse_tool_arguments",
    "provider_parts",
    "register_profile",
    "reply_citations",
    "resolve_route",
    "suggest_model",
    "workers_ai_extras",
]

# Module (relative to this package) -> the public names it defines, imported on first access.
_EXPORTS: dict[str, str] = {
    "_batch_io": "AsyncBatchAPI BatchAPI",
    "batch": (
        "BatchCancelledError BatchError BatchExpiredError BatchFailedError BatchItem BatchJob "
        "BatchResult BatchTimeoutError BatchWait"
    ),
    "catalog": "AsyncModelCatalog CatalogModel CatalogPage ModelCatalog",
    "client": "AsyncEventStream AsyncGatewayClient EventStream GatewayClient",
    "config": "GatewayConfig Secret",
    "errors": (
        "APIConnectionError APIStatusError APITimeoutError AuthenticationError BadRequestError "
        "ContextOverflowError GatewayConfigError GatewayError GuardrailsBlockedError "
        "InsufficientCreditsError InternalServerError InvalidToolCallError NotFoundError "
        "PermissionDeniedError ProviderCredentialsError RateLimitError SpendLimitError StreamError"
    ),
    "events": (
        "ContentBlocks Finish ReasoningDelta ResponseStart StreamAccumulator StreamEvent TextDelta "
        "ToolCallDelta UsageUpdate"
    ),
    "_tool_calls": "parse_tool_arguments",
    "logs": "AsyncGatewayLogs GatewayLog GatewayLogs LogPage",
    "media": "GeneratedImage RerankResult RerankScore Speech",
    "messages": (
        "AudioPart ChatRequest ChatResponse DocumentPart EmbeddingRequest EmbeddingResponse "
        "FinishReason GatewayMetadata ImagePart Message Part ProviderPart ProviderTool "
        "ReasoningPart ResponseFormat TextPart ToolCallPart ToolChoice ToolResultPart ToolSpec "
        "Usage"
    ),
    "options": "GatewayOptions workers_ai_extras",
    "profiles": (
        "DEFAULT_PROFILE ModelProfile get_profile known_models register_profile suggest_model"
    ),
    "retry": "RetryPolicy",
    "routing": "Endpoint ModelKind ModelRef Route embeddings_route resolve_route",
    "transcription": "Transcription TranscriptSegment TranscriptWord",
    "wire._server_tools": "as_provider_tool provider_parts reply_citations",
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names.split()}


if not typing.TYPE_CHECKING:  # hidden from type checkers, which would read any name as Any

    def __getattr__(name: str) -> typing.Any:
        """Import the module that defines ``name`` and keep the value here for later lookups.

        A submodule's name (``cf_gateway_core.profiles``) imports that submodule, as the
        package's former eager imports made ``cf_gateway_core.<module>.<name>`` work.
        """
        module = _MODULE_OF.get(name)
        if module is not None:
            value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
            globals()[name] = value
            return value
        if not name.startswith("__"):
            try:
                return importlib.import_module(f"{__name__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__name__}.{name}":
                    raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
