"""Who is using the dashboard: an optional user file with scrypt-hashed passwords.

One line per user, ``name:scrypt$N$r$p$SALT$HASH`` (hex), ``#`` starts a comment. Add or
change a user with::

    python -m explorer.users add /srv/topograph/users.txt ana      # asks for the password

The file never holds a password, only its scrypt hash (N = 2^14, r = 8, p = 1, a 16-byte
random salt: about 16 MiB and 0.1 s per check, so guessing is slow); it is written
atomically with mode 600. The server re-reads it when it changes (no restart).
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import os
import secrets
import sys
import tempfile
from pathlib import Path

from compute.naming.text import clean_user

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32
MIN_PASSWORD = 8  # characters


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` of ``password`` with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True if ``password`` hashes to ``stored`` (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed, bytes.fromhex(digest))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=HASH_BYTES,
                          maxmem=256 * 1024 * 1024)


def check_user_name(name: str) -> str:
    """The cleaned user name (as the names history records it); ValueError if unusable."""
    name = clean_user(name)
    if ":" in name or name != name.strip():
        raise ValueError(f"user name {name!r}: no ':' and no leading or trailing spaces")
    return name


def read_users(path: Path) -> dict[str, str]:
    """{user name: stored hash} of a user file; ValueError naming a bad line."""
    users = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, stored = line.partition(":")
        if not sep or not stored.startswith("scrypt$"):
            raise ValueError(f"{path}:{number}: expected 'name:scrypt$...'; add users with "
                             "python -m explorer.users add FILE NAME")
        users[name] = stored
    return users


def add_user(path: Path, name: str, password: str) -> None:
    """Add ``name`` to the user file (or change its password), atomically, mode 600."""
    name = check_user_name(name)
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password needs at least {MIN_PASSWORD} characters")
    path = Path(path)
    users = read_users(path) if path.exists() else {}
    users[name] = hash_password(password)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".users-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("# Topograph users: name:scrypt hash (python -m explorer.users add)\n")
            out.writelines(f"{user}:{stored}\n" for user, stored in users.items())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.users",
                                     description="Manage the dashboard's user file (--users).")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add a user or change a password")
    add.add_argument("file", type=Path)
    add.add_argument("name")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of stdin (scripts)")
    args = parser.parse_args(argv)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 1
    try:
        add_user(args.file, args.name, password)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.name} can sign in (user file {args.file})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
