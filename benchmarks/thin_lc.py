"""The thinnest LangChain adapter: a ``BaseChatModel`` over :class:`thin.Wire` (``thin.py`` says
what it does and does not do). Importing this module imports LangChain."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import PrivateAttr
from thin import Wire


class ThinChat(BaseChatModel):
    """One API (``api``) through :class:`Wire`: a plain-dict payload per call, one
    ``ChatGenerationChunk`` per ``data:`` line, callbacks on, nothing validated or retried."""

    api: str
    _wire: Wire = PrivateAttr()

    @property
    def _llm_type(self) -> str:
        return "thin"

    def _messages(self, messages: list[BaseMessage]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for m in messages:
            if m.type == "ai" and getattr(m, "tool_calls", None):
                out.append(self._wire.assistant_calls(m.tool_calls))  # type: ignore[attr-defined]
            elif m.type == "tool":
                out.append(self._wire.tool_result(m.tool_call_id, str(m.content)))  # type: ignore[attr-defined]
            else:
                role = {"human": "user", "ai": "assistant"}.get(m.type, m.type)
                out.append({"role": role, "content": m.content})
        return out

    def _result(self, reply: Any) -> ChatResult:
        calls = self._wire.tool_calls(reply)
        message = AIMessage(content=self._wire.text(reply), tool_calls=calls)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        body = self._wire.payload(self._messages(messages), kw.get("tools"))
        return self._result(self._wire.post(body))

    async def _agenerate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        body = self._wire.payload(self._messages(messages), kw.get("tools"))
        return self._result(await self._wire.apost(body))

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        body = self._wire.payload(self._messages(messages), kw.get("tools"))
        for delta in self._wire.deltas(body):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
            if run_manager is not None:
                run_manager.on_llm_new_token(delta, chunk=chunk)
            yield chunk

    def bind_tools(self, tools: Sequence[Any], **kw: Any) -> Any:
        specs = [convert_to_openai_tool(t)["function"] for t in tools]
        return self.bind(tools=[self._wire.tool_schema(s) for s in specs], **kw)


def build(root: str, api: str) -> ThinChat:
    """The adapter for ``api`` against the fake server at ``root``."""
    model = ThinChat(api=api)
    model._wire = Wire(root, api)
    return model
