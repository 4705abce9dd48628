"""Ingests the page starts: uploaded files and pasted web addresses, run by the same pipeline as
`python -m ingest` in a background thread, so the page (and every other user's questions) go
on while it embeds.

Uploaded files are written under the store's `uploads/` folder with a safe name, read like any
file, and deleted when the ingest ends; failures name the file as it was uploaded. Only http(s)
addresses are read from the text box: a path typed there never reads the server's files. What
a fetch may reach (private addresses) follows `NEWSQA_ALLOW_PRIVATE_URLS`, as on the CLI.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ingest.pipeline import IngestSummary, Progress, ingest_sources
from ingest.sources.articles import ArticleDefaults
from ingest.sources.files import SUPPORTED_EXTENSIONS
from qa.config import Settings
from qa.errors import NewsQAError

UPLOADS = "uploads"
MAX_NAME_CHARS = 120
MAX_URLS = 100  # addresses one job reads; more is a feed list for `python -m ingest --watch`
JOBS_KEPT = 50  # finished jobs remembered for their summaries
log = logging.getLogger("newsqa.ingest.jobs")


class JobInputError(NewsQAError):
    """What was given to add cannot be read (no files or addresses, a bad address...)."""


@dataclass(frozen=True)
class Upload:
    name: str  # as the browser sent it
    data: bytes


@dataclass
class IngestJob:
    """One page ingest: who started it, how far it is, and how it ended."""

    id: int
    owner: str  # who may see it: the account, or "" on a page without accounts
    names: list[str]  # what was given: file names and addresses
    state: str = "waiting"  # waiting (for another ingest's lock), running, done, failed
    articles: int = 0
    chunks: int = 0
    read_bytes: int = 0
    total_bytes: int | None = None
    message: str = ""
    summary: IngestSummary | None = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def running(self) -> bool:
        return self.state in ("waiting", "running")

    @property
    def fraction(self) -> float | None:
        """Share of the uploaded bytes read, when every source is a file; else None."""
        if not self.total_bytes:
            return None
        return min(self.read_bytes / self.total_bytes, 1.0)

    def status_line(self) -> str:
        """Where the job is, in one sentence."""
        if self.state == "waiting":
            return self.message or "Waiting for another ingest to finish…"
        if self.state == "running":
            seconds = time.monotonic() - self.started
            return (
                f"Read {self.articles:,} articles, {self.chunks:,} passages to embed "
                f"({seconds:.0f} s)…"
            )
        if self.state == "failed":
            return f"The ingest stopped: {self.error}"
        return self.summary.line() if self.summary else ""


class JobBoard:
    """The server's page ingests for one store, newest last; each runs in its own thread
    (the store's write lock makes a second one wait for the first)."""

    def __init__(self, settings: Settings, folder: Path) -> None:
        self.settings = settings
        self.folder = Path(folder)  # the store's local state folder
        self._lock = threading.Lock()
        self._jobs: list[IngestJob] = []

    def start(
        self,
        *,
        owner: str,
        uploads: list[Upload],
        addresses: str,
        defaults: ArticleDefaults | None = None,
    ) -> IngestJob:
        """Start ingesting `uploads` and the http(s) addresses in `addresses` (one a line).

        Raises:
            JobInputError: nothing to add, too many addresses, or a line that is not one.
        """
        urls = parse_addresses(addresses)
        if not uploads and not urls:
            raise JobInputError("Nothing to add: choose files or paste page or feed addresses.")
        with self._lock:
            job_id = (self._jobs[-1].id + 1) if self._jobs else 1
            job = IngestJob(id=job_id, owner=owner, names=[u.name for u in uploads] + urls)
            self._jobs.append(job)
            del self._jobs[: max(len(self._jobs) - JOBS_KEPT, 0)]
        work = self.folder / UPLOADS / f"job-{job_id}-{time.time_ns()}"
        try:
            paths = save_uploads(uploads, work)
        except OSError as e:
            shutil.rmtree(work, ignore_errors=True)
            job.state, job.error = (
                "failed",
                f"could not keep the uploaded files ({e.strerror or e})",
            )
            return job
        thread = threading.Thread(
            target=self._run,
            args=(job, [str(p) for p in paths] + urls, work, defaults),
            name=f"page-ingest-{job_id}",
            daemon=True,
        )
        thread.start()
        return job

    def latest(self, owner: str) -> IngestJob | None:
        """The newest job `owner` started, if any."""
        with self._lock:
            return next((j for j in reversed(self._jobs) if j.owner == owner), None)

    def running(self) -> bool:
        with self._lock:
            return any(j.running for j in self._jobs)

    def _run(
        self, job: IngestJob, sources: list[str], work: Path, defaults: ArticleDefaults | None
    ) -> None:
        def progress(bar: Progress) -> None:
            job.state = "running"
            job.articles, job.chunks = bar.articles, bar.chunks
            job.read_bytes, job.total_bytes = bar.read.read, bar.read.total

        def waiting(message: str) -> None:
            job.message = message

        try:
            job.state = "waiting"
            summary = ingest_sources(
                sources,
                settings=self.settings,
                defaults=defaults,
                progress=False,
                on_message=waiting,
                on_progress=progress,
            )
            prefix = f"{work}/"
            for entry in summary.failed + summary.warnings:
                entry["source"] = entry["source"].replace(prefix, "")  # the uploaded name
            job.summary, job.state = summary, "done"
        except NewsQAError as e:
            job.error, job.state = str(e), "failed"
        except Exception as e:  # the page shows one line; the traceback goes to the server log
            log.exception("page ingest %s failed", job.id)
            job.error, job.state = f"{type(e).__name__}; the server log has details", "failed"
        finally:
            job.finished = time.monotonic()
            shutil.rmtree(work, ignore_errors=True)


def parse_addresses(text: str) -> list[str]:
    """The web addresses pasted, one a line (blank lines skipped), each checked.

    Raises:
        JobInputError: a line that is not an http(s) address, or more than MAX_URLS.
    """
    urls = [line.strip() for line in (text or "").splitlines() if line.strip()]
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise JobInputError(
                f"{url[:200]!r} is not a web address: paste addresses starting with http:// or "
                "https://, one a line (files go in the upload box)."
            )
    if len(urls) > MAX_URLS:
        raise JobInputError(
            f"{len(urls)} addresses is more than {MAX_URLS} at once: add them in parts, or "
            "list feeds for `python -m ingest --watch FEEDS.txt`."
        )
    return list(dict.fromkeys(urls))


def save_uploads(uploads: list[Upload], folder: Path) -> list[Path]:
    """Write each upload under `folder` with a safe, unique name that keeps its extension."""
    if not uploads:
        return []
    folder.mkdir(parents=True, exist_ok=False)
    paths: list[Path] = []
    for upload in uploads:
        path = folder / unique_name(safe_name(upload.name), {p.name for p in paths})
        path.write_bytes(upload.data)
        paths.append(path)
    return paths


def safe_name(name: str) -> str:
    """The uploaded file's base name with only plain characters (never a path or hidden file)."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^\w.\- ]+", "_", base).strip(" .") or "upload"
    if len(cleaned) > MAX_NAME_CHARS:
        extension = next((e for e in SUPPORTED_EXTENSIONS if cleaned.lower().endswith(e)), "")
        cleaned = cleaned[: MAX_NAME_CHARS - len(extension)] + extension
    return cleaned


def unique_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{n}-{name}" in taken:
        n += 1
    return f"{n}-{name}"
