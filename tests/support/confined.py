"""`dozor run` with its database folder on a read-only mount or on a small tmpfs that is (or
becomes) full, inside a private mount namespace.

chmod is no test of a read-only database when the tests run as root (CI does): root writes
through file modes. A read-only bind mount answers EROFS to everyone, and a tmpfs of a few
hundred KiB answers ENOSPC like a full disk. `unshare --user --map-root-user --mount` gives an
unprivileged user a namespace of its own to mount them in (root may use plain `--mount`); the
machine's own mounts are never touched, and everything goes when the process exits.

The wrapper is a shell script run by `unshare`; it ends by running the service, so a test runs

    DozorProcess(config, log, prefix=confined(READ_ONLY_FOLDER, data))

and for `FILLS_UP`, writes a line to the process's stdin when the disk should fill.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from functools import cache
from pathlib import Path

# Each script gets DATA (the database folder) and SEED (a folder holding a prepared dozor.db).
READ_ONLY_FOLDER = 'mount --bind "$DATA" "$DATA" && mount -o remount,bind,ro "$DATA" || exit 97\nexec "$@"'
READ_ONLY_FILE = ('mount --bind "$DATA/dozor.db" "$DATA/dozor.db" && '
                  'mount -o remount,bind,ro "$DATA/dozor.db" || exit 97\nexec "$@"')
_SMALL_DISK = 'mount -t tmpfs -o size=1m tmpfs "$DATA" && cp "$SEED/dozor.db" "$DATA/" || exit 97\n'
_FILL = 'dd if=/dev/zero of="$DATA/filler" bs=4096 2>/dev/null\n'  # until ENOSPC
FULL_DISK = _SMALL_DISK + _FILL + 'exec "$@"'
# The service starts with room to spare; the disk fills when the test writes a line to stdin.
FILLS_UP = _SMALL_DISK + '"$@" </dev/null &\nservice=$!\nread _\n' + _FILL + 'wait "$service"'


_PROBE = 'd=$(mktemp -d) && mount -t tmpfs tmpfs "$d" && umount "$d"; r=$?; rmdir "$d"; exit $r'


@cache
def namespace_prefix() -> tuple[str, ...] | None:
    """The `unshare` command that gives a mount namespace on this machine, or None."""
    if shutil.which("unshare") is None:
        return None
    for prefix in (("unshare", "--user", "--map-root-user", "--mount"), ("unshare", "--mount")):
        probe = subprocess.run([*prefix, "sh", "-c", _PROBE], capture_output=True)
        if probe.returncode == 0:
            return prefix
    return None


def confined(script: str, data: Path, seed: Path | None = None) -> tuple[str, ...]:
    """A command prefix: run `script` (one of the above) in a mount namespace, then the command."""
    prefix = namespace_prefix()
    assert prefix is not None, "check namespace_prefix() first"
    env = f"DATA={shlex.quote(str(data))}\nSEED={shlex.quote(str(seed or data))}\n"
    return (*prefix, "sh", "-c", env + script, "confined")
