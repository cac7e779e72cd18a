"""Where the client finds the server and its token: CORDON_URL and CORDON_TOKEN, then a
config file (~/.config/cordon/config.ini or $CORDON_CONFIG) readable by its owner alone,
or --token-file. Never the command line: a token there shows in `ps` and shell history."""

from __future__ import annotations

import configparser
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cordon_cli.errors import ConfigError

SECTION = "cordon"
DEFAULT_CONFIG = Path("~/.config/cordon/config.ini")
EXAMPLE = "[cordon]\nurl = https://cordon.example.org\ntoken = <your API token>"


@dataclass(frozen=True)
class Settings:
    url: str
    token: str


def config_path() -> Path:
    return Path(os.environ.get("CORDON_CONFIG") or DEFAULT_CONFIG).expanduser()


def _refuse_if_others_can_read(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"{path} has permissions {mode:04o} and holds an API token; it must be readable "
            f"by you alone. Fix: chmod 600 {path}"
        )


def _read_secret_file(path: Path) -> str:
    try:
        _refuse_if_others_can_read(path)
        return path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error


def load(*, token_file: str | None = None) -> Settings:
    values: dict[str, str] = {}
    path = config_path()
    explicit = "CORDON_CONFIG" in os.environ
    if path.exists() or explicit:
        try:
            _refuse_if_others_can_read(path)
            parser = configparser.ConfigParser(interpolation=None)
            with path.open(encoding="utf-8") as handle:
                parser.read_file(handle)
        except OSError as error:
            raise ConfigError(f"cannot read config file {path}: {error.strerror}") from error
        except configparser.Error as error:
            raise ConfigError(f"config file {path} is not valid: {error.message}") from error
        if parser.has_section(SECTION):
            values = dict(parser[SECTION])
    url = os.environ.get("CORDON_URL") or values.get("url", "")
    token = os.environ.get("CORDON_TOKEN") or values.get("token", "")
    if token_file:
        token = _read_secret_file(Path(token_file).expanduser())
    if not url:
        raise ConfigError(f"no server: set CORDON_URL, or write {path} (chmod 600) with\n{EXAMPLE}")
    if not token:
        raise ConfigError(
            f"no API token: set CORDON_TOKEN, use --token-file, or write {path} "
            f"(chmod 600) with\n{EXAMPLE}"
        )
    return Settings(url=url.rstrip("/"), token=token)
