"""Password hashing through the passlib API (installed from `libpass`, its maintained fork).
This is the only module that knows the hashing library; replacing it means changing this file.

New hashes are argon2id. bcrypt hashes (from an older system, say) still verify, and are
replaced by argon2id on the next successful login, as is any hash made with weaker parameters.
Hashing takes tens of milliseconds of CPU on purpose, so it runs in worker threads of its own
rather than on the event loop. There is one fewer of them than there are cores (at least one):
a storm of logins then keeps every hashing thread busy but leaves a core to the event loop, so
the other requests are still answered promptly. (argon2 releases the GIL while it hashes.)
"""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from passlib.context import CryptContext

# Plenty for a passphrase, and a bound on the work an attacker can ask the server to do.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128

# "standard" is OWASP's baseline for argon2id: 19 MiB of memory, 2 passes, 1 lane. "fast" is
# argon2id at its smallest cost, for test suites only (the settings refuse it elsewhere): a
# test that creates a user then spends microseconds instead of tens of milliseconds.
HashCost = Literal["standard", "fast"]
# (memory in KiB, passes) for each cost.
_ARGON2_COST: dict[HashCost, tuple[int, int]] = {"standard": (19_456, 2), "fast": (8, 1)}


def _context(cost: HashCost) -> CryptContext:
    memory_kib, passes = _ARGON2_COST[cost]
    return CryptContext(
        schemes=["argon2", "bcrypt"],
        deprecated=["bcrypt"],
        argon2__type="ID",
        argon2__memory_cost=memory_kib,
        argon2__time_cost=passes,
        argon2__parallelism=1,
    )


class PasswordHasher:
    """Hashes and verifies passwords on threads of its own; built once per process (in
    `lifespan`, or by a command), and closed with it."""

    def __init__(self, cost: HashCost = "standard") -> None:
        self._context = _context(cost)
        self._threads = ThreadPoolExecutor(
            max_workers=max(1, (os.cpu_count() or 1) - 1), thread_name_prefix="password-hashing"
        )
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(
            self._threads, self._context.hash, password
        )

    async def verify(self, password: str, hashed: str) -> tuple[bool, str | None]:
        """Whether `password` matches, and a replacement hash when the stored one is outdated."""
        try:
            verified, replacement = await asyncio.get_running_loop().run_in_executor(
                self._threads, self._context.verify_and_update, password, hashed
            )
        except ValueError:
            # bcrypt refuses passwords over 72 bytes outright; such a password cannot match a
            # bcrypt hash, so it is a wrong password, not a server error.
            return False, None
        return bool(verified), replacement

    async def verify_against_dummy(self, password: str) -> None:
        """Spend the time a real verification takes, so an unknown email answers no faster."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash("not a password of any account")
        await asyncio.get_running_loop().run_in_executor(
            self._threads, self._context.verify, password, self._dummy_hash
        )

    async def prepare(self) -> None:
        """Compute the dummy hash at start-up, so the first unknown-email login is not faster."""
        self._dummy_hash = await self.hash("not a password of any account")

    def close(self) -> None:
        self._threads.shutdown(wait=True)
