"""Which llmopsctl is running, as a pip requirement that CI and pre-commit can install: the workflow and
the hook configuration `init` writes install exactly the llmopsctl that wrote them, never a bare name from
an index.

The running installation's metadata says where it came from (PEP 610's direct_url.json): a VCS URL at a
commit, an archive, a local directory, or nothing (a package index, which then gives `llmopsctl==VERSION`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from llmopsctl import __version__
from llmopsctl.errors import UsageError

DIST_NAME = "llmopsctl"
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s#]+")
GIT_URL_EXAMPLE = "llmopsctl @ git+https://HOST/ORG/llmopsctl.git@COMMIT"


@dataclass(frozen=True)
class InstallSpec:
    """A pip requirement for llmopsctl and what init tells the user about it."""

    requirement: str  # e.g. `llmopsctl==0.1.0`, `llmopsctl @ git+https://host/org/llmopsctl.git@<sha>`
    origin: str  # how the running llmopsctl was installed, in words
    portable: bool = True  # another machine (CI) can install it as it is
    advice: str = ""  # what the user should change, when it is not portable (or may not be)
    local_dir: Path | None = None  # installed from this directory (a checkout, perhaps)
    chosen: bool = False  # given by the user rather than read from the running installation

    def note(self) -> list[str]:
        """What a generated file says about the requirement, above it."""
        first = (
            "Chosen with `llmopsctl init --install-spec`."
            if self.chosen
            else f"It is the llmopsctl that wrote this file: {self.origin}."
        )
        if not self.advice:
            return [first]
        return [first, ("" if self.portable else "NOTE: ") + self.advice[0].upper() + self.advice[1:] + "."]


def running_install() -> InstallSpec:
    """The running llmopsctl as a requirement (see `install_spec`)."""
    try:
        dist = metadata.distribution(DIST_NAME)
    except metadata.PackageNotFoundError:
        return InstallSpec(
            f"{DIST_NAME}=={__version__}",
            "not installed: it runs from a source tree",
            portable=False,
            advice=f"install llmopsctl, or replace this with a git URL at a commit ({GIT_URL_EXAMPLE})",
        )
    return install_spec(dist)


def install_spec(dist: metadata.Distribution) -> InstallSpec:
    """The requirement that installs `dist` again, from its direct_url.json."""
    version = dist.version
    text = dist.read_text("direct_url.json")
    if text is None:
        return InstallSpec(
            f"{DIST_NAME}=={version}",
            f"version {version} from a package index",
            advice="if that index is a private one, pip in CI needs its URL too (PIP_INDEX_URL)",
        )
    try:
        data = json.loads(text)
        url = str(data["url"])
    except (ValueError, KeyError, TypeError):
        data, url = {}, ""
    if isinstance(data.get("vcs_info"), dict):
        return _from_vcs(url, data["vcs_info"], data.get("subdirectory"))
    if isinstance(data.get("archive_info"), dict):
        return _from_archive(url, data["archive_info"])
    if isinstance(data.get("dir_info"), dict) and url.startswith("file:"):
        return _from_directory(Path(unquote(urlsplit(url).path)), bool(data["dir_info"].get("editable")))
    return InstallSpec(
        f"{DIST_NAME}=={version}",
        f"version {version}, from a source its metadata does not name",
        portable=False,
        advice=f"check that CI can install this version, or replace it with a git URL ({GIT_URL_EXAMPLE})",
    )


def _from_vcs(url: str, info: dict[str, object], subdirectory: object) -> InstallSpec:
    vcs = str(info.get("vcs", "git"))
    commit = str(info.get("commit_id", "")) or str(info.get("requested_revision", ""))
    clean = without_credentials(url)
    requirement = f"{DIST_NAME} @ {vcs}+{clean}" + (f"@{commit}" if commit else "")
    if subdirectory:
        requirement += f"#subdirectory={subdirectory}"
    origin = f"{vcs} repository {clean}" + (f" at {commit}" if commit else "")
    if clean.startswith("file:"):
        return InstallSpec(
            requirement,
            origin,
            portable=False,
            advice="that repository is on this machine: use one that CI and your team can clone",
        )
    return InstallSpec(requirement, origin)


def _from_archive(url: str, info: dict[str, object]) -> InstallSpec:
    clean = without_credentials(url)
    hashes = info.get("hashes")
    digest = next(iter(sorted(hashes.items())), None) if isinstance(hashes, dict) else None
    requirement = f"{DIST_NAME} @ {clean}" + (f"#{digest[0]}={digest[1]}" if digest else "")
    if clean.startswith("file:"):
        return InstallSpec(
            requirement,
            f"the file {unquote(urlsplit(clean).path)}",
            portable=False,
            advice=f"that file is on this machine: publish it, or use a git URL ({GIT_URL_EXAMPLE})",
        )
    return InstallSpec(requirement, f"the archive {clean}")


def _from_directory(path: Path, editable: bool) -> InstallSpec:
    kind = "an editable install of" if editable else "an install from"
    return InstallSpec(
        f"{DIST_NAME} @ {path.as_uri()}",
        f"{kind} the local directory {path}",
        portable=False,
        advice="other machines (CI, your team's) cannot install from a directory on this one: "
        f"use a git URL at a commit ({GIT_URL_EXAMPLE})",
        local_dir=path,
    )


def from_checkout(
    spec: InstallSpec, top: Path, commit: str | None, remote_url: str | None, dirty: bool
) -> InstallSpec:
    """For an install from a local directory inside a git checkout: its remote at the checked-out commit,
    when the remote is one CI can reach (else `spec` unchanged)."""
    if spec.local_dir is None or commit is None or not remote_url:
        return spec
    url = pip_git_url(remote_url)
    if url is None:
        return spec
    try:
        subdirectory = spec.local_dir.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return spec
    requirement = f"{DIST_NAME} @ {url}@{commit}"
    if subdirectory != ".":
        requirement += f"#subdirectory={subdirectory}"
    advice = f"that commit must be pushed to {without_credentials(remote_url)}"
    if dirty:
        advice += "; the checkout has uncommitted changes, which this does not install"
    return replace(
        spec,
        requirement=requirement,
        origin=f"{spec.origin}, a git checkout at {commit[:12]}",
        advice=advice,
    )


def pip_git_url(remote_url: str) -> str | None:
    """A git remote's URL the way pip takes it (`git+https://...`, `git+ssh://...`), without credentials;
    None for a remote on this machine (a path or a file URL)."""
    url = remote_url.strip()
    if "://" not in url:
        host, colon, path = url.partition(":")
        if not colon or "/" in host or not path:  # a local path, not `user@host:path`
            return None
        url = f"ssh://{host}/{path.lstrip('/')}"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http", "ssh", "git"):
        return None
    return "git+" + without_credentials(url)


def without_credentials(url: str) -> str:
    """`url` without a password or token; an ssh URL keeps its user name (`git@host`)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    keep = f"{user}@" if parts.scheme in ("ssh", "git+ssh") and user else ""
    return urlunsplit(parts._replace(netloc=keep + host))


def chosen_install(text: str) -> InstallSpec:
    """A requirement given with `--install-spec`: one line, not a pip option, with no credentials in a URL
    (the workflow and the pre-commit config are committed)."""
    requirement = text.strip()
    for url in _URL.findall(requirement):
        if without_credentials(url) != url:
            raise UsageError(
                f"--install-spec: {without_credentials(url)} is given with credentials, which would be "
                "committed in the workflow and the pre-commit config",
                hint="give the URL without them; CI authenticates with its own token or deploy key",
            )
    if not requirement:
        raise UsageError("--install-spec: empty", hint=f"e.g. {DIST_NAME}==0.1.0 or '{GIT_URL_EXAMPLE}'")
    if any(ord(c) < 32 for c in requirement) or requirement.startswith("-"):
        raise UsageError(
            f"--install-spec {requirement!r}: one pip requirement, not an option or several lines",
            hint=f"e.g. {DIST_NAME}==0.1.0 or '{GIT_URL_EXAMPLE}'",
        )
    return InstallSpec(requirement, "given with --install-spec", chosen=True)
