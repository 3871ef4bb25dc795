"""``cf-gateway models``, ``image``, ``transcribe``, ``speak`` and ``feedback``.

The model catalogue, media models and gateway logs from the command line.

They use the environment's credentials (``CLOUDFLARE_ACCOUNT_ID``, ``CLOUDFLARE_API_TOKEN``, and
``CLOUDFLARE_GATEWAY_ID`` / ``CLOUDFLARE_API_BASE_URL`` when set); without them they stop with
exit code 2 naming the variables. ``--offline`` answers from the built-in emulator instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from cf_gateway_core.catalog import CatalogModel
from cf_gateway_core.cli._command import EXIT_OK, HINT_ATTRIBUTE, Subcommand, UsageError
from cf_gateway_core.cli._credentials import credential_problems
from cf_gateway_core.client import GatewayClient
from cf_gateway_core.config import DEFAULT_BASE_URL
from cf_gateway_core.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from cf_gateway_core.media import DEFAULT_IMAGE_MODEL, DEFAULT_TTS_MODEL, sniff_mime
from cf_gateway_core.transcription import DEFAULT_ASR_MODEL, Transcription

__all__ = ["SUBCOMMANDS"]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--offline", action="store_true", help="answer from the built-in emulator")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds (default 120)")
    parser.add_argument("--max-retries", type=int, default=2, help="default 2")


def _client(args: argparse.Namespace, stack: contextlib.ExitStack) -> GatewayClient:
    limits: dict[str, Any] = {"timeout": args.timeout, "max_retries": args.max_retries}
    if not args.offline:
        problems = credential_problems(os.environ)
        if problems:
            raise UsageError(
                f"cannot reach Cloudflare: {'; '.join(problems)}. Set them, or add --offline "
                "for the built-in emulator."
            )
        return stack.enter_context(GatewayClient(**limits))
    from cf_gateway_core.testing import FakeGateway

    http = stack.enter_context(FakeGateway().client())
    return stack.enter_context(
        GatewayClient(
            account_id="offline",
            api_token="offline",
            base_url=DEFAULT_BASE_URL,
            http_client=http,
            **limits,
        )
    )


def _run(args: argparse.Namespace, action: Callable[[GatewayClient], int]) -> int:
    with contextlib.ExitStack() as stack:
        return action(_client(args, stack))


def _write(path: str, data: bytes) -> None:
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        with open(path, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise UsageError(f"cannot write {path!r}: {exc.strerror or exc}") from exc
    print(f"wrote {len(data)} bytes to {path}", file=sys.stderr)
    _warn_if_misnamed(path, data)


# The file name endings of each media type the package reads from the bytes (``sniff_mime``).
_EXTENSIONS = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "audio/mpeg": (".mp3",),
    "audio/wav": (".wav",),
    "audio/flac": (".flac",),
    "audio/ogg": (".ogg", ".oga", ".opus"),
    "audio/webm": (".webm",),
    "audio/mp4": (".m4a", ".mp4", ".aac"),
}


def _warn_if_misnamed(path: str, data: bytes) -> None:
    """Say so when the file name promises another format than the model sent.

    Flux answers JPEG, so ``-o out.png`` holds JPEG data; the bytes are written as they came,
    not converted.
    """
    mime = sniff_mime(data)
    suffix = os.path.splitext(path)[1].lower()
    known = any(suffix in endings for endings in _EXTENSIONS.values())
    if mime is None or mime not in _EXTENSIONS or not known or suffix in _EXTENSIONS[mime]:
        return
    print(
        f"cf-gateway: warning: the model returned {mime}, so {path} holds {mime} data despite "
        f"its name; name it {_EXTENSIONS[mime][0]} (the bytes are not converted)",
        file=sys.stderr,
    )


def _download(url: str) -> bytes:
    """A media URL the model answered with (fetched without the API token)."""
    import httpx

    response = httpx.get(url, timeout=120.0, follow_redirects=True)
    response.raise_for_status()
    return response.content


# ----------------------------------------------------------------- models


def _models_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", "-t", help="a task name, e.g. 'Text Generation', 'Text-to-Image'")
    parser.add_argument("--search", "-s", help="text to find in model names and descriptions")
    parser.add_argument("--author", "-a", help="an author, e.g. meta, baai, deepgram")
    parser.add_argument("--json", action="store_true", help="print the catalogue entries as JSON")
    parser.add_argument("--schema", metavar="MODEL", help="print MODEL's input/output JSON schema")
    _common(parser)


def _row(model: CatalogModel) -> str:
    return f"{model.name:<50} {model.task or '':<30} {(model.description or '')[:60]}"


def _models(args: argparse.Namespace) -> int:
    def action(client: GatewayClient) -> int:
        if args.schema:
            print(json.dumps(client.models.schema(args.schema), indent=2))
            return EXIT_OK
        found = list(client.models.iterate(task=args.task, search=args.search, author=args.author))
        if args.json:
            print(json.dumps([dict(m.raw) for m in found], indent=2))
        else:
            for model in found:
                print(_row(model))
            print(f"{len(found)} model(s)", file=sys.stderr)
        return EXIT_OK

    return _run(args, action)


# ----------------------------------------------------------------- image


def _image_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", metavar="PROMPT", help="what the image should show")
    parser.add_argument("--output", "-o", required=True, help="file to write ('-' for stdout)")
    parser.add_argument(
        "--model", "-m", default=DEFAULT_IMAGE_MODEL, help=f"default {DEFAULT_IMAGE_MODEL}"
    )
    parser.add_argument("--steps", type=int, help="diffusion steps (flux-1-schnell: at most 8)")
    parser.add_argument("--seed", type=int, help="random seed")
    parser.add_argument("--width", type=int, help="pixels, for models that take a size")
    parser.add_argument("--height", type=int, help="pixels, for models that take a size")
    _common(parser)


def _image(args: argparse.Namespace) -> int:
    def action(client: GatewayClient) -> int:
        image = client.generate_image(
            args.prompt,
            model=args.model,
            steps=args.steps,
            seed=args.seed,
            width=args.width,
            height=args.height,
        )
        _write(args.output, image.data if image.data is not None else _download(str(image.url)))
        return EXIT_OK

    return _run(args, action)


# ----------------------------------------------------------------- transcribe


def _vtt(result: Transcription, model: str) -> str:
    if result.vtt is None:
        raise UsageError(f"{model} returns no WebVTT; use --format text or words")
    return result.vtt if result.vtt.endswith("\n") else result.vtt + "\n"


def _words(result: Transcription, model: str) -> str:
    return "".join(
        f"{word.start if word.start is not None else '?':>8}  {word.word}\n"
        for word in result.words
    )


# --format -> what is printed, whole lines.
_TRANSCRIPT_FORMATS: dict[str, Callable[[Transcription, str], str]] = {
    "text": lambda result, model: result.text + "\n",
    "vtt": _vtt,
    "words": _words,
    "json": lambda result, model: json.dumps(dict(result.raw), indent=2) + "\n",
}


def _transcribe_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("audio", metavar="FILE", help="audio file (mp3, wav, flac, ogg, webm, m4a)")
    parser.add_argument(
        "--model", "-m", default=DEFAULT_ASR_MODEL, help=f"default {DEFAULT_ASR_MODEL}"
    )
    parser.add_argument("--language", "-l", help="language of the audio, e.g. en")
    parser.add_argument(
        "--content-type",
        help="media type of FILE (e.g. audio/mpeg) when it is not recognised from its bytes",
    )
    parser.add_argument(
        "--format",
        choices=tuple(_TRANSCRIPT_FORMATS),
        default="text",
        help="text (default), vtt subtitles, words with timestamps, or json",
    )
    _common(parser)


def _transcribe(args: argparse.Namespace) -> int:
    def action(client: GatewayClient) -> int:
        result = client.transcribe(
            args.audio, model=args.model, language=args.language, content_type=args.content_type
        )
        print(_TRANSCRIPT_FORMATS[args.format](result, args.model), end="")
        return EXIT_OK

    return _run(args, action)


# ----------------------------------------------------------------- speak


def _speak_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", metavar="TEXT", help="what to say ('-' reads stdin)")
    parser.add_argument("--output", "-o", required=True, help="file to write ('-' for stdout)")
    parser.add_argument(
        "--model", "-m", default=DEFAULT_TTS_MODEL, help=f"default {DEFAULT_TTS_MODEL}"
    )
    parser.add_argument("--voice", help="a voice (Deepgram Aura speaker, e.g. luna)")
    parser.add_argument("--lang", help="language (MeloTTS), e.g. en, fr")
    _common(parser)


def _speak(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text

    def action(client: GatewayClient) -> int:
        speech = client.speak(text, model=args.model, voice=args.voice, lang=args.lang)
        _write(
            args.output, speech.audio if speech.audio is not None else _download(str(speech.url))
        )
        return EXIT_OK

    return _run(args, action)


# ----------------------------------------------------------------- feedback / logs


def _feedback_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("log_id", metavar="LOG_ID", help="a cf-aig-log-id")
    parser.add_argument("--good", dest="feedback", action="store_const", const=1, help="thumbs up")
    parser.add_argument(
        "--bad", dest="feedback", action="store_const", const=-1, help="thumbs down"
    )
    parser.add_argument("--score", type=float, help="0 to 100")
    parser.add_argument(
        "--meta", action="append", default=[], metavar="KEY=VALUE", help="repeatable"
    )
    parser.add_argument("--gateway", help="gateway id (default CLOUDFLARE_GATEWAY_ID or default)")
    _common(parser)


_LOG_NOT_FOUND = (
    "check the log id and the gateway it was logged in (--gateway or CLOUDFLARE_GATEWAY_ID)"
)
_LOG_PERMISSION = (
    "check CLOUDFLARE_API_TOKEN; logs need Account > AI Gateway > Read, feedback AI Gateway > Edit"
)


def _metadata(pairs: list[str]) -> dict[str, str] | None:
    if not pairs:
        return None
    bad = [p for p in pairs if "=" not in p]
    if bad:
        raise UsageError(f"--meta takes KEY=VALUE, got {bad[0]!r}")
    return dict(pair.split("=", 1) for pair in pairs)


def _feedback(args: argparse.Namespace) -> int:
    def action(client: GatewayClient) -> int:
        logs = client.logs_for(args.gateway)
        meta = _metadata(args.meta)
        try:
            if args.feedback is not None or args.score is not None or meta:
                logs.feedback(args.log_id, feedback=args.feedback, score=args.score, metadata=meta)
            log = logs.get(args.log_id)
        except NotFoundError as exc:  # the model-id hint does not apply to a log
            setattr(exc, HINT_ATTRIBUTE, _LOG_NOT_FOUND)
            raise
        except (AuthenticationError, PermissionDeniedError) as exc:
            setattr(exc, HINT_ATTRIBUTE, _LOG_PERMISSION)
            raise
        print(json.dumps(dict(log.raw), indent=2))
        return EXIT_OK

    return _run(args, action)


SUBCOMMANDS = (
    Subcommand("models", "search the Workers AI model catalogue", _models_arguments, _models),
    Subcommand("image", "generate an image: image PROMPT -o out.png", _image_arguments, _image),
    Subcommand("transcribe", "speech to text: transcribe FILE", _transcribe_arguments, _transcribe),
    Subcommand("speak", "text to speech: speak TEXT -o out.mp3", _speak_arguments, _speak),
    Subcommand(
        "feedback",
        "show or rate a gateway log",
        _feedback_arguments,
        _feedback,
        description="Show a gateway log, rating it first with --good/--bad, --score, --meta.",
    ),
)
