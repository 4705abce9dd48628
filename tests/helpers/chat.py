"""A local OpenAI-compatible chat server, the stand-in for any LLM endpoint."""

from __future__ import annotations

import json
import re
import threading

from helpers.web import QuietHandler, base_url, send, serve, stop

HANG_LIMIT_S = 10.0  # a "hanging" reply gives up after this, so no test can wait forever


class ChatServer:
    """A real HTTP server on 127.0.0.1 serving POST /v1/chat/completions like OpenAI does:
    server-sent events when the request asks to stream, one JSON object otherwise.

    Replies are scripted: `replies` are given in order, the last one repeats. `hang_s` holds
    every reply back that long (the client's timeout fires first); `status` makes every
    request fail with that HTTP status. `requests` keeps the JSON bodies received.
    """

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies) or ["I couldn't find this in the ingested articles."]
        self.requests: list[dict] = []
        self.authorizations: list[str | None] = []  # each request's Authorization header
        self.hang_s = 0.0
        self.status = 200
        self._released = threading.Event()
        chat = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                chat.requests.append(body)
                chat.authorizations.append(self.headers.get("Authorization"))
                if chat.hang_s:
                    chat._released.wait(min(chat.hang_s, HANG_LIMIT_S))
                if chat.status != 200:
                    return send(self, chat.status, "application/json", b'{"error": "scripted"}')
                reply = chat.next_reply()
                if body.get("stream"):
                    return self._stream(reply)
                send(self, 200, "application/json", json.dumps(_completion(reply)).encode())

            def _stream(self, reply: str) -> None:
                events = [_chunk({"role": "assistant", "content": ""})]
                events += [_chunk({"content": t}) for t in re.findall(r"\S+\s*|\s+", reply)]
                events.append(_chunk({}, finish="stop"))
                data = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
                send(self, 200, "text/event-stream", data.encode())

        self.server = serve(Handler)

    @property
    def url(self) -> str:
        """The base URL an OpenAI client is given (`NEWSQA_LLM_BASE_URL`)."""
        return base_url(self.server) + "/v1"

    def next_reply(self) -> str:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def close(self) -> None:
        self._released.set()
        stop(self.server)


def _chunk(delta: dict, *, finish: str | None = None) -> dict:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "stand-in",
        "choices": [choice],
    }


def _completion(reply: str) -> dict:
    message = {"role": "assistant", "content": reply}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "stand-in",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
